"""Client contract: the public client, `liangxin_client.LiangXin`, over the target's transport.

What it receives (recorded by an httpx response hook) conforms to the schema; it decodes every
answer (a created task, each record, in step with the body received) and raises each error
answer as the typed error of its status, naming the envelope that carried it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest

from liangxin_client import (
    APIConnectionError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    LiangXin,
    LiangXinError,
    NotFoundError,
    TaskRecord,
)
from liangxin_conformance.guesses import LOG
from liangxin_conformance.rules import TERMINAL, history_violations, record_violations
from liangxin_conformance.spec import response_errors
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if
from liangxin_contract import operation

#: Path → operationId, from the contract.
OPERATIONS = {operation(op)[1]: op for op in ("createTask", "getTaskDetails")}
MODEL, PROMPT = "seedream-v4-5", "Three koi in a stone pond, top view"
SENT = {"model": MODEL, "input": {"prompt": PROMPT}}
WRONG_KEY = "sk-wrong-" + "0" * 16
#: The typed error the public client documents for each status these checks meet.
STATUS_ERRORS: dict[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    404: NotFoundError,
}
T = TypeVar("T")


def operation_of(response: httpx.Response) -> str:
    path = response.request.url.path
    return next(op for route, op in OPERATIONS.items() if path.endswith(route))


@dataclass
class Recorder:
    """An httpx response hook: keeps every exchange the client made."""

    target: Target
    exchanges: list[httpx.Response] = field(default_factory=list)

    def __call__(self, response: httpx.Response) -> None:
        response.read()
        self.exchanges.append(response)

    def last(self, op: str) -> httpx.Response | None:
        """The last response received for `op`."""
        return next((r for r in reversed(self.exchanges) if operation_of(r) == op), None)

    def fail_if(self, violations: list[Violation]) -> None:
        """Raise for `violations` plus every nonconforming response received so far."""
        fail_if(violations + self.violations())

    def violations(self) -> list[Violation]:
        """Every received response against its operation's documented response schema."""
        out: list[Violation] = []
        for response in self.exchanges:
            op = operation_of(response)
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


@pytest.fixture
def recorder(target: Target) -> Recorder:
    return Recorder(target)


@pytest.fixture
def client(target: Target, recorder: Recorder) -> Iterator[Callable[..., LiangXin]]:
    """`client(key=None)`: a `LiangXin` on the target's base URL and transport (no retries: the
    checks judge each answer as sent)."""
    made: list[LiangXin] = []

    def make(key: str | None = None) -> LiangXin:
        http = target.client(authenticated=False, event_hooks={"response": [recorder]})
        made.append(
            LiangXin(
                api_key=target.api_key if key is None else key,
                base_url=target.base_url,
                http_client=http,
                max_retries=0,
            )
        )
        return made[-1]

    yield make
    for each in made:
        each.close()


def decoded(recorder: Recorder, op: str, call: Callable[[], T]) -> T:
    """Run a client call; an answer it cannot decode is a `liangxin.client.parse` violation.

    Error answers propagate as the client raised them (`APIStatusError`); so does a call that got
    no answer at all (the check could not run).
    """
    before = len(recorder.exchanges)
    try:
        return call()
    except APIStatusError:
        raise
    except (LiangXinError, KeyError, ValueError, TypeError, AttributeError) as exc:
        if isinstance(exc, APIConnectionError) or len(recorder.exchanges) == before:
            raise
        message = f"{op}: the public client raised {type(exc).__name__}: {exc}"
        recorder.fail_if([Violation("liangxin.client.parse", message)])
        raise  # unreachable: fail_if raised


def raised(recorder: Recorder, op: str, call: Callable[[], object]) -> APIStatusError | None:
    """The error a client call raised for an error answer (None: it returned)."""
    try:
        decoded(recorder, op, call)
    except APIStatusError as exc:
        return exc
    return None


def _envelope(body: Any) -> tuple[str | None, Any]:
    """(layer, message) of a documented error envelope; (None, None) when it is neither."""
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return "platform", body["error"].get("message")
    if isinstance(body, dict) and "code" in body:
        return "task", body.get("msg", body.get("message"))
    return None, None


