"""API requests on a pool the client made are built directly (`_direct_request`), not by
`httpx.Client.build_request`: the same request, at about half the cost (bench: tasks.get).

Each test compares what the direct path builds with what httpx's `build_request` builds for the
same call, so the two cannot drift apart; `build_request` is made to raise where the direct path
must be taken, so a silent fall-back to it cannot pass either.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import liangxin_contract
from liangxin_client import AsyncLiangXin, LiangXin
from tests.client_support import KEY, TASK_ID, Recorder, envelope, record_data

CREATE = liangxin_contract.operation("createTask")
RECORD = liangxin_contract.operation("getTaskDetails")

TASK_IDS = [
    "100%",
    "a%41",
    TASK_ID,
    "a b",
    "a/b",
    "a&b=c",
    "a+b",
    "x?y#z",
    "ünïcode-任务",
    "~-._",
    "'quoted'\"",
]
BODIES: list[dict[str, Any]] = [
    {"model": "z-image", "input": {"prompt": "a cat"}},
    {
        "model": "z-image",
        "input": {"prompt": 'ünïcode 猫 \u2028 "q"'},
        "callBackUrl": "https://x/cb",
    },
    {"model": "z-image", "input": {"prompt": "p", "n": 1.5, "flag": True, "none": None}},
]


def _shape(request: httpx.Request) -> tuple[Any, ...]:
    return (
        request.method,
        str(request.url),
        request.url.raw_path,
        request.headers.multi_items(),
        request.read(),
        request.extensions,
    )


def _reference(client: LiangXin | AsyncLiangXin, method: str, path: str, **kw: Any) -> Any:
    """What httpx's own build_request makes of the call (the path before the direct one)."""
    timeout = kw.pop("timeout", None) or client.timeout
    return httpx.Client.build_request(
        client._http,  # type: ignore[arg-type]
        method,
        client.base_url + path,
        headers=client._headers,
        timeout=timeout,
        **kw,
    )


def _refuse_build_request(monkeypatch: pytest.MonkeyPatch, client: Any) -> None:
    def refused(*args: Any, **kwargs: Any) -> httpx.Request:
        raise AssertionError("build_request was used; the direct path was expected")

    monkeypatch.setattr(client._http, "build_request", refused)


@pytest.fixture(params=["sync", "async"])
def own_pool(request: pytest.FixtureRequest) -> Any:
    """A client on a pool it made itself (nothing is sent)."""
    cls = LiangXin if request.param == "sync" else AsyncLiangXin
    return cls(KEY, "https://api.liangxin.test", default_headers={"X-Team": "imaging"})


