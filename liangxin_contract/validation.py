"""Validate a createTask body against the contract: its JSON Schemas and its `x-liangxin-rules`."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import jsonschema_rs

from liangxin_contract._spec import _mapping, load_spec
from liangxin_contract.display import shorten, shown_value

#: The longest message a violation carries (echoed values are shortened first).
MAX_MESSAGE_CHARS = 500


class ContractViolation(ValueError):
    """A request breaks a documented rule. `field` is the dotted path (`input.aspect_ratio`)."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@cache
def _components() -> dict[str, Any]:
    components: dict[str, Any] = load_spec()["components"]
    return components


@cache
def _validator(schema_name: str) -> Any:
    schema = {"$ref": f"#/components/schemas/{schema_name}", "components": _components()}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def _path(parts: list[str | int]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(error: Any) -> ContractViolation:
    path = _path(list(error.instance_path))
    kind = error.kind
    name = type(kind).__name__
    if name == "Required":
        missing = _path([*error.instance_path, kind.property])
        if "dependentRequired" in error.schema_path:
            return ContractViolation(f"{missing} is required when its pair is given", missing)
        return ContractViolation(f"{missing} is required", missing)
    if name == "Enum":
        allowed = ", ".join(json.dumps(v) for v in kind.options)
        return ContractViolation(
            f"invalid {path}: {shown_value(error.instance, path)} is not one of {allowed}", path
        )
    label = path or "request body"
    message: str = error.message
    echoed = shown_value(error.instance)  # the validator quotes the value as compact JSON
    full = json.dumps(error.instance, ensure_ascii=False, separators=(",", ":"), default=str)
    if path == "callBackUrl" or len(full) > len(echoed):
        message = message.replace(full, shown_value(error.instance, path))
    return ContractViolation(
        f"invalid {label}: {shorten(message, MAX_MESSAGE_CHARS)}", path or None
    )


def _count(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, list):
        return len(value)
    return 1


def check_rules(input_schema: dict[str, Any], payload: dict[str, Any]) -> None:
    """Apply the schema's `x-liangxin-rules` (see `components/x-liangxin-rule-kinds`)."""
    for rule in input_schema.get("x-liangxin-rules", []):
        if rule["kind"] == "max-total-items":
            total = sum(_count(payload.get(field)) for field in rule["fields"])
            if total > rule["max"]:
                raise ContractViolation(rule["message"], f"input.{rule['fields'][-1]}")
        else:  # pragma: no cover - a new rule kind must be implemented here first
            raise NotImplementedError(f"unknown x-liangxin-rules kind {rule['kind']!r}")


def validate_create_task(body: Any) -> str:
    """Check a createTask body; return its model value or raise `ContractViolation`."""
    if not isinstance(body, dict):
        raise ContractViolation("request body must be a JSON object")
    model = body.get("model")
    if model is None:
        raise ContractViolation("model is required", "model")
    if not isinstance(model, str):
        raise ContractViolation("invalid model: must be a string", "model")
    schema_name = _mapping().get(model)
    if schema_name is None:
        raise ContractViolation(f"unsupported model: {model}", "model")
    try:
        errors = sorted(
            _validator(schema_name).iter_errors(body),
            key=lambda e: (len(e.instance_path), [str(p) for p in e.instance_path], e.message),
        )
    except (ValueError, RecursionError) as exc:  # nested past the validator's limit; bad text
        raise ContractViolation(f"request body cannot be validated: {shorten(str(exc))}") from None
    if errors:
        raise _describe(errors[0])
    schemas = _components()["schemas"]
    input_ref = schemas[schema_name]["properties"]["input"]["$ref"].rsplit("/", 1)[-1]
    check_rules(schemas[input_ref], body["input"])
    return model
