"""`MockServer`: the mock under uvicorn in a background thread, on 127.0.0.1 and a free port."""

from __future__ import annotations

import dataclasses
import threading
import time
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp

from liangxin_mock.app import create_app
from liangxin_mock.background import BackgroundServer
from liangxin_mock.config import MockConfig


def uvicorn_config(app: ASGIApp, config: MockConfig, host: str, port: int) -> uvicorn.Config:
    """How the mock runs under uvicorn (`MockServer` and `liangxin-mock` alike)."""
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        timeout_graceful_shutdown=2,
        timeout_keep_alive=config.keep_alive,  # type: ignore[arg-type]  # a float works
    )


class MockServer(BackgroundServer):
    """A running mock for tests: `with MockServer(task_seconds=0.5) as mock: mock.base_url`.

    Takes the `MockConfig` fields as keyword arguments (or a whole `config=`). Entering waits
    until the server accepts connections; leaving stops it and waits for the thread.
    """

    def __init__(self, config: MockConfig | None = None, **fields: Any) -> None:
        base = config or MockConfig()
        self.config = dataclasses.replace(base, **fields).with_default_key()
        self.app = create_app(self.config)
        self.base_url = ""
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def api_key(self) -> str:
        """The first configured key."""
        return self.config.first_key

    def start(self, timeout: float = 30.0) -> MockServer:
        if self._server is not None:
            return self
        server = uvicorn.Server(uvicorn_config(self.app, self.config, "127.0.0.1", 0))
        thread = threading.Thread(target=server.run, name="liangxin-mock", daemon=True)
        thread.start()
        deadline = time.monotonic() + timeout
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(5)
                raise RuntimeError("liangxin-mock did not start")
            time.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._server, self._thread = server, thread
        return self

    def stop(self) -> None:
        if self._server is None or self._thread is None:
            return
        self._server.should_exit = True
        self._thread.join(30)
        self._server = self._thread = None

    def _get(self, path: str) -> Any:
        response = httpx.get(self.base_url + path, timeout=30, trust_env=False)
        response.raise_for_status()
        return response.json()

    def stats(self) -> dict[str, Any]:
        """The `/__mock__/stats` JSON."""
        result: dict[str, Any] = self._get("/__mock__/stats")
        return result

    def tasks(self) -> list[dict[str, Any]]:
        """The `/__mock__/tasks` list."""
        result: list[dict[str, Any]] = self._get("/__mock__/tasks")["tasks"]
        return result

    def callbacks(self) -> list[dict[str, Any]]:
        """The `/__mock__/callbacks` list."""
        result: list[dict[str, Any]] = self._get("/__mock__/callbacks")["callbacks"]
        return result

    def reset(self) -> None:
        """Forget every task, counter and callback (`POST /__mock__/reset`)."""
        httpx.post(
            self.base_url + "/__mock__/reset", json={}, timeout=30, trust_env=False
        ).raise_for_status()