@pytest.mark.parametrize("task_id", TASK_IDS)
def test_a_poll_is_the_request_build_request_makes(
    own_pool: Any, task_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    method, path = RECORD
    expected = _reference(own_pool, method, path, params={"taskId": task_id})
    _refuse_build_request(monkeypatch, own_pool)
    built = own_pool._build(method, path, params={"taskId": task_id})
    assert _shape(built) == _shape(expected)
    assert built.url.params["taskId"] == task_id


@pytest.mark.parametrize("body", BODIES)
def test_a_create_is_the_request_build_request_makes(
    own_pool: Any, body: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    method, path = CREATE
    expected = _reference(own_pool, method, path, json=body)
    _refuse_build_request(monkeypatch, own_pool)
    assert _shape(own_pool._build(method, path, json=body)) == _shape(expected)


def test_a_shortened_timeout_and_a_base_url_with_a_path(monkeypatch: pytest.MonkeyPatch) -> None:
    client = LiangXin(KEY, "http://127.0.0.1:8000/prefix/v%20x/")
    method, path = RECORD
    short = httpx.Timeout(1.5, connect=0.5)
    expected = _reference(client, method, path, params={"taskId": "t 1"}, timeout=short)
    _refuse_build_request(monkeypatch, client)
    built = client._build(method, path, params={"taskId": "t 1"}, timeout=short)
    assert _shape(built) == _shape(expected)
    assert built.extensions["timeout"] == {"connect": 0.5, "read": 1.5, "write": 1.5, "pool": 1.5}


def test_unencodable_json_is_still_refused_before_sending() -> None:
    from liangxin_client import InvalidRequestError

    client = LiangXin(KEY, "https://api.liangxin.test")
    method, path = CREATE
    with pytest.raises(InvalidRequestError, match="cannot be encoded as JSON"):
        client._build(method, path, json={"model": "z-image", "input": {"n": float("nan")}})
    with pytest.raises(InvalidRequestError, match="cannot be encoded as JSON"):
        client._build(method, path, json={"model": "z-image", "input": {"x": object()}})


def test_with_options_copies_build_directly_with_their_own_headers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = LiangXin(KEY, "https://api.liangxin.test", default_headers={"X-Team": "a"})
    copy = client.with_options(api_key="sk-other", default_headers={"X-Mock-Task-Seconds": "1"})
    method, path = RECORD
    expected = _reference(copy, method, path, params={"taskId": "t"})
    _refuse_build_request(monkeypatch, copy)
    built = copy._build(method, path, params={"taskId": "t"})
    assert _shape(built) == _shape(expected)
    assert built.headers["authorization"] == "Bearer sk-other"
    assert built.headers["x-mock-task-seconds"] == "1"
    assert "x-team" not in built.headers


def test_a_cookie_the_service_set_goes_back_with_the_next_requests() -> None:
    seen = Recorder(
        httpx.Response(200, json=envelope(record_data()), headers={"Set-Cookie": "lb=node-7"}),
    )
    client = LiangXin(KEY, "https://api.liangxin.test")
    # The pool this client made, with a transport that answers here (nothing leaves the process).
    client._http._transport = httpx.MockTransport(seen)
    client.tasks.get(TASK_ID)
    client.tasks.get(TASK_ID)
    assert "cookie" not in seen.requests[0].headers
    assert seen.requests[1].headers["cookie"] == "lb=node-7"
    assert seen.requests[1].headers["authorization"] == f"Bearer {KEY}"


def test_a_given_http_client_is_built_by_its_own_build_request() -> None:
    """A pool passed in is the caller's: its headers are read on every request, as before."""
    seen = Recorder(httpx.Response(200, json=envelope(record_data())))
    http = httpx.Client(transport=httpx.MockTransport(seen), headers={"X-Proxy-Token": "one"})
    client = LiangXin(KEY, "https://api.liangxin.test", http_client=http)
    client.tasks.get(TASK_ID)
    http.headers["X-Proxy-Token"] = "two"  # e.g. a rotated proxy credential
    http.params = httpx.QueryParams({"tenant": "t1"})
    client.tasks.get(TASK_ID)
    assert seen.requests[0].headers["x-proxy-token"] == "one"
    assert seen.requests[1].headers["x-proxy-token"] == "two"
    assert seen.requests[1].url.params["tenant"] == "t1"
    assert seen.requests[1].url.params["taskId"] == TASK_ID


def test_a_timeout_set_as_a_number_after_construction_still_builds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = LiangXin(KEY, "https://api.liangxin.test")
    client.timeout = 7  # type: ignore[assignment]  # a public attribute; build_request took numbers
    method, path = RECORD
    expected = _reference(client, method, path, params={"taskId": "t"})
    _refuse_build_request(monkeypatch, client)
    built = client._build(method, path, params={"taskId": "t"})
    assert _shape(built) == _shape(expected)
    assert built.extensions["timeout"] == {"connect": 7, "read": 7, "write": 7, "pool": 7}


def test_an_overlong_task_id_is_built_as_build_request_builds_it() -> None:
    """Past httpx's URL length limit only with the query on: the request build_request makes."""
    client = LiangXin(KEY, "https://api.liangxin.test")
    method, path = RECORD
    task_id = "t" * 65_500
    built = client._build(method, path, params={"taskId": task_id})
    assert _shape(built) == _shape(_reference(client, method, path, params={"taskId": task_id}))


@pytest.mark.parametrize(
    "base_url", ["https://h.test/x?a=1", "https://h.test?", "https://h.test#", "https://h.test/#x"]
)
def test_a_base_url_with_a_query_or_fragment_is_a_configuration_error(base_url: str) -> None:
    from liangxin_client import ConfigurationError

    with pytest.raises(ConfigurationError, match="query or fragment"):
        LiangXin(KEY, base_url)


@pytest.mark.parametrize("name", ["user-agent", "USER-AGENT", "User-Agent"])
def test_a_default_header_replaces_the_clients_own_whatever_its_case(name: str) -> None:
    client = LiangXin(KEY, "https://api.liangxin.test", default_headers={name: "my-app/1.0"})
    method, path = RECORD
    built = client._build(method, path, params={"taskId": "t"})
    assert built.headers.get_list("user-agent") == ["my-app/1.0"]
    given = LiangXin(
        KEY,
        "https://api.liangxin.test",
        default_headers={name: "my-app/1.0"},
        http_client=httpx.Client(),
    )
    assert given._build(method, path, params={"taskId": "t"}).headers.get_list("user-agent") == [
        "my-app/1.0"
    ]


def test_wait_on_a_client_whose_timeout_was_set_to_a_number() -> None:
    seen = Recorder(httpx.Response(200, json=envelope(record_data("success"))))
    client = LiangXin(KEY, "https://api.liangxin.test")
    client._http._transport = httpx.MockTransport(seen)
    client.timeout = 7  # type: ignore[assignment]
    record = client.tasks.wait(TASK_ID, timeout=60)
    assert record.state.value == "success"
    assert seen.requests[0].extensions["timeout"]["read"] == 7
