"""Read the contract (through `liangxin_contract`): component and response validators, split
into documented and guessed errors, and the documented examples."""

from __future__ import annotations

from functools import cache
from typing import Any

from liangxin_contract import load_spec, schema_validator
from liangxin_contract import operation as operation_route
from liangxin_contract.provenance import Resolver


@cache
def spec() -> dict[str, Any]:
    """The parsed contract (shared; do not mutate)."""
    return load_spec()


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    return Resolver(spec()).merged(node)


def schema_errors(component: str, instance: Any) -> list[str]:
    """Why `instance` does not match `components/schemas/<component>` (empty: it matches)."""
    validator = schema_validator(component)
    return [f"{_path(e.instance_path)}: {e.message}" for e in validator.iter_errors(instance)]


def component_errors(component: str, instance: Any) -> tuple[list[str], list[str]]:
    """(documented, guessed) reasons `instance` breaks `components/schemas/<component>`: the
    documented view's errors, and the whole schema's errors at other places (inferred
    constraints: never violations)."""
    documented = list(schema_validator(component, documented_only=True).iter_errors(instance))
    places = {tuple(e.instance_path) for e in documented}
    guessed = [
        e
        for e in schema_validator(component).iter_errors(instance)
        if tuple(e.instance_path) not in places
    ]
    return (
        [f"{_path(e.instance_path)}: {e.message}" for e in documented],
        [f"{_path(e.instance_path)}: {e.message}" for e in guessed],
    )


def operation(operation_id: str) -> tuple[str, str, dict[str, Any]]:
    """(method, path, operation object) of an operationId."""
    method, path = operation_route(operation_id)
    op: dict[str, Any] = spec()["paths"][path][method.lower()]
    return method, path, op


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
    return component_errors(ref.rsplit("/", 1)[-1], body)


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
