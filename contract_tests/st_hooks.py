"""schemathesis hooks for the `schemathesis run` CLI (loaded by its `hooks` config key).

Only `contract_tests.ci_http_run` loads this module; the pytest suite applies the same rule in
`contract_tests.cases`.
"""

from __future__ import annotations

from typing import Any

import schemathesis

from contract_tests.cases import body_problem


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Drop `positive_data_acceptance` on a body that breaks a documented cross-field rule
    (`x-liangxin-rules`, which JSON Schema cannot express) when it was answered 400, as documented.
    """
    if "positive_data_acceptance" not in type(failure).checks or response.status_code != 400:
        return True
    if case.operation.definition.raw.get("operationId") != "createTask":
        return True
    return body_problem(case.body) is None
