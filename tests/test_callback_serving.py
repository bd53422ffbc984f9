"""`CallbackReceiver.uvicorn_config()`: served under uvicorn, a receiver bounds the connections
that never finish their headers (slowloris) and keeps answering genuine callbacks, quietly.

Real sockets on loopback: uvicorn in a thread, raw stalled connections, httpx for the genuine
callbacks.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import logging
import socket
import threading
import time
from typing import Any

import httpx
import pytest
import uvicorn

from liangxin_client import CallbackReceiver
from tests.test_callbacks import body

STALLED_HEAD = b"POST /liangxin/callback HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le"


class Served:
    """A receiver served by `uvicorn_config(...)` on a free loopback port, in a thread."""

    def __init__(self, receiver: CallbackReceiver, **options: Any) -> None:
        config = receiver.uvicorn_config("127.0.0.1", 0, **options)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "did not start"
            time.sleep(0.01)
        self.port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/liangxin/callback"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)

    def stall(self, head: bytes = STALLED_HEAD) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=30)
        sock.sendall(head)
        return sock


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    sock.settimeout(seconds)
    try:
        while sock.recv(65536):
            pass
    except TimeoutError:
        return False
    except ConnectionResetError:
        pass
    return True


def _genuine(url: str, task: int) -> int:
    payload = body(taskId=f"task_seedream-v4-5_17776000{task:05d}")
    return httpx.post(url, content=payload, timeout=20, trust_env=False).status_code


@pytest.mark.timeout(120)
def test_stalled_headers_never_starve_genuine_callbacks(caplog: pytest.LogCaptureFixture) -> None:
    """300 connections stalled in their headers, 3 x the cap, and a header timeout far away:
    the 15 genuine callbacks sent meanwhile are all answered, and the log stays short."""
    caplog.set_level(logging.INFO)
    receiver = CallbackReceiver()
    with Served(receiver, header_timeout=60, max_connections=100) as served:
        stalled = [served.stall() for _ in range(300)]
        with concurrent.futures.ThreadPoolExecutor(5) as pool:
            statuses = list(pool.map(lambda i: _genuine(served.url, i), range(15)))
        stalled += [served.stall() for _ in range(100)]  # the flood goes on
        late = _genuine(served.url, 99)
        for sock in stalled:
            sock.close()
    assert statuses == [200] * 15 and late == 200
    assert len(receiver._records) == 16
    served_log = [r.getMessage() for r in caplog.records if not r.name.startswith("httpx")]
    assert len(served_log) <= 5, served_log


@pytest.mark.timeout(60)
def test_a_connection_stalled_in_its_headers_is_closed_after_the_timeout() -> None:
    with Served(CallbackReceiver(), header_timeout=0.5) as served:
        first = served.stall()
        started = time.monotonic()
        assert _closed_within(first, 10)
        assert 0.4 < time.monotonic() - started < 5
        # The same after a request answered on a kept-alive connection (uvicorn's keep-alive
        # timer stops at the first byte of the next request).
        payload = body()
        request = (
            b"POST /liangxin/callback HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            + f"Content-Length: {len(payload)}\r\n\r\n".encode()
            + payload
        )
        again = served.stall(request)
        again.settimeout(10)
        assert again.recv(65536).startswith(b"HTTP/1.1 200")
        again.sendall(STALLED_HEAD)
        assert _closed_within(again, 10)
        # A sender whose headers take less than the timeout is answered.
        assert _genuine(served.url, 1) == 200


def test_the_served_receivers_limits_are_checked() -> None:
    receiver = CallbackReceiver()
    with pytest.raises(ValueError, match="header_timeout"):
        receiver.uvicorn_config(header_timeout=0)
    with pytest.raises(ValueError, match="max_connections"):
        receiver.uvicorn_config(max_connections=0)
    with pytest.raises(ValueError, match="h11"):
        receiver.uvicorn_config(http="zttp")


def test_batch_listen_serves_its_receiver_guarded(
    liangxin_mock_factory: Any, tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`liangxin batch --listen` serves through `uvicorn_config()` and its callbacks arrive
    while 600 connections (over the 512 cap) stall in their headers on the same port."""
    from liangxin_client.cli import EXIT_OK, main
    from tests.test_cli_batch import write_rows

    made: list[Any] = []
    original = CallbackReceiver.uvicorn_config

    def spy(self: CallbackReceiver, *args: Any, **kwargs: Any) -> Any:
        made.append(original(self, *args, **kwargs))
        return made[-1]

    monkeypatch.setattr(CallbackReceiver, "uvicorn_config", spy)
    mock = liangxin_mock_factory(task_seconds=1.0, allow_http_callbacks=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    stalled: list[socket.socket] = []

    def flood() -> None:
        deadline = time.monotonic() + 30
        while not stalled and time.monotonic() < deadline:
            try:
                stalled.append(socket.create_connection(("127.0.0.1", port), timeout=5))
            except OSError:
                time.sleep(0.01)
        for _ in range(600):
            with contextlib.suppress(OSError):
                sock = socket.create_connection(("127.0.0.1", port), timeout=5)
                sock.sendall(STALLED_HEAD)
                stalled.append(sock)

    flooding = threading.Thread(target=flood, daemon=True)
    flooding.start()
    source = write_rows(tmp_path / "rows.jsonl", 8)
    code = main(
        ["--base-url", mock.base_url, "--api-key", mock.api_key, "batch", str(source),
         "-m", "z-image", "-o", str(tmp_path / "out"),
         "--callback-url", f"http://127.0.0.1:{port}/cb", "--listen", f"127.0.0.1:{port}"]
    )  # fmt: skip
    flooding.join(30)
    for sock in stalled:
        sock.close()
    assert code == EXIT_OK
    assert len(made) == 1
    callbacks = mock.callbacks()
    assert len(callbacks) == 8 and all(c["state"] == "delivered" for c in callbacks), callbacks
