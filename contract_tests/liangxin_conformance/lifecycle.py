"""Create tasks and follow them to a terminal state, checking every record on the way."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

from liangxin_conformance.guesses import LOG
from liangxin_conformance.rules import TERMINAL, history_violations, record_violations
from liangxin_conformance.spec import response_errors
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation


@dataclass
class Followed:
    """What was seen of one task: each recordInfo body in order, and every broken rule."""

    task_id: str
    bodies: list[dict[str, Any]] = field(default_factory=list)
    violations: list[Violation] = field(default_factory=list)

    @property
    def states(self) -> list[str]:
        return [str((b.get("data") or {}).get("state")) for b in self.bodies]

    @property
    def terminal(self) -> dict[str, Any] | None:
        """The terminal recordInfo body, if the task got there."""
        if self.bodies and self.states[-1] in TERMINAL:
            return self.bodies[-1]
        return None


def json_violations(
    target: Target, operation_id: str, response: httpx.Response, rule: str
) -> list[Violation]:
    """Status documented, JSON content type, body valid for that status."""
    curl = target.curl(response.request)
    ctype = response.headers.get("content-type", "")
    if not ctype.startswith("application/json"):
        message = f"{operation_id} HTTP {response.status_code}: Content-Type {ctype!r}, not JSON"
        return [Violation("liangxin.http.content-type", message, curl)]
    try:
        body = response.json()
    except ValueError:
        return [Violation("liangxin.http.json", f"{operation_id}: body is not JSON", curl)]
    documented, guessed = response_errors(operation_id, response.status_code, body)
    for error in guessed:
        LOG.refute_response(operation_id, response.status_code, error, curl)
    return [
        Violation(f"{rule}.schema", f"HTTP {response.status_code} {error}", curl)
        for error in documented
    ]


def create(
    target: Target,
    client: httpx.Client,
    body: dict[str, Any],
    headers: dict[str, str] | None = None,
) -> tuple[httpx.Response, list[Violation]]:
    """POST createTask (the caller reserved budget); the response and its violations."""
    status: int | None = None
    try:
        response = client.post("/api/v1/jobs/createTask", json=body, headers=headers)
        status = response.status_code
    finally:
        target.budget.settle(status)
    violations = json_violations(target, "createTask", response, "liangxin.create")
    if response.status_code != 200:
        violations.append(
            Violation(
                "liangxin.create.accepted",
                f"valid request got HTTP {response.status_code}: {response.text[:300]}",
                target.curl(response.request),
            )
        )
    return response, violations


def follow(
    target: Target,
    client: httpx.Client,
    task_id: str,
    sent: dict[str, Any] | None,
    *,
    from_creation: bool = True,
) -> Followed:
    """Poll recordInfo until the task is terminal (or time runs out).

    `from_creation`: the task was created just now, so it must be seen non-terminal first.
    """
    seen = Followed(task_id)
    deadline = time.monotonic() + target.task_timeout
    while True:
        response = client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
        curl = target.curl(response.request)
        problems = json_violations(target, "getTaskDetails", response, "liangxin.record")
        if response.status_code != 200 or problems:
            seen.violations += problems or [
                Violation(
                    "liangxin.record.available",
                    f"HTTP {response.status_code} for a created task",
                    curl,
                )
            ]
            return seen
        body = response.json()
        seen.bodies.append(body)
        seen.violations += record_violations(
            body.get("data"), task_id=task_id, sent=sent, curl=curl
        )
        if seen.states[-1] in TERMINAL:
            # One more read: a terminal record never changes.
            again = client.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
            if again.status_code == 200:
                seen.bodies.append(again.json())
                if again.json() != body:
                    seen.violations.append(
                        Violation(
                            "liangxin.lifecycle.order",
                            "terminal record changed between reads",
                            curl,
                        )
                    )
            break
        if time.monotonic() > deadline:
            seen.violations.append(
                Violation(
                    "liangxin.lifecycle.terminates",
                    f"not terminal after {target.task_timeout:.0f} s (states seen: {seen.states})",
                    curl,
                )
            )
            break
        time.sleep(target.poll_interval)
    seen.violations += history_violations(seen.states, curl, from_creation=from_creation)
    return seen
