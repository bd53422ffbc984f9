"""Per-model typed inputs and the createTask body, checked against the contract before sending."""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from functools import cache
from types import MappingProxyType
from typing import Any, TypeAlias

import liangxin_contract
from liangxin_client._errors import InvalidRequestError
from liangxin_client._generated.models import (
    Flux2ProInput,
    Gemini25FlashImagePreviewInput,
    Imagen4FastInput,
    Imagen4UltraInput,
    NanoBananaProFlashInput,
    NanoBananaProInput,
    SeedreamV5LiteEditInput,
    SeedreamV5LiteInput,
    SeedreamV45EditInput,
    SeedreamV45Input,
    ZImageInput,
)

ModelInput: TypeAlias = (
    SeedreamV45Input
    | SeedreamV45EditInput
    | SeedreamV5LiteInput
    | SeedreamV5LiteEditInput
    | ZImageInput
    | Gemini25FlashImagePreviewInput
    | NanoBananaProInput
    | NanoBananaProFlashInput
    | Imagen4FastInput
    | Imagen4UltraInput
    | Flux2ProInput
)

#: model value → its typed input class (a test keeps this in step with the contract).
MODEL_INPUTS: Mapping[str, type[ModelInput]] = MappingProxyType(
    {
        "seedream-v4-5": SeedreamV45Input,
        "seedream-v4-5-edit": SeedreamV45EditInput,
        "seedream-v5-lite": SeedreamV5LiteInput,
        "seedream-v5-lite-edit": SeedreamV5LiteEditInput,
        "z-image": ZImageInput,
        "gemini-2.5-flash-image-preview": Gemini25FlashImagePreviewInput,
        "nano-banana-pro": NanoBananaProInput,
        "nano-banana-pro-flash": NanoBananaProFlashInput,
        "imagen4-fast": Imagen4FastInput,
        "imagen4-ultra": Imagen4UltraInput,
        "flux-2-pro": Flux2ProInput,
    }
)
_MODEL_OF: dict[type[Any], str] = {cls: model for model, cls in MODEL_INPUTS.items()}


@cache
def input_fields(model: str) -> frozenset[str]:
    """The documented `input` fields of `model`, from the contract."""
    return frozenset(liangxin_contract.input_schema(model).get("properties", {}))


def _model_for(model: str | None, typed: ModelInput | None) -> str:
    if typed is not None:
        inferred = _MODEL_OF.get(type(typed))
        if inferred is None:
            raise InvalidRequestError(
                f"input= must be a typed model input, got {type(typed).__name__}", "input"
            )
        if model is None:
            return inferred
        if model != inferred:
            raise InvalidRequestError(
                f"{type(typed).__name__} is the input of {inferred!r}, not of {model!r}", "model"
            )
    if model is None:
        raise InvalidRequestError("model is required", "model")
    return model


def _check_fields(model: str, payload: Mapping[str, Any], deliberate: frozenset[str]) -> None:
    if model not in liangxin_contract.model_names():
        return  # validate_create_task reports the model itself
    known = input_fields(model)
    for name in sorted(set(payload) - known - deliberate):
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise InvalidRequestError(
            f"unknown input field {name!r} for model {model!r}{hint} "
            f"(documented: {', '.join(sorted(known))}; pass extra_input={{...}} to send "
            "undocumented fields deliberately)",
            f"input.{name}",
        )


def build_create_body(
    model: str | None,
    prompt: str | None,
    *,
    typed: ModelInput | None = None,
    fields: Mapping[str, Any] | None = None,
    callback_url: str | None = None,
    extra_input: Mapping[str, Any] | None = None,
    validate: bool = True,
) -> dict[str, Any]:
    """The createTask JSON body; with `validate`, every contract rule is checked first.

    Keyword fields set to None are left out. Raises `InvalidRequestError` (with `.field`).
    """
    fields = {k: v for k, v in (fields or {}).items() if v is not None}
    if typed is not None and (prompt is not None or fields):
        raise InvalidRequestError(
            "pass either input= or prompt and keyword fields, not both", "input"
        )
    model = _model_for(model, typed)
    deliberate: frozenset[str] = frozenset()
    if typed is not None:
        payload = typed.to_dict()
        deliberate = frozenset(typed.additional_properties)
    else:
        payload = {"prompt": prompt, **fields} if prompt is not None else dict(fields)
    if validate:
        _check_fields(model, payload, deliberate)
    payload.update(extra_input or {})
    body: dict[str, Any] = {"model": model, "input": payload}
    if callback_url is not None:
        body["callBackUrl"] = callback_url
    if validate:
        try:
            liangxin_contract.validate_create_task(body)
        except liangxin_contract.ContractViolation as exc:
            raise InvalidRequestError(exc.message, exc.field) from None
    return body


def request_summary(body: Mapping[str, Any]) -> dict[str, Any]:
    """What a createTask carried, short enough for an error message."""
    payload = body.get("input")
    prompt = payload.get("prompt") if isinstance(payload, Mapping) else None
    summary: dict[str, Any] = {"model": body.get("model")}
    if isinstance(prompt, str):
        summary["prompt"] = prompt if len(prompt) <= 80 else prompt[:77] + "..."
    url = body.get("callBackUrl")
    if url:  # a secret the docs say to keep unguessable: scheme and host only
        summary["callBackUrl"] = (
            liangxin_contract.redact_url(url) if isinstance(url, str) else "***"
        )
    return summary
