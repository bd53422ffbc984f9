"""The Starlette application: the two contract operations, result files and `/__mock__/`."""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import logging
import math
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from liangxin_contract import (
    ContractViolation,
    Verdict,
    load_spec,
    spec_bytes,
    validate_create_task,
)
from liangxin_mock import responses
from liangxin_mock.callbacks import CallbackSender
from liangxin_mock.config import MockConfig
from liangxin_mock.faults import FAULT_KINDS, HTML_PAGE, FaultPlan
from liangxin_mock.images import render_for
from liangxin_mock.lifecycle import (
    TERMINAL,
    file_token,
    now_ms,
    parse_fail_header,
    planned_failure,
    progress,
    record,
)
from liangxin_mock.store import NewTask, Store, TaskRow

#: How often the background loop looks for callbacks that are due, in seconds.
TICK_SECONDS = 0.05
_TRANSPORT = "liangxin_mock.transport"
_log = logging.getLogger("liangxin_mock")

Handler = Callable[[Request], Awaitable[Response]]


@dataclass
class MockState:
    """Everything one app instance owns."""

    config: MockConfig
    store: Store
    faults: FaultPlan
    _sender: CallbackSender | None = None
    #: Requests accepted although they break an inferred rule (what --strict would refuse).
    guesses: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=100))
    guess_count: int = 0

    def note_guesses(self, task_id: str, verdict: Verdict) -> None:
        for violation in verdict.inferred:
            self.guess_count += 1
            self.guesses.append(
                {"taskId": task_id, "field": violation.field, "message": violation.message}
            )

    def sender(self) -> CallbackSender:
        if self._sender is None:
            self._sender = CallbackSender(self.config, self.store)
        return self._sender

    def base_url(self, request: Request) -> str:
        return (self.config.public_base_url or str(request.base_url)).rstrip("/")

    def fire_due_callbacks(self) -> None:
        """Start delivering every callback whose task has reached its terminal state."""
        at = now_ms()
        for row in self.store.claim_due_callbacks(at):
            base = self.config.public_base_url or row.base_url
            payload = {"code": 200, "msg": "success", "data": record(row, at, base)}
            self.sender().send(row.task_id, row.callback_url or "", payload)


class MockApp(Starlette):
    """Starlette that remembers the connection's transport so a fault can drop it.

    An unhandled error is answered with the task envelope's 500 (by `_server_error`) and logged
    here, once. Starlette re-raises it after answering, and uvicorn then closes the keep-alive
    connection unannounced, so the client's *next* request on it fails — an ambiguous createTask.
    Swallowing it after the answer keeps the connection usable. (A response that broke off
    mid-way is still closed by uvicorn, as it must be.)
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        transport = getattr(getattr(send, "__self__", None), "transport", None)
        if transport is not None:
            scope[_TRANSPORT] = transport
        try:
            await super().__call__(scope, receive, send)
        except Exception:
            _log.exception(
                "liangxin-mock: unhandled error in %s %s", scope["method"], scope["path"]
            )


class DropConnection(Response):
    """Closes the connection without answering (under uvicorn); raises elsewhere."""

    def __init__(self) -> None:
        super().__init__()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        transport = scope.get(_TRANSPORT)
        if transport is None:
            raise ConnectionAbortedError("liangxin-mock fault: connection dropped")
        transport.close()
        await asyncio.sleep(0.05)  # let the server notice the disconnect before we return


def _state(request: Request) -> MockState:
    state: MockState = request.app.state.mock
    return state


def _api_key(request: Request, keys: dict[str, int | None]) -> str | None:
    """The key from `Authorization: Bearer KEY` (or a bare key, as new-api accepts)."""
    value = request.headers.get("authorization", "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value if value in keys else None


async def _fault_response(
    state: MockState, request: Request, operation: str
) -> tuple[str | None, Response | None]:
    """Draw this request's fault; return it and the response that replaces the answer, if any."""
    kind = state.faults.draw(operation)
    if kind == "slow":
        await asyncio.sleep(state.config.fault_slow_seconds)
    elif kind == "server_error":
        return kind, responses.task_error(500, "upstream task error")
    elif kind == "rate_limited":
        return kind, responses.saturated(1)
    elif kind == "html":
        return kind, responses.html(502, HTML_PAGE)
    elif kind == "drop":
        # Read the body first: closing with unread input would reset (RST) instead of close.
        await _read_body(request, state.config)
        return kind, DropConnection()
    return kind, None


