"""schemathesis hooks for checking the mock (`hooks = "liangxin_mock.schemathesis_hooks"`).

schemathesis generates "positive" createTask bodies from the JSON Schemas alone, so it does not
know the contract's `x-liangxin-rules` (e.g. Nano Banana's 3-image cap across two fields), and its
coverage phase sometimes breaks `dependentRequired` (Flux: `height` without `width`). The mock
rightly rejects those with 400. This hook drops exactly those `positive_data_acceptance`
failures: a 400 whose task-layer `msg` equals the message the contract's own validator
(`liangxin_contract.validate_create_task`) gives for the same body. Every other failure stands.

The configuration the mock is checked with (a `schemathesis.toml` outside the repository root,
passed with `schemathesis --config-file PATH run ...`):

    hooks = "liangxin_mock.schemathesis_hooks"

    [warnings]
    fail-on = true

    [checks.positive_data_acceptance]
    expected-statuses = ["2xx"]

    # recordInfo: a schema-valid taskId the mock never issued is rightly 404 (task not found).
    [[operations]]
    include-operation-id = "getTaskDetails"
    checks.positive_data_acceptance.expected-statuses = ["2xx", "404"]
"""

from __future__ import annotations

from typing import Any

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

from liangxin_contract import ContractViolation, validate_create_task


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep the failure unless the contract itself rejects the body with the same message."""
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400:
        return True
    if case.operation.method.upper() != "POST" or not case.operation.path.endswith("/createTask"):
        return True
    try:
        validate_create_task(case.body)
    except ContractViolation as violation:
        try:
            msg = response.json().get("msg")
        except ValueError:
            return True
        return bool(msg != violation.message)
    return True
