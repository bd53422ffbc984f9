"""Client contract: what the generated client (`liangxin_client._generated`) receives from the
target conforms to the schema, parses into the documented models, and keeps the semantic rules.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from liangxin_client._generated import AuthenticatedClient
from liangxin_client._generated.api.tasks import create_task, get_task_details
from liangxin_client._generated.models import (
    CreateTaskResponse,
    PlatformError,
    RecordInfoResponse,
    SeedreamV45Request,
    TaskLayerError,
)
from liangxin_conformance.guesses import LOG
from liangxin_conformance.rules import TERMINAL, history_violations, record_violations
from liangxin_conformance.spec import response_errors
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if

OPERATIONS = {"/api/v1/jobs/createTask": "createTask", "/api/v1/jobs/recordInfo": "getTaskDetails"}
SENT = {"model": "seedream-v4-5", "input": {"prompt": "Three koi in a stone pond, top view"}}


@dataclass
class Recorder:
    """An httpx response hook: keeps every exchange the client made."""

    target: Target
    exchanges: list[httpx.Response] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.exchanges.append(response)

    def fail_if(self, violations: list[Violation]) -> None:
        """Raise for `violations` plus every nonconforming response received so far."""
        fail_if(violations + self.violations())

    def violations(self) -> list[Violation]:
        """Every received response against its operation's documented response schema."""
        out: list[Violation] = []
        for response in self.exchanges:
            op = OPERATIONS[response.request.url.path]
            curl = self.target.curl(response.request)
            ctype = response.headers.get("content-type", "")
            if not ctype.startswith("application/json"):
                out.append(Violation("liangxin.http.content-type", f"{op}: {ctype!r}", curl))
                continue
            documented, guessed = response_errors(op, response.status_code, response.json())
            for error in guessed:
                LOG.refute_response(op, response.status_code, error, curl)
            for error in documented:
                out.append(
                    Violation(
                        "liangxin.client.schema", f"{op} HTTP {response.status_code} {error}", curl
                    )
                )
        return out


def generated_client(
    target: Target, recorder: Recorder, key: str | None = None
) -> AuthenticatedClient:
    args: dict[str, Any] = {"event_hooks": {"response": [recorder]}, "trust_env": False}
    if target.in_process:
        args["transport"] = target.transport()
    return AuthenticatedClient(
        base_url=target.base_url,
        token=target.api_key if key is None else key,
        timeout=httpx.Timeout(60.0),
        httpx_args=args,
    )


@pytest.fixture
def recorder(target: Target) -> Recorder:
    return Recorder(target)


def parse_violation(
    op: str, got: Any, expected: type | tuple[type, ...], response: Any
) -> list[Violation]:
    if isinstance(got, expected):
        return []
    names = " or ".join(
        t.__name__ for t in (expected if isinstance(expected, tuple) else (expected,))
    )
    message = f"{op} HTTP {response.status_code} parsed as {type(got).__name__}, expected {names}"
    return [Violation("liangxin.client.parse", message)]


def parsed(recorder: Recorder, op: str, call: Callable[[], Any]) -> Any:
    """Run a generated-client call; a response it cannot parse is a `liangxin.client.parse` violation."""
    try:
        return call()
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        recorder.fail_if(
            [Violation("liangxin.client.parse", f"{op}: the generated client raised {exc!r}")]
        )
        raise  # unreachable: fail_if raised


def test_create_and_poll(target: Target, recorder: Recorder) -> None:
    """The typed happy path: create, poll until terminal; every answer parses and conforms."""
    target.budget.require("client-contract task")
    with generated_client(target, recorder) as client:
        status = None
        try:
            body = SeedreamV45Request.from_dict(SENT)
            created = parsed(
                recorder, "createTask", lambda: create_task.sync_detailed(client=client, body=body)
            )
            status = created.status_code
        finally:
            target.budget.settle(status)
        recorder.fail_if(parse_violation("createTask", created.parsed, CreateTaskResponse, created))
        assert isinstance(created.parsed, CreateTaskResponse)
        task_id = created.parsed.data.task_id
        states: list[str] = []
        deadline = time.monotonic() + target.task_timeout
        while True:
            got = parsed(
                recorder,
                "getTaskDetails",
                lambda: get_task_details.sync_detailed(client=client, task_id=task_id),
            )
            recorder.fail_if(parse_violation("getTaskDetails", got.parsed, RecordInfoResponse, got))
            raw = recorder.exchanges[-1].json()
            curl = target.curl(recorder.exchanges[-1].request)
            recorder.fail_if(record_violations(raw["data"], task_id=task_id, sent=SENT, curl=curl))
            states.append(raw["data"]["state"])
            if states[-1] in TERMINAL or time.monotonic() > deadline:
                break
            time.sleep(target.poll_interval)
        recorder.fail_if(history_violations(states, curl))
        if states[-1] not in TERMINAL:
            recorder.fail_if(
                [Violation("liangxin.lifecycle.terminates", f"states seen: {states}", curl)]
            )


def test_wrong_key_parses_as_platform_error(target: Target, recorder: Recorder) -> None:
    body = SeedreamV45Request.from_dict(SENT)
    with generated_client(target, recorder, key="sk-wrong-" + "0" * 16) as client:
        created = parsed(
            recorder, "createTask", lambda: create_task.sync_detailed(client=client, body=body)
        )
        target.budget.settle(created.status_code, reserved=False)
        polled = parsed(
            recorder,
            "getTaskDetails",
            lambda: get_task_details.sync_detailed(client=client, task_id="task_unknown_0"),
        )
    recorder.fail_if(
        parse_violation("createTask", created.parsed, PlatformError, created)
        + parse_violation("getTaskDetails", polled.parsed, PlatformError, polled)
    )


def test_unknown_task_parses_as_error(target: Target, recorder: Recorder) -> None:
    with generated_client(target, recorder) as client:
        got = get_task_details.sync_detailed(
            client=client, task_id="task_seedream-v4-5_1000000000000"
        )
    recorder.fail_if(
        parse_violation("getTaskDetails", got.parsed, (TaskLayerError, PlatformError), got)
    )