def error_violations(
    op: str, exc: APIStatusError | None, response: httpx.Response | None, curl: str | None
) -> list[Violation]:
    """An error answer must be raised as the typed error of its status, with its envelope."""
    if response is None:
        return [Violation("liangxin.client.error", f"{op}: no answer was recorded", curl)]
    status = response.status_code
    if exc is None:
        message = f"{op} HTTP {status}: the public client raised no error (expected one)"
        return [Violation("liangxin.client.error", message, curl)]
    try:
        layer, text = _envelope(response.json())
    except ValueError:
        layer, text = None, None
    expected = STATUS_ERRORS.get(status)
    problems = []
    if exc.status_code != status or (expected is not None and type(exc) is not expected):
        wanted = f"{expected.__name__} " if expected is not None else ""
        problems.append(f"{type(exc).__name__} (HTTP {exc.status_code}), not {wanted}HTTP {status}")
    if exc.layer != layer:
        problems.append(f"layer {exc.layer!r}, the answer's envelope is {layer!r}")
    if isinstance(text, str) and text and exc.message != text:
        problems.append(f"message {exc.message!r}, the envelope says {text!r}")
    return [
        Violation("liangxin.client.error", f"{op} HTTP {status}: raised as {problem}", curl)
        for problem in problems
    ]


def record_mismatches(record: TaskRecord, raw: Any, task_id: str) -> list[str]:
    """Where the decoded record disagrees with the `data` object received (empty: it agrees)."""
    if not isinstance(raw, dict):
        return [f"data is not an object: {raw!r}"]
    out = []
    if record.task_id != task_id:
        out.append(f"task_id {record.task_id!r}, asked for {task_id!r}")
    if record.raw_state != raw.get("state"):
        out.append(f"raw_state {record.raw_state!r}, the record says {raw.get('state')!r}")
    if record.state.value != raw.get("state"):
        out.append(f"state {record.state.value!r} for {raw.get('state')!r}")
    if record.state.value == "success":
        urls = json.loads(raw["resultJson"]).get("resultUrls")
        if list(record.result_urls) != urls:
            out.append(f"result_urls {list(record.result_urls)}, resultJson says {urls}")
    param = raw.get("param")
    echoed = json.loads(param) if isinstance(param, str) and param.strip().startswith("{") else None
    if echoed is not None and record.param != echoed:
        out.append(f"param {record.param!r}, the record says {param!r}")
    return out


def test_create_and_poll(
    target: Target, recorder: Recorder, client: Callable[..., LiangXin]
) -> None:
    """The happy path through the public client: create, poll until terminal; every answer
    conforms, and each record the client decodes is the one received."""
    target.budget.require("client-contract task")
    lx = client()
    try:
        task = decoded(recorder, "createTask", lambda: lx.tasks.create(MODEL, prompt=PROMPT))
    finally:
        created = recorder.last("createTask")
        target.budget.settle(None if created is None else created.status_code)
    task_id = task.task_id
    states: list[str] = []
    curl = None
    deadline = time.monotonic() + target.task_timeout
    while True:
        record = decoded(recorder, "getTaskDetails", lambda: lx.tasks.get(task_id))
        raw = recorder.exchanges[-1].json()
        curl = target.curl(recorder.exchanges[-1].request)
        recorder.fail_if(record_violations(raw["data"], task_id=task_id, sent=SENT, curl=curl))
        recorder.fail_if(
            [
                Violation("liangxin.client.parse", f"getTaskDetails: decoded {problem}", curl)
                for problem in record_mismatches(record, raw["data"], task_id)
            ]
        )
        states.append(raw["data"]["state"])
        if states[-1] in TERMINAL or time.monotonic() > deadline:
            break
        time.sleep(target.poll_interval)
    recorder.fail_if(history_violations(states, curl))
    if states[-1] not in TERMINAL:
        recorder.fail_if(
            [Violation("liangxin.lifecycle.terminates", f"states seen: {states}", curl)]
        )


def test_wrong_key_parses_as_platform_error(
    target: Target, recorder: Recorder, client: Callable[..., LiangXin]
) -> None:
    """A wrong key: both operations raise `AuthenticationError` from the platform envelope."""
    lx = client(WRONG_KEY)
    create = raised(recorder, "createTask", lambda: lx.tasks.create(MODEL, prompt=PROMPT))
    created = recorder.last("createTask")
    target.budget.settle(None if created is None else created.status_code, reserved=False)
    poll = raised(recorder, "getTaskDetails", lambda: lx.tasks.get("task_unknown_0"))
    polled = recorder.last("getTaskDetails")
    violations = []
    for op, exc, response in (("createTask", create, created), ("getTaskDetails", poll, polled)):
        curl = None if response is None else target.curl(response.request)
        violations += error_violations(op, exc, response, curl)
    recorder.fail_if(violations)


def test_unknown_task_parses_as_error(
    target: Target, recorder: Recorder, client: Callable[..., LiangXin]
) -> None:
    """recordInfo for a taskId that names no task raises the typed error of its answer."""
    lx = client()
    exc = raised(
        recorder, "getTaskDetails", lambda: lx.tasks.get("task_seedream-v4-5_1000000000000")
    )
    response = recorder.last("getTaskDetails")
    curl = None if response is None else target.curl(response.request)
    recorder.fail_if(error_violations("getTaskDetails", exc, response, curl))
