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
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager, suppress
from typing import Any, Protocol

import liangxin_contract
from liangxin_client._errors import (
    CallbackTooLargeError,
    CallbackVerificationError,
    InvalidCallbackError,
    LiangXinError,
    NotFoundError,
)
from liangxin_client._polling import PollSchedule
from liangxin_client._records import TaskRecord, record_from_data
from liangxin_client._serving import (
    DEFAULT_HEADER_TIMEOUT,
    DEFAULT_MAX_CONNECTIONS,
    guarded_config,
)
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT, AsyncTasks, OnUpdate, Tasks

__all__ = [
    "DEFAULT_CALLBACK_BODY_TIMEOUT",
    "DEFAULT_CALLBACK_POLL_INTERVAL",
    "DEFAULT_HEADER_TIMEOUT",
    "DEFAULT_MAX_CALLBACK_BYTES",
    "DEFAULT_MAX_CALLBACK_READS",
    "DEFAULT_MAX_CONNECTIONS",
    "DEFAULT_MAX_STORED_CALLBACK_BYTES",
    "DEFAULT_MIN_WAKE_INTERVAL",
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
#: Callbacks make a waiting task poll at once — at most once per this many seconds per wait (a
#: wake inside the interval is deferred to its end, not dropped), so a flood of forged callbacks
#: cannot turn into a flood of recordInfo calls.
DEFAULT_MIN_WAKE_INTERVAL = 1.0
#: The receiver keeps at most this many bytes of callback bodies (and 10,000 records).
DEFAULT_MAX_STORED_CALLBACK_BYTES = 32 * 1024 * 1024
#: Seconds a callback body may take to arrive in full (then 408, and the connection closes).
DEFAULT_CALLBACK_BODY_TIMEOUT = 10.0
#: Bodies read at the same time; more get 503 at once, so slow senders cannot pile up.
DEFAULT_MAX_CALLBACK_READS = 64
_KEEP_RECORDS = 10_000

# The ASGI types, spelled as Starlette and uvicorn spell them.
ASGIScope = MutableMapping[str, Any]
ASGIMessage = MutableMapping[str, Any]
ASGIReceive = Callable[[], Awaitable[ASGIMessage]]
ASGISend = Callable[[ASGIMessage], Awaitable[None]]


class SyncClient(Protocol):
    """What the callback helpers need of a `LiangXin`: its `tasks`."""

    @property
    def tasks(self) -> Tasks: ...


class AsyncClient(Protocol):
    """What the callback helpers need of an `AsyncLiangXin`: its `tasks`."""

    @property
    def tasks(self) -> AsyncTasks: ...


# -- parsing ------------------------------------------------------------------------------------


def _payload_validator() -> Any:
    return liangxin_contract.schema_validator("CallbackPayload")


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
        payload = liangxin_contract.parse_json(raw)
    except RecursionError:
        raise InvalidCallbackError("callback body is nested too deeply") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidCallbackError(f"callback body is not JSON ({exc})") from None
    try:
        error = next(iter(_payload_validator().iter_errors(payload)), None)
    except (ValueError, RecursionError) as exc:  # nested past the validator's limit; bad text
        raise InvalidCallbackError(f"callback body cannot be validated ({exc})") from None
    if error is not None:
        where = _path(list(error.instance_path)) or "body"
        raise InvalidCallbackError(f"callback {where}: {_shorten(error.message)}")
    try:
        return record_from_data(payload["data"])
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise InvalidCallbackError(f"callback data is unreadable ({_shorten(str(exc))})") from None


def _shorten(text: str, limit: int = 300) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text):,} characters)"


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


def verify_callback(record: TaskRecord, client: SyncClient) -> TaskRecord:
    """Re-read the task from recordInfo; return that record if the callback matches it.

    Raises `CallbackVerificationError` when taskId, model, state or result URLs differ (or the
    task does not exist); API errors (e.g. a connection error) propagate unchanged.
    """
    try:
        actual = client.tasks.get(record.task_id)
    except NotFoundError as exc:
        raise _unknown_task(record, exc) from exc
    return _compare(record, actual)


