"""Read the contract: JSON Schema validators for components and documented responses."""

from __future__ import annotations

from functools import cache
from typing import Any

import jsonschema_rs

from liangxin_contract import load_spec


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


def schema_errors(component: str, instance: Any) -> list[str]:
    """Why `instance` does not match `components/schemas/<component>` (empty: it matches)."""
    validator = _validator_for(f"#/components/schemas/{component}")
    return [f"{_path(e.instance_path)}: {e.message}" for e in validator.iter_errors(instance)]


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


def response_errors(operation_id: str, status: int, body: Any) -> list[str]:
    """Why a response body breaks the contract for this operation and status (empty: fine)."""
    ref = response_schema_ref(operation_id, status)
    if ref is None:
        return [f"HTTP {status} is not documented for {operation_id}"]
    return [f"{_path(e.instance_path)}: {e.message}" for e in _validator_for(ref).iter_errors(body)]


def documented_examples(node: dict[str, Any]) -> dict[str, Any]:
    """`examples` of a response or media-type object (values only)."""
    node = _resolve(node)
    content = node.get("content", {}).get("application/json", node)
    return {name: _resolve(ex)["value"] for name, ex in content.get("examples", {}).items()}


def request_examples() -> dict[str, Any]:
    """Every createTask requestBody example, by name."""
    return documented_examples(operation("createTask")[2]["requestBody"])


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
