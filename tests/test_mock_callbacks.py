"""Callbacks: delivered to a loopback receiver, retried on non-2xx, attempts recorded."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from liangxin_mock import MockServer
from liangxin_mock.receiver import CallbackReceiver

Factory = Callable[..., MockServer]


@pytest.fixture
def receiver_factory() -> Iterator[Callable[[list[int]], CallbackReceiver]]:
    made: list[CallbackReceiver] = []

    def make(statuses: list[int]) -> CallbackReceiver:
        made.append(CallbackReceiver(statuses).start())
        return made[-1]

    yield make
    for r in made:
        r.stop()


def _create(server: MockServer, body: dict[str, Any], **headers: str) -> str:
    response = httpx.post(
        server.base_url + "/api/v1/jobs/createTask",
        json=body,
        headers={"Authorization": f"Bearer {server.api_key}", **headers},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    task_id: str = response.json()["data"]["taskId"]
    return task_id


def _settled(server: MockServer, task_id: str, timeout: float = 30) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        for entry in server.callbacks():
            if entry["taskId"] == task_id and entry["state"] in {"delivered", "failed"}:
                return entry
        assert time.monotonic() < deadline, server.callbacks()
        time.sleep(0.05)


def test_callback_delivered_without_polling(
    liangxin_mock_factory: Factory, receiver_factory: Callable[[list[int]], CallbackReceiver]
) -> None:
    receiver = receiver_factory([])
    server = liangxin_mock_factory(allow_http_callbacks=True, task_seconds=0.3)
    body = {"model": "seedream-v4-5", "callBackUrl": receiver.url, "input": {"prompt": "x"}}
    task_id = _create(server, body)
    entry = _settled(server, task_id)  # nobody calls recordInfo: the background loop fires it
    assert entry["state"] == "delivered" and len(entry["attempts"]) == 1
    assert entry["attempts"][0]["status"] == 200
    [payload] = receiver.received
    assert payload["code"] == 200 and payload["msg"] == "success"
    assert payload["data"]["taskId"] == task_id and payload["data"]["state"] == "success"
    assert json.loads(payload["data"]["resultJson"])["resultUrls"]
    assert server.stats()["keys"][server.api_key]["recordInfo"] == 0


def test_callback_retried_on_non_2xx(
    liangxin_mock_factory: Factory, receiver_factory: Callable[[list[int]], CallbackReceiver]
) -> None:
    receiver = receiver_factory([500, 503])
    server = liangxin_mock_factory(
        allow_http_callbacks=True, task_seconds=0, callback_retry_delays=(0.05, 0.1)
    )
    body = {"model": "z-image", "callBackUrl": receiver.url, "input": {"prompt": "x"}}
    task_id = _create(server, body, **{"X-Mock-Fail": "500:boom"})
    entry = _settled(server, task_id)
    assert [a["status"] for a in entry["attempts"]] == [500, 503, 200]
    assert entry["state"] == "delivered"
    assert len(receiver.received) == 3
    assert receiver.received[-1]["data"]["state"] == "fail"
    assert receiver.received[-1]["data"]["failMsg"] == "boom"


def test_callback_gives_up_after_the_last_attempt(
    liangxin_mock_factory: Factory, receiver_factory: Callable[[list[int]], CallbackReceiver]
) -> None:
    receiver = receiver_factory([500, 500, 500, 500])
    server = liangxin_mock_factory(
        allow_http_callbacks=True, task_seconds=0, callback_retry_delays=(0.05, 0.05)
    )
    body = {"model": "z-image", "callBackUrl": receiver.url, "input": {"prompt": "x"}}
    entry = _settled(server, _create(server, body))
    assert entry["state"] == "failed"
    assert [a["status"] for a in entry["attempts"]] == [500, 500, 500]


def test_unreachable_callback_is_recorded_as_errors(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(
        allow_http_callbacks=True, task_seconds=0, callback_retry_delays=(0.05, 0.05)
    )
    body = {"model": "z-image", "callBackUrl": "http://127.0.0.1:9/cb", "input": {"prompt": "x"}}
    entry = _settled(server, _create(server, body))
    assert entry["state"] == "failed"
    assert all(a["status"] is None and a["error"] for a in entry["attempts"])
