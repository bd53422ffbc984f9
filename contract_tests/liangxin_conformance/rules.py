"""Semantic rules schemathesis cannot check: JSON-in-string fields, failure fields, lifecycle."""

from __future__ import annotations

import json
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from liangxin_conformance.guesses import LOG, RESPONSE
from liangxin_conformance.spec import schema_errors
from liangxin_conformance.violations import Violation
from liangxin_contract import task_states, terminal_states

STATES = task_states()
TERMINAL = terminal_states()
#: Lifecycle order: the terminal states share the last rank.
_RANK = {state: min(i, len(STATES) - len(TERMINAL)) for i, state in enumerate(STATES)}


def record_violations(
    record: Any,
    *,
    task_id: str | None = None,
    sent: dict[str, Any] | None = None,
    curl: str | None = None,
) -> list[Violation]:
    """Check one TaskRecord (`data` of recordInfo or of a callback) against the documented rules.

    `task_id` and `sent` (the createTask body) add the identity and echo checks when known.
    """
    if not isinstance(record, dict):
        return [Violation("liangxin.record.shape", f"data is not an object: {record!r}", curl)]
    out: list[Violation] = []

    def bad(rule: str, message: str) -> None:
        out.append(Violation(f"liangxin.record.{rule}", message, curl))

    state = record.get("state")
    if task_id is not None and record.get("taskId") != task_id:
        bad("identity", f"taskId {record.get('taskId')!r} != requested {task_id!r}")
    if sent is not None and record.get("model") != sent.get("model"):
        bad("identity", f"model {record.get('model')!r} != created {sent.get('model')!r}")

    param = record.get("param")
    decoded: Any = None
    try:
        decoded = json.loads(param) if isinstance(param, str) else None
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict):
        bad("param-json", f"param must be a JSON object serialized as a string, got {param!r}")
    elif sent is not None:
        if decoded.get("model") != sent.get("model"):
            bad("param-echo", f"param.model {decoded.get('model')!r} != sent {sent.get('model')!r}")
        echoed = decoded.get("input")
        got_input: dict[str, Any] = echoed if isinstance(echoed, dict) else {}
        for key, value in (sent.get("input") or {}).items():
            if got_input.get(key) != value:
                bad("param-echo", f"param.input.{key} is {got_input.get(key)!r}, sent {value!r}")

    result = record.get("resultJson")
    if result != "":
        try:
            decoded_result = json.loads(result) if isinstance(result, str) else None
        except ValueError:
            decoded_result = None
        if decoded_result is None:
            bad("result-json", f"resultJson must be '' or a JSON string, got {result!r}")
        else:
            for error in schema_errors("ResultJson", decoded_result):
                bad("result-json", f"decoded resultJson breaks ResultJson: {error}")
    if state == "success" and result == "":
        bad("result-json", "state is success but resultJson is empty")
    if state in STATES and state != "success" and result not in ("", None):
        bad("result-json", f"resultJson must stay empty until success (state {state})")

    for field in ("failCode", "failMsg"):
        value = record.get(field)
        if state in STATES and state != "fail" and value not in ("", None):
            message = f"{field} must be empty unless state is fail (state {state}): {value!r}"
            if field == "failMsg":  # an inferred field: what it holds is a guess
                LOG.refute(RESPONSE, "failMsg is empty unless the state is fail", message, curl)
            else:
                bad("fail-fields", message)
    if state == "fail" and not (record.get("failCode") or record.get("failMsg")):
        bad("fail-fields", "state is fail but failCode and failMsg are both empty")
    return out


def history_violations(
    states: Sequence[str], curl: str | None = None, *, from_creation: bool = True
) -> list[Violation]:
    """The observed states of one task move forward only and a terminal state never changes.

    With `from_creation` (the first state was read right after createTask), a task must be seen
    non-terminal before it is terminal.
    """
    out: list[Violation] = []
    if from_creation and states and states[0] in TERMINAL:
        out.append(
            Violation(
                "liangxin.lifecycle.progress",
                f"first read right after createTask is already terminal ({states[0]})",
                curl,
            )
        )
    for before, after in pairwise(states):
        if before in TERMINAL and after != before:
            out.append(
                Violation("liangxin.lifecycle.order", f"terminal {before} became {after}", curl)
            )
        elif _RANK.get(after, -1) < _RANK.get(before, -1):
            out.append(
                Violation("liangxin.lifecycle.order", f"state went back: {before} → {after}", curl)
            )
    return out
