"""Where each constraint of the contract comes from: the docs, or our inference.

A constraint is a keyword that can refuse a value (`type`, `enum`, `pattern`, `maximum`,
`required`, `dependentRequired`, an `x-liangxin-rules` entry, ...). Its source is read from marks
on the schema node that holds it, walking from a model's request schema down through `$ref`s:

- `x-liangxin-source: inferred | upstream | doc` on a node sets the source of every constraint
  of that node and of everything below it (also through `$ref`s), until another node says
  otherwise; at a `$ref`, marks written next to the `$ref` win over the target's;
- `x-liangxin-inferred: [keyword, ...]` marks single keywords of a node as inferred, and
  `x-liangxin-documented: [keyword, ...]` marks single keywords as documented inside an inferred
  part (an `x-liangxin-rules` entry may carry its own `x-liangxin-source`).

Everything else is documented. `doc` constraints may refuse a request; the others are guesses
that only warn (`liangxin_contract.validation`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

Source = Literal["doc", "inferred", "upstream"]
SOURCES: tuple[str, ...] = ("doc", "inferred", "upstream")

#: Keywords that can refuse a value. Anything else (properties, items, anyOf, ...) is structure.
CONSTRAINT_KEYWORDS: tuple[str, ...] = (
    "type",
    "const",
    "enum",
    "pattern",
    "format",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "minItems",
    "maxItems",
    "uniqueItems",
    "required",
    "dependentRequired",
    "additionalProperties",
    "x-liangxin-rules",
)
_SUBSCHEMA_LISTS = ("anyOf", "oneOf", "allOf")
_MARKS = ("x-liangxin-source", "x-liangxin-inferred", "x-liangxin-documented")


@dataclass(frozen=True)
class Constraint:
    """One constraint of a model's createTask body, with where it comes from."""

    path: str  # dotted path in the body: `input.aspect_ratio`, `input.reference_images[]`
    keyword: str  # `enum`, `maximum`, `x-liangxin-rules:max-total-items`, ...
    value: Any
    source: Source

    @property
    def documented(self) -> bool:
        return self.source == "doc"

    def describe(self) -> str:
        """`maximum 100`, `enum "1:1", "16:9"`, `required prompt`."""
        value = self.value
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            shown = ", ".join(value) if self.keyword == "required" else _join(value)
        elif isinstance(value, dict) and self.keyword.startswith("x-liangxin-rules"):
            shown = f"{' + '.join(value['fields'])} <= {value['max']}"
        else:
            shown = json.dumps(value, ensure_ascii=False)
        return f"{self.keyword} {shown}"


def _join(values: list[str]) -> str:
    return ", ".join(json.dumps(v, ensure_ascii=False) for v in values)


class Resolver:
    """Local `$ref` resolution over one parsed contract."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    def target(self, ref: str) -> dict[str, Any]:
        node: Any = self.spec
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        if not isinstance(node, dict):
            raise ValueError(f"$ref {ref} does not point to a schema")
        return node

    def merged(self, node: dict[str, Any]) -> dict[str, Any]:
        """A node with its `$ref` chain followed; keywords next to a `$ref` win."""
        chain = [node]
        while "$ref" in chain[-1]:
            if len(chain) > 32:
                raise ValueError("$ref chain too long")
            chain.append(self.target(chain[-1]["$ref"]))
        out: dict[str, Any] = {}
        for part in reversed(chain):
            out.update({k: v for k, v in part.items() if k != "$ref"})
        return out


def keyword_source(node: dict[str, Any], keyword: str, inherited: Source) -> Source:
    """The source of `keyword` on a merged schema node whose context is `inherited`."""
    if keyword in node.get("x-liangxin-inferred", ()):
        return "inferred"
    if keyword in node.get("x-liangxin-documented", ()):
        return "doc"
    source: Source = node.get("x-liangxin-source", inherited)
    return source


def view(
    resolver: Resolver, node: dict[str, Any], *, documented_only: bool, inherited: Source = "doc"
) -> dict[str, Any]:
    """A self-contained copy of a schema (no `$ref`s, no marks).

    With `documented_only`, every constraint that is not documented is left out, so what the
    result refuses is exactly what the docs say the service refuses.
    """
    merged = resolver.merged(node)
    here: Source = merged.get("x-liangxin-source", inherited)
    out: dict[str, Any] = {}
    for key, value in merged.items():
        if key in _MARKS or (key.startswith("x-") and key != "x-liangxin-rules"):
            continue
        if key == "x-liangxin-rules":
            rules = [
                rule
                for rule in value
                if not documented_only or rule.get("x-liangxin-source", here) == "doc"
            ]
            if not documented_only or keyword_source(merged, key, inherited) == "doc":
                out[key] = rules
            continue
        if key in CONSTRAINT_KEYWORDS and not (
            key == "additionalProperties" and isinstance(value, dict)
        ):
            if documented_only and keyword_source(merged, key, inherited) != "doc":
                continue
            out[key] = value
        elif key in ("properties", "dependentSchemas", "patternProperties"):
            out[key] = {
                name: view(resolver, sub, documented_only=documented_only, inherited=here)
                for name, sub in value.items()
            }
        elif key in ("items", "additionalProperties", "not", "contains"):
            out[key] = view(resolver, value, documented_only=documented_only, inherited=here)
        elif key in _SUBSCHEMA_LISTS:
            out[key] = [
                view(resolver, sub, documented_only=documented_only, inherited=here)
                for sub in value
            ]
        else:
            out[key] = value
    return out


def constraints(resolver: Resolver, root: dict[str, Any]) -> list[Constraint]:
    """Every constraint under `root` (a request schema), in document order."""
    found: list[Constraint] = []
    _collect(resolver, root, "", "doc", found)
    return found


def _collect(
    resolver: Resolver, node: dict[str, Any], path: str, inherited: Source, out: list[Constraint]
) -> None:
    merged = resolver.merged(node)
    here: Source = merged.get("x-liangxin-source", inherited)
    where = path or "(body)"
    for key in CONSTRAINT_KEYWORDS:
        if key not in merged or key in ("x-liangxin-rules", "dependentRequired"):
            continue
        if key == "additionalProperties" and merged[key] is not False:
            continue
        out.append(Constraint(where, key, merged[key], keyword_source(merged, key, inherited)))
    for rule in merged.get("x-liangxin-rules", ()):
        default = keyword_source(merged, "x-liangxin-rules", inherited)
        source: Source = rule.get("x-liangxin-source", default)
        out.append(Constraint(where, f"x-liangxin-rules:{rule['kind']}", rule, source))
    for name, deps in (merged.get("dependentRequired") or {}).items():
        source = keyword_source(merged, "dependentRequired", inherited)
        out.append(Constraint(f"{_join_path(path, name)}", "dependentRequired", deps, source))
    for name, sub in (merged.get("properties") or {}).items():
        _collect(resolver, sub, _join_path(path, name), here, out)
    if isinstance(merged.get("items"), dict):
        _collect(resolver, merged["items"], f"{path}[]", here, out)
    for key in _SUBSCHEMA_LISTS:
        for i, sub in enumerate(merged.get(key, ())):
            _collect(resolver, sub, f"{path} ({key}[{i}])", here, out)


def _join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
