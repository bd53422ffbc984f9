"""`liangxin models`: every model and its inputs, read from the contract (never hard-coded)."""

from __future__ import annotations

import json
from typing import Any

import liangxin_contract

#: (lower key, upper key, how to show the bounds).
_RANGES = (
    ("minimum", "maximum", "{}"),
    ("minLength", "maxLength", "length {}"),
    ("minItems", "maxItems", "{} items"),
)


def _resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """`schema` with a top-level `$ref` followed (its own keys win over the target's)."""
    ref = schema.get("$ref")
    if not isinstance(ref, str):
        return schema
    target = _resolve(schemas[ref.rsplit("/", 1)[-1]], schemas)
    return {**target, **{k: v for k, v in schema.items() if k != "$ref"}}


def _type(schema: dict[str, Any], schemas: dict[str, Any]) -> str:
    kind = schema.get("type", "any")
    if kind == "array":
        return f"array of {_type(_resolve(schema.get('items', {}), schemas), schemas)}"
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind)


def _field(
    name: str, schema: dict[str, Any], required: bool, schemas: dict[str, Any]
) -> dict[str, Any]:
    resolved = _resolve(schema, schemas)
    info: dict[str, Any] = {"name": name, "type": _type(resolved, schemas), "required": required}
    if "default" in resolved:
        info["default"] = resolved["default"]
    if "enum" in resolved:
        info["allowed"] = list(resolved["enum"])
    items = _resolve(resolved.get("items", {}), schemas)
    for low, high, _ in _RANGES:
        info.update({key: resolved[key] for key in (low, high) if key in resolved})
    if "enum" in items:
        info["allowedItems"] = list(items["enum"])
    if resolved.get("x-liangxin-source"):
        info["source"] = resolved["x-liangxin-source"]
    if resolved.get("description"):
        info["description"] = " ".join(str(resolved["description"]).split())
    return info


def describe_model(model: str) -> dict[str, Any]:
    """One model's inputs (type, required, default, allowed values, ranges) and rules."""
    schemas = liangxin_contract.load_spec()["components"]["schemas"]
    schema = liangxin_contract.input_schema(model)
    required = set(schema.get("required", []))
    rules: list[str] = []
    if schema.get("description"):
        rules.append(" ".join(str(schema["description"]).split()))
    for field, needs in schema.get("dependentRequired", {}).items():
        rules.append(f"{field} requires {', '.join(needs)}")
    rules.extend(str(rule["message"]) for rule in schema.get("x-liangxin-rules", []))
    described: dict[str, Any] = {
        "model": model,
        "inputs": [
            _field(name, prop, name in required, schemas)
            for name, prop in schema.get("properties", {}).items()
        ],
        "rules": rules,
    }
    if schema.get("x-liangxin-source"):
        described["source"] = schema["x-liangxin-source"]
    return described


def describe_models(models: list[str] | None = None) -> list[dict[str, Any]]:
    return [describe_model(m) for m in (models or liangxin_contract.model_names())]


def _constraints(field: dict[str, Any]) -> str:
    parts = [field["type"]]
    if field["required"]:
        parts.append("required")
    if "default" in field:
        parts.append(f"default {json.dumps(field['default'])}")
    for low, high, fmt in _RANGES:
        if low in field and high in field:
            parts.append(fmt.format(f"{field[low]}–{field[high]}"))
        elif low in field:
            parts.append(fmt.format(f"≥ {field[low]}"))
        elif high in field:
            parts.append(fmt.format(f"≤ {field[high]}"))
    if "allowed" in field:
        parts.append("one of: " + ", ".join(str(v) for v in field["allowed"]))
    if "allowedItems" in field:
        parts.append("items one of: " + ", ".join(str(v) for v in field["allowedItems"]))
    if field.get("source") in ("inferred", "upstream"):
        parts.append(f"({field['source']})")
    return "; ".join(parts)


def render_models(described: list[dict[str, Any]]) -> str:
    """Plain text: one block per model, one line per input."""
    lines: list[str] = []
    for model in described:
        source = f"  ({model['source']})" if model.get("source") else ""
        lines.append(f"{model['model']}{source}")
        width = max((len(f["name"]) for f in model["inputs"]), default=0)
        for field in model["inputs"]:
            lines.append(f"  {field['name']:<{width}}  {_constraints(field)}")
        lines.extend(f"  note: {rule}" for rule in model["rules"])
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"
