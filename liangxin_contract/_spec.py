"""Load the contract shipped in this package (one parse per process)."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def spec_bytes() -> bytes:
    """The contract's YAML text, as shipped in the package."""
    return resources.files("liangxin_contract").joinpath("liangxin.yaml").read_bytes()


def spec_sha256() -> str:
    return hashlib.sha256(spec_bytes()).hexdigest()


@cache
def _spec_json() -> str:
    return json.dumps(yaml.safe_load(spec_bytes()))


def load_spec() -> dict[str, Any]:
    """A fresh, mutable copy of the parsed contract."""
    spec: dict[str, Any] = json.loads(_spec_json())
    return spec


@cache
def _mapping() -> dict[str, str]:
    spec = load_spec()
    mapping = spec["components"]["schemas"]["CreateTaskRequest"]["discriminator"]["mapping"]
    return {model: ref.rsplit("/", 1)[-1] for model, ref in mapping.items()}


def model_names() -> tuple[str, ...]:
    """Every model value the contract accepts, in the contract's order."""
    return tuple(_mapping())


def request_schema_name(model: str) -> str:
    """The component name of a model's createTask request schema (KeyError if unknown)."""
    return _mapping()[model]


def input_schema(model: str) -> dict[str, Any]:
    """A model's `input` schema with its `$ref`s left in place (KeyError if unknown)."""
    schemas = load_spec()["components"]["schemas"]
    ref: str = schemas[request_schema_name(model)]["properties"]["input"]["$ref"]
    schema: dict[str, Any] = schemas[ref.rsplit("/", 1)[-1]]
    return schema


@cache
def task_states() -> tuple[str, ...]:
    """The documented task states, in lifecycle order (`waiting` ... `success`, `fail`)."""
    states = load_spec()["components"]["schemas"]["TaskState"]
    return tuple(states["enum"])


@cache
def terminal_states() -> frozenset[str]:
    """The states a task never leaves (`success`, `fail`)."""
    states = load_spec()["components"]["schemas"]["TaskState"]
    return frozenset(states["x-liangxin-terminal"])


@cache
def operation(operation_id: str) -> tuple[str, str]:
    """(HTTP method, path) of an operation by its operationId (KeyError if unknown)."""
    for path, item in load_spec()["paths"].items():
        for method, op in item.items():
            if isinstance(op, dict) and op.get("operationId") == operation_id:
                return method.upper(), path
    raise KeyError(operation_id)
