"""Request plumbing: what every route stands on, and nothing any one route decides.

This module owns the app's state (`MockState`, one per app: config, store, fault plan, callback
sender, the log of accepted guesses), the Starlette subclass that keeps the connection's
transport so a fault can drop it and that logs an unhandled error once (`MockApp`), reading the
caller's key, reading a body within its size and time limits and parsing it as strict JSON, the
gateway faults that replace an answer (`fault_response`), routes that answer 405 with `Allow`
(`route`), and the error handlers that put Starlette's own errors into the task envelope. The
contract's operations live in `routes`, the `/__mock__/` endpoints in `introspection`; `app`
assembles them.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

import liangxin_contract
from liangxin_contract import Verdict
from liangxin_mock import responses
from liangxin_mock.callbacks import CallbackSender
from liangxin_mock.config import MockConfig
from liangxin_mock.faults import HTML_PAGE, FaultPlan
from liangxin_mock.lifecycle import now_ms, record
from liangxin_mock.store import Store

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

    async def close_sender(self) -> None:
        """Cancel the callback deliveries still in flight (a later one starts a new sender)."""
        if self._sender is not None:
            await self._sender.aclose()
            self._sender = None

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

    An unhandled error is answered with the task envelope's 500 (by `server_error`) and logged
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


def mock_state(request: Request) -> MockState:
    """The state of the app that received `request`."""
    state: MockState = request.app.state.mock
    return state


def api_key(request: Request, keys: dict[str, int | None]) -> str | None:
    """The key from `Authorization: Bearer KEY` (or a bare key, as new-api accepts)."""
    value = request.headers.get("authorization", "").strip()
    if value[:7].lower() == "bearer ":
        value = value[7:].strip()
    return value if value in keys else None


async def fault_response(
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
        await read_body(request, state.config)
        return kind, DropConnection()
    return kind, None


async def read_body(request: Request, config: MockConfig) -> bytes | Response:
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


def parse_body(raw: bytes) -> tuple[Any, str] | str:
    """The body and its compact JSON text (stored as `param`), or why it is not acceptable."""
    try:
        body = liangxin_contract.parse_json(raw)
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


def is_json_media_type(value: str | None) -> bool:
    """The contract declares only a JSON body: `application/json` or a `+json` type."""
    media = (value or "").split(";", 1)[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def route(path: str, handlers: dict[str, Handler]) -> Route:
    """A route answering the given methods and 405 (with `Allow`) for any other."""
    allow = sorted(handlers)

    async def endpoint(request: Request) -> Response:
        handler = handlers.get(request.method)
        if handler is None:
            return responses.method_not_allowed(allow)
        return await handler(request)

    answering = Route(path, endpoint)
    answering.methods = None  # every method reaches `endpoint`, which answers 405 itself
    return answering


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own HTTP errors (an unknown path: 404) in the task envelope."""
    assert isinstance(exc, HTTPException)
    msg = "not found" if exc.status_code == 404 else str(exc.detail).lower()
    return responses.task_error(exc.status_code, msg, headers=dict(exc.headers or {}))


async def server_error(request: Request, exc: Exception) -> Response:
    """Any unhandled error: the task envelope's 500 (`MockApp` logs it)."""
    return responses.task_error(500, "internal mock error")
