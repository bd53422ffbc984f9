"""schemathesis hooks for the `schemathesis run` CLI (loaded by its `hooks` config key).

Only `liangxin_conformance.ci_http_run` loads this module; the pytest suite applies the same rules in
`liangxin_conformance.cases` (only documented facts make a failure).
"""

from __future__ import annotations

from typing import Any

import schemathesis

from liangxin_conformance.cases import judge


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    """Keep a failure only when a documented fact says the answer is wrong.

    - `negative_data_rejection` on a body that breaks no documented rule (only guesses, or
      nothing the rule engine knows of): not a negative case, so accepting it is not a failure;
    - `positive_data_acceptance` answered 400 on a body that breaks a documented cross-field
      rule (`x-liangxin-rules`, which JSON Schema cannot express), or answered 400/422 on a
      body whose acceptance rests only on guesses (a guessed model or field).
    """
    if case.operation.definition.raw.get("operationId") != "createTask":
        return True
    checks = type(failure).checks
    judgement = judge(case.body)
    if "negative_data_rejection" in checks:
        return judgement.documented is not None
    if "positive_data_acceptance" in checks:
        if judgement.documented is not None:
            return bool(response.status_code != 400)
        if judgement.rests_on_guesses:
            return bool(response.status_code not in (400, 422))
    return True
