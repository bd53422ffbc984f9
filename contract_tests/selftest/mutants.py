"""Mutants: the real mock with exactly one behaviour broken, as ASGI wrappers around
`liangxin_mock.create_app(config)` (the mock itself is never modified).

Each mutant is a factory `(MockConfig) -> ASGI app` usable as
`pytest contract_tests --target-app selftest.mutants:<name>`; `MUTANTS` maps each name to the
rules the suite must name when it fails on it.
"""

from __future__ import annotations

import json
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from starlette.types import ASGIApp as App
from starlette.types import Message, Receive, Scope, Send

from liangxin_conformance.guesses import guessed_model
from liangxin_contract import ContractViolation, validate_create_task
from liangxin_mock import MockConfig, create_app

Headers = list[tuple[bytes, bytes]]
#: (scope, status, headers, body) → (status, headers, body), for one response.
Rewrite = Callable[[Scope, int, Headers, bytes], tuple[int, Headers, bytes]]

CREATE = "/api/v1/jobs/createTask"
RECORD = "/api/v1/jobs/recordInfo"


def _set_length(headers: Headers, size: int) -> Headers:
    kept = [(k, v) for k, v in headers if k.lower() != b"content-length"]
    return [*kept, (b"content-length", str(size).encode())]


def rewrite_responses(app: App, rewrite: Rewrite) -> App:
    """Buffer each HTTP response of `app` and pass it through `rewrite`."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        start: Message = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    status, headers, body = rewrite(
                        scope, start["status"], list(start.get("headers", [])), b"".join(chunks)
                    )
                    await send(
                        {**start, "status": status, "headers": _set_length(headers, len(body))}
                    )
                    await send({"type": "http.response.body", "body": body})
            else:
                await send(message)

        await app(scope, receive, capture)

    return wrapper


def rewrite_requests(app: App, rewrite: Callable[[Scope, bytes], tuple[Scope, bytes]]) -> App:
    """Read each HTTP request body whole and pass (scope, body) through `rewrite`."""

    async def wrapper(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        parts: list[bytes] = []
        while True:
            message = await receive()
            parts.append(message.get("body", b""))
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        scope, body = rewrite(scope, b"".join(parts))
        scope = {**scope, "headers": _set_length(list(scope["headers"]), len(body))}
        sent = False

        async def replay() -> Message:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await app(scope, replay, send)

    return wrapper


def _json_rewrite(path: str, status: int | None, edit: Callable[[Any], Any]) -> Rewrite:
    """Rewrite the JSON body of responses to `path` (with `status`, or any when None)."""

    def rewrite(
        scope: Scope, code: int, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        if scope["path"] != path or (status is not None and code != status):
            return code, headers, body
        return code, headers, json.dumps(edit(json.loads(body))).encode()

    return rewrite


def _edit_record(edit: Callable[[dict[str, Any]], None]) -> Callable[[Any], Any]:
    def apply(body: Any) -> Any:
        if isinstance(body.get("data"), dict):
            edit(body["data"])
        return body

    return apply


# ----------------------------------------------------------------------------- the mutants


def wrong_401_envelope(config: MockConfig) -> App:
    """401 answered with the task-layer envelope instead of the gateway's."""

    def rewrite(
        scope: Scope, code: int, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        if code != 401:
            return code, headers, body
        return code, headers, b'{"code":401,"msg":"invalid token","data":null}'

    return rewrite_responses(create_app(config), rewrite)


def accepts_invalid_aspect_ratio(config: MockConfig) -> App:
    """An `input.aspect_ratio` outside the allowed list is dropped and the task accepted (200)."""

    def rewrite(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        if scope["path"] != CREATE:
            return scope, body
        try:
            data = json.loads(body)
            validate_create_task(data)
        except ContractViolation as violation:
            if violation.field == "input.aspect_ratio" and isinstance(data.get("input"), dict):
                data["input"].pop("aspect_ratio", None)
                return scope, json.dumps(data).encode()
        except ValueError:
            pass
        return scope, body

    return rewrite_requests(create_app(config), rewrite)


def task_id_missing(config: MockConfig) -> App:
    """createTask's 200 answer lacks `data.taskId`."""
    edit = _json_rewrite(CREATE, 200, lambda body: {**body, "data": {}})
    return rewrite_responses(create_app(config), edit)


def undocumented_state(config: MockConfig) -> App:
    """recordInfo reports `pending` (not one of the five documented states) instead of `waiting`."""

    def edit(data: dict[str, Any]) -> None:
        if data.get("state") == "waiting":
            data["state"] = "pending"

    return rewrite_responses(create_app(config), _json_rewrite(RECORD, 200, _edit_record(edit)))


def result_json_not_json(config: MockConfig) -> App:
    """On success, `resultJson` is the bare result URL, not a JSON string."""

    def edit(data: dict[str, Any]) -> None:
        if data.get("state") == "success" and data.get("resultJson"):
            data["resultJson"] = json.loads(data["resultJson"])["resultUrls"][0]

    return rewrite_responses(create_app(config), _json_rewrite(RECORD, 200, _edit_record(edit)))


def no_auth_check(config: MockConfig) -> App:
    """Any request is served as the first key's: a missing or wrong key is ignored."""
    config = config.with_default_key()
    auth = f"Bearer {config.first_key}".encode()

    def rewrite(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"authorization"]
        return {**scope, "headers": [*headers, (b"authorization", auth)]}, body

    return rewrite_requests(create_app(config), rewrite)


def wrong_content_type(config: MockConfig) -> App:
    """JSON answers are labelled `text/plain`."""

    def rewrite(
        scope: Scope, code: int, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        swapped = [
            (
                k,
                b"text/plain; charset=utf-8"
                if k.lower() == b"content-type" and v.startswith(b"application/json")
                else v,
            )
            for k, v in headers
        ]
        return code, swapped, body

    return rewrite_responses(create_app(config), rewrite)


def msg_missing_in_400(config: MockConfig) -> App:
    """The 400 task-layer envelope lacks `msg`."""
    drop = _json_rewrite(CREATE, 400, lambda body: {k: v for k, v in body.items() if k != "msg"})
    return rewrite_responses(create_app(config), drop)


def server_error_on_valid(config: MockConfig) -> App:
    """A valid createTask is answered 500 (after the task was stored)."""

    def rewrite(
        scope: Scope, code: int, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        if scope["path"] == CREATE and code == 200:
            return 500, headers, b'{"code":500,"msg":"upstream task error","data":null}'
        return code, headers, body

    return rewrite_responses(create_app(config), rewrite)


def fail_code_on_success(config: MockConfig) -> App:
    """A successful record carries a non-empty `failCode`."""

    def edit(data: dict[str, Any]) -> None:
        if data.get("state") == "success":
            data["failCode"] = "0"

    return rewrite_responses(create_app(config), _json_rewrite(RECORD, 200, _edit_record(edit)))


def terminal_regresses(config: MockConfig) -> App:
    """Every second read of a finished task shows it `generating` again."""
    reads: dict[str, int] = {}

    def edit(data: dict[str, Any]) -> None:
        if data.get("state") in ("success", "fail"):
            task = str(data.get("taskId"))
            reads[task] = reads.get(task, 0) + 1
            if reads[task] % 2 == 0:
                data.update(state="generating", resultJson="", failCode="", failMsg="")

    return rewrite_responses(create_app(config), _json_rewrite(RECORD, 200, _edit_record(edit)))


def wrong_key(config: MockConfig) -> App:
    """Not a broken behaviour: the service does not know the suite's key (every answer 401).
    Not in `MUTANTS`: a run on it must end "could not run" (exit 3), not "not conformant"
    (`test_cli.test_a_key_refused_on_every_request_is_said_at_the_end`); under pytest, the
    schemathesis run alone still goes red on it (positive data expects 2xx)."""
    return create_app(replace(config, api_keys={"sk-someone-else-0000": None}))


class _Relay:
    """A loopback HTTP relay that reshapes callback payloads before forwarding them."""

    def __init__(self, reshape: Callable[[Any], Any]) -> None:
        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                payload = reshape(json.loads(self.rfile.read(length)))
                query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
                to = query.get("to", [""])[0]
                status = 200
                if to.startswith("http://127.0.0.1"):
                    request = urllib.request.Request(
                        to, json.dumps(payload).encode(), {"Content-Type": "application/json"}
                    )
                    with urllib.request.urlopen(request, timeout=10) as answer:
                        status = answer.status
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def url_for(self, original: str) -> str:
        port = self.server.server_address[1]
        return f"http://127.0.0.1:{port}/relay?to={urllib.parse.quote(original, safe='')}"


def callback_wrong_shape(config: MockConfig) -> App:
    """Callbacks carry the bare record (no `code`/`msg`/`data` envelope)."""
    relay = _Relay(lambda payload: payload.get("data", payload))

    def rewrite(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        if scope["path"] != CREATE:
            return scope, body
        try:
            data = json.loads(body)
        except ValueError:
            return scope, body
        url = data.get("callBackUrl") if isinstance(data, dict) else None
        if not isinstance(url, str) or not url.startswith("http://127.0.0.1"):
            return scope, body
        try:  # only valid requests: the mutant must not change what is rejected
            validate_create_task({**data, "callBackUrl": "https://" + url.removeprefix("http://")})
        except ContractViolation:
            return scope, body
        data["callBackUrl"] = relay.url_for(url)
        return scope, json.dumps(data).encode()

    return rewrite_requests(create_app(replace(config, allow_http_callbacks=True)), rewrite)


# ------------------------------------------- faithful variants: only guesses contradicted


def strict_mock(config: MockConfig) -> App:
    """The mock with `--strict`: it also refuses bodies that break only a guess (consistent with
    every guess, so no `guess.accepted` finding)."""
    return create_app(replace(config, strict=True))


def contradicts_guesses(config: MockConfig) -> App:
    """Faithful to every documented fact, wrong about our guesses: it refuses every model the
    contract only guesses (400) and reports `createTime` (an inferred field) as a string."""

    def refuse(
        scope: Scope, code: int, headers: Headers, body: bytes
    ) -> tuple[int, Headers, bytes]:
        if scope["path"] == RECORD and code == 200:
            data = json.loads(body)
            record = data.get("data")
            # Not for tasks with a callback: their callback must equal the record.
            if isinstance(record, dict) and "callBackUrl" not in str(record.get("param")):
                record["createTime"] = "2026-05-01T00:00:00Z"
            return code, headers, json.dumps(data).encode()
        return code, headers, body

    def guard(scope: Scope, body: bytes) -> tuple[Scope, bytes]:
        if scope["path"] != CREATE:
            return scope, body
        try:
            model = json.loads(body).get("model")
        except (ValueError, AttributeError):
            return scope, body
        if isinstance(model, str) and guessed_model(model):
            # An unknown model name: the mock answers the documented 400 "unsupported model".
            return scope, json.dumps({"model": f"{model}-refused", "input": {}}).encode()
        return scope, body

    return rewrite_responses(rewrite_requests(create_app(config), guard), refuse)


@dataclass(frozen=True)
class Variant:
    """A service that keeps every documented fact: the suite must stay green, and the guess
    log must hold `refuted` kinds (and none of `not_refuted`)."""

    refuted: tuple[str, ...] = ()
    not_refuted: tuple[str, ...] = ()
    #: Texts that some refuted guess must contain.
    guesses: tuple[str, ...] = ()
    #: The tests to run (a pytest `-k` expression; None: all).
    select: str | None = None


VARIANTS: dict[str, Variant] = {
    # The real mock (non-strict) accepts the probe imagen4-fast seed 0: conformant, refuted.
    "mock": Variant(refuted=("guess.accepted",), guesses=("imagen4-fast: input.seed (minimum)",)),
    "strict_mock": Variant(
        not_refuted=("guess.accepted",), select="test_operations or test_guesses"
    ),
    "contradicts_guesses": Variant(
        refuted=("guess.refused", "guess.response"),
        select="test_operations or test_docs_requests or test_client_contract",
    ),
}


@dataclass(frozen=True)
class Mutant:
    """A mutant's expectations: a failing run names at least one of `rules`.

    `select` narrows the run to the tests meant to catch it (a pytest `-k` expression).
    """

    rules: tuple[str, ...]
    select: str | None = None


SCHEMA = "schemathesis.response_schema_conformance"
MUTANTS: dict[str, Mutant] = {
    "wrong_401_envelope": Mutant((SCHEMA, "liangxin.docs.error-example")),
    "accepts_invalid_aspect_ratio": Mutant(
        ("liangxin.docs.status-400", "schemathesis.negative_data_rejection")
    ),
    "task_id_missing": Mutant((SCHEMA, "liangxin.create.schema")),
    "undocumented_state": Mutant((SCHEMA, "liangxin.record.schema")),
    "result_json_not_json": Mutant(("liangxin.record.result-json",)),
    "no_auth_check": Mutant(("schemathesis.ignored_auth", "liangxin.docs.error-example")),
    "wrong_content_type": Mutant(
        ("schemathesis.content_type_conformance", "liangxin.http.content-type")
    ),
    "callback_wrong_shape": Mutant(("liangxin.callback.schema",)),
    "msg_missing_in_400": Mutant(
        (SCHEMA, "liangxin.docs.error-example", "liangxin.error.envelope")
    ),
    "server_error_on_valid": Mutant(
        ("schemathesis.not_a_server_error", "schemathesis.positive_data_acceptance")
    ),
    "fail_code_on_success": Mutant(("liangxin.record.fail-fields",)),
    "terminal_regresses": Mutant(("liangxin.lifecycle.order",)),
}
