"""`CallbackReceiver`: a loopback HTTP server that records callback POSTs (for tests).

It answers each request with the next queued status (then 200) and keeps every delivery. Use it
with a mock started with `allow_http_callbacks=True`; the conformance suite uses it too.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One request the receiver got."""

    method: str
    path: str
    content_type: str
    body: bytes

    def decoded(self) -> Any:
        """The JSON body, or the raw bytes when it is not JSON."""
        try:
            return json.loads(self.body)
        except ValueError:
            return self.body


class CallbackReceiver:
    """`with CallbackReceiver([500]) as r: ... r.url ... r.wait_for(1)`."""

    def __init__(self, statuses: list[int] | None = None) -> None:
        self.statuses = list(statuses or [])
        self.deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                delivery = Delivery(
                    self.command,
                    self.path,
                    self.headers.get("Content-Type", ""),
                    self.rfile.read(length),
                )
                with receiver._changed:
                    receiver.deliveries.append(delivery)
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                    receiver._changed.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = do_PUT = do_GET = _record

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
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

    def __enter__(self) -> CallbackReceiver:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
