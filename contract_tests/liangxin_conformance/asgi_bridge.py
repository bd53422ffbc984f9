"""A synchronous httpx transport into an in-process ASGI app.

It runs requests on schemathesis' ASGI event-loop thread and shares the lifespan schemathesis
starts for `schema.app`, so the suite's own requests and schemathesis' cases reach one running
app (one store, one callback ticker). schemathesis is pinned, and these are its two entry points
for that (`schemathesis.python.asgi`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from schemathesis.python import asgi as st_asgi


class ASGIBridge(httpx.BaseTransport):
    """`httpx.Client(transport=ASGIBridge(app))` talks to `app` without a socket."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self._inner = httpx.ASGITransport(app=app)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        st_asgi._start_lifespan(self.app)
        portal = st_asgi._get_portal()

        async def send() -> tuple[int, list[tuple[bytes, bytes]], bytes]:
            copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
            response = await self._inner.handle_async_request(copy)
            content = await response.aread()
            return response.status_code, response.headers.raw, content

        try:
            status, headers, content = portal.call(send)
        except (OSError, RuntimeError) as exc:
            raise httpx.RemoteProtocolError(
                f"in-process app failed: {exc}", request=request
            ) from exc
        return httpx.Response(status, headers=headers, content=content, request=request)


class SessionLifespan:
    """Runs the wrapped app's lifespan once for the whole session.

    schemathesis ends an ASGI app's lifespan after every test and starts it again on the next
    request; an app's background work (the mock's ticker that advances tasks and delivers
    callbacks) would stop and restart at every test. So the suite gives schemathesis this
    wrapper: the first startup starts the inner app, later startups and shutdowns are
    acknowledged only, and `close()` ends the inner lifespan once at the end of the session.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self._started = False
        self._to_app: asyncio.Queue[dict[str, Any]] | None = None
        self._from_app: asyncio.Queue[dict[str, Any]] | None = None
        self._task: asyncio.Task[None] | None = None

    def __getattr__(self, name: str) -> Any:  # e.g. `app.state` of the wrapped app
        return getattr(self.app, name)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                error = await self._start(scope)
                if error:
                    await send({"type": "lifespan.startup.failed", "message": error})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _start(self, scope: dict[str, Any]) -> str | None:
        if self._started:
            return None
        self._started = True
        self._to_app, self._from_app = asyncio.Queue(), asyncio.Queue()
        self._task = asyncio.get_running_loop().create_task(
            self.app({**scope, "state": {}}, self._to_app.get, self._from_app.put)
        )
        await self._to_app.put({"type": "lifespan.startup"})
        reply = await self._from_app.get()
        return None if reply["type"] == "lifespan.startup.complete" else str(reply.get("message"))

    async def _stop(self) -> None:
        if self._task is None or self._to_app is None or self._from_app is None:
            return
        await self._to_app.put({"type": "lifespan.shutdown"})
        await asyncio.wait_for(self._from_app.get(), timeout=10)
        await asyncio.wait_for(self._task, timeout=10)
        self._task = None

    def close(self) -> None:
        """End the inner lifespan (no-op when it never started)."""
        if self._task is not None:
            st_asgi._get_portal().call(self._stop)
