"""The LiangXin contract, shipped inside the distribution.

`liangxin.yaml` here is a copy of `openapi/liangxin.yaml` written by `python -m generator generate`
(the drift check proves they match), so an installed client, mock or conformance suite can load
the contract without the repository. The mock and the client both validate requests through
`validate_create_task`, so each documented rule is read from the contract in one place.
"""

from __future__ import annotations

from liangxin_contract._spec import (
    input_schema,
    load_spec,
    model_names,
    operation,
    request_schema_name,
    spec_bytes,
    spec_sha256,
    task_states,
    terminal_states,
)
from liangxin_contract.display import redact_url
from liangxin_contract.provenance import Constraint
from liangxin_contract.validation import (
    ContractViolation,
    ModelSources,
    UnknownField,
    Verdict,
    Violation,
    check_create_task,
    closest_model,
    model_constraints,
    model_knowledge,
    model_sources,
    request_view,
    schema_validator,
    validate_create_task,
)
from liangxin_contract.wire import parse_json

__all__ = [
    "Constraint",
    "ContractViolation",
    "ModelSources",
    "UnknownField",
    "Verdict",
    "Violation",
    "check_create_task",
    "closest_model",
    "input_schema",
    "load_spec",
    "model_constraints",
    "model_knowledge",
    "model_names",
    "model_sources",
    "operation",
    "parse_json",
    "redact_url",
    "request_schema_name",
    "request_view",
    "schema_validator",
    "spec_bytes",
    "spec_sha256",
    "task_states",
    "terminal_states",
    "validate_create_task",
]
