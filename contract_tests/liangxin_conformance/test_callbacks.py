"""Callback conformance: the payload POSTed to callBackUrl is the CallbackPayload and equals
recordInfo's terminal record.

Needs a target that can reach a loopback http:// receiver: the in-process mock, or a local
`liangxin-mock --allow-http-callbacks` with `--local-mock`. (The contract only allows
https:// callback URLs; a live service cannot reach this machine.)
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator

import pytest

from liangxin_conformance.guesses import LOG, RESPONSE
from liangxin_conformance.lifecycle import create, follow
from liangxin_conformance.rules import TERMINAL, record_violations
from liangxin_conformance.spec import component_errors
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if
from liangxin_mock import CallbackReceiver

PROMPT = "A lighthouse in fog, long exposure"
#: The receiver's answers to the first deliveries (then 200).
ACKNOWLEDGEMENTS = (204, 202)


@pytest.fixture(scope="module")
def receiver(target: Target) -> Iterator[CallbackReceiver]:
    if not target.loopback_callbacks:
        pytest.skip("the target cannot reach a loopback callback receiver")
    # Any 2xx acknowledges a callback: answer with 2xx codes other than 200.
    with CallbackReceiver(list(ACKNOWLEDGEMENTS)) as rx:
        yield rx


def payload_violations(
    raw: bytes, content_type: str, terminal: dict[str, object]
) -> list[Violation]:
    out: list[Violation] = []
    if not content_type.startswith("application/json"):
        out.append(Violation("liangxin.callback.content-type", f"Content-Type {content_type!r}"))
    try:
        payload = json.loads(raw)
    except ValueError:
        return [*out, Violation("liangxin.callback.json", f"body is not JSON: {raw[:200]!r}")]
    documented, guessed = component_errors("CallbackPayload", payload)
    for error in documented:
        out.append(Violation("liangxin.callback.schema", f"breaks CallbackPayload: {error}"))
    for error in guessed:
        LOG.refute(RESPONSE, "callback payload", f"breaks CallbackPayload: {error}")
    data = payload.get("data") if isinstance(payload, dict) else None
    state = data.get("state") if isinstance(data, dict) else None
    if state not in TERMINAL:
        out.append(Violation("liangxin.callback.terminal", f"sent in state {state!r}"))
    if payload != terminal:
        out.append(
            Violation(
                "liangxin.callback.matches-record",
                f"payload differs from recordInfo's terminal record: {json.dumps(payload)[:600]}"
                f" != {json.dumps(terminal)[:600]}",
            )
        )
    if isinstance(data, dict):
        out += [
            Violation(v.rule.replace("liangxin.record.", "liangxin.callback.record."), v.message)
            for v in record_violations(data)
        ]
    return out


@pytest.mark.parametrize("outcome", ["success", "fail"])
def test_callback_payload(target: Target, receiver: CallbackReceiver, outcome: str) -> None:
    if outcome == "fail" and not target.mock_headers:
        pytest.skip("forcing a failure needs the mock's X-Mock-Fail header")
    target.budget.require("callback task")
    path = f"/callback/{secrets.token_hex(6)}"
    body = {
        "model": "seedream-v4-5",
        "callBackUrl": receiver.url_for(path),
        "input": {"prompt": PROMPT},
    }
    headers = {"X-Mock-Fail": "500:upstream task error"} if outcome == "fail" else None
    client = target.client()
    response, violations = create(target, client, body, headers=headers)
    fail_if(violations)
    seen = follow(target, client, response.json()["data"]["taskId"], body)
    fail_if(seen.violations)
    assert seen.terminal is not None
    deliveries = receiver.wait_for_path(path, timeout=min(target.task_timeout, 15.0))
    if not deliveries:
        fail_if([Violation("liangxin.callback.delivered", f"no callback to {path} within 15 s")])
    first = deliveries[0]
    problems = (
        [] if first.method == "POST" else [Violation("liangxin.callback.method", first.method)]
    )
    fail_if(problems + payload_violations(first.body, first.content_type, seen.terminal))
    if target.mock_headers:
        acknowledged(target, response.json()["data"]["taskId"])


def acknowledged(target: Target, task_id: str) -> None:
    """Mock only: a 2xx other than 200 was taken as delivered, at the first attempt. (How a
    service treats the acknowledgement is inferred: a different answer is a guess refuted.)"""
    client = target.client()
    entry: dict[str, object] = {}
    deadline = time.monotonic() + 10.0
    while time.monotonic() < deadline:
        found = client.get("/__mock__/callbacks").json()["callbacks"]
        entry = next((c for c in found if c.get("taskId") == task_id), {})
        if entry.get("state") in ("delivered", "failed"):
            break
        time.sleep(0.05)
    attempts = entry.get("attempts")
    if entry.get("state") != "delivered" or not isinstance(attempts, list) or len(attempts) != 1:
        message = (
            f"answered {ACKNOWLEDGEMENTS}: callback state {entry.get('state')!r}, {attempts!r}"
        )
        LOG.refute(RESPONSE, "any 2xx acknowledges a callback", message)
