"""`docs/constraints.md`: every constraint of each model's createTask body, with its provenance.

Rendered from `liangxin_contract.provenance.constraints` (the list `liangxin_contract.
model_constraints` and `liangxin models MODEL` read), so the table, the CLI and the client's
checks show the same facts. `python -m generator generate` writes it; `check` fails when it is
stale.

The branches of an `anyOf` that only tolerate a value (`null`, `""`) or open a list (a plain
string next to an enum) refuse nothing; they are shown as one readable row per field
(`or "" / null for none`, `open list: any other string accepted`) instead of as constraints.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from liangxin_contract.provenance import Constraint, Resolver, constraints

TABLE = Path("docs/constraints.md")
SOURCE_NAMES = {"doc": "documented", "inferred": "inferred", "upstream": "upstream"}
_BRANCH = re.compile(r" \((anyOf|oneOf|allOf)\[(\d+)\]\)")


def mapping(spec: dict[str, Any]) -> dict[str, str]:
    """model value → request schema name, from the CreateTaskRequest discriminator."""
    request = spec["components"]["schemas"]["CreateTaskRequest"]
    refs: dict[str, str] = request["discriminator"]["mapping"]
    return {model: ref.rsplit("/", 1)[-1] for model, ref in refs.items()}


def knowledge(resolver: Resolver, request: dict[str, Any]) -> str:
    """`known`, or `partly known` when the model's input says `x-liangxin-partial: true`."""
    schema = resolver.merged(request)
    input_schema = resolver.merged(schema.get("properties", {}).get("input", {}))
    return "partly known" if input_schema.get("x-liangxin-partial") else "known"


def field_of(path: str) -> str:
    """The field a constraint path belongs to, without its anyOf/oneOf branch steps."""
    return _BRANCH.sub("", path)


def branch_kind(found: list[Constraint], siblings_have_enum: bool) -> str | None:
    """What an anyOf/oneOf branch is, from its own constraints: `null`, `empty` (only `""`),
    `open` (any string, next to an enum), or None for a branch that really constrains."""
    own = {c.keyword: c.value for c in found}
    if own == {"type": "null"} or own.get("type") == ["null"]:
        return "null"
    if own == {"type": "string", "maxLength": 0}:
        return "empty"
    if own == {"type": "string"} and siblings_have_enum:
        return "open"
    return None


def tolerances(found: list[Constraint]) -> dict[str, str]:
    """Branch prefix (`callBackUrl (anyOf[1])`) → its kind, for every tolerance branch."""
    branches: dict[str, list[Constraint]] = {}
    for c in found:
        for match in _BRANCH.finditer(c.path):
            prefix = c.path[: match.end()]
            branches.setdefault(prefix, [])
            if c.path == prefix:
                branches[prefix].append(c)
    kinds: dict[str, str] = {}
    for prefix, own in branches.items():
        parent = prefix[: prefix.rfind(" (")]
        siblings = [
            c
            for p, cs in branches.items()
            if p.startswith(f"{parent} (")
            for c in cs
            if p != prefix
        ]
        kind = branch_kind(own, any(c.keyword == "enum" for c in siblings))
        if kind is not None:
            kinds[prefix] = kind
    return kinds


def cell(text: str) -> str:
    return text.replace("|", "\\|")


def code(value: Any) -> str:
    """A value as the table shows it: strings raw in a code span, the rest as JSON."""
    if isinstance(value, str):
        return f"`{value}`" if value else '`""`'
    return f"`{json.dumps(value)}`"


def describe(c: Constraint, open_list: bool) -> str:
    """One constraint in words: `maxLength 3000`, `pattern `^https://``, `required prompt`."""
    value = c.value
    if c.keyword == "required":
        return f"required {', '.join(code(v) for v in value)}"
    if c.keyword == "enum":
        values = ", ".join(code(v) for v in value)
        return (
            f"known values {values} (open list: other strings accepted)"
            if open_list
            else (f"one of {values}")
        )
    if c.keyword.startswith("x-liangxin-rules:"):
        return f"{c.keyword.split(':', 1)[1]}: {' + '.join(value['fields'])} <= {value['max']}"
    if c.keyword == "dependentRequired":
        return f"needs {', '.join(code(v) for v in value)}"
    if c.keyword == "additionalProperties":
        return "no other fields (closed)"
    return f"{c.keyword} {code(value)}"


def rows(found: list[Constraint]) -> list[tuple[str, str, str]]:
    """(field, constraint, source) rows, tolerance branches folded into one row per field."""
    kinds = tolerances(found)
    open_fields = {field_of(p[: p.rfind(" (")]) for p, k in kinds.items() if k == "open"}
    out: list[tuple[str, str, str]] = []
    folded: dict[str, list[str]] = {}
    for c in found:
        prefix = next((p for p in kinds if c.path == p or c.path.startswith(p)), None)
        field = field_of(c.path)
        if prefix is None:
            out.append((field, describe(c, field in open_fields), SOURCE_NAMES[c.source]))
        elif kinds[prefix] not in folded.setdefault(field, []):
            folded[field].append(kinds[prefix])
    for field, kinds_here in folded.items():
        none = [{"empty": '`""`', "null": "`null`"}[k] for k in kinds_here if k != "open"]
        if not none:
            continue
        last = max((i for i, row in enumerate(out) if row[0] == field), default=len(out) - 1)
        out.insert(last + 1, (field, f"or {' / '.join(none)} for none (refuses nothing)", "—"))
    return out


def render(spec: dict[str, Any]) -> str:
    """The whole table, as Markdown."""
    resolver = Resolver(spec)
    models = mapping(spec)
    out = [
        "# Constraints and where they come from",
        "",
        "Generated from `openapi/liangxin.yaml` by `python -m generator generate`; "
        "`python -m generator check` (CI) fails when it is stale. Do not edit by hand.",
        "",
        "Every constraint of each model's createTask body, with its source:",
        "",
        "- **documented**: the LiangXin docs state it. The client refuses a body that breaks it "
        "before sending (`InvalidRequestError`), the mock answers 400.",
        "- **inferred**: our guess. The client warns (`LiangXinWarning`) and sends; "
        "`strict=True` (`--strict`) refuses.",
        "- **upstream**: stated by the provider LiangXin forwards to, not by LiangXin: "
        "a guess as well.",
        "",
        "A model is *known* when its fields are in the contract, *partly known* when the docs "
        "name it but its fields were not recovered (its input is open: unknown fields are sent "
        "unchecked). `liangxin models MODEL` prints the same constraints.",
        "",
        "| model | knowledge | documented | inferred | upstream |",
        "|---|---|---|---|---|",
    ]
    sections: list[str] = []
    for model, name in models.items():
        root = {"$ref": f"#/components/schemas/{name}"}
        found = constraints(resolver, root)
        level = knowledge(resolver, root)
        table = rows(found)
        counts = [sum(1 for row in table if row[2] == s) for s in SOURCE_NAMES.values()]
        out.append(
            f"| [`{model}`](#{model.replace('.', '')}) | {level} | "
            + " | ".join(map(str, counts))
            + " |"
        )
        sections += ["", f"## {model}", "", f"{level.capitalize()}. Request schema `{name}`.", ""]
        sections += ["| field | constraint | source |", "|---|---|---|"]
        sections += [f"| `{cell(f)}` | {cell(c)} | {s} |" for f, c, s in table]
    return "\n".join([*out, *sections, ""])
