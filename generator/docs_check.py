"""`python -m generator docs-check`: does the contract say what the docs snapshot says?

Reads every page of `openapi/docs/` (format: `openapi/docs/README.md`) and compares each fact
with `openapi/liangxin.yaml`, resolving `$ref`s (keywords next to a `$ref` win over the target's)
and the tolerance branches of an `anyOf`/`oneOf` (`null`, `""`, the plain string of an open
list). Each fact's tag is compared with the source `liangxin_contract.provenance` gives the
constraint, and, the other way round, every documented constraint, required field and status of
the spec must be stated by the docs. Prints one line per mismatch,
`<page>: <where> <what>: docs X, spec Y`; exit 1 if any.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from liangxin_contract.provenance import Constraint, Resolver, Source, constraints

REPO = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SOURCE = "x-liangxin-source"
INDEX = "INDEX.yaml"
JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array"}
JSON_TYPES |= {dict: "object", type(None): "null"}
# Facts compared value for value with the spec keyword of the same name.
SCALAR_FACTS: tuple[str, ...] = ("const", "minimum", "maximum", "minLength", "maxLength")
SCALAR_FACTS += ("minItems", "maxItems", "format", "pattern", "contentMediaType")
SCALAR_FACTS += ("exclusiveMinimum", "exclusiveMaximum", "multipleOf", "uniqueItems")
FIELD_KEYS = {"type", "required", "default", "allowed", "open", "items", "conditional_default"}
FIELD_KEYS |= {"in", "tag", "tags", "note", "from", *SCALAR_FACTS}
PAGE_KEYS = {"page", "title", "sources", "modified", "recovered", "tag", "notes", "model"}
PAGE_KEYS |= {"fields", "rules", "statuses", "examples", "operations", "schemas", "states"}
PAGE_KEYS |= {"callbacks", "aliases", "auth"}
WILDCARD = "…"
SUB_LISTS = ("anyOf", "oneOf")
# Spec keyword -> the fact that states it (`enum` is stated by `allowed`).
STATED_BY = {"enum": "allowed", "const": "const", "type": "type"}
STATED_BY |= {key: key for key in SCALAR_FACTS}


class _Missing:
    def __repr__(self) -> str:
        return "(none)"


MISSING: Any = _Missing()


def show(value: Any) -> str:
    """A value as the messages print it: JSON, or `(none)` when absent."""
    return "(none)" if value is MISSING else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Node:
    """A field's schema: `$ref`s resolved, tolerance branches of an anyOf/oneOf set aside.

    `path` is where `liangxin_contract.provenance.constraints` puts the schema's constraints
    (`input.aspect_ratio (anyOf[0])`), `parent` the path of the object that may require it.
    `tolerates` holds what the set-aside branches also accept: `null`, `empty` (`""`) and
    `open` (any string next to an enum: a documented-but-open list).
    """

    schema: dict[str, Any]
    required: bool | None
    path: str
    parent: str | None
    source: Source
    tolerates: frozenset[str] = frozenset()
    branches: tuple[str, ...] = ()  # paths of the set-aside branches


def where(path: str) -> str:
    """The path `provenance.constraints` gives the constraints of the node at `path`."""
    return path or "(body)"


def join_path(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def constraint_keywords(schema: dict[str, Any]) -> set[str]:
    keys = {k for k in schema if k in STATED_BY or k in ("required", "dependentRequired")}
    if schema.get("additionalProperties") is False:
        keys.add("additionalProperties")
    return keys


def tolerance(branch: dict[str, Any], has_enum_sibling: bool) -> str | None:
    """What an anyOf/oneOf branch tolerates (`null`, `empty`, `open`), or None if it is real."""
    kind = branch.get("type")
    keys = constraint_keywords(branch)
    if kind == "null" or kind == ["null"] or branch.get("const", MISSING) is None:
        return "null"
    if kind == "string" and branch.get("maxLength") == 0 and keys <= {"type", "maxLength"}:
        return "empty"
    if branch.get("const", MISSING) == "" or branch.get("enum") == [""]:
        return "empty"
    if kind == "string" and keys == {"type"} and has_enum_sibling:
        return "open"
    return None


class Spec:
    """The parsed contract with `$ref` resolution."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.resolver = Resolver(doc)
        self.schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})
        self._index: dict[str, dict[tuple[str, str], Constraint]] = {}

    def pointer(self, ref: str) -> Any:
        """The node a local `$ref` points to."""
        return self.resolver.target(ref)

    def resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Follow `$ref`s; sibling keywords override the target's. Returns (schema, marks)."""
        chain = [node]
        while "$ref" in chain[-1]:
            chain.append(self.pointer(chain[-1]["$ref"]))
        return self.resolver.merged(node), {part[SOURCE] for part in chain if SOURCE in part}

    def constraints(self, root: dict[str, Any]) -> list[Constraint]:
        return constraints(self.resolver, root)

    def index(self, root: dict[str, Any]) -> dict[tuple[str, str], Constraint]:
        """(path, keyword) -> constraint, for every constraint under `root`."""
        key = json.dumps(root, sort_keys=True)
        if key not in self._index:
            found = {(c.path, c.keyword): c for c in self.constraints(root)}
            self._index[key] = found
        return self._index[key]

    def unwrap(
        self,
        raw: dict[str, Any],
        path: str,
        inherited: Source,
        required: bool | None = None,
        parent: str | None = None,
    ) -> Node:
        """The node for schema `raw` at `path`, its tolerance branches set aside."""
        merged = self.resolver.merged(raw)
        here: Source = merged.get(SOURCE, inherited)
        for key in SUB_LISTS:
            options = [self.resolver.merged(o) for o in merged.get(key, ())]
            if not options:
                continue
            enum_sibling = any("enum" in o for o in options)
            kinds = [tolerance(o, enum_sibling) for o in options]
            real = [i for i, kind in enumerate(kinds) if kind is None]
            if len(real) != 1:
                continue
            main = self.unwrap(merged[key][real[0]], f"{path} ({key}[{real[0]}])", here)
            outer = {k: v for k, v in merged.items() if k not in SUB_LISTS}
            skipped = [f"{path} ({key}[{i}])" for i in range(len(options)) if i != real[0]]
            return Node(
                {**outer, **main.schema},
                required,
                main.path,
                parent,
                main.source,
                main.tolerates | {k for k in kinds if k},
                (*main.branches, *skipped),
            )
        return Node(merged, required, path, parent, here)

    def walk(self, root: dict[str, Any], path: str) -> Node | None:
        """The node at a dotted property path under `root`, or None if a step is missing."""
        node = self.unwrap(root, "", "doc")
        for part in path.split(".") if path else []:
            props = node.schema.get("properties", {})
            if part not in props:
                return None
            required = part in node.schema.get("required", [])
            node = self.unwrap(
                props[part], join_path(node.path, part), node.source, required, node.path
            )
        return node

    def items(self, node: Node) -> Node | None:
        if not isinstance(node.schema.get("items"), dict):
            return None
        return self.unwrap(node.schema["items"], f"{node.path}[]", node.source)

    def fields(
        self, root: dict[str, Any]
    ) -> tuple[dict[str, tuple[str, frozenset[str]]], set[str]]:
        """Constraint path -> (field path with `[]` for items, what it tolerates); and the
        paths of every tolerance branch under `root`."""
        paths: dict[str, tuple[str, frozenset[str]]] = {}
        skipped: set[str] = set()

        def visit(node: Node, field: str, depth: int) -> None:
            if depth > 24:
                return
            paths[node.path] = (field, node.tolerates)
            skipped.update(node.branches)
            for name, sub in (node.schema.get("properties") or {}).items():
                child = self.unwrap(sub, join_path(node.path, name), node.source)
                visit(child, join_path(field, name), depth + 1)
            item = self.items(node)
            if item is not None:
                visit(item, f"{field}[]", depth + 1)

        visit(self.unwrap(root, "", "doc"), "", 0)
        return paths, skipped

    def mapping(self) -> dict[str, str]:
        """model value → request schema name, from the CreateTaskRequest discriminator."""
        request = self.schemas.get("CreateTaskRequest", {})
        refs = request.get("discriminator", {}).get("mapping", {})
        return {model: ref.rsplit("/", 1)[-1] for model, ref in refs.items()}

    def operation(self, operation_id: str) -> tuple[str, str, dict[str, Any]] | None:
        """(path, method, operation) of a path operation by its operationId."""
        for path, item in self.doc.get("paths", {}).items():
            for method in METHODS:
                if item.get(method, {}).get("operationId") == operation_id:
                    return path, method, item[method]
        return None

    def partial(self, model: str) -> bool:
        """The model is partly known: its input schema says `x-liangxin-partial: true`."""
        request = self.mapping().get(model)
        node = self.walk(schema_ref(request), "input") if request else None
        return bool(node and node.schema.get("x-liangxin-partial"))


