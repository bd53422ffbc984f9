"""The error tree: one status table, both envelopes, odd bodies, and the mock's real conditions."""

from __future__ import annotations

import httpx
import pytest
from client_support import (
    BASE_URL,
    TASK_ID,
    MockFactory,
    Recorder,
    client_for,
    envelope,
    no_retry_waits,
    record_data,
)

from liangxin_client import (
    APIError,
    APIStatusError,
    AuthenticationError,
    BadRequestError,
    InternalServerError,
    LiangXin,
    NotFoundError,
    PayloadTooLargeError,
    PermissionDeniedError,
    RateLimitError,
    TaskState,
    UnprocessableEntityError,
)
from liangxin_client._errors import status_error_class
from liangxin_mock import MockServer

__all__ = ["no_retry_waits"]

HTML_502 = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"


@pytest.mark.parametrize(
    ("code", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (413, PayloadTooLargeError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (502, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_table(code: int, cls: type[APIStatusError]) -> None:
    assert status_error_class(code) is cls


# -- bodies the mock cannot produce, through httpx.MockTransport --------------------------------


def _get_error(response: httpx.Response) -> APIError:
    with client_for(Recorder(response), max_retries=0) as client, pytest.raises(APIError) as info:
        client.tasks.get(TASK_ID)
    return info.value


def test_html_502_from_a_proxy() -> None:
    error = _get_error(
        httpx.Response(
            502, text=HTML_502, headers={"content-type": "text/html", "x-request-id": "req-1"}
        )
    )
    assert type(error) is InternalServerError
    assert error.status_code == 502 and error.code is None and error.request_id == "req-1"
    assert "no JSON error envelope" in error.message
    assert error.body is not None and "502 Bad Gateway" in error.body


def test_http_200_with_an_error_code_maps_through_the_same_table() -> None:
    error = _get_error(
        httpx.Response(200, json={"code": 422, "msg": "upstream says no", "data": None})
    )
    assert type(error) is UnprocessableEntityError
    assert (error.status_code, error.code, error.message) == (200, 422, "upstream says no")


def test_http_200_with_a_platform_envelope() -> None:
    body = {
        "error": {
            "message": "insufficient quota",
            "type": "new_api_error",
            "code": "insufficient_user_quota",
        }
    }
    error = _get_error(httpx.Response(403, json=body, headers={"x-oneapi-request-id": "r2"}))
    assert type(error) is PermissionDeniedError
    assert error.code == "insufficient_user_quota" and error.type == "new_api_error"
    assert error.request_id == "r2" and "insufficient quota" in str(error)


def test_message_key_in_place_of_msg() -> None:
    error = _get_error(httpx.Response(404, json={"code": 404, "message": "task not found"}))
    assert type(error) is NotFoundError and error.message == "task not found"


def test_truncated_json_is_an_api_error_with_the_raw_body() -> None:
    raw = '{"code":200,"msg":"success","data":{"taskId":"t","sta'
    error = _get_error(httpx.Response(200, text=raw))
    assert type(error) is APIError
    assert error.body == raw and error.status_code == 200


def test_long_bodies_are_truncated() -> None:
    error = _get_error(httpx.Response(500, text="x" * 50_000))
    assert error.body is not None and len(error.body) < 2100 and error.body.endswith("[truncated]")


@pytest.mark.parametrize(
    "data",
    [
        {"taskId": TASK_ID, "model": "m"},  # no state
        record_data("success", resultJson="{not json"),
        record_data("success", resultJson='{"resultUrls": "one"}'),
        None,
    ],
)
def test_malformed_records_are_api_errors(data: object) -> None:
    error = _get_error(httpx.Response(200, json=envelope(data)))
    assert type(error) is APIError and error.body


def test_unknown_state_and_extra_fields_do_not_crash_get() -> None:
    data = record_data("upscaling", brandNewField=[1, 2], failCode="", costTime="12")
    del data["failMsg"]
    response = httpx.Response(
        200, json={"code": 200, "message": "success", "data": data, "extra": 1}
    )
    with client_for(Recorder(response)) as client:
        record = client.tasks.get(TASK_ID)
    assert record.state is TaskState.UNKNOWN and record.raw_state == "upscaling"
    assert record.fail_code is None and record.fail_msg is None
    assert record.cost_time == 12 and record.complete_time is None
    assert record.raw["brandNewField"] == [1, 2]
    assert not record.is_terminal


def test_record_fields_are_decoded() -> None:
    with client_for(Recorder(httpx.Response(200, json=envelope(record_data("success"))))) as client:
        record = client.tasks.get(TASK_ID)
    assert record.state is TaskState.SUCCESS and record.is_terminal
    assert record.result_urls == (f"{BASE_URL}/files/{TASK_ID}/0.png",)
    assert record.param == {"model": "seedream-v4-5", "input": {"prompt": "p"}}
    assert (record.create_time, record.complete_time, record.cost_time) == (
        1777600000000,
        1777600012000,
        12000,
    )


# -- each class from the mock condition that causes it -------------------------------------------


def test_400_from_the_service_when_validation_is_bypassed(liangxin_mock: MockServer) -> None:
    with (
        LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client,
        pytest.raises(BadRequestError) as info,
    ):
        client.tasks.create("seedream-v4-5", "x", aspect_ratio="7:5", validate=False)
    assert info.value.status_code == 400 and info.value.code == 400
    assert "aspect_ratio" in info.value.message and info.value.layer == "task"


def test_401_wrong_key(liangxin_mock: MockServer) -> None:
    with (
        LiangXin("sk-wrong", liangxin_mock.base_url) as client,
        pytest.raises(AuthenticationError) as info,
    ):
        client.tasks.get(TASK_ID)
    assert info.value.message == "invalid token" and info.value.type == "new_api_error"


def test_403_credits_spent(liangxin_mock_factory: MockFactory) -> None:
    mock = liangxin_mock_factory(api_keys={"sk-two": 2})
    with LiangXin("sk-two", mock.base_url) as client:
        client.tasks.create("z-image", "one")
        client.tasks.create("z-image", "two")
        with pytest.raises(PermissionDeniedError) as info:
            client.tasks.create("z-image", "three")
    assert info.value.code == "insufficient_user_quota"
    assert mock.stats()["keys"]["sk-two"]["createTask"] == 2


def test_404_unknown_task(liangxin_mock: MockServer) -> None:
    with (
        LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client,
        pytest.raises(NotFoundError),
    ):
        client.tasks.get("task_nope_1")


def test_413_huge_body(liangxin_mock_factory: MockFactory) -> None:
    mock = liangxin_mock_factory(max_body_bytes=2000)
    with LiangXin(mock.api_key, mock.base_url) as client, pytest.raises(PayloadTooLargeError):
        client.tasks.create("seedream-v4-5", "x" * 5000)


def test_429_concurrency_cap_with_retry_after(liangxin_mock_factory: MockFactory) -> None:
    mock = liangxin_mock_factory(max_concurrent=1, task_seconds=30)
    with LiangXin(mock.api_key, mock.base_url, max_retries=0) as client:
        client.tasks.create("z-image", "first")
        with pytest.raises(RateLimitError) as info:
            client.tasks.create("z-image", "second")
    assert info.value.retry_after is not None and info.value.retry_after >= 1
    assert mock.stats()["keys"][mock.api_key]["createTask"] == 1


def test_5xx_from_fault_injection(liangxin_mock_factory: MockFactory, no_retry_waits: None) -> None:
    mock = liangxin_mock_factory(fault_rate=1.0, fault_kinds=("server_error",))
    with LiangXin(mock.api_key, mock.base_url, max_retries=1) as client:
        with pytest.raises(InternalServerError) as info:
            client.tasks.get(TASK_ID)
        assert info.value.message == "upstream task error" and info.value.layer == "task"
        # A task-layer 500 on createTask is a definite "not created": raised as is, never resent.
        with pytest.raises(InternalServerError):
            client.tasks.create("z-image", "x")
    stats = mock.stats()
    assert stats["faults"]["requests"] == 3  # recordInfo twice (one retry), createTask once
    assert stats["keys"][mock.api_key]["createTask"] == 0


def test_html_502_on_create_is_ambiguous(liangxin_mock_factory: MockFactory) -> None:
    from liangxin_client import AmbiguousSubmitError

    mock = liangxin_mock_factory(fault_rate=1.0, fault_kinds=("html",))
    with (
        LiangXin(mock.api_key, mock.base_url) as client,
        pytest.raises(AmbiguousSubmitError) as info,
    ):
        client.tasks.create("z-image", "x")
    assert isinstance(info.value.__cause__, InternalServerError)
    assert info.value.request_summary == {"model": "z-image", "prompt": "x"}
    assert mock.stats()["faults"]["requests"] == 1
