"""Callbacks under attack: forged floods, huge or deeply nested bodies, slow senders — for the
client's `CallbackReceiver` and the mock's test receiver — and a callBackUrl never shown whole."""

from __future__ import annotations

import contextlib
import logging
import socket
import threading
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from liangxin_client import AmbiguousSubmitError, InvalidRequestError, LiangXin, TaskTimeoutError
from liangxin_client.callbacks import (
    DEFAULT_MAX_STORED_CALLBACK_BYTES,
    CallbackReceiver,
    InvalidCallbackError,
    parse_callback,
    wait_for_task,
)
from liangxin_mock import MockServer
from liangxin_mock.receiver import CallbackReceiver as MockReceiver
from tests.test_callbacks import ReceiverServer, body, post

MockFactory = Callable[..., MockServer]
MB = 1024 * 1024


def big_body(task_id: str, size: int = MB - 4096) -> bytes:
    return body(taskId=task_id, failMsg="x" * size)


# -- what the receiver keeps --------------------------------------------------------------------


def test_stored_callbacks_are_capped_by_bytes_not_only_by_count() -> None:
    receiver = CallbackReceiver(max_stored_bytes=5 * MB)
    for n in range(30):
        receiver.accept(big_body(f"task_seedream-v4-5_{1777600000000 + n}"))
    assert receiver.stored_bytes <= 5 * MB
    assert receiver.get("task_seedream-v4-5_1777600000029") is not None  # the newest stays
    assert receiver.get("task_seedream-v4-5_1777600000000") is None  # the oldest went first