async def _read_body(request: Request, config: MockConfig) -> bytes | Response:
    """The body, or the answer instead: 413 above `max_body_bytes` (declared or streamed), 408
    (closing the connection) when it has not all arrived within `body_timeout` seconds."""
    limit = config.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return responses.too_large()
    chunks: list[bytes] = []
    size = 0
    try:
        async with asyncio.timeout(config.body_timeout):
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    return responses.too_large()
                chunks.append(chunk)
    except TimeoutError:
        return responses.task_error(
            408, "request body not received in time", headers={"Connection": "close"}
        )
    return b"".join(chunks)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _parse_json(raw: bytes) -> Any:
    return json.loads(
        raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
    )


def _parse_body(raw: bytes) -> tuple[Any, str] | str:
    """The body and its compact JSON text (stored as `param`), or why it is not acceptable."""
    try:
        body = _parse_json(raw)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    except RecursionError:
        return "request body is nested too deeply"
    except ValueError:
        return "request body must be valid JSON"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # valid JSON, but not text that can be stored or sent back
        return "request body has a lone surrogate escape (e.g. \\ud800): not valid Unicode text"
    return body, text


def _validate(body: Any, config: MockConfig) -> Verdict:
    """Validate against the contract; `allow_http_callbacks` relaxes only callBackUrl's scheme.

    Documented violations are refused; inferred ones are refused only with `strict`.
    """
    url = body.get("callBackUrl") if isinstance(body, dict) else None
    if config.allow_http_callbacks and isinstance(url, str) and url.startswith("http://"):
        body = {**body, "callBackUrl": "https://" + url[len("http://") :]}
    return validate_create_task(body, strict=config.strict)


