"""Billing-safe retries: createTask is resent only when it provably never arrived."""

from __future__ import annotations

import email.utils
from typing import TYPE_CHECKING

import httpx
import pytest
from client_support import (
    BASE_URL,
    KEY,
    TASK_ID,
    AfterSend,
    MockFactory,
    Recorder,
    client_for,
    envelope,
    no_retry_waits,
    record_data,
    silent_server,
)

from liangxin_client import (
    AmbiguousSubmitError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    InternalServerError,
    LiangXin,
    RateLimitError,
    TaskState,
)
from liangxin_client._responses import parse_retry_after
from liangxin_client._retry import RETRY_AFTER_CAP, retry_decision
from liangxin_mock import MockServer

if TYPE_CHECKING:
    from client_support import SilentServer

__all__ = ["no_retry_waits", "silent_server"]

pytestmark = pytest.mark.usefixtures("no_retry_waits")

CREATED = httpx.Response(200, json=envelope({"taskId": "task_x_1"}))


# -- Retry-After ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("3", 3.0),
        (" 0 ", 0.0),
        ("1.5", 1.5),
        ("-4", 0.0),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("", None),
    ],
)
def test_parse_retry_after_seconds(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value) == seconds


def test_parse_retry_after_http_date() -> None:
    now = 1_800_000_000.0
    date = email.utils.formatdate(now + 30, usegmt=True)
    assert parse_retry_after(date, now=lambda: now) == 30.0
    past = email.utils.formatdate(now - 30, usegmt=True)
    assert parse_retry_after(past, now=lambda: now) == 0.0


# -- the decision table ---------------------------------------------------------------------------


def _rate_limited(retry_after: float | None) -> RateLimitError:
    return RateLimitError("busy", response=httpx.Response(429), retry_after=retry_after)


def _connection(cause: httpx.TransportError) -> APIConnectionError:
    error = (
        APITimeoutError("t")
        if isinstance(cause, httpx.TimeoutException)
        else APIConnectionError("c")
    )
    error.__cause__ = cause
    return error


@pytest.mark.parametrize("submit", [False, True])
def test_retry_decision_429_honours_retry_after_with_a_cap(submit: bool) -> None:
    assert retry_decision(_rate_limited(None), submit=submit) is True
    assert retry_decision(_rate_limited(2.0), submit=submit) == 2.0
    assert retry_decision(_rate_limited(3600.0), submit=submit) == RETRY_AFTER_CAP


@pytest.mark.parametrize(
    ("cause", "read_retried", "submit_retried"),
    [
        (httpx.ConnectError("x"), True, True),
        (httpx.ConnectTimeout("x"), True, True),
        (httpx.PoolTimeout("x"), True, True),
        (httpx.ReadTimeout("x"), True, False),
        (httpx.WriteError("x"), True, False),
        (httpx.RemoteProtocolError("x"), True, False),
        (httpx.ReadError("x"), True, False),
        (httpx.LocalProtocolError("Illegal header value"), False, False),
        (httpx.UnsupportedProtocol("no scheme"), False, False),
    ],
)
def test_retry_decision_transport_errors(
    cause: httpx.TransportError, read_retried: bool, submit_retried: bool
) -> None:
    assert retry_decision(_connection(cause), submit=False) is read_retried
    assert retry_decision(_connection(cause), submit=True) is submit_retried


def test_retry_decision_status_errors() -> None:
    server = InternalServerError("x", response=httpx.Response(500))
    assert retry_decision(server, submit=False) is True
    assert retry_decision(server, submit=True) is False
    ambiguous = AmbiguousSubmitError("x", {})
    assert retry_decision(ambiguous, submit=True) is False


# -- MockTransport: what is sent how often ---------------------------------------------------------


def test_create_is_resent_after_a_connect_error() -> None:
    seen = Recorder(httpx.ConnectError("refused"), CREATED)
    with client_for(seen) as client:
        assert client.tasks.create("z-image", "x").task_id == "task_x_1"
    assert len(seen.requests) == 2


def test_create_is_resent_after_429() -> None:
    busy = httpx.Response(
        429, json={"code": 429, "msg": "busy", "data": None}, headers={"Retry-After": "1"}
    )
    seen = Recorder(busy, CREATED)
    with client_for(seen) as client:
        client.tasks.create("z-image", "x")
    assert len(seen.requests) == 2


