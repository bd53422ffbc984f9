"""`liangxin models`: every model, its inputs and each constraint's source, read from the contract.

A constraint is either documented (the service is documented to refuse a body that breaks it:
the client refuses too) or a guess, shown `[inferred]` / `[upstream]` (the client warns and
sends). The same facts are in docs/constraints.md.
"""

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
LEGEND = (
    "unmarked: documented (refused before sending); [inferred] / [upstream]: a guess "
    "(warns, sent anyway; refused with --strict)"
)


def _type(schema: dict[str, Any]) -> str:
    kind = schema.get("type")
    if kind is None and "anyOf" in schema:
        kinds = [_type(option) for option in schema["anyOf"]]
        return " | ".join(dict.fromkeys(k for k in kinds if k != "any")) or "any"
    if kind == "array":
        return f"array of {_type(schema.get('items', {}))}"
    if isinstance(kind, list):
        return " | ".join(str(k) for k in kind)
    return str(kind or "any")


def _enum(schema: dict[str, Any]) -> tuple[list[Any] | None, bool]:
    """(listed values, whether others are allowed too)."""
    if "enum" in schema:
        return list(schema["enum"]), False
    for option in schema.get("anyOf", ()):
        if "enum" in option:
            return list(option["enum"]), any("enum" not in o for o in schema["anyOf"])
    return None, False


def _sources(constraints: list[liangxin_contract.Constraint], path: str) -> dict[str, str]:
    """keyword → source for the constraints at `path` (a branch's count as its field's)."""
    out: dict[str, str] = {}
    for c in constraints:
        if c.path == path or c.path.startswith(f"{path} ("):
            out.setdefault(c.keyword, c.source)
    return out


def _field(
    name: str, schema: dict[str, Any], required: str | None, sources: dict[str, str]
) -> dict[str, Any]:
    info: dict[str, Any] = {"name": name, "type": _type(schema), "required": required is not None}
    marks: dict[str, str] = {}
    if required is not None:
        marks["required"] = required
    if "default" in schema:
        info["default"] = schema["default"]
    values, open_list = _enum(schema)
    if values is not None:
        info["allowed"] = values
        if open_list:
            info["open"] = True
    items = schema.get("items", {})
    for low, high, _ in _RANGES:
        info.update({key: schema[key] for key in (low, high) if key in schema})
    if "enum" in items:
        info["allowedItems"] = list(items["enum"])
    for key, source in sources.items():
        if source != "doc":
            marks[key] = source
    info["sources"] = {k: v for k, v in marks.items() if v != "doc"}
    if schema.get("description"):
        info["description"] = " ".join(str(schema["description"]).split())
    return info


def describe_model(model: str) -> dict[str, Any]:
    """One model's inputs (type, required, default, allowed values, ranges, sources) and rules."""
    request = liangxin_contract.request_view(model)
    schema = request["properties"]["input"]
    constraints = liangxin_contract.model_constraints(model)
    required_source = _sources(constraints, "input").get("required", "doc")
    required = set(schema.get("required", []))
    rules: list[dict[str, str]] = []
    if schema.get("description"):
        rules.append({"text": " ".join(str(schema["description"]).split()), "source": "doc"})
    for field, needs in schema.get("dependentRequired", {}).items():
        source = _sources(constraints, f"input.{field}").get("dependentRequired", "doc")
        rules.append({"text": f"{field} requires {', '.join(needs)}", "source": source})
    for c in constraints:
        if c.keyword.startswith("x-liangxin-rules:"):
            rules.append({"text": str(c.value["message"]), "source": c.source})
    inputs = []
    for name, prop in schema.get("properties", {}).items():
        sources = _sources(constraints, f"input.{name}")
        items = _sources(constraints, f"input.{name}[]")
        sources.update({f"items.{k}": v for k, v in items.items()})
        inputs.append(_field(name, prop, required_source if name in required else None, sources))
    return {
        "model": model,
        "knowledge": liangxin_contract.model_knowledge(model),
        "inputs": inputs,
        "rules": rules,
    }


def describe_models(models: list[str] | None = None) -> list[dict[str, Any]]:
    return [describe_model(m) for m in (models or liangxin_contract.model_names())]


def _mark(field: dict[str, Any], *keys: str) -> str:
    sources = {field["sources"][k] for k in keys if k in field["sources"]}
    return "".join(f" [{s}]" for s in sorted(sources))


def _constraints(field: dict[str, Any]) -> str:
    parts = [field["type"] + _mark(field, "type", "items.type")]
    if field["required"]:
        parts.append("required" + _mark(field, "required"))
    if "default" in field:
        parts.append(f"default {json.dumps(field['default'])}")
    for low, high, fmt in _RANGES:
        mark = _mark(field, low, high)
        if low in field and high in field:
            parts.append(fmt.format(f"{field[low]}–{field[high]}") + mark)
        elif low in field:
            parts.append(fmt.format(f"≥ {field[low]}") + mark)
        elif high in field:
            parts.append(fmt.format(f"≤ {field[high]}") + mark)
    if "allowed" in field:
        values = ", ".join(str(v) for v in field["allowed"])
        if field.get("open"):
            parts.append(f"known values: {values}, and others (open list)")
        else:
            parts.append(f"one of: {values}" + _mark(field, "enum"))
    if "allowedItems" in field:
        values = ", ".join(str(v) for v in field["allowedItems"])
        parts.append(f"items one of: {values}" + _mark(field, "items.enum"))
    for key in ("pattern", "items.pattern", "format", "items.format"):
        if key in field["sources"]:
            parts.append(f"{key.removeprefix('items.')} rule{_mark(field, key)}")
    return "; ".join(parts)


_KNOWLEDGE = {"known": "", "partial": "  (partly known: fields not recovered, input open)"}


def render_models(described: list[dict[str, Any]]) -> str:
    """Plain text: one block per model, one line per input."""
    lines: list[str] = []
    for model in described:
        lines.append(f"{model['model']}{_KNOWLEDGE.get(model['knowledge'], '')}")
        width = max((len(f["name"]) for f in model["inputs"]), default=0)
        for field in model["inputs"]:
            lines.append(f"  {field['name']:<{width}}  {_constraints(field)}")
        for rule in model["rules"]:
            mark = f" [{rule['source']}]" if rule["source"] != "doc" else ""
            lines.append(f"  note: {rule['text']}{mark}")
        lines.append("")
    lines.append(LEGEND)
    return "\n".join(lines).rstrip() + "\n"
