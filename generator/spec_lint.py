"""`python -m generator lint`: the house rules for `openapi/liangxin.yaml`.

Each problem is printed as `<JSON pointer>: <what>`; exit 1 if there is any. The rules:
operations have operationId, tags and examples; CreateTaskRequest variants are `$ref`s with a
required `model` const; error statuses carry a JSON envelope schema; parameters use `schema:`;
inferred marks have reasons; every embedded example validates (jsonschema-rs, formats on); and
`liangxin_contract/liangxin.yaml` is a byte-identical copy of the spec.
"""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import yaml

from liangxin_contract import provenance

REPO = Path(__file__).resolve().parent.parent
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
ENVELOPES = {"TaskLayerError", "PlatformError", "ErrorEnvelope"}
SOURCES = set(provenance.SOURCES)  # `doc` only to override an inferred part above
JSON = "application/json"

Problem = tuple[str, str]


def pointer(*parts: Any) -> str:
    """A JSON pointer (`#/paths/~1api~1.../post`) from raw keys."""
    escaped = (str(p).replace("~", "~0").replace("/", "~1") for p in parts)
    return "#/" + "/".join(escaped)


def ref_parts(ref: str) -> tuple[str, ...]:
    return tuple(p.replace("~1", "/").replace("~0", "~") for p in ref.removeprefix("#/").split("/"))


def locate(spec: dict[str, Any], node: Any, where: tuple[Any, ...]) -> tuple[Any, tuple[Any, ...]]:
    """Follow local `$ref`s; return the target and its own location."""
    while isinstance(node, dict) and "$ref" in node:
        where = ref_parts(node["$ref"])
        node = spec
        for part in where:
            node = node[part]
    return node, where


def resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local `$ref`s (siblings are ignored here: lint reads structure, not values)."""
    return locate(spec, node, ())[0]


def operations(spec: dict[str, Any]) -> Iterator[tuple[tuple[Any, ...], dict[str, Any], bool]]:
    """(location parts, operation, is_callback) for path and callback operations."""
    for path, item in spec.get("paths", {}).items():
        for method in METHODS:
            if method not in item:
                continue
            operation = item[method]
            yield ("paths", path, method), operation, False
            for name, callback in operation.get("callbacks", {}).items():
                for expression, cb_item in resolve(spec, callback).items():
                    for cb_method in METHODS:
                        if cb_method in cb_item:
                            where = ("paths", path, method, "callbacks", name, expression)
                            yield (*where, cb_method), cb_item[cb_method], True


def has_examples(media: dict[str, Any]) -> bool:
    return bool(media.get("examples")) or "example" in media


# ---------------------------------------------------------------- structure rules


def check_operation(
    spec: dict[str, Any], where: tuple[Any, ...], op: dict[str, Any], callback: bool
) -> Iterator[Problem]:
    """operationId, tags, and examples on every request body, parameter and response."""
    if not op.get("operationId"):
        yield pointer(*where), "operation has no operationId"
    if not op.get("tags"):
        yield pointer(*where), "operation has no tags"
    if callback:  # the receiver is the user's server: no examples required
        return
    body = resolve(spec, op.get("requestBody", {}))
    for media_type, media in body.get("content", {}).items():
        if not has_examples(media):
            yield pointer(*where, "requestBody", "content", media_type), "request has no examples"
    for i, param in enumerate(op.get("parameters", [])):
        param = resolve(spec, param)
        if not (has_examples(param) or "example" in param.get("schema", {})):
            yield pointer(*where, "parameters", i), f"parameter {param.get('name')} has no example"
    for status, response in op.get("responses", {}).items():
        for media_type, media in resolve(spec, response).get("content", {}).items():
            if not has_examples(media):
                loc = pointer(*where, "responses", status, "content", media_type)
                yield loc, "response has no examples"


def check_error_envelopes(
    spec: dict[str, Any], where: tuple[Any, ...], op: dict[str, Any]
) -> Iterator[Problem]:
    """Every 4xx/5xx response has a JSON body whose schema is a documented envelope."""
    for status, response in op.get("responses", {}).items():
        if str(status)[0] not in "45":
            continue
        schema = resolve(spec, response).get("content", {}).get(JSON, {}).get("schema", {})
        name = schema.get("$ref", "").rsplit("/", 1)[-1]
        if name not in ENVELOPES:
            loc = pointer(*where, "responses", status)
            yield (
                loc,
                f"error status {status} has no JSON envelope schema ({', '.join(sorted(ENVELOPES))})",
            )


def check_parameters(spec: dict[str, Any]) -> Iterator[Problem]:
    """Parameters use `schema:` (openapi-python-client drops `content:` parameters silently)."""
    found: list[tuple[tuple[Any, ...], Any]] = []
    for path, item in spec.get("paths", {}).items():
        found += [
            (("paths", path, "parameters", i), p) for i, p in enumerate(item.get("parameters", []))
        ]
        for method in METHODS:
            params = item.get(method, {}).get("parameters", [])
            found += [(("paths", path, method, "parameters", i), p) for i, p in enumerate(params)]
    for name, param in spec.get("components", {}).get("parameters", {}).items():
        found.append((("components", "parameters", name), param))
    for where, param in found:
        param = resolve(spec, param)
        if "content" in param or "schema" not in param:
            yield pointer(*where), f"parameter {param.get('name')} must use schema:, not content:"


def check_variants(spec: dict[str, Any]) -> Iterator[Problem]:
    """CreateTaskRequest: `$ref` variants, each requiring a `model` const that the mapping names."""
    schemas = spec.get("components", {}).get("schemas", {})
    request = schemas.get("CreateTaskRequest", {})
    mapping = request.get("discriminator", {}).get("mapping", {})
    refs = set(mapping.values())
    for i, variant in enumerate(request.get("oneOf", [])):
        where = pointer("components", "schemas", "CreateTaskRequest", "oneOf", i)
        if set(variant) != {"$ref"}:
            yield where, "variant must be a bare $ref (inline variants break the generated union)"
            continue
        target = resolve(spec, variant)
        model = target.get("properties", {}).get("model", {})
        if "model" not in target.get("required", []):
            yield where, f"{variant['$ref']}: model is not required"
        if "const" not in model:
            yield where, f"{variant['$ref']}: model has no const"
        elif mapping.get(model["const"]) != variant["$ref"]:
            yield (
                where,
                f"{variant['$ref']}: discriminator mapping does not map {model['const']!r} to it",
            )
        refs.discard(variant["$ref"])
    for ref in sorted(refs):
        yield (
            pointer("components", "schemas", "CreateTaskRequest", "discriminator"),
            f"{ref} is mapped but not in oneOf",
        )
    enum = schemas.get("ModelName", {}).get("enum")
    if enum is not None and sorted(enum) != sorted(mapping):
        yield (
            pointer("components", "schemas", "ModelName", "enum"),
            "differs from the discriminator mapping",
        )


def walk(node: Any, parts: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], Any]]:
    """Every node of the document with its location."""
    yield parts, node
    if isinstance(node, dict):
        for key, value in node.items():
            yield from walk(value, (*parts, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, (*parts, i))


def check_marks(spec: dict[str, Any]) -> Iterator[Problem]:
    """Every provenance mark is well-formed, and every inferred one says why.

    `x-liangxin-source` is one of the known sources; `x-liangxin-inferred` and
    `x-liangxin-documented` list constraint keywords. An example (a node with `value`) may be
    marked inferred without a reason: it is ours, written from the fields.
    """
    for where, node in walk(spec):
        if not isinstance(node, dict):
            continue
        for mark in ("x-liangxin-inferred", "x-liangxin-documented"):
            listed = node.get(mark, [])
            if not isinstance(listed, list) or not all(
                k in provenance.CONSTRAINT_KEYWORDS for k in listed
            ):
                yield pointer(*where), f"{mark} must list constraint keywords, got {listed!r}"
        reason = node.get("x-liangxin-reason")
        has_reason = isinstance(reason, str) and bool(reason.strip())
        if "x-liangxin-inferred" in node and not has_reason:
            yield pointer(*where), "x-liangxin-inferred without x-liangxin-reason"
        if "x-liangxin-source" not in node:
            continue
        source = node["x-liangxin-source"]
        if source not in SOURCES:
            yield pointer(*where), f"x-liangxin-source {source!r} is not one of {sorted(SOURCES)}"
        if source == "inferred" and not has_reason and "value" not in node:
            yield pointer(*where), "x-liangxin-source: inferred without x-liangxin-reason"


def check_rules(spec: dict[str, Any]) -> Iterator[Problem]:
    """Every `x-liangxin-rules` entry has a declared kind and names existing properties."""
    kinds = spec.get("components", {}).get("x-liangxin-rule-kinds", {})
    for name, schema in spec.get("components", {}).get("schemas", {}).items():
        for i, rule in enumerate(schema.get("x-liangxin-rules", [])):
            where = pointer("components", "schemas", name, "x-liangxin-rules", i)
            if rule.get("kind") not in kinds:
                yield (
                    where,
                    f"rule kind {rule.get('kind')!r} not in components/x-liangxin-rule-kinds",
                )
            for field in rule.get("fields", []):
                if field not in schema.get("properties", {}):
                    yield where, f"rule names unknown property {field!r}"


# ---------------------------------------------------------------- examples


def validator(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """A jsonschema-rs validator for a schema node of the spec (its `$ref`s resolve)."""
    wrapped = {**schema, "components": spec.get("components", {})}
    return jsonschema_rs.Draft202012Validator(wrapped, validate_formats=True)


def variant_of(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> dict[str, Any] | None:
    """The discriminator's variant for `value`, to explain a failed oneOf precisely."""
    discriminator = resolve(spec, schema).get("discriminator", {})
    key = discriminator.get("propertyName")
    if not (key and isinstance(value, dict) and value.get(key) in discriminator.get("mapping", {})):
        return None
    return {"$ref": discriminator["mapping"][value[key]]}


