"""Keep-alive: the client never sends on a connection the server may be closing (issue 19, item 6).

A server closes an idle keep-alive connection after its own timeout; a request that arrives as it
does is lost unread, and for a createTask the client can only report an ambiguous submit. The
race is timing-dependent on a real server; `RacingServer` makes it certain: a request arriving
on a connection idle for `keep_alive` seconds or more is reset unread, as a server does that had
begun to close it. The client must not reach it: its expiry is below the server's.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from liangxin_client import AsyncLiangXin, LiangXin
from liangxin_client._connections import KEEPALIVE_EXPIRY, SUBMIT_KEEPALIVE_EXPIRY, AsyncPools
from liangxin_mock import MockServer
from liangxin_mock.cli import build_parser, config_from_args
from liangxin_mock.config import DEFAULT_KEEP_ALIVE

KEY = "sk-keepalive-test"
_RECORD = {
    "taskId": "task_1",
    "model": "z-image",
    "state": "waiting",
    "param": "{}",
    "resultJson": "",
    "failCode": "",
    "failMsg": "",
    "createTime": 1,
    "updateTime": 1,
    "completeTime": None,
    "costTime": None,
}


class RacingServer:
    """HTTP/1.1 on loopback that answers createTask and recordInfo, keeps connections alive,
    and resets (unread, unanswered) a request on a connection idle `keep_alive` s or more."""

    def __init__(self, keep_alive: float) -> None:
        self.keep_alive = keep_alive
        self.connections = 0
        self.resets = 0
        self.answered: list[str] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.base_url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _serve(self, conn: socket.socket) -> None:
        idle_since: float | None = None
        buffer = b""
        with conn:
            while True:
                try:
                    chunk = conn.recv(65536)
                except OSError:
                    return
                if not chunk:
                    return
                if idle_since is not None and time.monotonic() - idle_since >= self.keep_alive:
                    self.resets += 1  # closing it already: the request is never read
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    head, _, rest = buffer.partition(b"\r\n\r\n")
                    length = 0
                    for line in head.split(b"\r\n")[1:]:
                        name, _, value = line.partition(b":")
                        if name.strip().lower() == b"content-length":
                            length = int(value)
                    if len(rest) < length:
                        break
                    buffer = rest[length:]
                    conn.sendall(self._answer(head.split(b" ")[1].decode()))
                    idle_since = time.monotonic()

    def _answer(self, target: str) -> bytes:
        self.answered.append(target)
        data = {"taskId": "task_1"} if "createTask" in target else _RECORD
        body = json.dumps({"code": 200, "msg": "success", "data": data}).encode()
        head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(body)}"
        return head.encode() + b"\r\n\r\n" + body


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)


@pytest.fixture
def gunicorn_like() -> Iterator[RacingServer]:
    """A server with gunicorn's default keep-alive (2 s), the shortest common one."""
    server = RacingServer(keep_alive=2.0)
    yield server
    server.close()


def test_a_create_after_an_idle_spell_never_meets_a_closing_connection(
    gunicorn_like: RacingServer,
) -> None:
    # Before: httpx's 5 s expiry reused the connection after 2.1 s idle, the server reset it,
    # and the createTask came back an AmbiguousSubmitError although nothing was read.
    with LiangXin(KEY, gunicorn_like.base_url) as client:
        client.tasks.create("z-image", "first")
        time.sleep(2.1)
        client.tasks.create("z-image", "after an idle spell")
        assert gunicorn_like.resets == 0
        assert gunicorn_like.connections == 2  # a fresh connection for it
        client.tasks.create("z-image", "right after")
        assert gunicorn_like.connections == 2  # a connection in use is still reused


def test_the_async_client_keeps_the_same_rule(gunicorn_like: RacingServer) -> None:
    async def main() -> None:
        async with AsyncLiangXin(KEY, gunicorn_like.base_url) as client:
            await client.tasks.create("z-image", "first")
            await asyncio.sleep(2.1)
            await client.tasks.create("z-image", "after an idle spell")

    asyncio.run(main())
    assert gunicorn_like.resets == 0 and gunicorn_like.connections == 2


@pytest.mark.slow
def test_a_read_after_an_idle_spell_never_meets_a_closing_connection() -> None:
    # A server with the common 5 s keep-alive (uvicorn, Node, Apache), 0.5 s of round trip and
    # scheduling lag away: a poll sent 4.6 s after the last answer arrives as it closes. Before,
    # (httpx's 5 s) it went on that connection, was reset and retried after a backoff.
    server = RacingServer(keep_alive=4.5)
    try:
        with LiangXin(KEY, server.base_url) as client:
            client.tasks.get("task_1")
            time.sleep(4.6)
            client.tasks.get("task_1")
        assert server.resets == 0 and server.connections == 2
    finally:
        server.close()


def test_the_expiries_leave_a_margin_below_common_servers() -> None:
    # gunicorn 2 s; uvicorn, Node, Apache, hypercorn 5 s: a round trip and some scheduling lag
    # must fit between the client's expiry and the server's.
    assert SUBMIT_KEEPALIVE_EXPIRY <= 2.0 - 0.5
    assert KEEPALIVE_EXPIRY <= 5.0 - 1.0
    client = AsyncLiangXin(KEY, "http://127.0.0.1:9", max_in_flight=7)
    pools = client._http._transport
    assert isinstance(pools, AsyncPools)
    submits, reads = pools.submits._pool, pools.reads._pool
    assert submits._keepalive_expiry == SUBMIT_KEEPALIVE_EXPIRY
    assert reads._keepalive_expiry == KEEPALIVE_EXPIRY
    assert submits._max_connections == reads._max_connections == 7


def test_a_proxy_from_the_environment_is_still_used(monkeypatch: pytest.MonkeyPatch) -> None:
    # httpx ignores HTTPS_PROXY on a client given a transport: then one pool, proxied, with
    # createTask's short expiry for every request.
    monkeypatch.setenv("HTTPS_PROXY", "http://127.0.0.1:9")
    client = LiangXin(KEY, "https://api.liangxin.test")
    proxied = client._http._transport_for_url(httpx.URL("https://api.liangxin.test/x"))
    assert proxied is not client._http._transport  # the environment's proxy
    assert client._http._transport._pool._keepalive_expiry == SUBMIT_KEEPALIVE_EXPIRY  # type: ignore[attr-defined]
    client.close()


def test_a_given_http_client_is_used_as_it_is() -> None:
    http = httpx.Client(limits=httpx.Limits(keepalive_expiry=1.0))
    with LiangXin(KEY, "http://127.0.0.1:9", http_client=http) as client:
        assert client._http is http
    http.close()


def test_the_mock_keeps_an_idle_connection_longer_than_common_clients() -> None:
    # httpx 5 s, Node 4-5 s, aiohttp 15 s, Go 90 s, curl 118 s, OkHttp 300 s.
    assert DEFAULT_KEEP_ALIVE > 300
    with MockServer(keep_alive=0.3) as mock:  # the setting reaches uvicorn
        host, port = mock.base_url.removeprefix("http://").split(":")
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(b"GET /openapi.yaml HTTP/1.1\r\nHost: x\r\n\r\n")
            conn.settimeout(5)
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            started = time.monotonic()
            while conn.recv(65536):  # the rest of the body, then the close
                pass
            assert time.monotonic() - started < 3


def test_liangxin_mock_takes_its_keep_alive_from_the_command_line() -> None:
    parse = build_parser().parse_args
    assert config_from_args(parse([]), {}).keep_alive == DEFAULT_KEEP_ALIVE
    assert config_from_args(parse(["--keep-alive", "7.5"]), {}).keep_alive == 7.5
