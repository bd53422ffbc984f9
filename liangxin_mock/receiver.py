"""`CallbackReceiver`: a loopback HTTP server that records callback POSTs (for tests).

It answers each request with the next queued status (then 200) and keeps every delivery. Use it
with a mock started with `allow_http_callbacks=True`; the conformance suite uses it too. A body
over `max_bytes` gets 413 unread, a body that stalls for `timeout` seconds closes the connection
(recorded as nothing, logged as nothing).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from liangxin_mock.background import BackgroundServer


class _Server(ThreadingHTTPServer):
    """A sender that vanished (reset, timed out) is its own business: no traceback for it."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got."""

    method: str
    path: str
    content_type: str
    body: bytes

    def decoded(self) -> Any:
        """The JSON body, or the raw bytes when it is not JSON (or nested too deeply to read)."""
        try:
            return json.loads(self.body)
        except (ValueError, RecursionError):
            return self.body


class CallbackReceiver(BackgroundServer):
    """`with CallbackReceiver([500]) as r: ... r.url ... r.wait_for(1)`."""

    def __init__(
        self,
        statuses: list[int] | None = None,
        *,
        max_bytes: int = 1024 * 1024,
        timeout: float = 10.0,
    ) -> None:
        self.statuses = list(statuses or [])
        self.deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, status: int) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def _record(self) -> None:
                declared = self.headers.get("Content-Length") or "0"
                length = int(declared) if declared.isdigit() else -1
                if not 0 <= length <= max_bytes:
                    self.close_connection = True
                    self._answer(413 if length > max_bytes else 400)
                    return
                try:
                    content = self.rfile.read(length)
                except OSError:  # stalled past `timeout`, or reset: nothing was delivered
                    self.close_connection = True
                    return
                if len(content) < length:  # the sender gave up half-way
                    self.close_connection = True
                    return
                delivery = Delivery(
                    self.command, self.path, self.headers.get("Content-Type", ""), content
                )
                with receiver._changed:
                    receiver.deliveries.append(delivery)
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._changed.notify_all()
                self._answer(status)

            do_POST = do_PUT = do_GET = _record

            def log_message(self, format: str, *args: Any) -> None:
                pass

        Handler.timeout = timeout  # a socket timeout on every read, headers included
        self._server = _Server(("127.0.0.1", 0), Handler)
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self.url = self.url_for("/callback")
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def url_for(self, path: str) -> str:
        """The receiver's URL for `path` (use one path per task to tell deliveries apart)."""
        return self.base_url + path

    @property
    def received(self) -> list[Any]:
        """Every delivered body, decoded (see `Delivery.decoded`)."""
        with self._changed:
            return [d.decoded() for d in self.deliveries]

    def _wait(self, done: Any, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not done() and (left := deadline - time.monotonic()) > 0:
                self._changed.wait(left)

    def wait_for(self, count: int, timeout: float = 30.0) -> list[Any]:
        """Wait until `count` callbacks arrived (or the timeout passed); return them all."""
        self._wait(lambda: len(self.deliveries) >= count, timeout)
        return self.received

    def wait_for_path(self, path: str, timeout: float = 30.0) -> list[Delivery]:
        """Deliveries to `path`, waiting up to `timeout` for the first one."""
        self._wait(lambda: any(d.path == path for d in self.deliveries), timeout)
        with self._changed:
            return [d for d in self.deliveries if d.path == path]

    def start(self) -> CallbackReceiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)