async def async_verify_callback(record: TaskRecord, client: AsyncClient) -> TaskRecord:
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
    so the sender retries; the verified record is the one stored), stored, and wakes every
    `wait_for_task` waiting for that task; it is answered `200 {"ok": true}`. `on_record(record)`
    runs for each accepted callback (keep it quick). Use `accept(body)` from frameworks that are
    not ASGI.

    Bounded against a flood of forged or slow callbacks: the last 10,000 records and at most
    `max_stored_bytes` of their bodies are kept (oldest dropped first); a body must arrive within
    `body_timeout` seconds (else 408 and the connection closes), and at most `max_reads` bodies
    are read at a time (others get 503 at once, closing the connection). Serve it with
    `uvicorn_config()`, which also bounds the connections that never finish their headers.
    """

    def __init__(
        self,
        *,
        client: SyncClient | AsyncClient | None = None,
        max_bytes: int = DEFAULT_MAX_CALLBACK_BYTES,
        on_record: Callable[[TaskRecord], object] | None = None,
        max_stored_bytes: int = DEFAULT_MAX_STORED_CALLBACK_BYTES,
        body_timeout: float = DEFAULT_CALLBACK_BODY_TIMEOUT,
        max_reads: int = DEFAULT_MAX_CALLBACK_READS,
    ) -> None:
        self.client = client
        self.max_bytes = max_bytes
        self.on_record = on_record
        self.max_stored_bytes = max_stored_bytes
        self.body_timeout = body_timeout
        self.max_reads = max_reads
        self._records: OrderedDict[str, TaskRecord] = OrderedDict()
        self._sizes: dict[str, int] = {}
        self._stored_bytes = 0
        self._reading = 0
        self._waiters: dict[str, list[Callable[[], None]]] = {}
        self._lock = threading.Lock()

    # -- storage and wake-ups ------------------------------------------------------------------

    def get(self, task_id: str) -> TaskRecord | None:
        """The last callback received for `task_id`, if any."""
        with self._lock:
            return self._records.get(task_id)

    @property
    def stored_bytes(self) -> int:
        """The size of the callback bodies kept now (as received, or re-encoded for `store`)."""
        with self._lock:
            return self._stored_bytes

    def store(self, record: TaskRecord, *, size: int | None = None) -> None:
        """Keep `record` and wake whoever waits for its task.

        `size` is its body's length in bytes (measured from `record.raw` when not given); the
        oldest records are dropped while more than 10,000 or `max_stored_bytes` are kept (the
        newest always stays).
        """
        if size is None:
            size = len(
                json.dumps(record.raw, ensure_ascii=False, default=str).encode(errors="replace")
            )
        task_id = record.task_id
        with self._lock:
            self._stored_bytes += size - self._sizes.get(task_id, 0)
            self._records[task_id], self._sizes[task_id] = record, size
            self._records.move_to_end(task_id)
            while len(self._records) > 1 and (
                len(self._records) > _KEEP_RECORDS or self._stored_bytes > self.max_stored_bytes
            ):
                dropped, _ = self._records.popitem(last=False)
                self._stored_bytes -= self._sizes.pop(dropped)
            wakers = list(self._waiters.get(task_id, ()))
        for wake in wakers:
            wake()
        if self.on_record is not None:
            self.on_record(record)

    def accept(self, body: bytes | str) -> TaskRecord:
        """Parse and store one callback body (no verification); raises `InvalidCallbackError`."""
        record = parse_callback(body, max_bytes=self.max_bytes)
        self.store(record, size=len(body.encode() if isinstance(body, str) else body))
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

    def uvicorn_config(
        self,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        header_timeout: float = DEFAULT_HEADER_TIMEOUT,
        max_connections: int = DEFAULT_MAX_CONNECTIONS,
        **options: Any,
    ) -> Any:
        """A `uvicorn.Config` that serves this receiver on `host:port` (needs uvicorn).

        uvicorn never times out a connection stalled in its request headers; this one closes
        it after `header_timeout` seconds, and with `max_connections` open closes the one that
        has waited longest without a request (a genuine sender's headers arrive at once, so
        genuine callbacks keep being answered under a flood). What it closes is logged at most
        once per 10 s, and so are uvicorn's own warnings. `options` go to `uvicorn.Config`
        (e.g. `ssl_certfile`); leave `limit_concurrency` unset: it counts the stalled
        connections and answers genuine callbacks 503.
        """
        return guarded_config(
            self,
            host,
            port,
            header_timeout=header_timeout,
            max_connections=max_connections,
            **options,
        )

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
        body = await self._read(scope, receive, send)
        if body is None:
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
        self.store(record, size=len(body))
        await _respond(send, 200, {"ok": True})

    async def _read(self, scope: ASGIScope, receive: ASGIReceive, send: ASGISend) -> bytes | None:
        """The body; or None once it has been answered (413 too large, 408 too slow, 503 when
        `max_reads` bodies are being read already)."""
        with self._lock:
            busy = self._reading >= self.max_reads
            if not busy:
                self._reading += 1
        if busy:
            await _respond(send, 503, {"error": "too many callbacks at once"}, _RETRY_AND_CLOSE)
            return None
        try:
            async with asyncio.timeout(self.body_timeout):
                body = await _read_body(scope, receive, self.max_bytes)
        except TimeoutError:
            await _respond(send, 408, {"error": "body not received in time"}, _CLOSE)
            return None
        finally:
            with self._lock:
                self._reading -= 1
        if body is None:
            await _respond(send, 413, {"error": f"body larger than {self.max_bytes} bytes"})
        return body

    async def _verify(self, record: TaskRecord) -> TaskRecord:
        client = self.client
        assert client is not None
        if isinstance(client.tasks, AsyncTasks):
            return await async_verify_callback(record, client)
        return await asyncio.to_thread(verify_callback, record, client)


_CLOSE = [(b"connection", b"close")]
_RETRY_AND_CLOSE = [(b"retry-after", b"1"), *_CLOSE]


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


class _Throttled:
    """Calls `wake` at most once per `interval` seconds. A call inside the interval is deferred
    to its end, never dropped: the genuine callback may come right after a forged one."""

    def __init__(self, wake: Callable[[], None], interval: float) -> None:
        self._wake = wake
        self._interval = interval
        self._last = -math.inf
        self._timer: threading.Timer | None = None
        self._lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            if self._timer is not None:
                return  # one deferred wake is pending already
            due = self._last + self._interval - time.monotonic()
            if due > 0:
                self._timer = threading.Timer(due, self._deferred)
                self._timer.daemon = True
                self._timer.start()
                return
            self._last = time.monotonic()
        self._wake()

    def _deferred(self) -> None:
        with self._lock:
            self._timer = None
            self._last = time.monotonic()
        self._wake()

    def cancel(self) -> None:
        with self._lock:
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None


def wait_for_task(
    client: SyncClient,
    task_id: str,
    *,
    callbacks: CallbackReceiver,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    poll_interval: float = DEFAULT_CALLBACK_POLL_INTERVAL,
    on_update: OnUpdate | None = None,
    min_wake_interval: float = DEFAULT_MIN_WAKE_INTERVAL,
) -> TaskRecord:
    """`client.tasks.wait`, but a callback for the task makes it poll at once (at most once per
    `min_wake_interval` seconds; one arriving sooner makes it poll when the interval ends).

    Polling every `poll_interval` seconds stays the fallback for lost callbacks. The returned
    record always comes from recordInfo, never from the callback itself, so a forged callback
    cannot end the wait. Raises what `tasks.wait` raises.
    """
    waker = threading.Event()
    with _woken_by(callbacks, task_id, waker.set, min_wake_interval):
        options = _wait_options(timeout, poll_interval, on_update)
        return client.tasks.wait(task_id, wake=waker, **options)


async def async_wait_for_task(
    client: AsyncClient,
    task_id: str,
    *,
    callbacks: CallbackReceiver,
    on_update: OnUpdate | None = None,
    timeout: float | None = DEFAULT_WAIT_TIMEOUT,
    min_wake_interval: float = DEFAULT_MIN_WAKE_INTERVAL,
    poll_interval: float = DEFAULT_CALLBACK_POLL_INTERVAL,
) -> TaskRecord:
    """`wait_for_task` for `AsyncLiangXin` (the receiver may run on another thread or loop)."""
    loop = asyncio.get_running_loop()
    waker = asyncio.Event()

    def wake() -> None:
        with suppress(RuntimeError):  # the waiting loop may be gone already
            loop.call_soon_threadsafe(waker.set)

    with _woken_by(callbacks, task_id, wake, min_wake_interval):
        options = _wait_options(timeout, poll_interval, on_update)
        return await client.tasks.wait(task_id, wake=waker, **options)


@contextmanager
def _woken_by(
    callbacks: CallbackReceiver, task_id: str, wake: Callable[[], None], interval: float
) -> Iterator[None]:
    """While the block runs, each callback for `task_id` calls `wake` (at most once per
    `interval` seconds)."""
    throttled = _Throttled(wake, interval)
    unsubscribe = callbacks._subscribe(task_id, throttled)
    try:
        yield
    finally:
        unsubscribe()
        throttled.cancel()


def _wait_options(
    timeout: float | None, poll_interval: float, on_update: OnUpdate | None
) -> dict[str, Any]:
    return {"timeout": timeout, "on_update": on_update, "schedule": _schedule(poll_interval)}