def schema_ref(name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{name}"}


def spec_types(schema: dict[str, Any]) -> set[str] | None:
    """The non-null JSON types a schema admits (from `type`, else `const`/`enum`)."""
    if "type" in schema:
        declared = schema["type"]
        types = {declared} if isinstance(declared, str) else set(declared)
        return types - {"null"} or {"null"}
    values = [schema["const"]] if "const" in schema else schema.get("enum")
    if values is None:
        return None
    return {JSON_TYPES[type(value)] for value in values}


def allowed_values(schema: dict[str, Any]) -> list[Any] | None:
    if "enum" in schema:
        return list(schema["enum"])
    return [schema["const"]] if "const" in schema else None


def fact_tag(facts: dict[str, Any], fact: str, default: str) -> str:
    """The tag of one fact: per-fact `tags`, else the field's `tag`, else the page's."""
    tag: str = facts.get("tags", {}).get(fact, facts.get("tag", default))
    return tag


def named(tag: str) -> str:
    return "documented" if tag == "doc" else tag


# ---------------------------------------------------------------- fields


def compare_type(facts: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    if "type" not in facts:
        return
    docs = facts["type"]
    docs_set = {docs} if isinstance(docs, str) else set(docs)
    spec = spec_types(schema)
    if spec != docs_set:
        shown = "(none)" if spec is None else "|".join(sorted(spec))
        yield f"type: docs {'|'.join(sorted(docs_set))}, spec {shown}"


def compare_allowed(facts: dict[str, Any], node: Node) -> Iterator[str]:
    """`allowed` and `open`: the list's values, and whether others are accepted too."""
    docs_open = bool(facts.get("open"))  # `true`, or the phrase docs-import read
    if docs_open and "allowed" not in facts:
        yield "open: docs name no allowed values"
    if "allowed" not in facts:
        return
    spec = allowed_values(node.schema)
    if spec is None:
        yield "allowed values: spec has no enum or const"
        return
    spec_open = "open" in node.tolerates
    if docs_open and not spec_open:
        yield "allowed values: docs open list (others accepted), spec closed enum"
    elif spec_open and not docs_open:
        yield "allowed values: docs closed list, spec open (accepts any string)"
    for value in facts["allowed"]:
        if value not in spec:
            yield f"allowed values: missing {show(value)} in spec"
    for value in spec:
        if value not in facts["allowed"]:
            yield f"allowed values: extra {show(value)} in spec"


def compare_scalars(facts: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    for key in SCALAR_FACTS:
        if key in facts and schema.get(key, MISSING) != facts[key]:
            yield f"{key}: docs {show(facts[key])}, spec {show(schema.get(key, MISSING))}"
    # A default is a behaviour claim (generated clients send it): the spec may not invent one.
    docs_default = facts.get("default", MISSING)
    if schema.get("default", MISSING) != docs_default:
        yield f"default: docs {show(docs_default)}, spec {show(schema.get('default', MISSING))}"


def compare_conditional(facts: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    cond = facts.get("conditional_default")
    if cond and str(cond["value"]) not in str(schema.get("description", "")):
        yield (
            f"conditional default {cond['value']} ({cond['when']}): "
            "not stated in the spec's description"
        )


def compare_sources(
    node: Node,
    facts: dict[str, Any],
    tag: str,
    index: dict[tuple[str, str], Constraint],
    required_source: Source | None = None,
) -> Iterator[str]:
    """Each fact's tag against the source of the spec constraint that encodes it.

    A documented fact must be a documented constraint (it may refuse a request); an inferred
    or upstream fact must not be (it may only warn).
    """
    checks: list[tuple[str, Source | None]] = []
    for fact in ("type", "allowed", *SCALAR_FACTS):
        if fact not in facts:
            continue
        keyword = "enum" if fact == "allowed" and "enum" in node.schema else fact
        keyword = "const" if fact == "allowed" and keyword == "allowed" else keyword
        found = index.get((where(node.path), keyword))
        checks.append((fact, found.source if found else None))
    if facts.get("required") is True and node.required:
        if required_source is None and node.parent is not None:
            found = index.get((where(node.parent), "required"))
            required_source = found.source if found else None
        checks.append(("required", required_source))
    for fact, source in checks:
        docs = fact_tag(facts, fact, tag)
        if source is not None and (docs == "doc") != (source == "doc"):
            mark = "x-liangxin-documented" if docs == "doc" else "x-liangxin-inferred"
            yield f"{fact}: {named(docs)} in docs, {named(source)} in spec (mark it {mark})"


def compare_field(
    spec: Spec,
    node: Node,
    facts: dict[str, Any],
    tag: str,
    index: dict[tuple[str, str], Constraint],
    required_source: Source | None = None,
) -> Iterator[str]:
    """Mismatches between one documented field and its resolved spec schema (no prefix)."""
    unknown = set(facts) - FIELD_KEYS
    if unknown:
        yield f"unknown fact keys in docs: {', '.join(sorted(unknown))}"
    if "required" in facts and node.required is not None and facts["required"] != node.required:
        yes_no = {True: "yes", False: "no"}
        yield f"required: docs {yes_no[facts['required']]}, spec {yes_no[node.required]}"
    yield from compare_type(facts, node.schema)
    yield from compare_allowed(facts, node)
    yield from compare_scalars(facts, node.schema)
    yield from compare_conditional(facts, node.schema)
    yield from compare_sources(node, facts, tag, index, required_source)
    if isinstance(facts.get("items"), dict):
        item = spec.items(node)
        if item is None:
            yield "items: spec has no items schema"
            return
        for problem in compare_field(spec, item, facts["items"], facts.get("tag", tag), index):
            yield f"items {problem}"


def check_fields(
    spec: Spec, root: dict[str, Any], fields: dict[str, Any], tag: str, prefix: str = ""
) -> Iterator[str]:
    """Check documented fields (dotted paths) against the schema `root`."""
    index = spec.index(root)
    for path, facts in fields.items():
        node = spec.walk(root, path)
        at = f"{prefix}{path}"
        if node is None:
            yield f"{at} missing in spec"
            continue
        for problem in compare_field(spec, node, facts, tag, index):
            yield f"{at} {problem}"


# ---------------------------------------------------------------- unstated restrictions


def fact_at(fields: dict[str, Any], field: str) -> dict[str, Any] | None:
    """The facts the docs state for a field path with `[]` steps for items, or None."""
    base, *steps = field.split("[]")
    facts: Any = fields.get(base)
    for rest in steps:
        facts = facts.get("items") if isinstance(facts, dict) else None
        if rest:
            return None  # the docs format has no properties inside items
    return facts if isinstance(facts, dict) else None


def stated(
    c: Constraint, field: str, fields: dict[str, Any], rules: Sequence[dict[str, Any]]
) -> bool:
    """Do the docs' facts (or rules) state the documented constraint `c` of `field`?"""
    if c.keyword == "required":
        return False  # checked name by name in unstated()
    if c.keyword == "dependentRequired":
        name = field.rsplit(".", 1)[-1]
        return any(
            r.get("kind") == "together" and {name, *c.value} <= set(r.get("fields", []))
            for r in rules
        )
    if c.keyword.startswith("x-liangxin-rules:"):
        kind = c.keyword.split(":", 1)[1]
        return any(
            r.get("kind") == kind and set(r.get("fields", [])) == set(c.value.get("fields", []))
            for r in rules
        )
    if c.keyword == "maxItems" and "." in field:
        # Implied by a documented cap on the field together with others (never refuses more).
        name = field.rsplit(".", 1)[-1]
        if any(
            r.get("kind") == "max-total-items"
            and name in r.get("fields", [])
            and r.get("max", c.value + 1) <= c.value
            for r in rules
        ):
            return True
    facts = fact_at(fields, field)
    if facts is None:
        return False
    if c.keyword == "const":
        return "const" in facts or facts.get("allowed") == [c.value]
    fact = STATED_BY.get(c.keyword)
    return fact is not None and fact in facts


def unstated(
    spec: Spec,
    root: dict[str, Any],
    fields: dict[str, Any],
    rules: Sequence[dict[str, Any]] = (),
) -> Iterator[str]:
    """Every documented constraint under `root` that the docs' facts do not state."""
    located, branches = spec.fields(root)
    paths = {path: field for path, (field, _) in located.items()}
    open_paths = {path for path, (_, tolerates) in located.items() if "open" in tolerates}
    for c in spec.constraints(root):
        if c.source != "doc" or any(c.path.startswith(b) for b in branches):
            continue
        raw = "" if c.path == "(body)" else c.path
        if c.keyword == "dependentRequired":
            field = f"{paths.get(raw.rsplit('.', 1)[0], '?')}.{raw.rsplit('.', 1)[-1]}"
        else:
            field = paths.get(raw, raw)
        if c.keyword == "type" and field == "":
            continue  # the body is a JSON object on every page
        if c.keyword == "enum" and raw in open_paths:
            continue  # the known values of an open list refuse nothing
        if c.keyword == "required":
            for name in c.value:
                child = join_path(field, name)
                if (fact_at(fields, child) or {}).get("required") is not True:
                    yield (
                        f"{child} is required in the spec but not in the docs "
                        f"(document it or mark the schema x-liangxin-inferred: [required])"
                    )
            continue
        if not stated(c, field, fields, rules):
            yield (
                f"{field or '(body)'} {c.describe()}: a restriction the docs do not state "
                f"(document it or mark it x-liangxin-inferred: [{c.keyword.split(':')[0]}])"
            )


# ---------------------------------------------------------------- model pages


def input_schema_name(spec: Spec, request: str) -> str | None:
    ref = spec.schemas.get(request, {}).get("properties", {}).get("input", {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def model_marked_inferred(spec: Spec, model: str) -> bool:
    """The model's request schema or its input schema carries `x-liangxin-source: inferred`."""
    request = spec.mapping().get(model)
    if request is None:
        return False
    names = [request, input_schema_name(spec, request)]
    return any(spec.schemas.get(n or "", {}).get(SOURCE) == "inferred" for n in names)


def check_rule(spec: Spec, schema: dict[str, Any], rule: dict[str, Any]) -> Iterator[str]:
    """One documented cross-field rule on a model's `input` schema."""
    kind, fields = rule["kind"], rule.get("fields", [])
    if kind == "together":
        dependent = schema.get("dependentRequired", {})
        for field in fields:
            others = [f for f in fields if f != field]
            if not set(others) <= set(dependent.get(field, [])):
                yield f"rule together({', '.join(fields)}): dependentRequired[{field}] lacks {others}"
    elif kind == "max-total-items":
        label = f"rule max-total-items({', '.join(fields)})"
        same = [
            r
            for r in schema.get("x-liangxin-rules", [])
            if r.get("kind") == kind and set(r.get("fields", [])) == set(fields)
        ]
        if not same:
            yield f"{label}: missing in spec x-liangxin-rules"
        elif same[0].get("max") != rule["max"]:
            yield f"{label} max: docs {rule['max']}, spec {show(same[0].get('max', MISSING))}"
    elif kind == "precedence":
        text = str(schema.get("description", ""))
        if rule["winner"] not in text or rule["over"] not in text:
            yield f"rule precedence({rule['winner']} over {rule['over']}): not in the description"
    else:
        yield f"rule kind {kind!r} unknown to docs-check"


def check_rules(spec: Spec, model: str, rules: list[dict[str, Any]]) -> Iterator[str]:
    name = input_schema_name(spec, spec.mapping()[model])
    schema, _ = spec.resolve(schema_ref(name or ""))
    for rule in rules:
        yield from check_rule(spec, schema, rule)


def check_status(spec: Spec, operation_id: str, status: Any, tag: str) -> Iterator[str]:
    """A documented status exists on the operation (marked inferred if the docs infer it)."""
    found = spec.operation(operation_id)
    if found is None:
        yield f"operation {operation_id} missing in spec"
        return
    responses = found[2].get("responses", {})
    if str(status) not in responses:
        yield f"{operation_id} status {status} missing in spec"
        return
    _, marks = spec.resolve(responses[str(status)])
    if tag == "inferred" and "inferred" not in marks:
        yield f"{operation_id} status {status} is inferred in docs but not marked in spec"


def matches(docs: Any, spec: Any) -> bool:
    """Deep equality where the docs' `…` stands for any value."""
    if docs == WILDCARD:
        return True
    if isinstance(docs, dict) and isinstance(spec, dict):
        return docs.keys() == spec.keys() and all(matches(docs[k], spec[k]) for k in docs)
    if isinstance(docs, list) and isinstance(spec, list):
        return len(docs) == len(spec) and all(map(matches, docs, spec))
    return bool(docs == spec) and type(docs) is type(spec)


def embedded(media: dict[str, Any], value: Any) -> bool:
    """Is `value` one of a media type's examples?"""
    values = [e.get("value") for e in media.get("examples", {}).values()]
    if "example" in media:
        values.append(media["example"])
    return any(matches(value, v) for v in values)


def media_of(spec: Spec, node: dict[str, Any]) -> dict[str, Any]:
    resolved, _ = spec.resolve(node)
    media: dict[str, Any] = resolved.get("content", {}).get("application/json", {})
    return media


def check_request_examples(spec: Spec, examples: list[dict[str, Any]]) -> Iterator[str]:
    found = spec.operation("createTask")
    body = media_of(spec, found[2].get("requestBody", {})) if found else {}
    for example in examples:
        if not embedded(body, example["body"]):
            yield f"example {example['name']!r} not embedded in createTask's request examples"


def check_undocumented(spec: Spec, request: str, fields: dict[str, Any]) -> Iterator[str]:
    """The reverse direction: every input field in the spec is documented or marked inferred."""
    root = schema_ref(request)
    node = spec.walk(root, "input")
    if node is None:
        return
    for name in sorted(node.schema.get("properties", {})):
        path = f"input.{name}"
        field = spec.walk(root, path)
        if path not in fields and field is not None and field.source == "doc":
            yield f"{path} is in the spec but not in the docs (document it or mark it {SOURCE}: inferred)"


def every_variant(pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The createTask body facts the common pages state for every model (merged per field)."""
    merged: dict[str, Any] = {}
    for page in pages.values():
        doc = page.get("operations", {}).get("createTask", {})
        for path, facts in doc.get("every_variant", {}).items():
            merged[path] = {**merged.get(path, {}), **facts}
    return merged


def model_facts(spec: Spec, page: dict[str, Any], common: dict[str, Any]) -> dict[str, Any]:
    """What the docs state about one model's body: its page, plus the every-variant facts
    (without `input.*` for a partly known model, whose input the docs do not describe)."""
    partial = spec.partial(page["model"])
    facts = {p: f for p, f in common.items() if not (partial and p.startswith("input."))}
    for path, own in page.get("fields", {}).items():
        facts[path] = {**facts.get(path, {}), **own}
    return facts


def check_model_page(spec: Spec, page: dict[str, Any], common: dict[str, Any]) -> Iterator[str]:
    model, tag = page["model"], page.get("tag", "doc")
    request = spec.mapping().get(model)
    if request is None:
        yield f"model {model!r} missing in spec (CreateTaskRequest discriminator mapping)"
        return
    if page.get("recovered") is False and not model_marked_inferred(spec, model):
        yield f"page not recovered, but spec does not mark {model} {SOURCE}: inferred"
    yield from check_fields(spec, schema_ref(request), page.get("fields", {}), tag)
    yield from check_undocumented(spec, request, page.get("fields", {}))
    facts = model_facts(spec, page, common)
    yield from unstated(spec, schema_ref(request), facts, page.get("rules", []))
    yield from check_rules(spec, model, page.get("rules", []))
    for status in page.get("statuses", []):
        op = status.get("operation", "createTask")
        yield from check_status(spec, op, status["status"], status.get("tag", tag))
    yield from check_request_examples(spec, page.get("examples", []))


# ---------------------------------------------------------------- common pages


def check_response(
    spec: Spec, op_id: str, status: str, response: dict[str, Any], doc: dict[str, Any], tag: str
) -> Iterator[str]:
    """A documented response: its status, schema, envelope, fields and examples."""
    yield from check_status(spec, op_id, status, doc.get("tag", tag))
    if status not in response:
        return
    media = media_of(spec, response[status])
    at = f"{op_id} {status}"
    ref = media.get("schema", {}).get("$ref", "")
    if "schema" in doc and not ref.endswith(f"/{doc['schema']}"):
        yield f"{at} schema: docs {doc['schema']}, spec {ref or '(inline)'}"
    if "envelope" in doc and not accepts_envelope(spec, media.get("schema", {}), doc["envelope"]):
        yield f"{at} envelope: spec schema does not admit {doc['envelope']}"
    fields = doc.get("fields", {})
    yield from check_fields(spec, media.get("schema", {}), fields, tag, f"{at} ")
    if fields:
        for problem in unstated(spec, media.get("schema", {}), fields):
            yield f"{at} {problem}"
    for example in doc.get("examples", []):
        if not embedded(media, example["value"]):
            yield f"{at} example {example['name']!r} not embedded in spec"


def accepts_envelope(spec: Spec, schema: dict[str, Any], envelope: str) -> bool:
    """The schema is the named envelope or an anyOf/oneOf that lists it."""
    if schema.get("$ref", "").endswith(f"/{envelope}"):
        return True
    resolved, _ = spec.resolve(schema)
    options = resolved.get("anyOf", []) + resolved.get("oneOf", [])
    return any(accepts_envelope(spec, option, envelope) for option in options)


def check_operation(spec: Spec, op_id: str, doc: dict[str, Any], tag: str) -> Iterator[str]:
    found = spec.operation(op_id)
    if found is None:
        yield f"operation {op_id} missing in spec"
        return
    path, method, operation = found
    if (doc["path"], doc["method"]) != (path, method):
        yield f"{op_id}: docs {doc['method'].upper()} {doc['path']}, spec {method.upper()} {path}"
    every = doc.get("every_variant", {})
    for model, request in spec.mapping().items():
        if spec.partial(model):  # the docs do not describe a partly known model's input
            every = {p: f for p, f in every.items() if not p.startswith("input.")}
        yield from check_fields(spec, schema_ref(request), every, tag, f"{model} body ")
    yield from check_parameters(spec, operation, doc.get("parameters", {}), tag)
    responses = operation.get("responses", {})
    for status, response in doc.get("responses", {}).items():
        yield from check_response(spec, op_id, str(status), responses, response, tag)


def check_parameters(
    spec: Spec, operation: dict[str, Any], params: dict[str, Any], tag: str
) -> Iterator[str]:
    declared = {p.get("name"): spec.resolve(p)[0] for p in operation.get("parameters", [])}
    for name, facts in params.items():
        param = declared.get(name)
        if param is None:
            yield f"parameter {name} missing in spec"
            continue
        if param.get("in") != facts.get("in", param.get("in")):
            yield f"parameter {name} in: docs {facts['in']}, spec {param.get('in')}"
        root = param.get("schema", {})
        source: Source = param.get(SOURCE, "doc")
        node = spec.unwrap(root, "", source, bool(param.get("required")))
        rest = {k: v for k, v in facts.items() if k != "in"}
        required_source = source if param.get("required") else None
        index = spec.index(root)
        for problem in compare_field(spec, node, rest, tag, index, required_source):
            yield f"parameter {name} {problem}"


def check_states(spec: Spec, states: dict[str, Any]) -> Iterator[str]:
    node = spec.unwrap(schema_ref(states["schema"]), "", "doc")
    facts = {"allowed": [s["state"] for s in states["values"]]}
    for problem in compare_allowed(facts, node):
        yield f"{states['schema']} {problem.replace('allowed values', 'states')}"


def check_callback(spec: Spec, name: str, doc: dict[str, Any], tag: str) -> Iterator[str]:
    found = spec.operation(doc["operation"])
    callback = found[2].get("callbacks", {}).get(name) if found else None
    if not callback:
        yield f"callback {name} missing on {doc['operation']} in spec"
        return
    item = callback.get(doc["url"])
    if item is None or doc["method"] not in item:
        yield f"callback {name}: no {doc['method'].upper()} {doc['url']} in spec"
        return
    operation = item[doc["method"]]
    if doc.get("tags", {}).get("method") == "inferred" and operation.get(SOURCE) != "inferred":
        yield f"callback {name} method is inferred in docs but not marked in spec"
    if not any(str(code).startswith("2") for code in operation.get("responses", {})):
        yield f"callback {name}: no 2xx acknowledgement in spec"
    payload, _ = spec.resolve(media_of(spec, operation.get("requestBody", {})).get("schema", {}))
    same, _ = spec.resolve(schema_ref(doc["payload_same_as"]))
    if shape(payload) != shape(same):
        yield f"callback {name} payload: not the same shape as {doc['payload_same_as']} in spec"


def shape(schema: dict[str, Any]) -> tuple[Any, ...]:
    """What "the same payload shape" compares: required names, property names, types and refs."""
    props = schema.get("properties", {})
    kinds = {name: (p.get("$ref"), p.get("type")) for name, p in props.items()}
    return sorted(schema.get("required", [])), kinds


def check_aliases(spec: Spec, aliases: dict[str, Any]) -> Iterator[str]:
    """Every alias and its ratio is accepted by each model the alias table applies to."""
    values = [v for row in aliases["table"] for v in (row["alias"], row["ratio"])]
    facts = {"default": aliases["default"]}
    for model, tag in aliases["applies_to"].items():
        request = spec.mapping().get(model)
        node = spec.walk(schema_ref(request), aliases["field"]) if request else None
        if node is None:
            yield f"{model}: {aliases['field']} missing in spec"
            continue
        allowed = allowed_values(node.schema) or []
        for value in values:
            if value not in allowed:
                yield f"{model}: {aliases['field']} allowed values: missing {show(value)} in spec"
        for problem in compare_scalars(facts, node.schema):
            yield f"{model}: {aliases['field']} {problem}"
        enum = spec.index(schema_ref(request or "")).get((node.path, "enum"))
        if enum is not None and (tag == "doc") != (enum.source == "doc"):
            yield (
                f"{model}: aliases are {named(tag)} in docs, "
                f"{named(enum.source)} in spec ({aliases['field']} enum)"
            )


def check_auth(spec: Spec, auth: dict[str, Any]) -> Iterator[str]:
    schemes = spec.doc.get("components", {}).get("securitySchemes", {})
    wanted = (auth["type"], auth["scheme"])
    names = [n for n, s in schemes.items() if (s.get("type"), s.get("scheme")) == wanted]
    if not names:
        yield f"auth: no {auth['type']} {auth['scheme']} security scheme in spec"
        return
    if not any({name: []} in spec.doc.get("security", []) for name in names):
        yield f"auth: security scheme {names[0]} is not required by the spec's top-level security"
    if auth.get("tag") == "inferred" and schemes[names[0]].get(SOURCE) != "inferred":
        yield f"auth: inferred in docs but {names[0]} is not marked in spec"


def check_common_page(spec: Spec, page: dict[str, Any]) -> Iterator[str]:
    tag = page.get("tag", "doc")
    for op_id, doc in page.get("operations", {}).items():
        yield from check_operation(spec, op_id, doc, tag)
    for name, doc in page.get("schemas", {}).items():
        if name not in spec.schemas:
            yield f"schema {name} missing in spec"
            continue
        yield from check_fields(spec, schema_ref(name), doc["fields"], tag, f"{name}.")
        for problem in unstated(spec, schema_ref(name), doc["fields"]):
            yield f"{name} {problem}"
    if "states" in page:
        yield from check_states(spec, page["states"])
    for name, doc in page.get("callbacks", {}).items():
        yield from check_callback(spec, name, doc, tag)
    if "aliases" in page:
        yield from check_aliases(spec, page["aliases"])
    if "auth" in page:
        yield from check_auth(spec, page["auth"])


# ---------------------------------------------------------------- driver


def check_page(spec: Spec, page: dict[str, Any], common: dict[str, Any]) -> Iterator[str]:
    unknown = set(page) - PAGE_KEYS
    if unknown:
        yield f"unknown page keys: {', '.join(sorted(unknown))}"
    if "model" in page:
        yield from check_model_page(spec, page, common)
    else:
        yield from check_common_page(spec, page)


def check_coverage(spec: Spec, pages: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Every model in the spec has a docs page or is marked inferred."""
    documented = {page["model"] for page in pages.values() if "model" in page}
    for model in spec.mapping():
        if model not in documented and not model_marked_inferred(spec, model):
            yield f"{model}: no docs page and not marked {SOURCE}: inferred in spec"


def check_statuses(spec: Spec, pages: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Every status of a documented operation is in the docs or marked inferred in the spec."""
    documented: dict[str, set[str]] = {}
    for page in pages.values():
        for op_id, doc in page.get("operations", {}).items():
            documented.setdefault(op_id, set()).update(str(s) for s in doc.get("responses", {}))
        for status in page.get("statuses", []):
            op = status.get("operation", "createTask")
            documented.setdefault(op, set()).add(str(status["status"]))
    for op_id, statuses in documented.items():
        found = spec.operation(op_id)
        if found is None:
            continue  # named by the page's own check
        for status, response in found[2].get("responses", {}).items():
            if str(status) in statuses:
                continue
            _, marks = spec.resolve(response)
            if not marks - {"doc"}:
                yield (
                    f"{op_id} status {status} is in the spec but not in the docs "
                    f"(document it or mark the response {SOURCE}: inferred)"
                )


def load_pages(docs_dir: Path) -> dict[str, dict[str, Any]]:
    """Every docs page, by file stem (the manifest `INDEX.yaml` is not a page)."""
    pages: dict[str, dict[str, Any]] = {}
    for path in sorted(p for p in docs_dir.glob("*.yaml") if p.name != INDEX):
        try:
            pages[path.stem] = yaml.safe_load(path.read_text())
        except yaml.YAMLError as exc:
            raise yaml.YAMLError(f"{path.name}: {exc}") from exc
    return pages


def load_index(docs_dir: Path) -> list[str] | None:
    """The manifest's list of page names, or None when there is no manifest."""
    path = docs_dir / INDEX
    if not path.is_file():
        return None
    data = yaml.safe_load(path.read_text()) or {}
    return [str(name) for name in data.get("pages", [])]


def check_manifest(index: list[str] | None, pages: dict[str, dict[str, Any]]) -> Iterator[str]:
    """The snapshot holds exactly the pages its manifest lists: none deleted, renamed or new."""
    if index is None:
        yield f"{INDEX}: missing (the manifest of the snapshot's pages)"
        return
    for name in index:
        if name not in pages:
            yield f"{INDEX}: page {name} is listed but {name}.yaml is missing (deleted or renamed?)"
    for name in pages:
        if name not in index:
            yield f"{INDEX}: {name}.yaml is not listed (a new or renamed page: add it to pages)"


def mismatches(
    spec_doc: dict[str, Any], pages: dict[str, dict[str, Any]], index: list[str] | None
) -> list[str]:
    """Every mismatch between the docs pages (and their manifest) and the spec."""
    spec = Spec(spec_doc)
    common = every_variant(pages)
    out = list(check_manifest(index, pages))
    for stem, page in pages.items():
        if page.get("page") != stem:
            out.append(f"{stem}: `page` is {page.get('page')!r}, expected the file name {stem!r}")
        out.extend(f"{stem}: {problem}" for problem in check_page(spec, page, common))
    out.extend(check_coverage(spec, pages))
    out.extend(check_statuses(spec, pages))
    return out


def main(argv: list[str]) -> int:
    """Run docs-check; exit 0 when the spec says what the docs say, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m generator docs-check")
    parser.add_argument("--spec", type=Path, default=REPO / "openapi" / "liangxin.yaml")
    parser.add_argument("--docs", type=Path, default=REPO / "openapi" / "docs")
    args = parser.parse_args(argv)
    try:
        pages = load_pages(args.docs)
    except yaml.YAMLError as exc:
        print(f"docs-check: not valid YAML: {exc}")
        return 1
    if not pages:
        print(f"docs-check: no pages in {args.docs}")
        return 1
    problems = mismatches(yaml.safe_load(args.spec.read_text()), pages, load_index(args.docs))
    for problem in problems:
        print(problem)
    if problems:
        print(f"docs-check: {len(problems)} mismatch(es) between {args.docs} and {args.spec}")
        return 1
    print(f"docs-check: {len(pages)} pages agree with {args.spec}")
    return 0
