"""Read the contract: JSON Schema validators for components and documented responses."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs

from liangxin_contract import load_spec
from liangxin_contract.provenance import Resolver, view


@cache
def spec() -> dict[str, Any]:
    """The parsed contract (shared; do not mutate)."""
    return load_spec()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        parts = node["$ref"].removeprefix("#/").split("/")
        target: Any = spec()
        for part in parts:
            target = target[part]
        node = target
    return node


@cache
def _validator_for(ref: str) -> Any:
    schema = {"$ref": ref, "components": spec()["components"]}
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


@cache
def _view_validator(ref: str, documented_only: bool) -> Any:
    schema = view(Resolver(spec()), {"$ref": ref}, documented_only=documented_only)
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


def schema_errors(component: str, instance: Any) -> list[str]:
    """Why `instance` does not match `components/schemas/<component>` (empty: it matches)."""
    validator = _validator_for(f"#/components/schemas/{component}")
    return [f"{_path(e.instance_path)}: {e.message}" for e in validator.iter_errors(instance)]


def split_errors(ref: str, instance: Any) -> tuple[list[str], list[str]]:
    """(documented, guessed) reasons `instance` breaks the schema at `ref`: the documented
    view's errors, and the errors of the whole schema at other places (inferred constraints)."""
    documented = list(_view_validator(ref, True).iter_errors(instance))
    places = {tuple(e.instance_path) for e in documented}
    guessed = [
        e
        for e in _view_validator(ref, False).iter_errors(instance)
        if tuple(e.instance_path) not in places
    ]
    return (
        [f"{_path(e.instance_path)}: {e.message}" for e in documented],
        [f"{_path(e.instance_path)}: {e.message}" for e in guessed],
    )


def component_errors(component: str, instance: Any) -> tuple[list[str], list[str]]:
    """`split_errors` for `components/schemas/<component>`."""
    return split_errors(f"#/components/schemas/{component}", instance)


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(method, path, operation object) of an operationId."""
    for path, item in spec()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return method.upper(), path, op
    raise KeyError(operation_id)


def response_schema_ref(operation_id: str, status: int) -> str | None:
    """The `$ref` of the JSON schema documented for this status (None: status undocumented)."""
    responses = operation(operation_id)[2]["responses"]
    response = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX")
    if response is None:
        return None
    schema = _resolve(response)["content"]["application/json"]["schema"]
    ref: str = schema["$ref"]
    return ref


def response_errors(operation_id: str, status: int, body: Any) -> tuple[list[str], list[str]]:
    """(documented, guessed) reasons a response body breaks the contract for this operation and
    status (both empty: fine). Only the documented ones are violations."""
    ref = response_schema_ref(operation_id, status)
    if ref is None:
        return [f"HTTP {status} is not documented for {operation_id}"], []
    return split_errors(ref, body)


def response_components() -> list[str]:
    """The component schemas the documented responses name (`CreateTaskResponse`, ...)."""
    names: set[str] = set()
    responses = [
        r
        for item in spec()["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for r in op.get("responses", {}).values()
    ]
    for response in responses:
        schema = _resolve(response).get("content", {}).get("application/json", {}).get("schema")
        if isinstance(schema, dict) and "$ref" in schema:
            names.add(schema["$ref"].rsplit("/", 1)[-1])
    return sorted(names)


def is_ours(example: dict[str, Any]) -> bool:
    """An example we wrote (`x-liangxin-source: inferred`), not one quoted from the docs."""
    return bool(example.get("x-liangxin-source", "doc") != "doc")


def documented_examples(node: dict[str, Any]) -> dict[str, Any]:
    """`examples` of a response or media-type object (values only)."""
    node = _resolve(node)
    content = node.get("content", {}).get("application/json", node)
    return {name: _resolve(ex)["value"] for name, ex in content.get("examples", {}).items()}


def request_examples() -> dict[str, Any]:
    """Every createTask requestBody example, by name."""
    return documented_examples(operation("createTask")[2]["requestBody"])


def our_request_examples() -> frozenset[str]:
    """The createTask requestBody examples we wrote ourselves (not the docs')."""
    content = operation("createTask")[2]["requestBody"]["content"]["application/json"]
    return frozenset(n for n, ex in content.get("examples", {}).items() if is_ours(_resolve(ex)))


def error_examples(operation_id: str) -> dict[tuple[int, str], Any]:
    """Every documented error example of an operation, keyed by (status, example name)."""
    out: dict[tuple[int, str], Any] = {}
    for status, response in operation(operation_id)[2]["responses"].items():
        if status.isdigit() and int(status) >= 400:
            for name, value in documented_examples(response).items():
                out[int(status), name] = value
    return out


def _path(parts: Any) -> str:
    return "/" + "/".join(str(p) for p in parts)