def test_the_default_cap_holds_for_forged_megabyte_bodies() -> None:
    receiver = CallbackReceiver()
    assert DEFAULT_MAX_STORED_CALLBACK_BYTES <= 64 * MB
    for n in range(DEFAULT_MAX_STORED_CALLBACK_BYTES // MB + 8):
        receiver.accept(big_body(f"task_seedream-v4-5_{1777600000000 + n}"))
    assert receiver.stored_bytes <= DEFAULT_MAX_STORED_CALLBACK_BYTES


def test_a_record_stored_again_is_counted_once() -> None:
    receiver = CallbackReceiver(max_stored_bytes=5 * MB)
    for _ in range(10):
        receiver.accept(big_body("task_seedream-v4-5_1777600000000"))
    assert 0 < receiver.stored_bytes < 2 * MB


# -- bodies that used to raise RecursionError -----------------------------------------------------


def _deep(depth: int) -> bytes:
    return b'{"code":200,"msg":"success","data":' + b"[" * depth + b"]" * depth + b"}"


@pytest.mark.parametrize("depth", [300, 10_000])
def test_parse_callback_rejects_deep_nesting_as_invalid(depth: int) -> None:
    with pytest.raises(InvalidCallbackError):
        parse_callback(_deep(depth))
    deep_param = body(param="[" * depth + "]" * depth)  # param is itself a JSON string
    with contextlib.suppress(InvalidCallbackError):  # a record, or refused: never RecursionError
        parse_callback(deep_param)


def test_parse_callback_survives_a_lone_surrogate() -> None:
    raw = body(failMsg="PLACEHOLDER").replace(b"PLACEHOLDER", b"\\ud800")
    try:
        record = parse_callback(raw)
    except InvalidCallbackError:
        return
    assert record.fail_msg == "\ud800"


def test_the_receiver_answers_a_deep_body_with_400() -> None:
    response = post(CallbackReceiver(), _deep(10_000))
    assert response.status_code == 400
    assert "nested" in response.json()["error"]


# -- forged callbacks cannot make a wait poll in a loop -------------------------------------------


@pytest.mark.timeout(120)
def test_a_flood_of_forged_callbacks_polls_at_most_once_per_interval(
    liangxin_mock_factory: MockFactory,
) -> None:
    mock = liangxin_mock_factory(task_seconds=600)
    receiver = CallbackReceiver()
    with LiangXin(mock.api_key, mock.base_url) as client:
        task = client.tasks.create("seedream-v4-5", "a tea bottle")
        outcome: dict[str, Any] = {}
        first_poll = threading.Event()

        def wait() -> None:
            try:
                wait_for_task(
                    client,
                    task.task_id,
                    callbacks=receiver,
                    poll_interval=3600,
                    timeout=6,
                    min_wake_interval=30,
                    on_update=lambda r: first_poll.set(),
                )
            except TaskTimeoutError as exc:
                outcome["error"] = exc

        waiter = threading.Thread(target=wait)
        waiter.start()
        assert first_poll.wait(60)
        forged = body(taskId=task.task_id, state="success")
        for _ in range(200):
            receiver.accept(forged)
        waiter.join(60)
    assert isinstance(outcome.get("error"), TaskTimeoutError)
    # The first poll, one at the first forged callback, and the last look at the deadline;
    # the other 199 callbacks fall inside the 30 s interval (before the fix: ~200 polls).
    assert mock.stats()["recordInfo"] <= 4


@pytest.mark.timeout(60)
def test_a_genuine_callback_right_after_a_forged_one_still_wakes_the_wait(
    liangxin_mock_factory: MockFactory,
) -> None:
    mock = liangxin_mock_factory(task_seconds=1.0, allow_http_callbacks=True)
    receiver = CallbackReceiver()
    with ReceiverServer(receiver) as url, LiangXin(mock.api_key, mock.base_url) as client:
        task = client.tasks.create("seedream-v4-5", "tea", callback_url=url, validate=False)
        receiver.accept(body(taskId=task.task_id))  # forged: wakes the wait at once
        record = wait_for_task(
            client,
            task.task_id,
            callbacks=receiver,
            poll_interval=3600,
            timeout=None,
            min_wake_interval=0.5,
        )
    assert record.state.value == "success"


# -- slow senders ------------------------------------------------------------------------------


def _stall(url: str, sent: bytes = b'{"code":') -> socket.socket:
    host, port = url.removeprefix("http://").split("/")[0].split(":")
    sock = socket.create_connection((host, int(port)), timeout=30)
    head = f"POST /liangxin/callback HTTP/1.1\r\nHost: {host}\r\nContent-Length: 4000\r\n\r\n"
    sock.sendall(head.encode() + sent)
    return sock


def _answer(sock: socket.socket) -> bytes:
    answer = b""
    try:
        while chunk := sock.recv(65536):
            answer += chunk
    except ConnectionResetError:
        pass
    return answer


@pytest.mark.timeout(120)
def test_slow_bodies_are_timed_out_and_bounded(caplog: pytest.LogCaptureFixture) -> None:
    receiver = CallbackReceiver(body_timeout=1.0, max_reads=2)
    caplog.set_level(logging.INFO)
    with ReceiverServer(receiver) as url:
        stalled = [_stall(url), _stall(url)]  # both readers busy
        answered: list[bytes] = []
        for _ in range(50):
            answer = _answer(_stall(url))
            answered.append(answer)
            if answer:  # once the two stalled reads hold both slots, the rest are turned away
                break
        assert answered[-1].startswith(b"HTTP/1.1 503"), answered[-1]
        assert b"connection: close" in answered[-1].lower()
        for sock in stalled:
            with sock:
                timed_out = _answer(sock)
            assert timed_out.startswith(b"HTTP/1.1 408"), timed_out
        good = httpx.post(url, content=body(), trust_env=False, timeout=30)
        assert good.status_code == 200  # still reachable
    assert not [r for r in caplog.records if r.exc_info], "tracebacks were logged"


def test_the_mock_receiver_survives_deep_and_odd_bodies() -> None:
    with MockReceiver() as receiver:
        for content in (b"[" * 10_000 + b"]" * 10_000, b'{"x":"\\ud800"}'):
            assert httpx.post(receiver.url, content=content, trust_env=False).status_code == 200
        assert len(receiver.wait_for(2)) == 2


def test_the_mock_receiver_times_out_a_slow_body(capfd: pytest.CaptureFixture[str]) -> None:
    with MockReceiver(timeout=0.5) as receiver:
        with _stall(receiver.url) as sock:
            assert _answer(sock) == b""  # closed, nothing delivered
        too_big = httpx.post(receiver.url, content=b"x" * (MB + 1), trust_env=False)
        assert too_big.status_code == 413
        assert httpx.post(receiver.url, content=b"{}", trust_env=False).status_code == 200
        assert len(receiver.deliveries) == 1
    assert "Traceback" not in capfd.readouterr().err


# -- callBackUrl stays a secret ---------------------------------------------------------------

SECRET = "https://hooks.example.com/liangxin/cb-7f3a9d2e61"


def test_a_rejected_callback_url_is_not_echoed_whole() -> None:
    with (
        LiangXin("sk-test", "http://127.0.0.1:9") as client,
        pytest.raises(InvalidRequestError) as info,
    ):
        client.tasks.create("z-image", "x", callback_url=SECRET.replace("https", "http"))
    assert "cb-7f3a9d2e61" not in str(info.value)
    assert "hooks.example.com" in str(info.value)


def test_an_ambiguous_create_does_not_print_the_callback_url(
    liangxin_mock_factory: MockFactory,
) -> None:
    mock = liangxin_mock_factory(fault_rate=1.0, fault_kinds=("accepted_drop",))
    client = LiangXin(mock.api_key, mock.base_url, max_retries=0)
    with client, pytest.raises(AmbiguousSubmitError) as info:
        client.tasks.create("z-image", "x", callback_url=SECRET)
    shown = str(info.value) + repr(info.value.request_summary)
    assert "cb-7f3a9d2e61" not in shown
    assert "https://hooks.example.com/***" in shown
