"""Per-model typed inputs and the createTask body, checked against the contract before sending."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, TypeAlias

import attrs

import liangxin_contract
from liangxin_client._bridge import (
    Flux2ProInput,
    Gemini25FlashImagePreviewInput,
    Imagen4FastInput,
    Imagen4UltraInput,
    KlingV3ProInput,
    NanoBananaKnownAspectRatio,
    NanoBananaProFlashInput,
    NanoBananaProInput,
    SeedreamV5LiteEditInput,
    SeedreamV5LiteInput,
    SeedreamV45EditInput,
    SeedreamV45Input,
    ZImageInput,
)
from liangxin_client._errors import InvalidRequestError
from liangxin_client._warnings import (
    InferredConstraintWarning,
    LiangXinWarning,
    UnknownFieldWarning,
    UnknownModelWarning,
    warn,
)

#: Nano Banana's ratios: the listed ones, "and supported aliases" (open: any string is sent).
NanoBananaAspectRatio: TypeAlias = NanoBananaKnownAspectRatio | str

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
    | KlingV3ProInput
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
        "kling-v3-pro": KlingV3ProInput,
    }
)
_MODEL_OF: dict[type[Any], str] = {cls: model for model, cls in MODEL_INPUTS.items()}


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


def _check(body: dict[str, Any], deliberate: frozenset[str], strict: bool) -> None:
    """Block what the docs say the service refuses; warn about guesses (block them if strict)."""
    verdict = liangxin_contract.check_create_task(body, extra_fields=deliberate)
    for violation in verdict.documented:
        raise InvalidRequestError(violation.message, violation.field)
    notes: list[LiangXinWarning] = []
    model = verdict.model
    if verdict.knowledge == "unknown":
        hint = f"; did you mean {verdict.closest_model!r}?" if verdict.closest_model else "."
        notes.append(
            UnknownModelWarning(
                f"model {model!r} is not in the contract{hint} Only the request envelope was "
                "checked; the service decides",
                "model",
            )
        )
    notes += [
        InferredConstraintWarning(
            f"{v.message} (an inferred rule, not stated by the LiangXin docs: sent anyway)",
            v.field,
        )
        for v in verdict.inferred
    ]
    for unknown in verdict.unknown_fields:
        hint = f"; did you mean {unknown.suggestion!r}?" if unknown.suggestion else ""
        notes.append(
            UnknownFieldWarning(
                f"unknown input field {unknown.name!r} for model {model!r}{hint} "
                f"(the contract lists: {', '.join(sorted(verdict.known_fields))}; pass "
                "extra_input={...} to send undocumented fields without this warning)",
                f"input.{unknown.name}",
            )
        )
    if strict and notes:
        raise InvalidRequestError(f"{notes[0].message} (strict mode)", notes[0].field)
    for note in notes:
        warn(note)


def build_create_body(
    model: str | None,
    prompt: str | None,
    *,
    typed: ModelInput | None = None,
    fields: Mapping[str, Any] | None = None,
    callback_url: str | None = None,
    extra_input: Mapping[str, Any] | None = None,
    validate: bool = True,
    strict: bool = False,
) -> dict[str, Any]:
    """The createTask JSON body; with `validate`, every contract rule is checked first.

    Keyword fields set to None are left out. A documented violation raises
    `InvalidRequestError` (with `.field`); a guess only warns (`LiangXinWarning`), unless
    `strict`.
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
    payload.update(extra_input or {})
    body: dict[str, Any] = {"model": model, "input": payload}
    if callback_url is not None:
        body["callBackUrl"] = callback_url
    if validate:
        _check(body, deliberate | frozenset(extra_input or ()), strict)
    return body


@attrs.frozen
class CreateRequest:
    """The arguments of `tasks.create` / `generate`, turned into a body when the call runs."""

    model: str | None
    prompt: str | None
    typed: ModelInput | None
    fields: Mapping[str, Any]
    callback_url: str | None
    extra_input: Mapping[str, Any] | None
    validate: bool
    strict: bool | None

    def body(self, default_strict: bool) -> dict[str, Any]:
        """The checked createTask body; `strict` None means the client's (`default_strict`)."""
        return build_create_body(
            self.model,
            self.prompt,
            typed=self.typed,
            fields=self.fields,
            callback_url=self.callback_url,
            extra_input=self.extra_input,
            validate=self.validate,
            strict=default_strict if self.strict is None else self.strict,
        )


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