@pytest.mark.parametrize(
    "answer",
    [
        httpx.ReadTimeout("lost"),
        httpx.RemoteProtocolError("Server disconnected without sending a response."),
        httpx.WriteError("broken pipe"),
        httpx.Response(502, text="<html>Bad Gateway</html>"),
        httpx.Response(
            504,
            json={"error": {"message": "upstream timeout", "type": "new_api_error", "code": ""}},
        ),
        httpx.Response(200, text='{"code":200,"msg":"success","data":{"ta'),
    ],
)
def test_create_is_never_resent_when_in_doubt(answer: httpx.Response | Exception) -> None:
    seen = Recorder(answer, CREATED)
    with client_for(seen, max_retries=5) as client, pytest.raises(AmbiguousSubmitError) as info:
        client.tasks.create("z-image", "a fox", callback_url="https://example.com/cb-s3cr3t")
    assert len(seen.requests) == 1
    message = str(info.value)
    assert "NOT resent" in message and "console" in message and "callBackUrl" in message
    assert info.value.request_summary == {  # the URL is a secret: scheme and host only
        "model": "z-image",
        "prompt": "a fox",
        "callBackUrl": "https://example.com/***",
    }
    assert "s3cr3t" not in message + repr(info.value.request_summary)


def test_create_task_layer_500_is_definite_and_not_resent() -> None:
    seen = Recorder(
        httpx.Response(500, json={"code": 500, "msg": "upstream task error", "data": None}), CREATED
    )
    with client_for(seen) as client, pytest.raises(InternalServerError):
        client.tasks.create("z-image", "x")
    assert len(seen.requests) == 1


def test_record_info_is_retried_on_5xx_timeouts_and_429() -> None:
    ok = httpx.Response(200, json=envelope(record_data("queuing")))
    seen = Recorder(
        httpx.ReadTimeout("slow"),
        httpx.Response(502, text="bad gateway"),
        httpx.Response(429, json={"code": 429, "msg": "busy"}),
        ok,
    )
    with client_for(seen, max_retries=3) as client:
        assert client.tasks.get(TASK_ID).state is TaskState.QUEUING
    assert len(seen.requests) == 4


def test_max_retries_bounds_the_attempts() -> None:
    seen = Recorder(httpx.ReadTimeout("slow"))
    with client_for(seen, max_retries=2) as client, pytest.raises(APITimeoutError):
        client.tasks.get(TASK_ID)
    assert len(seen.requests) == 3
    seen = Recorder(httpx.ReadTimeout("slow"))
    with client_for(seen, max_retries=0) as client, pytest.raises(APITimeoutError):
        client.tasks.get(TASK_ID)
    assert len(seen.requests) == 1


# -- requests that never left, and answers that are definite ---------------------------------------


@pytest.mark.parametrize(
    "error",
    [
        httpx.LocalProtocolError(f"Illegal header value b'Bearer {KEY}'"),
        httpx.UnsupportedProtocol("Request URL is missing an 'http://' or 'https://' protocol."),
    ],
)
def test_a_request_httpx_refuses_to_send_is_not_sent_not_retried_never_ambiguous(
    error: httpx.TransportError,
) -> None:
    for call in ("create", "get"):
        seen = Recorder(error, CREATED)
        with client_for(seen, max_retries=5) as client, pytest.raises(APIConnectionError) as info:
            if call == "create":
                client.tasks.create("z-image", "x")
            else:
                client.tasks.get(TASK_ID)
        assert type(info.value) is APIConnectionError, call
        assert len(seen.requests) == 1, call
        assert "nothing was sent" in str(info.value) and KEY not in str(info.value)


def test_transport_error_text_never_quotes_the_api_key() -> None:
    seen = Recorder(httpx.ReadError(f"peer rejected Authorization: Bearer {KEY}"))
    with client_for(seen, max_retries=0) as client, pytest.raises(APIConnectionError) as info:
        client.tasks.get(TASK_ID)
    assert KEY not in str(info.value) and "***" in str(info.value)


def test_real_unsendable_requests_are_clear_not_sent_errors(silent_server: SilentServer) -> None:
    # h11 refuses a header value with a newline before sending anything.
    bad_header = LiangXin(KEY, silent_server.url, default_headers={"X-Note": "a\n"})
    with bad_header, pytest.raises(APIConnectionError) as info:
        bad_header.tasks.create("z-image", "x")
    assert type(info.value) is APIConnectionError
    assert "no task was created" in str(info.value)
    # A base URL without http(s):// is refused at construction, before any request exists.
    with pytest.raises(ConfigurationError, match="http:// or https://"):
        LiangXin(KEY, "api.liangxin.test")


