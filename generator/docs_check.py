"""`python -m generator docs-check`: does the contract say what the docs snapshot says?

Reads every page of `openapi/docs/` (format: `openapi/docs/README.md`) and compares each fact
with `openapi/liangxin.yaml`, resolving `$ref`s (keywords next to a `$ref` win over the target's).
Prints one line per mismatch, `<page>: <where> <what>: docs X, spec Y`; exit 1 if any.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
SOURCE = "x-liangxin-source"
JSON_TYPES = {str: "string", bool: "boolean", int: "integer", float: "number", list: "array"}
JSON_TYPES |= {dict: "object", type(None): "null"}
# Facts compared value for value with the spec keyword of the same name.
SCALAR_FACTS: tuple[str, ...] = ("const", "minimum", "maximum", "minLength", "maxLength")
SCALAR_FACTS += ("minItems", "maxItems", "format", "pattern", "contentMediaType")
FIELD_KEYS = {"type", "required", "default", "allowed", "items", "conditional_default", "in"}
FIELD_KEYS |= {"tag", "tags", "note", "open", "from", *SCALAR_FACTS}
PAGE_KEYS = {"page", "title", "sources", "modified", "recovered", "tag", "notes", "model"}
PAGE_KEYS |= {"fields", "rules", "statuses", "examples", "operations", "schemas", "states"}
PAGE_KEYS |= {"callbacks", "aliases", "auth"}
WILDCARD = "…"


class _Missing:
    def __repr__(self) -> str:
        return "(none)"


MISSING: Any = _Missing()


def show(value: Any) -> str:
    """A value as the messages print it: JSON, or `(none)` when absent."""
    return "(none)" if value is MISSING else json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class Node:
    """A schema with its `$ref`s resolved, whether its parent requires it, and the marks seen."""

    schema: dict[str, Any]
    required: bool | None
    marks: frozenset[str]


class Spec:
    """The parsed contract with `$ref` resolution."""

    def __init__(self, doc: dict[str, Any]) -> None:
        self.doc = doc
        self.schemas: dict[str, Any] = doc.get("components", {}).get("schemas", {})

    def pointer(self, ref: str) -> Any:
        """The node a local `$ref` points to."""
        node: Any = self.doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def resolve(self, node: dict[str, Any]) -> tuple[dict[str, Any], set[str]]:
        """Follow `$ref`s; sibling keywords override the target's. Returns (schema, marks)."""
        chain = [node]
        while "$ref" in chain[-1]:
            chain.append(self.pointer(chain[-1]["$ref"]))
        merged: dict[str, Any] = {}
        for part in reversed(chain):
            merged.update({k: v for k, v in part.items() if k != "$ref"})
        return merged, {part[SOURCE] for part in chain if SOURCE in part}

    def walk(self, root: dict[str, Any], path: str) -> Node | None:
        """The schema at a dotted property path under `root`, or None if a step is missing."""
        schema, marks = self.resolve(root)
        required: bool | None = None
        for part in path.split(".") if path else []:
            props = schema.get("properties", {})
            if part not in props:
                return None
            required = part in schema.get("required", [])
            schema, more = self.resolve(props[part])
            marks |= more
        return Node(schema, required, frozenset(marks))

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


def fact_tags(facts: dict[str, Any], default: str) -> set[str]:
    """Every tag used by a field's facts (its own `tag`, per-fact `tags`, its items')."""
    tag = facts.get("tag", default)
    tags = {tag, *facts.get("tags", {}).values()}
    if isinstance(facts.get("items"), dict):
        tags |= fact_tags(facts["items"], tag)
    return tags


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


