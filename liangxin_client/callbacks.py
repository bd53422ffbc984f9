"""Task callbacks: parse and verify the body LiangXin POSTs to `callBackUrl`, receive it in any
ASGI app, and wait for a task on whichever comes first — its callback or a (slow) poll.

A callback carries no signature, so anyone who knows the URL can POST one. Treat its content as a
hint: `verify_callback` re-reads the task from recordInfo, and the hybrid wait only uses a
callback to poll at once, so a forged one costs a single extra poll.
"""

from __future__ import annotations

import asyncio
import json
import math
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from contextlib import suppress
from typing import Any

import liangxin_contract
from liangxin_client._client import AsyncLiangXin, LiangXin
from liangxin_client._errors import (
    CallbackTooLargeError,
    CallbackVerificationError,
    InvalidCallbackError,
    LiangXinError,
    NotFoundError,
)
from liangxin_client._polling import PollSchedule
from liangxin_client._records import TaskRecord, record_from_data
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT, OnUpdate

__all__ = [
    "DEFAULT_CALLBACK_POLL_INTERVAL",
    "DEFAULT_MAX_CALLBACK_BYTES",
    "CallbackReceiver",
    "CallbackTooLargeError",
    "CallbackVerificationError",
    "InvalidCallbackError",
    "async_verify_callback",
    "async_wait_for_task",
    "parse_callback",
    "verify_callback",
    "wait_for_task",
]

DEFAULT_MAX_CALLBACK_BYTES = 1024 * 1024
#: Seconds between polls while a callback is expected (polling is only the fallback then).
DEFAULT_CALLBACK_POLL_INTERVAL = 30.0
_KEEP_RECORDS = 10_000

# The ASGI types, spelled as Starlette and uvicorn spell them.
ASGIScope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
ASGISend = Callable[[ASGIMessage], Awaitable[None]]


# -- parsing ------------------------------------------------------------------------------------


def _payload_validator() -> Any:
    return liangxin_contract.schema_validator("CallbackPayload")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def _path(parts: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in parts).lstrip(".")


def parse_callback(body: bytes | str, *, max_bytes: int = DEFAULT_MAX_CALLBACK_BYTES) -> TaskRecord:
    """A callback body → TaskRecord, checked against the contract's `CallbackPayload`.

    Raises `CallbackTooLargeError` above `max_bytes`, `InvalidCallbackError` for anything that is
    not a well-formed payload. The record is unverified: see `verify_callback`.
    """
    raw = body.encode() if isinstance(body, str) else bytes(body)
    if len(raw) > max_bytes:
        raise CallbackTooLargeError(f"callback body is {len(raw)} bytes; the limit is {max_bytes}")
    try:
        payload = json.loads(
            raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite
        )
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidCallbackError(f"callback body is not JSON ({exc})") from None
    error = next(iter(_payload_validator().iter_errors(payload)), None)
    if error is not None:
        where = _path(list(error.instance_path)) or "body"
        raise InvalidCallbackError(f"callback {where}: {error.message}")
    try:
        return record_from_data(payload["data"])
    except (KeyError, TypeError, ValueError) as exc:
        raise InvalidCallbackError(f"callback data is unreadable ({exc})") from None


# -- verification -------------------------------------------------------------------------------


def _compare(callback: TaskRecord, actual: TaskRecord) -> TaskRecord:
    checks = (
        ("taskId", callback.task_id, actual.task_id),
        ("model", callback.model, actual.model),
        ("state", callback.raw_state, actual.raw_state),
        ("resultUrls", list(callback.result_urls), list(actual.result_urls)),
    )
    for field, claimed, real in checks:
        if claimed != real:
            raise CallbackVerificationError(
                f"callback for task {callback.task_id} does not match recordInfo: "
                f"{field} is {claimed!r} in the callback but {real!r} on the service",
                field=field,
                callback=callback,
                actual=actual,
            )
    return actual


def _unknown_task(callback: TaskRecord, exc: NotFoundError) -> CallbackVerificationError:
    return CallbackVerificationError(
        f"callback names task {callback.task_id!r}, which the service does not know ({exc})",
        field="taskId",
        callback=callback,
        actual=None,
    )


def verify_callback(record: TaskRecord, client: LiangXin) -> TaskRecord:
    """Re-read the task from recordInfo; return that record if the callback matches it.

    Raises `CallbackVerificationError` when taskId, model, state or result URLs differ (or the
    task does not exist); API errors (e.g. a connection error) propagate unchanged.
    """
    try:
        actual = client.tasks.get(record.task_id)
    except NotFoundError as exc:
        raise _unknown_task(record, exc) from exc
    return _compare(record, actual)


async def async_verify_callback(record: TaskRecord, client: AsyncLiangXin) -> TaskRecord:
    """`verify_callback` for `AsyncLiangXin`."""
    try:
        actual = await client.tasks.get(record.task_id)
    except NotFoundError as exc:
        raise _unknown_task(record, exc) from exc
    return _compare(record, actual)


# -- the receiver -------------------------------------------------------------------------------


