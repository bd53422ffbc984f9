"""Helpers shared by the tests/test_client_*.py modules (fakes for transports, clocks, retries)."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import stamina

from liangxin_client import AsyncLiangXin, LiangXin
from liangxin_mock import MockServer

BASE_URL = "https://api.liangxin.test"
KEY = "sk-test-key"
TASK_ID = "task_seedream-v4-5_1777600000000"

Handler = Callable[[httpx.Request], httpx.Response]
MockFactory = Callable[..., MockServer]


@pytest.fixture
def no_retry_waits() -> Iterator[None]:
    """stamina's test mode: no waits between attempts, our attempt counts kept."""
    stamina.set_testing(True, attempts=1000, cap=True)
    yield
    stamina.set_testing(False)


def envelope(data: Any, code: int = 200, msg: str = "success") -> dict[str, Any]:
    return {"code": code, "msg": msg, "data": data}


def record_data(state: str = "generating", **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "taskId": TASK_ID,
        "model": "seedream-v4-5",
        "state": state,
        "param": json.dumps({"model": "seedream-v4-5", "input": {"prompt": "p"}}),
        "resultJson": "",
        "failCode": "",
        "failMsg": "",
        "createTime": 1777600000000,
        "updateTime": 1777600001000,
        "completeTime": None,
        "costTime": None,
    }
    if state == "success":
        data["resultJson"] = json.dumps({"resultUrls": [f"{BASE_URL}/files/{TASK_ID}/0.png"]})
        data["completeTime"] = 1777600012000
        data["costTime"] = 12000
    data.update(overrides)
    return data


def client_for(handler: Handler, **kwargs: Any) -> LiangXin:
    """A LiangXin whose HTTP goes to `handler` (httpx.MockTransport)."""
    http = httpx.Client(transport=httpx.MockTransport(handler))
    return LiangXin(kwargs.pop("api_key", KEY), BASE_URL, http_client=http, **kwargs)


def async_client_for(handler: Handler, **kwargs: Any) -> AsyncLiangXin:
    http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    return AsyncLiangXin(kwargs.pop("api_key", KEY), BASE_URL, http_client=http, **kwargs)


class Recorder:
    """A MockTransport handler answering from a list (the last answer repeats); records requests."""

    def __init__(self, *answers: httpx.Response | Exception) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        return answer


class FakeClock:
    """A monotonic clock that only moves when something sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class AfterSend(httpx.BaseTransport):
    """Forward the request to the real transport, then fail as if the answer got lost.

    `fail_paths` maps a URL path to how many of its requests lose their answer.
    """

    def __init__(
        self, fail_paths: dict[str, int], error: type[httpx.TransportError] = httpx.ReadTimeout
    ) -> None:
        self.inner = httpx.HTTPTransport()
        self.fail_paths = dict(fail_paths)
        self.error = error
        self.sent: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        answered = self.inner.handle_request(request)
        content = answered.read()
        answered.close()
        self.sent.append(request.url.path)
        if self.fail_paths.get(request.url.path, 0) > 0:
            self.fail_paths[request.url.path] -= 1
            raise self.error("simulated: the answer was lost", request=request)
        return httpx.Response(answered.status_code, headers=answered.headers, content=content)

    def close(self) -> None:
        self.inner.close()


class SilentServer:
    """A loopback TCP server that accepts connections and never answers (a hung service)."""

    def __init__(self) -> None:
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(64)
        self._listener.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._held: list[socket.socket] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self._held.append(conn)  # read nothing, answer nothing, keep it open

    def close(self) -> None:
        self._stop.set()
        self._thread.join()
        self._listener.close()
        for conn in self._held:
            conn.close()


@pytest.fixture
def silent_server() -> Iterator[SilentServer]:
    server = SilentServer()
    yield server
    server.close()