def _is_json_media_type(value: str | None) -> bool:
    """The contract declares only a JSON body: `application/json` or a `+json` type."""
    media = (value or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def _task_seconds(request: Request, default: float) -> float | None:
    """Duration from `X-Mock-Task-Seconds` (outside the contract), else the default."""
    value = request.headers.get("x-mock-task-seconds")
    if value is None:
        return default
    with suppress(ValueError):
        seconds = float(value)
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


async def create_task(request: Request) -> Response:
    state = _state(request)
    config = state.config
    key = _api_key(request, config.api_keys)
    if key is None:
        return responses.invalid_token()
    fault, replaced = await _fault_response(state, request, "createTask")
    if replaced is not None:
        return replaced
    raw = await _read_body(request, config)
    if isinstance(raw, Response):
        return raw
    if not _is_json_media_type(request.headers.get("content-type")):
        return responses.task_error(400, "Content-Type must be application/json")
    parsed = _parse_body(raw)
    if isinstance(parsed, str):
        return responses.task_error(400, parsed)
    body, param = parsed
    try:
        verdict = _validate(body, config)
    except ContractViolation as violation:
        return responses.task_error(400, violation.message)
    model = verdict.model or ""
    seconds = _task_seconds(request, config.task_seconds)
    if seconds is None:
        return responses.task_error(400, "invalid X-Mock-Task-Seconds header")
    budget = config.api_keys[key]
    if budget is not None and state.store.accepted(key) >= budget:
        return responses.insufficient_quota()
    created = now_ms()
    if config.max_concurrent is not None:
        running, first_done = state.store.running(key, created)
        if running >= config.max_concurrent:
            wait = math.ceil(((first_done or created) - created) / 1000)
            return responses.saturated(max(1, wait))
    forced = request.headers.get("x-mock-fail")

    def outcome(seq: int) -> tuple[str, str] | None:
        if forced is not None:
            return parse_fail_header(forced)
        return planned_failure(config.seed, seq, config.fail_rate)

    url = body.get("callBackUrl") or None
    row = state.store.insert_task(
        NewTask(
            api_key=key,
            model=model,
            param=param,
            create_ms=created,
            duration_ms=round(seconds * 1000),
            callback_url=url if isinstance(url, str) else None,
            base_url=state.base_url(request),
        ),
        outcome,
    )
    state.note_guesses(row.task_id, verdict)
    if fault == "accepted_drop":
        return DropConnection()
    return responses.success({"taskId": row.task_id})


async def record_info(request: Request) -> Response:
    state = _state(request)
    key = _api_key(request, state.config.api_keys)
    if key is None:
        return responses.invalid_token()
    _, replaced = await _fault_response(state, request, "recordInfo")
    if replaced is not None:
        return replaced
    state.store.count_record_info(key)
    task_id = request.query_params.get("taskId", "")
    if not task_id:
        return responses.task_error(400, "taskId is required")
    row = state.store.get_task(task_id)
    if row is None or row.api_key != key:
        return responses.task_error(404, "task not found")
    data = record(row, now_ms(), state.base_url(request))
    if data["state"] in TERMINAL and row.callback_state == "pending":
        state.fire_due_callbacks()  # lazily, without waiting for the background loop
    return responses.success(data)


async def result_file(request: Request) -> Response:
    """`GET /files/<taskId>/<token>/0.png`: the result image, unauthenticated like a CDN URL
    (the token, which only the task's owner learns, is what keeps it private)."""
    state = _state(request)
    task_id, name = request.path_params["task_id"], request.path_params["name"]
    row = state.store.get_task(task_id)
    if name != "0.png" or row is None or progress(row, now_ms()).state != "success":
        return responses.not_found()
    if not hmac.compare_digest(request.path_params["token"], file_token(row)):
        return responses.not_found()
    data = state.store.get_file(task_id, name)
    if data is None:
        data = await run_in_threadpool(render_for, row.model, json.loads(row.param))
        state.store.put_file(task_id, name, data)
    return Response(data, media_type="image/png", headers={"Cache-Control": "max-age=86400"})


async def openapi_json(request: Request) -> Response:
    spec = load_spec()
    spec["servers"] = [{"url": _state(request).base_url(request)}]
    return JSONResponse(spec)


async def openapi_yaml(request: Request) -> Response:
    return Response(spec_bytes(), media_type="application/yaml")


def _introspect_row(row: TaskRow, at: int, base: str) -> dict[str, Any]:
    return {
        **record(row, at, base),
        "apiKey": row.api_key,
        "callBackUrl": row.callback_url,
        "seq": row.seq,
    }


async def mock_tasks(request: Request) -> Response:
    state = _state(request)
    at, base = now_ms(), state.base_url(request)
    return JSONResponse({"tasks": [_introspect_row(r, at, base) for r in state.store.all_tasks()]})


def stats(state: MockState) -> dict[str, Any]:
    """Per-key counters (accepted createTask calls, recordInfo calls, credits left) and faults."""
    counters = state.store.counters()
    keys: dict[str, Any] = {}
    for key in {**state.config.api_keys, **counters}:
        created, polled = counters.get(key, (0, 0))
        budget = state.config.api_keys.get(key)
        keys[key] = {
            "createTask": created,
            "recordInfo": polled,
            "credits": budget,
            "creditsLeft": None if budget is None else max(0, budget - created),
        }
    return {
        "keys": keys,
        "createTask": sum(k["createTask"] for k in keys.values()),
        "recordInfo": sum(k["recordInfo"] for k in keys.values()),
        "faults": {**state.faults.summary(), "log": list(state.faults.log)},
        "inferredViolations": {"count": state.guess_count, "log": list(state.guesses)},
    }


async def mock_stats(request: Request) -> Response:
    return JSONResponse(stats(_state(request)))


async def mock_callbacks(request: Request) -> Response:
    return JSONResponse({"callbacks": _state(request).store.callbacks()})


async def mock_reset(request: Request) -> Response:
    state = _state(request)
    state.store.reset()
    state.faults.reset()
    state.guesses.clear()
    state.guess_count = 0
    return JSONResponse({"reset": True})


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def _host_name(value: str) -> str | None:
    """The host of a `Host` header (`name[:port]`, `[v6]:port`) or of an `Origin` URL, lowercased."""
    try:
        host = urlsplit(value if "//" in value else f"//{value}").hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _is_local_host(host: str | None, trusted: frozenset[str]) -> bool:
    if host is None:
        return False
    if host in _LOOPBACK_NAMES or host in trusted:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _local_only(handler: Handler) -> Handler:
    """`/__mock__/` lists every key's tasks and can wipe them: answer only requests addressed to
    a loopback (or the configured) host — so a DNS-rebinding page cannot read it — from no
    foreign `Origin`, and POSTs only with a JSON body — so a cross-origin form cannot send one."""

    async def guarded(request: Request) -> Response:
        config = _state(request).config
        trusted = frozenset(
            h.lower()
            for h in (*config.trusted_hosts, _host_name(config.public_base_url or ""))
            if h
        )
        if not _is_local_host(_host_name(request.headers.get("host", "")), trusted):
            return responses.task_error(403, "/__mock__/ answers loopback hosts only")
        origin = request.headers.get("origin")
        if origin is not None and not _is_local_host(_host_name(origin), trusted):
            return responses.task_error(403, "/__mock__/ refuses cross-origin requests")
        if request.method == "POST" and not _is_json_media_type(
            request.headers.get("content-type")
        ):
            return responses.task_error(415, "Content-Type must be application/json")
        return await handler(request)

    return guarded


def _route(path: str, handlers: dict[str, Handler]) -> Route:
    """A route answering the given methods and 405 (with `Allow`) for any other."""
    allow = sorted(handlers)

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            return responses.method_not_allowed(allow)
        return await handler(request)

    route = Route(path, endpoint)
    route.methods = None  # every method reaches `endpoint`, which answers 405 itself
    return route


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    msg = "not found" if exc.status_code == 404 else str(exc.detail).lower()
    return responses.task_error(exc.status_code, msg, headers=dict(exc.headers or {}))


async def _server_error(request: Request, exc: Exception) -> Response:
    return responses.task_error(500, "internal mock error")


async def _advance(state: MockState) -> None:
    """Fire callbacks on time even when nobody polls (state itself needs no ticking)."""
    while True:
        state.fire_due_callbacks()
        await asyncio.sleep(TICK_SECONDS)


def create_app(config: MockConfig) -> Starlette:
    """Build the mock for `config` (a random key is added when it has none)."""
    config = config.with_default_key()
    state = MockState(
        config=config,
        store=Store(config.db_path),
        faults=FaultPlan(config.seed, config.fault_rate, config.fault_kinds or FAULT_KINDS),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_advance(state))
        try:
            yield
        finally:
            ticker.cancel()
            with suppress(asyncio.CancelledError):
                await ticker
            if state._sender is not None:
                await state._sender.aclose()
                state._sender = None
            # The store outlives the lifespan: an ASGI host may run it again (schemathesis and
            # TestClient do), and an in-memory database would be lost. Committed writes are
            # durable already; the connection closes with the app.

    routes = [
        _route("/api/v1/jobs/createTask", {"POST": create_task}),
        _route("/api/v1/jobs/recordInfo", {"GET": record_info}),
        _route("/files/{task_id}/{token}/{name}", {"GET": result_file, "HEAD": result_file}),
        _route("/openapi.json", {"GET": openapi_json}),
        _route("/openapi.yaml", {"GET": openapi_yaml}),
        _route("/__mock__/tasks", {"GET": _local_only(mock_tasks)}),
        _route("/__mock__/stats", {"GET": _local_only(mock_stats)}),
        _route("/__mock__/callbacks", {"GET": _local_only(mock_callbacks)}),
        _route("/__mock__/reset", {"POST": _local_only(mock_reset)}),
    ]
    app = MockApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: _http_error, Exception: _server_error},
    )
    app.state.mock = state
    return app