def compare_allowed(facts: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    if "allowed" not in facts:
        return
    spec = allowed_values(schema)
    if spec is None:
        yield "allowed values: spec has no enum or const"
        return
    for value in facts["allowed"]:
        if value not in spec:
            yield f"allowed values: missing {show(value)} in spec"
    for value in spec:
        if value not in facts["allowed"]:
            yield f"allowed values: extra {show(value)} in spec"


def open_values(spec: Spec, schema: dict[str, Any]) -> tuple[list[Any], bool]:
    """(values the schema names, whether it admits no others); an anyOf branch without an
    enum or const opens the list."""
    branches = schema.get("anyOf", []) + schema.get("oneOf", [])
    if not branches:
        values = allowed_values(schema)
        return values or [], values is not None
    known: list[Any] = []
    closed = True
    for branch in branches:
        values, branch_closed = open_values(spec, spec.resolve(branch)[0])
        known += values
        closed = closed and branch_closed
    return known, closed


def typed_schema(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    """A schema without `type` whose anyOf/oneOf branches all declare one: their union."""
    branches = schema.get("anyOf", []) + schema.get("oneOf", [])
    if "type" in schema or not branches:
        return schema
    types: set[str] = set()
    for branch in branches:
        found = spec_types(spec.resolve(branch)[0])
        if found is None:
            return schema
        types |= found
    return {**schema, "type": sorted(types)}


def compare_open(spec: Spec, facts: dict[str, Any], schema: dict[str, Any]) -> Iterator[str]:
    """An open list (`open: true`, "and supported aliases"): the listed values are known, others
    are accepted."""
    known, closed = open_values(spec, schema)
    for value in facts.get("allowed", []):
        if value not in known:
            yield f"allowed values: missing {show(value)} in spec"
    if closed:
        yield "allowed values: docs open list (others accepted), spec closed enum"


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


def compare_field(spec: Spec, node: Node, facts: dict[str, Any], tag: str) -> Iterator[str]:
    """Mismatches between one documented field and its resolved spec schema (no prefix)."""
    unknown = set(facts) - FIELD_KEYS
    if unknown:
        yield f"unknown fact keys in docs: {', '.join(sorted(unknown))}"
    if "required" in facts and node.required is not None and facts["required"] != node.required:
        yes_no = {True: "yes", False: "no"}
        yield f"required: docs {yes_no[facts['required']]}, spec {yes_no[node.required]}"
    yield from compare_type(facts, typed_schema(spec, node.schema))
    if facts.get("open"):
        yield from compare_open(spec, facts, node.schema)
    else:
        yield from compare_allowed(facts, node.schema)
    yield from compare_scalars(facts, node.schema)
    yield from compare_conditional(facts, node.schema)
    if "inferred" in fact_tags(facts, tag) and "inferred" not in node.marks:
        yield f"is inferred in docs but not marked {SOURCE}: inferred in spec"
    if isinstance(facts.get("items"), dict):
        yield from compare_items(spec, node, facts["items"], facts.get("tag", tag))


def compare_items(spec: Spec, node: Node, facts: dict[str, Any], tag: str) -> Iterator[str]:
    if "items" not in node.schema:
        yield "items: spec has no items schema"
        return
    schema, marks = spec.resolve(node.schema["items"])
    item = Node(schema, None, node.marks | marks)
    for problem in compare_field(spec, item, facts, tag):
        yield f"items {problem}"


def check_fields(
    spec: Spec, root: dict[str, Any], fields: dict[str, Any], tag: str, prefix: str = ""
) -> Iterator[str]:
    """Check documented fields (dotted paths) against the schema `root`."""
    for path, facts in fields.items():
        node = spec.walk(root, path)
        where = f"{prefix}{path}"
        if node is None:
            yield f"{where} missing in spec"
            continue
        for problem in compare_field(spec, node, facts, tag):
            yield f"{where} {problem}"


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
        if path not in fields and field is not None and "inferred" not in field.marks:
            yield f"{path} is in the spec but not in the docs (document it or mark it {SOURCE}: inferred)"


def check_model_page(spec: Spec, page: dict[str, Any]) -> Iterator[str]:
    model, tag = page["model"], page.get("tag", "doc")
    request = spec.mapping().get(model)
    if request is None:
        yield f"model {model!r} missing in spec (CreateTaskRequest discriminator mapping)"
        return
    if page.get("recovered") is False and not model_marked_inferred(spec, model):
        yield f"page not recovered, but spec does not mark {model} {SOURCE}: inferred"
    yield from check_fields(spec, schema_ref(request), page.get("fields", {}), tag)
    yield from check_undocumented(spec, request, page.get("fields", {}))
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
    where = f"{op_id} {status}"
    ref = media.get("schema", {}).get("$ref", "")
    if "schema" in doc and not ref.endswith(f"/{doc['schema']}"):
        yield f"{where} schema: docs {doc['schema']}, spec {ref or '(inline)'}"
    if "envelope" in doc and not accepts_envelope(spec, media.get("schema", {}), doc["envelope"]):
        yield f"{where} envelope: spec schema does not admit {doc['envelope']}"
    fields = doc.get("fields", {})
    yield from check_fields(spec, media.get("schema", {}), fields, tag, f"{where} ")
    for example in doc.get("examples", []):
        if not embedded(media, example["value"]):
            yield f"{where} example {example['name']!r} not embedded in spec"


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
    for model, request in spec.mapping().items():
        every = doc.get("every_variant", {})
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
        schema, marks = spec.resolve(param.get("schema", {}))
        node = Node(schema, bool(param.get("required")), frozenset(marks))
        rest = {k: v for k, v in facts.items() if k != "in"}
        for problem in compare_field(spec, node, rest, tag):
            yield f"parameter {name} {problem}"


def check_states(spec: Spec, states: dict[str, Any]) -> Iterator[str]:
    values, _ = spec.resolve(schema_ref(states["schema"]))
    facts = {"allowed": [s["state"] for s in states["values"]]}
    for problem in compare_allowed(facts, values):
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
        if tag == "inferred" and "inferred" not in node.marks:
            yield f"{model}: aliases are inferred in docs but not marked in spec"


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
    if "states" in page:
        yield from check_states(spec, page["states"])
    for name, doc in page.get("callbacks", {}).items():
        yield from check_callback(spec, name, doc, tag)
    if "aliases" in page:
        yield from check_aliases(spec, page["aliases"])
    if "auth" in page:
        yield from check_auth(spec, page["auth"])


# ---------------------------------------------------------------- driver


def check_page(spec: Spec, page: dict[str, Any]) -> Iterator[str]:
    unknown = set(page) - PAGE_KEYS
    if unknown:
        yield f"unknown page keys: {', '.join(sorted(unknown))}"
    if "model" in page:
        yield from check_model_page(spec, page)
    else:
        yield from check_common_page(spec, page)


def check_coverage(spec: Spec, pages: dict[str, dict[str, Any]]) -> Iterator[str]:
    """Every model in the spec has a docs page or is marked inferred."""
    documented = {page["model"] for page in pages.values() if "model" in page}
    for model in spec.mapping():
        if model not in documented and not model_marked_inferred(spec, model):
            yield f"{model}: no docs page and not marked {SOURCE}: inferred in spec"


def load_pages(docs_dir: Path) -> dict[str, dict[str, Any]]:
    """Every docs page, by file stem."""
    return {p.stem: yaml.safe_load(p.read_text()) for p in sorted(docs_dir.glob("*.yaml"))}


def mismatches(spec_doc: dict[str, Any], pages: dict[str, dict[str, Any]]) -> list[str]:
    """Every mismatch between the docs pages and the spec, one message each."""
    spec = Spec(spec_doc)
    out: list[str] = []
    for stem, page in pages.items():
        if page.get("page") != stem:
            out.append(f"{stem}: `page` is {page.get('page')!r}, expected the file name {stem!r}")
        out.extend(f"{stem}: {problem}" for problem in check_page(spec, page))
    out.extend(check_coverage(spec, pages))
    return out


def main(argv: list[str]) -> int:
    """Run docs-check; exit 0 when the spec says what the docs say, 1 otherwise."""
    parser = argparse.ArgumentParser(prog="python -m generator docs-check")
    parser.add_argument("--spec", type=Path, default=REPO / "openapi" / "liangxin.yaml")
    parser.add_argument("--docs", type=Path, default=REPO / "openapi" / "docs")
    args = parser.parse_args(argv)
    pages = load_pages(args.docs)
    if not pages:
        print(f"docs-check: no pages in {args.docs}")
        return 1
    problems = mismatches(yaml.safe_load(args.spec.read_text()), pages)
    for problem in problems:
        print(problem)
    if problems:
        print(f"docs-check: {len(problems)} mismatch(es) between {args.docs} and {args.spec}")
        return 1
    print(f"docs-check: {len(pages)} pages agree with {args.spec}")
    return 0
