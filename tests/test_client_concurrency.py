"""The clients bound their own concurrency: requests in flight, and the AIMD submit window."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from client_support import BASE_URL, KEY, envelope, record_data

from liangxin_client import AsyncLiangXin, LiangXin
from liangxin_client._limits import DECREASE, DECREASE_SPACING, Window
from liangxin_mock import MockServer

Factory = Callable[..., MockServer]


# -- the window's arithmetic ----------------------------------------------------------------------


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_the_window_is_open_until_429s_in_a_row_then_narrows_once_per_burst() -> None:
    clock = FakeClock()
    window = Window(clock)
    window.held = window.accepted = 500
    assert window.has_room()
    window.succeeded()  # no effect while open
    assert window.room() > 10_000
    window.rate_limited()  # one alone is no saturation
    assert window.room() > 10_000
    window.rate_limited()
    assert window.limit == int(500 * DECREASE)
    window.rate_limited()  # same burst
    assert window.limit == int(500 * DECREASE)
    assert not window.has_room() and window.room() == 0
    clock.now += DECREASE_SPACING
    window.accepted = 40
    window.rate_limited()
    assert window.limit == int(40 * DECREASE)


def test_the_window_grows_additively_and_never_below_one() -> None:
    clock = FakeClock()
    window = Window(clock)
    window.rate_limited()
    window.rate_limited()  # nothing running: the floor is one
    assert window.limit == 1
    window.held = 1
    assert not window.has_room()
    window.succeeded()
    assert window.limit == 2 and window.room() == 1
    window.limit = 10.0
    for _ in range(10):  # one window's worth of accepted tasks widens it by about one
        window.succeeded()
    assert 10.9 < window.limit < 11.0


def test_max_in_flight_is_checked() -> None:
    for bad in (0, -1, 1.5, True):
        with pytest.raises(ValueError, match="max_in_flight"):
            LiangXin(KEY, BASE_URL, max_in_flight=bad)  # type: ignore[arg-type]
    client = LiangXin(KEY, BASE_URL, max_in_flight=7)
    assert "max_in_flight=7" in repr(client)
    copy = client.with_options(max_retries=0)
    assert copy._slots is client._slots and copy._window is client._window
    assert copy.max_in_flight == 7


# -- requests in flight ---------------------------------------------------------------------------


class Gauge:
    """Counts requests the transport is handling at once."""

    def __init__(self) -> None:
        self.now = 0
        self.peak = 0
        self.lock = threading.Lock()

    def enter(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def leave(self) -> None:
        with self.lock:
            self.now -= 1


def _answer(request: httpx.Request) -> httpx.Response:
    if request.url.path.endswith("createTask"):
        return httpx.Response(200, json=envelope({"taskId": "task_z-image_1777600000000"}))
    return httpx.Response(200, json=envelope(record_data("success")))


def test_sync_requests_in_flight_never_exceed_the_limit() -> None:
    gauge = Gauge()
    gate = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        gauge.enter()
        try:
            gate.wait(0.05)
            return _answer(request)
        finally:
            gauge.leave()

    http = httpx.Client(transport=httpx.MockTransport(handler))
    with (
        LiangXin(KEY, BASE_URL, http_client=http, max_in_flight=3) as client,
        ThreadPoolExecutor(24) as pool,
    ):
        records = list(pool.map(lambda _: client.tasks.get("task_x"), range(48)))
    assert len(records) == 48
    assert gauge.peak == 3


def test_async_requests_in_flight_never_exceed_the_limit() -> None:
    gauge = Gauge()

    async def handler(request: httpx.Request) -> httpx.Response:
        gauge.enter()
        try:
            await asyncio.sleep(0.01)
            return _answer(request)
        finally:
            gauge.leave()

    async def main() -> int:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncLiangXin(KEY, BASE_URL, http_client=http, max_in_flight=5) as client:
            records = await asyncio.gather(*(client.tasks.get("task_x") for _ in range(100)))
        return len(records)

    assert asyncio.run(main()) == 100
    assert gauge.peak == 5


def test_the_clients_own_pool_has_a_connection_per_slot(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("http_proxy", "https_proxy", "all_proxy"):  # one pool then: test_keepalive.py
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.upper(), raising=False)
    client = AsyncLiangXin(KEY, BASE_URL, max_in_flight=9)
    pools = client._http._transport  # type: ignore[attr-defined]
    for pool in (pools.reads._pool, pools.submits._pool):  # see test_keepalive.py
        assert pool._max_connections == 9 and pool._max_keepalive_connections == 9


# -- against the mock -----------------------------------------------------------------------------


def test_200_concurrent_generates_on_one_async_client_all_succeed(
    liangxin_mock_factory: Factory,
) -> None:
    mock = liangxin_mock_factory(task_seconds=0.2)

    async def main() -> list[object]:
        async with AsyncLiangXin(mock.api_key, mock.base_url, max_in_flight=8) as client:
            return await asyncio.gather(
                *(client.generate("z-image", f"fox {i}", timeout=None) for i in range(200)),
                return_exceptions=True,
            )

    results = asyncio.run(main())
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert mock.stats()["createTask"] == 200


def test_200_concurrent_generates_from_threads_all_succeed_under_a_concurrency_cap(
    liangxin_mock_factory: Factory,
) -> None:
    """The mock admits 10 running tasks: 429s close the window, and every call still succeeds."""
    mock = liangxin_mock_factory(task_seconds=0.2, max_concurrent=10)

    with LiangXin(mock.api_key, mock.base_url, max_in_flight=8) as client:

        def one(i: int) -> object:
            try:
                return client.generate("z-image", f"fox {i}", timeout=None)
            except Exception as exc:
                return exc

        with ThreadPoolExecutor(200) as pool:
            results = list(pool.map(one, range(200)))
        window = client._window.window
    errors = [r for r in results if isinstance(r, BaseException)]
    assert errors == []
    assert mock.stats()["createTask"] == 200
    assert window.limit < 200 and window.held == 0 and window.accepted == 0
