"""Every documented createTask request (each requestBody example in the contract) is accepted
with the documented 200 CreateTaskResponse, and its record echoes the request. Paid.

Only the docs' own examples are facts. The examples we wrote (`x-liangxin-source: inferred`) are
replayed against mocks, or with `--include-inferred`; their refusal is a guess refuted.
"""

from __future__ import annotations

from typing import Any

import pytest

from liangxin_conformance.guesses import LOG, REFUSED
from liangxin_conformance.lifecycle import create, json_violations
from liangxin_conformance.rules import record_violations
from liangxin_conformance.spec import (
    documented_examples,
    operation,
    our_request_examples,
    request_examples,
)
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if

EXAMPLES = request_examples()
OURS = our_request_examples()
CREATED = documented_examples(operation("createTask")[2]["responses"]["200"])["created"]


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_documented_request_accepted(target: Target, name: str) -> None:
    body: dict[str, Any] = EXAMPLES[name]
    ours = name in OURS
    if ours and not target.tests_guesses:
        pytest.skip(f"example {name} is ours, not the docs' (run it with --include-inferred)")
    target.budget.require(f"documented example {name}")
    client = target.client()
    response, violations = create(target, client, body)
    if ours:
        LOG.rests()
        if response.status_code in (400, 422):
            curl = target.curl(response.request)
            message = f"HTTP {response.status_code}: {response.text[:300]}"
            LOG.refute(REFUSED, f"our example {name}", message, curl)
            fail_if([v for v in violations if v.rule != "liangxin.create.accepted"])
            return
    fail_if(violations)
    got = response.json()
    curl = target.curl(response.request)
    if got.get("msg") != CREATED["msg"] or got.get("code") != CREATED["code"]:
        shape = {"code": CREATED["code"], "msg": CREATED["msg"]}
        violations.append(
            Violation("liangxin.docs.success-example", f"expected {shape}, got {got!r}", curl)
        )
    task_id = got["data"]["taskId"]
    record = client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
    violations += json_violations(target, "getTaskDetails", record, "liangxin.record")
    if record.status_code == 200:
        violations += record_violations(
            record.json().get("data"), task_id=task_id, sent=body, curl=curl
        )
    fail_if(violations)
