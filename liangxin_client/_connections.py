"""The connection pools of a client that makes its own: keep-alive below the server's.

A server closes a keep-alive connection after it has been idle for its own timeout (5 s for
uvicorn, Node, Apache and hypercorn; 2 s for gunicorn; 60-75 s behind nginx or a cloud load
balancer). A request the client sends on a connection the server is closing at that moment is
lost — the server resets the connection without reading it — and the client sees a bare
`ReadError` or "server disconnected": for a createTask, an ambiguous submit (it may have been paid
for), although the server never read a byte of it. httpx's default expiry (5 s) equals the most
common server timeout, so a connection idle for just under 5 s is reused just as the server
closes it (about 1 row in 3,000 of a batch against a 5 s server).

httpcore cannot tell that reset from a failure after the server read the request (it ignores a
write error and reports the read that follows), so no such error may be taken for "not sent";
the fix is not to send on a connection the server may be closing:

- reads (recordInfo, downloads: GET, retried anyway) reuse a connection idle up to
  `KEEPALIVE_EXPIRY` seconds — below the common 5 s by more than a round trip;
- createTask (the one POST, and the one that costs money) goes through a pool of its own whose
  connections are reused only while idle less than `SUBMIT_KEEPALIVE_EXPIRY` seconds — below
  even gunicorn's 2 s — and otherwise opens a fresh connection (one extra round trip or two,
  once per idle spell, against a task that takes seconds).

A client given an `http_client` uses it as it is: set its `keepalive_expiry` below the server's.
httpx ignores proxies from the environment (`HTTPS_PROXY`, ...) on a client given a transport, so
with one set the client makes a single standard pool, proxied, whose connections are all kept as
briefly as createTask's.
"""

from __future__ import annotations

import urllib.request

import httpx

#: Seconds a connection may idle and still carry a read (GET).
KEEPALIVE_EXPIRY = 4.0
#: Seconds a connection may idle and still carry a createTask (POST).
SUBMIT_KEEPALIVE_EXPIRY = 1.5


def environment_proxies() -> bool:
    """Does the environment set a proxy httpx would use (as `httpx._utils` reads it)?"""
    proxies = urllib.request.getproxies()
    return any(proxies.get(scheme) for scheme in ("http", "https", "all"))


def pool_limits(connections: int, expiry: float = KEEPALIVE_EXPIRY) -> httpx.Limits:
    """`connections` connections, kept alive `expiry` seconds when idle."""
    return httpx.Limits(
        max_connections=connections,
        max_keepalive_connections=connections,
        keepalive_expiry=expiry,
    )


class Pools(httpx.BaseTransport):
    """Two connection pools behind one transport: POST (createTask) and everything else."""

    def __init__(self, connections: int) -> None:
        self.reads = httpx.HTTPTransport(limits=pool_limits(connections))
        self.submits = httpx.HTTPTransport(limits=pool_limits(connections, SUBMIT_KEEPALIVE_EXPIRY))

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        pool = self.submits if request.method == "POST" else self.reads
        return pool.handle_request(request)

    def close(self) -> None:
        self.submits.close()
        self.reads.close()


class AsyncPools(httpx.AsyncBaseTransport):
    """`Pools` for `httpx.AsyncClient`."""

    def __init__(self, connections: int) -> None:
        self.reads = httpx.AsyncHTTPTransport(limits=pool_limits(connections))
        self.submits = httpx.AsyncHTTPTransport(
            limits=pool_limits(connections, SUBMIT_KEEPALIVE_EXPIRY)
        )

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        pool = self.submits if request.method == "POST" else self.reads
        return await pool.handle_async_request(request)

    async def aclose(self) -> None:
        await self.submits.aclose()
        await self.reads.aclose()
