"""Serving a `CallbackReceiver` under uvicorn with the limits uvicorn lacks.

uvicorn never times out a connection that stalls in its request headers (its keep-alive timer
runs only between requests), and its `limit_concurrency` counts those stalled connections, so a
few hundred of them turn every genuine callback into a 503 — or, past the file-descriptor limit,
into a refused connection. `guarded_config` gives uvicorn a protocol that closes a connection
whose request headers are not complete `header_timeout` seconds after it opened (or after its
last response), and, at `max_connections`, closes the connection that has waited longest
without a request to make room for the new one: a genuine sender sends its headers at once, so
it is never the one closed. What it closes is logged as one summary line per `LOG_EVERY`
seconds, and uvicorn's own per-connection warnings are rate-limited the same way.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import time
from collections import OrderedDict
from typing import Any

logger = logging.getLogger("liangxin_client")

DEFAULT_HEADER_TIMEOUT = 10.0
#: Below the common open-file limit (1,024), leaving room for the process's other files.
DEFAULT_MAX_CONNECTIONS = 512
#: At most one log line per this many seconds for each kind of closed or refused connection.
LOG_EVERY = 10.0


class RateLimitedLog(logging.Filter):
    """At most one record per message template per `every` seconds; the next one that passes
    says how many were held back."""

    def __init__(self, every: float = LOG_EVERY) -> None:
        super().__init__()
        self.every = every
        self._last: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = f"{record.name}:{record.msg}"
        now = time.monotonic()
        if now - self._last.get(key, -self.every) < self.every:
            self._held[key] = self._held.get(key, 0) + 1
            return False
        self._last[key] = now
        held = self._held.pop(key, 0)
        if held:
            record.msg = f"{record.msg} ({held} more like it in the last {self.every:g} s)"
        return True


_UVICORN_FILTER = RateLimitedLog()


class _Guard:
    """The connections of one server: which wait for a request, since when; what was closed."""

    def __init__(self, header_timeout: float, max_connections: int) -> None:
        self.header_timeout = header_timeout
        self.max_connections = max_connections
        self.open: set[Any] = set()
        self.waiting: OrderedDict[Any, None] = OrderedDict()  # oldest first
        self.timed_out = self.evicted = self.refused = 0
        self._logged = time.monotonic()

    def waits(self, protocol: Any) -> None:
        """`protocol` waits for (the rest of) a request's headers from now on."""
        self.waiting[protocol] = None
        self.waiting.move_to_end(protocol)
        if protocol.header_timer is not None:
            protocol.header_timer.cancel()
        protocol.header_timer = protocol.loop.call_later(self.header_timeout, self.expire, protocol)

    def expire(self, protocol: Any) -> None:
        protocol.header_timer = None
        if _waiting(protocol):
            self.timed_out += 1
            protocol.transport.close()
            self.report()

    def opened(self, protocol: Any) -> None:
        self.open.add(protocol)
        if len(self.open) > self.max_connections and not self._evict_one():
            self.refused += 1  # every connection is busy with a request: this one waits its turn
            protocol.transport.close()
            self.report()
            return
        self.waits(protocol)

    def _evict_one(self) -> bool:
        while self.waiting:
            oldest, _ = self.waiting.popitem(last=False)
            if _waiting(oldest) and not oldest.transport.is_closing():
                self.evicted += 1
                oldest.transport.close()
                self.report()
                return True
        return False

    def closed(self, protocol: Any) -> None:
        self.open.discard(protocol)
        self.waiting.pop(protocol, None)
        if protocol.header_timer is not None:
            protocol.header_timer.cancel()
            protocol.header_timer = None

    def report(self) -> None:
        now = time.monotonic()
        if now - self._logged < LOG_EVERY:
            return
        if self.timed_out or self.evicted or self.refused:
            logger.warning(
                "callback receiver: closed %d connections that sent no complete request within "
                "%g s and %d that waited longest when %d were open; refused %d while all were "
                "busy (last %.0f s)",
                self.timed_out,
                self.header_timeout,
                self.evicted,
                self.max_connections,
                self.refused,
                now - self._logged,
            )
        self.timed_out = self.evicted = self.refused = 0
        self._logged = now


def _waiting(protocol: Any) -> bool:
    """True while the connection has no request in progress (none yet, or its last answered)."""
    cycle = protocol.cycle
    return cycle is None or bool(cycle.response_complete)


def _guarded_protocol(base: type[asyncio.Protocol], guard: _Guard) -> type[asyncio.Protocol]:
    class GuardedProtocol(base):  # type: ignore[valid-type,misc]
        header_timer: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            guard.opened(self)

        def connection_lost(self, exc: Exception | None) -> None:
            guard.closed(self)
            super().connection_lost(exc)

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                guard.waits(self)

    GuardedProtocol.__qualname__ = GuardedProtocol.__name__ = f"Guarded{base.__name__}"
    return GuardedProtocol


def _base_protocol(http: Any) -> type[asyncio.Protocol]:
    if not isinstance(http, str):
        raise TypeError("http= must name uvicorn's protocol ('auto', 'h11' or 'httptools')")
    if http == "auto":  # as uvicorn's own "auto": httptools when it is installed
        http = "httptools" if importlib.util.find_spec("httptools") else "h11"
    if http == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    if http == "httptools":  # pragma: no cover
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    raise ValueError(f"http={http!r}: the guarded receiver runs on 'auto', 'h11' or 'httptools'")


def guarded_config(
    app: Any,
    host: str,
    port: int,
    *,
    header_timeout: float = DEFAULT_HEADER_TIMEOUT,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    **options: Any,
) -> Any:
    """A `uvicorn.Config` serving `app` with the guard above; `options` go to uvicorn."""
    import uvicorn

    if not header_timeout > 0:
        raise ValueError(f"header_timeout must be more than 0 seconds, got {header_timeout!r}")
    if max_connections < 1:
        raise ValueError(f"max_connections must be at least 1, got {max_connections!r}")
    guard = _Guard(header_timeout, max_connections)
    protocol = _guarded_protocol(_base_protocol(options.pop("http", "auto")), guard)
    options.setdefault("log_level", "warning")
    logging.getLogger("uvicorn.error").addFilter(_UVICORN_FILTER)  # once: a set of filters
    logging.getLogger("asyncio").addFilter(_UVICORN_FILTER)  # accept() errors at the fd limit
    return uvicorn.Config(app, host=host, port=port, http=protocol, **options)