class CallbackReceiver:
    """A pure-ASGI app that accepts LiangXin callbacks: route your `callBackUrl`'s path to it.

    Each POST is size-checked (413), parsed and schema-checked (400), optionally verified against
    recordInfo with `client` (400 when it does not match, 503 when the service cannot be reached,
    so the sender retries; the verified record is the one stored), stored, and wakes every `wait_for_task` waiting for that task; it is
    answered `200 {"ok": true}`. `on_record(record)` runs for each accepted callback (keep it
    quick). Use `accept(body)` from frameworks that are not ASGI.
    """

    def __init__(
        self,
        *,
        client: LiangXin | AsyncLiangXin | None = None,
        max_bytes: int = DEFAULT_MAX_CALLBACK_BYTES,
        on_record: Callable[[TaskRecord], object] | None = None,
    ) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.on_record = on_record
        self._records: OrderedDict[str, TaskRecord] = OrderedDict()
        self._waiters: dict[str, list[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    # -- storage and wake-ups ------------------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord | None:
        """The last callback received for `task_id`, if any."""
        with self._lock:
            return self._records.get(task_id)

    def store(self, record: TaskRecord) -> None:
        """Keep `record` and wake whoever waits for its task."""
        with self._lock:
            self._records[record.task_id] = record
            self._records.move_to_end(record.task_id)
            while len(self._records) > _KEEP_RECORDS:
                self._records.popitem(last=False)
            wakers = list(self._waiters.get(record.task_id, ()))
        for wake in wakers:
            wake()
        if self.on_record is not None:
            self.on_record(record)

    def accept(self, body: bytes | str) -> TaskRecord:
        """Parse and store one callback body (no verification); raises `InvalidCallbackError`."""
        record = parse_callback(body, max_bytes=self.max_bytes)
        self.store(record)
        return record

    def _subscribe(self, task_id: str, wake: Callable[[], None]) -> Callable[[], None]:
        """Call `wake` on each callback for `task_id` (at once if one is already here)."""
        with self._lock:
            self._waiters.setdefault(task_id, []).append(wake)
            already = task_id in self._records
        if already:
            wake()

        def unsubscribe() -> None:
            with self._lock:
                waiting = self._waiters.get(task_id, [])
                if wake in waiting:
                    waiting.remove(wake)
                if not waiting:
                    self._waiters.pop(task_id, None)

        return unsubscribe

    # -- ASGI ----------------------------------------------------------------------------------

    async def __call__(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> None:
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        if scope["method"] != "POST":
            await _respond(send, 405, {"error": "callbacks are POSTed"}, [(b"allow", b"POST")])
            return
        body = await _read_body(scope, receive, self.max_bytes)
        if body is None:
            await _respond(send, 413, {"error": f"body larger than {self.max_bytes} bytes"})
            return
        try:
            record = parse_callback(body, max_bytes=self.max_bytes)
        except InvalidCallbackError as exc:
            await _respond(send, 400, {"error": str(exc)})
            return
        if self.client is not None:
            try:
                record = await self._verify(record)
            except CallbackVerificationError as exc:
                await _respond(send, 400, {"error": str(exc)})
                return
            except LiangXinError as exc:
                await _respond(send, 503, {"error": f"cannot verify yet: {exc}"})
                return
        self.store(record)
        await _respond(send, 200, {"ok": True})

    async def _verify(self, record: TaskRecord) -> TaskRecord:
        client = self.client
        if isinstance(client, AsyncLiangXin):
            return await async_verify_callback(record, client)
        assert client is not None
        return await asyncio.to_thread(verify_callback, record, client)


async def _lifespan(receive: ASGIReceive, send: ASGISend) -> None:
    """Answer lifespan events, so the receiver can also run on its own under uvicorn."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


async def _read_body(scope: ASGIScope, receive: ASGIReceive, limit: int) -> bytes | None:
    """The request body, or None once it exceeds `limit` (declared or streamed)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length" and value.isdigit() and int(value) > limit:
            return None
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"".join(chunks)
        chunk: bytes = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _respond(
    send: ASGISend,
    status: int,
    payload: dict[str, Any],
    headers: list[tuple[bytes, bytes]] | None = None,
) -> None:
    body = json.dumps(payload).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *(headers or []),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


# -- the hybrid wait ----------------------------------------------------------------------------


def _schedule(poll_interval: float) -> PollSchedule:
    return PollSchedule(
        initial=poll_interval, factor=1.0, cap=poll_interval, jitter=0.1, learn=False
    )


def wait_for_task(
    client: LiangXin,
    task_id: str,
    *,
    callbacks: CallbackReceiver,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float = DEFAULT_CALLBACK_POLL_INTERVAL,
    on_update: OnUpdate | None = None,
) -> TaskRecord:
    """`client.tasks.wait`, but a callback for the task makes it poll at once.

    Polling every `poll_interval` seconds stays the fallback for lost callbacks. The returned
    record always comes from recordInfo, never from the callback itself, so a forged callback
    cannot end the wait. Raises what `tasks.wait` raises.
    """
    waker = threading.Event()
    unsubscribe = callbacks._subscribe(task_id, waker.set)
    try:
        return client.tasks.wait(
            task_id,
            timeout=timeout,
            on_update=on_update,
            wake=waker,
            schedule=_schedule(poll_interval),
        )
    finally:
        unsubscribe()


async def async_wait_for_task(
    client: AsyncLiangXin,
    task_id: str,
    *,
    callbacks: CallbackReceiver,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float = DEFAULT_CALLBACK_POLL_INTERVAL,
    on_update: OnUpdate | None = None,
) -> TaskRecord:
    """`wait_for_task` for `AsyncLiangXin` (the receiver may run on another thread or loop)."""
    loop = asyncio.get_running_loop()
    waker = asyncio.Event()

    def wake() -> None:
        with suppress(RuntimeError):  # the waiting loop may be gone already
            loop.call_soon_threadsafe(waker.set)

    unsubscribe = callbacks._subscribe(task_id, wake)
    try:
        return await client.tasks.wait(
            task_id,
            timeout=timeout,
            on_update=on_update,
            wake=waker,
            schedule=_schedule(poll_interval),
        )
    finally:
        unsubscribe()