@pytest.mark.parametrize(
    ("location", "hint"),
    [
        ("https://api.liangxin.test/api/v1/jobs/{op}", "set base_url to https://api.liangxin.test"),
        ("/login", "set base_url to the service's final address"),
        (None, "without a Location header"),
    ],
)
def test_a_redirect_is_a_definite_error_naming_where_it_points(
    location: str | None, hint: str
) -> None:
    for op in ("createTask", "recordInfo"):
        headers = {} if location is None else {"location": location.format(op=op)}
        seen = Recorder(httpx.Response(301, headers=headers, text="Moved"), CREATED)
        http = httpx.Client(transport=httpx.MockTransport(seen))
        plain = BASE_URL.replace("https://", "http://")
        with (
            LiangXin(KEY, plain, http_client=http) as client,
            pytest.raises(APIStatusError) as info,
        ):
            if op == "createTask":
                client.tasks.create("z-image", "x")
            else:
                client.tasks.get(TASK_ID)
        assert type(info.value) is APIStatusError, op
        assert info.value.status_code == 301 and hint in str(info.value), str(info.value)
        assert "redirected" in str(info.value) and len(seen.requests) == 1


@pytest.mark.parametrize(
    ("data", "shown"),
    [
        ({"taskId": 1777600000123}, "1777600000123 (int)"),
        ({"taskId": ""}, '"" (str)'),
        ({"id": "task_x_1"}, '"id": "task_x_1"'),
        ("task_x_1", '"task_x_1" (str)'),
    ],
)
def test_an_unusable_task_id_is_shown_in_the_message(data: object, shown: str) -> None:
    seen = Recorder(httpx.Response(200, json=envelope(data)))
    with client_for(seen) as client, pytest.raises(AmbiguousSubmitError) as info:
        client.tasks.create("z-image", "x")
    assert shown in info.value.message
    assert isinstance(info.value.__cause__, APIError) and shown in info.value.__cause__.message


# -- against the mock: the per-key count of accepted createTask calls ------------------------------


def test_create_is_not_sent_twice_after_a_read_timeout(liangxin_mock: MockServer) -> None:
    transport = AfterSend({"/api/v1/jobs/createTask": 1})
    http = httpx.Client(transport=transport)
    with (
        LiangXin(
            liangxin_mock.api_key, liangxin_mock.base_url, http_client=http, max_retries=3
        ) as client,
        pytest.raises(AmbiguousSubmitError),
    ):
        client.tasks.create("seedream-v4-5", "a lighthouse at dusk")
    assert transport.sent.count("/api/v1/jobs/createTask") == 1
    assert liangxin_mock.stats()["keys"][liangxin_mock.api_key]["createTask"] == 1
    http.close()


def test_record_info_is_retried_after_a_read_timeout_and_succeeds(
    liangxin_mock: MockServer,
) -> None:
    transport = AfterSend({"/api/v1/jobs/recordInfo": 1})
    http = httpx.Client(transport=transport)
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url, http_client=http) as client:
        task = client.tasks.create("seedream-v4-5", "a lighthouse at dusk")
        record = client.tasks.get(task)
    assert record.task_id == task.task_id
    assert transport.sent.count("/api/v1/jobs/recordInfo") == 2
    stats = liangxin_mock.stats()["keys"][liangxin_mock.api_key]
    assert stats["createTask"] == 1 and stats["recordInfo"] == 2
    http.close()


def test_dropped_create_connection_is_ambiguous_and_not_resent(
    liangxin_mock_factory: MockFactory,
) -> None:
    mock = liangxin_mock_factory(fault_rate=1.0, fault_kinds=("accepted_drop",))
    with (
        LiangXin(mock.api_key, mock.base_url, max_retries=3) as client,
        pytest.raises(AmbiguousSubmitError),
    ):
        client.tasks.create("z-image", "x")
    stats = mock.stats()
    assert (
        stats["keys"][mock.api_key]["createTask"] == 1
    )  # it was created: resending would pay twice
    assert stats["faults"]["requests"] == 1


# -- the first retry's wait follows the same rules as the others -----------------------------------


def test_first_retry_wait_follows_the_same_rules() -> None:
    import stamina

    stamina.set_testing(False)  # this test reads real waits; nothing sleeps here
    with client_for(Recorder(CREATED), max_retries=2) as client:
        policy = client.retry_policy
        assert client._retry_wait(1, _rate_limited(3.0), True, None) == 3.0
        backoff = client._retry_wait(1, _connection(httpx.ReadTimeout("x")), False, None)
        assert backoff is not None
        assert policy.wait_initial <= backoff <= policy.wait_initial + policy.wait_jitter
        assert client._retry_wait(1, _connection(httpx.ReadTimeout("x")), True, None) is None
    with client_for(Recorder(CREATED), max_retries=0) as client:
        assert client._retry_wait(1, _rate_limited(3.0), False, None) is None