def invalid(spec: dict[str, Any], schema: dict[str, Any], value: Any) -> Iterator[str]:
    """Why `value` does not validate against `schema`, one message per error."""
    errors = list(validator(spec, schema).iter_errors(value))
    variant = variant_of(spec, schema, value) if errors else None
    if variant is not None:
        errors = list(validator(spec, variant).iter_errors(value)) or errors
    for error in errors:
        at = "/".join(str(p) for p in error.instance_path)
        yield f"example does not validate: {error.message}" + (f" (at /{at})" if at else "")


def media_examples(
    spec: dict[str, Any], where: tuple[Any, ...], media: dict[str, Any]
) -> Iterator[Problem]:
    schema = media.get("schema")
    if schema is None:
        return
    if "example" in media:
        for message in invalid(spec, schema, media["example"]):
            yield pointer(*where, "example"), message
    for name, example in media.get("examples", {}).items():
        example = resolve(spec, example)
        for message in invalid(spec, schema, example.get("value")):
            yield pointer(*where, "examples", name, "value"), message


def operation_examples(
    spec: dict[str, Any], where: tuple[Any, ...], op: dict[str, Any]
) -> Iterator[Problem]:
    """Request, response and parameter examples of one operation."""
    body = resolve(spec, op.get("requestBody", {}))
    for media_type, media in body.get("content", {}).items():
        yield from media_examples(spec, (*where, "requestBody", "content", media_type), media)
    for status, response in op.get("responses", {}).items():
        response, at = locate(spec, response, (*where, "responses", status))
        for media_type, media in response.get("content", {}).items():
            yield from media_examples(spec, (*at, "content", media_type), media)
    for i, param in enumerate(op.get("parameters", [])):
        param, at = locate(spec, param, (*where, "parameters", i))
        yield from media_examples(spec, at, param)


def schema_examples(spec: dict[str, Any]) -> Iterator[Problem]:
    """`example` / `examples` written on any schema node under components/schemas."""
    for where, node in walk(spec.get("components", {}).get("schemas", {})):
        if not isinstance(node, dict) or where[-1:] == ("properties",):
            continue
        ref = pointer("components", "schemas", *where)
        values = [(f"{ref}/example", node["example"])] if "example" in node else []
        if isinstance(node.get("examples"), list):
            values += [(f"{ref}/examples/{i}", v) for i, v in enumerate(node["examples"])]
        for loc, value in values:
            for message in invalid(spec, {"$ref": ref}, value):
                yield loc, message


# ---------------------------------------------------------------- driver


def lint(spec: dict[str, Any]) -> list[Problem]:
    """Every house-rule problem of a parsed spec."""
    problems: list[Problem] = []
    for where, op, callback in operations(spec):
        problems += check_operation(spec, where, op, callback)
        problems += check_error_envelopes(spec, where, op)
        problems += operation_examples(spec, where, op)
    problems += check_parameters(spec)
    problems += check_variants(spec)
    problems += check_marks(spec)
    problems += check_rules(spec)
    problems += schema_examples(spec)
    return list(dict.fromkeys(problems))  # a shared component is reported once


def check_copy(spec_path: Path, copy_path: Path) -> list[Problem]:
    if not copy_path.exists() or copy_path.read_bytes() != spec_path.read_bytes():
        return [(str(copy_path), f"is not a byte-identical copy of {spec_path}")]
    return []


def main(argv: list[str]) -> int:
    """Lint the spec; exit 0 when clean, 1 on problems."""
    parser = argparse.ArgumentParser(prog="python -m generator lint")
    parser.add_argument("--spec", type=Path, default=REPO / "openapi" / "liangxin.yaml")
    parser.add_argument(
        "--copy",
        type=Path,
        default=REPO / "liangxin_contract" / "liangxin.yaml",
        help="the packaged copy that must match the spec byte for byte",
    )
    args = parser.parse_args(argv)
    problems = lint(yaml.safe_load(args.spec.read_text())) + check_copy(args.spec, args.copy)
    for where, message in problems:
        print(f"{where}: {message}")
    if problems:
        print(f"lint: {len(problems)} problem(s) in {args.spec}")
        return 1
    print(f"lint: {args.spec} follows the house rules")
    return 0
