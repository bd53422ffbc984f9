"""Callbacks: parsing, verification, the ASGI receiver and the hybrid wait, against the mock."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import uvicorn

from liangxin_client import AsyncLiangXin, LiangXin, LiangXinError, TaskRecord, TaskState
from liangxin_client.callbacks import (
    CallbackReceiver,
    CallbackTooLargeError,
    CallbackVerificationError,
    InvalidCallbackError,
    async_verify_callback,
    async_wait_for_task,
    parse_callback,
    verify_callback,
    wait_for_task,
)
from liangxin_mock import MockServer

MockFactory = Callable[..., MockServer]


def payload(**data: Any) -> dict[str, Any]:
    record = {
        "taskId": "task_seedream-v4-5_1777600000000",
        "model": "seedream-v4-5",
        "state": "success",
        "param": '{"model":"seedream-v4-5","input":{"prompt":"tea"}}',
        "resultJson": '{"resultUrls":["https://example.com/result.png"]}',
        "failCode": "",
        "failMsg": "",
        "createTime": 1777600000000,
        "completeTime": 1777600012000,
    }
    record.update(data)
    return {"code": 200, "msg": "success", "data": record}


def body(**data: Any) -> bytes:
    return json.dumps(payload(**data)).encode()


def forged(record: TaskRecord, **changes: Any) -> TaskRecord:
    """`record` as a callback claiming `changes` (raw `data` fields)."""
    return parse_callback(
        json.dumps({"code": 200, "msg": "success", "data": dict(record.raw) | changes})
    )


class ReceiverServer:
    """A CallbackReceiver under uvicorn on 127.0.0.1 and a free port, in a thread."""

    def __init__(self, receiver: CallbackReceiver) -> None:
        config = uvicorn.Config(receiver, host="127.0.0.1", port=0, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert self.thread.is_alive() and time.monotonic() < deadline, "receiver did not start"
            time.sleep(0.01)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/liangxin/callback"

    def __exit__(self, *exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(30)


@pytest.fixture
def receiver() -> CallbackReceiver:
    return CallbackReceiver()


@pytest.fixture
def receiver_url(receiver: CallbackReceiver) -> Iterator[str]:
    with ReceiverServer(receiver) as url:
        yield url


@pytest.fixture
def mock(liangxin_mock_factory: MockFactory) -> MockServer:
    # The contract only allows https:// callBackUrls; the mock accepts http:// on loopback with
    # allow_http_callbacks, and tasks.create(..., validate=False) lets such a URL through.
    return liangxin_mock_factory(task_seconds=1.0, allow_http_callbacks=True)


@pytest.fixture
def client(mock: MockServer) -> Iterator[LiangXin]:
    with LiangXin(mock.api_key, mock.base_url) as c:
        yield c


def record_info_calls(mock: MockServer) -> int:
    return int(mock.stats()["recordInfo"])


# -- parse_callback -----------------------------------------------------------------------------


def test_parse_callback_returns_a_task_record() -> None:
    record = parse_callback(body())
    assert record.task_id == "task_seedream-v4-5_1777600000000"
    assert record.state is TaskState.SUCCESS
    assert record.result_urls == ("https://example.com/result.png",)
    assert record.complete_time == 1777600012000


def test_parse_callback_reads_a_failure() -> None:
    record = parse_callback(body(state="fail", resultJson="", failCode="500", failMsg="upstream"))
    assert record.state is TaskState.FAIL
    assert (record.fail_code, record.fail_msg) == ("500", "upstream")


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"\xff\xfe",
        b'{"code": 200, "msg": "success", "data": NaN}',
        b"[]",
        json.dumps({"code": 200, "msg": "success"}).encode(),  # no data
        json.dumps({k: v for k, v in payload().items() if k != "msg"}).encode(),
        body(state="finished"),  # not a TaskState
        body(taskId=42),
        body(resultJson='{"resultUrls": "https://example.com/x.png"}'),  # success, bad resultJson
    ],
    ids=[
        "empty",
        "text",
        "not-utf8",
        "nan",
        "array",
        "no-data",
        "no-msg",
        "bad-state",
        "int-task-id",
        "bad-result-json",
    ],
)
def test_parse_callback_rejects_bad_bodies(raw: bytes) -> None:
    with pytest.raises(InvalidCallbackError) as info:
        parse_callback(raw)
    assert isinstance(info.value, LiangXinError)
    assert "\n" not in str(info.value)


def test_parse_callback_rejects_oversized_bodies() -> None:
    padded = payload()
    padded["data"]["failMsg"] = "x" * 2048
    raw = json.dumps(padded).encode()
    with pytest.raises(CallbackTooLargeError):
        parse_callback(raw, max_bytes=1024)
    assert parse_callback(raw, max_bytes=len(raw)).task_id  # the limit is inclusive


# -- verify_callback ----------------------------------------------------------------------------


@pytest.fixture
def finished(client: LiangXin) -> TaskRecord:
    task = client.tasks.create("seedream-v4-5", "a tea bottle", aspect_ratio="16:9")
    return client.tasks.wait(task, timeout=60)


def test_verify_callback_accepts_a_genuine_callback(client: LiangXin, finished: TaskRecord) -> None:
    genuine = forged(finished)
    assert verify_callback(genuine, client) == finished


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"state": "fail", "resultJson": "", "failCode": "500"}, "state"),
        ({"resultJson": '{"resultUrls":["https://evil.example/x.png"]}'}, "resultUrls"),
        ({"model": "flux-2-pro"}, "model"),
        ({"taskId": "task_seedream-v4-5_1000000000000"}, "taskId"),
    ],
    ids=["state", "urls", "model", "unknown-task"],
)
def test_verify_callback_rejects_forgeries(
    client: LiangXin, finished: TaskRecord, changes: dict[str, str], field: str
) -> None:
    with pytest.raises(CallbackVerificationError) as info:
        verify_callback(forged(finished, **changes), client)
    assert info.value.field == field


def test_verify_callback_rejects_a_callback_ahead_of_the_service(client: LiangXin) -> None:
    task = client.tasks.create("seedream-v4-5", "a tea bottle")
    claimed = parse_callback(body(taskId=task.task_id))  # "success" while still running
    with pytest.raises(CallbackVerificationError) as info:
        verify_callback(claimed, client)
    assert info.value.field == "state"
    assert info.value.actual is not None and not info.value.actual.is_terminal


def test_async_verify_callback(mock: MockServer, finished: TaskRecord) -> None:
    async def main() -> None:
        async with AsyncLiangXin(mock.api_key, mock.base_url) as aclient:
            assert await async_verify_callback(forged(finished), aclient) == finished
            with pytest.raises(CallbackVerificationError):
                await async_verify_callback(forged(finished, state="fail"), aclient)

    asyncio.run(main())


# -- CallbackReceiver as an ASGI app ------------------------------------------------------------


def post(receiver: CallbackReceiver, content: bytes, method: str = "POST") -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=receiver)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as http:
            return await http.request(method, "/hook", content=content)

    return asyncio.run(send())


def test_receiver_stores_a_good_callback(receiver: CallbackReceiver) -> None:
    seen: list[TaskRecord] = []
    receiver.on_record = seen.append
    response = post(receiver, body())
    assert response.status_code == 200
    stored = receiver.get("task_seedream-v4-5_1777600000000")
    assert stored is not None and stored.state is TaskState.SUCCESS
    assert seen == [stored]


@pytest.mark.parametrize(("content", "status"), [(b"{oops", 400), (body(state="done"), 400)])
def test_receiver_rejects_bad_bodies(
    receiver: CallbackReceiver, content: bytes, status: int
) -> None:
    response = post(receiver, content)
    assert response.status_code == status
    assert "error" in response.json()
    assert receiver.get("task_seedream-v4-5_1777600000000") is None


def test_receiver_rejects_oversized_bodies() -> None:
    receiver = CallbackReceiver(max_bytes=512)
    response = post(receiver, body(failMsg="x" * 1024))
    assert response.status_code == 413


def test_receiver_answers_405_to_other_methods(receiver: CallbackReceiver) -> None:
    assert post(receiver, b"", method="GET").status_code == 405


def test_receiver_with_a_client_rejects_forgeries(client: LiangXin, finished: TaskRecord) -> None:
    receiver = CallbackReceiver(client=client)
    forgery = dict(forged(finished, state="fail", resultJson="").raw)
    response = post(receiver, json.dumps({"code": 200, "msg": "success", "data": forgery}).encode())
    assert response.status_code == 400
    assert receiver.get(finished.task_id) is None
    genuine = {"code": 200, "msg": "success", "data": dict(finished.raw)}
    assert post(receiver, json.dumps(genuine).encode()).status_code == 200
    assert receiver.get(finished.task_id) == finished


# -- the hybrid wait ----------------------------------------------------------------------------

#: No deadline and a poll interval far beyond the test's own timeout (`WAKE_TIMEOUT`): after its
#: first poll, such a wait can only return because a callback woke it. A broken wake-up fails
#: the test through pytest-timeout instead of passing on a late poll.
CALLBACK_ONLY: dict[str, Any] = {"poll_interval": 3600.0, "timeout": None}
WAKE_TIMEOUT = pytest.mark.timeout(60)


@WAKE_TIMEOUT
def test_hybrid_wait_returns_on_the_callback(
    mock: MockServer, client: LiangXin, receiver: CallbackReceiver, receiver_url: str
) -> None:
    task = client.tasks.create(
        "seedream-v4-5", "a tea bottle", callback_url=receiver_url, validate=False
    )
    record = wait_for_task(client, task.task_id, callbacks=receiver, **CALLBACK_ONLY)
    assert record.state is TaskState.SUCCESS
    assert receiver.get(task.task_id) is not None
    assert record_info_calls(mock) <= 3
    delivered = mock.callbacks()
    assert [c["state"] for c in delivered] == ["delivered"]


@WAKE_TIMEOUT
def test_async_hybrid_wait_returns_on_the_callback(
    mock: MockServer, receiver: CallbackReceiver, receiver_url: str
) -> None:
    async def main() -> TaskRecord:
        async with AsyncLiangXin(mock.api_key, mock.base_url) as aclient:
            task = await aclient.tasks.create(
                "z-image", "a tea bottle", callback_url=receiver_url, validate=False
            )
            return await async_wait_for_task(
                aclient, task.task_id, callbacks=receiver, **CALLBACK_ONLY
            )

    record = asyncio.run(main())
    assert record.state is TaskState.SUCCESS
    assert record_info_calls(mock) <= 3


def test_hybrid_wait_falls_back_to_polling(
    mock: MockServer, client: LiangXin, receiver: CallbackReceiver
) -> None:
    task = client.tasks.create("seedream-v4-5", "a tea bottle")  # no callback will come
    record = wait_for_task(client, task.task_id, callbacks=receiver, poll_interval=0.2, timeout=60)
    assert record.state is TaskState.SUCCESS
    assert receiver.get(task.task_id) is None


@WAKE_TIMEOUT
def test_a_forged_callback_cannot_end_the_hybrid_wait(
    mock: MockServer, client: LiangXin, receiver: CallbackReceiver, receiver_url: str
) -> None:
    task = client.tasks.create(
        "seedream-v4-5",
        "a tea bottle",
        callback_url=receiver_url,
        aspect_ratio="9:16",
        validate=False,
    )
    fake = body(taskId=task.task_id, resultJson='{"resultUrls":["https://evil.example/x.png"]}')
    assert httpx.post(receiver_url, content=fake, trust_env=False).status_code == 200
    record = wait_for_task(client, task.task_id, callbacks=receiver, **CALLBACK_ONLY)
    assert record.state is TaskState.SUCCESS
    assert record.result_urls[0].startswith(mock.base_url)


def test_receiver_as_a_starlette_route(receiver: CallbackReceiver) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Route

    app = Starlette(routes=[Route("/liangxin/callback", receiver, methods=["POST"])])

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            return await http.post("/liangxin/callback", content=body())

    assert asyncio.run(send()).status_code == 200
    assert receiver.get("task_seedream-v4-5_1777600000000") is not None
