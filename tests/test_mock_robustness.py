"""Hostile or odd createTask bodies get a 400 in the task envelope, never a 500 or a dropped
connection; a 500 that does happen leaves the keep-alive connection usable; a stalled body is
timed out."""

from __future__ import annotations

import json
import socket
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from liangxin_contract import validate_create_task
from liangxin_mock import MockServer
from tests.test_mock_api import client, mock  # noqa: F401  (the shared running mock)

Factory = Callable[..., MockServer]
CREATE = "/api/v1/jobs/createTask"
GOOD = {"model": "seedream-v4-5", "input": {"prompt": "a tea bottle"}}


def nested(depth: int, leaf: Any = 1) -> Any:
    for _ in range(depth):
        leaf = [leaf]
    return leaf


@pytest.fixture
def json_client(client: httpx.Client) -> httpx.Client:  # noqa: F811
    """test_mock_api's client, labelling every body JSON (these tests send raw bytes)."""
    client.headers["Content-Type"] = "application/json"
    return client


def _assert_400(response: httpx.Response) -> str:
    assert response.status_code == 400, response.text[:300]
    body = response.json()
    assert body["code"] == 400 and body["data"] is None and body["msg"]
    msg: str = body["msg"]
    return msg


def deep_raw(depth: int) -> bytes:
    """GOOD plus an extra field nested `depth` levels deep, as raw JSON."""
    return b'{"model":"seedream-v4-5","input":{"prompt":"x"},"extra":%s%s}' % (
        b"[" * depth,
        b"]" * depth,
    )


@pytest.mark.parametrize("depth", [980, 10_000])
def test_json_nested_past_the_parser_limit_is_400(json_client: httpx.Client, depth: int) -> None:
    assert "nested" in _assert_400(json_client.post(CREATE, content=deep_raw(depth)))
    assert json_client.post(CREATE, json=GOOD).status_code == 200  # same connection, still usable


def test_a_validated_field_nested_past_the_validator_limit_is_400(
    json_client: httpx.Client,
) -> None:
    body = {"model": "seedream-v4-5", "input": {"prompt": "x", "seed": nested(256)}}
    _assert_400(json_client.post(CREATE, content=json.dumps(body)))
    assert json_client.post(CREATE, json=GOOD).status_code == 200


@pytest.mark.parametrize("where", ["prompt", "aspect_ratio"])
def test_a_lone_surrogate_escape_is_400(json_client: httpx.Client, where: str) -> None:
    raw = b'{"model":"seedream-v4-5","input":{"prompt":"x","%s":"a\\ud800b"}}' % where.encode()
    assert "surrogate" in _assert_400(json_client.post(CREATE, content=raw))
    assert json_client.post(CREATE, json=GOOD).status_code == 200


def test_a_400_does_not_echo_a_huge_value(json_client: httpx.Client) -> None:
    body = {"model": "seedream-v4-5", "input": {"prompt": "x", "aspect_ratio": "y" * 500_000}}
    response = json_client.post(CREATE, json=body)
    msg = _assert_400(response)
    assert "input.aspect_ratio" in msg and "16:9" in msg  # still names the field and the choices
    assert len(response.content) < 2_000
    long_prompt = {"model": "nano-banana-pro", "input": {"prompt": "p" * 400_000}}
    assert len(_assert_400(json_client.post(CREATE, json=long_prompt))) < 600


def test_the_validator_itself_never_raises_anything_but_a_violation() -> None:
    from liangxin_contract import ContractViolation

    for body in (
        {"model": "seedream-v4-5", "input": {"prompt": "x", "seed": nested(300)}},
        {"model": "seedream-v4-5", "input": {"prompt": "x", "aspect_ratio": "\ud800"}},
    ):
        with pytest.raises(ContractViolation):
            validate_create_task(body)


def test_an_unhandled_error_is_a_500_envelope_and_keeps_the_connection(
    liangxin_mock_factory: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = liangxin_mock_factory(task_seconds=0)
    store = server.app.state.mock.store
    real_insert = store.insert_task
    calls = {"n": 0}

    def every_other_insert_breaks(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] % 2:
            raise RuntimeError("disk on fire")
        return real_insert(*args, **kwargs)

    monkeypatch.setattr(store, "insert_task", every_other_insert_breaks)
    headers = {"Authorization": f"Bearer {server.api_key}"}
    outcomes = []
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=30) as c:
        for _ in range(10):
            broken = c.post(CREATE, json=GOOD)
            assert broken.status_code == 500
            assert broken.json() == {"code": 500, "msg": "internal mock error", "data": None}
            try:
                outcomes.append(c.post(CREATE, json=GOOD).status_code)
            except httpx.TransportError as exc:  # the connection was closed under the client
                outcomes.append(type(exc).__name__)
    assert outcomes == [200] * 10


def test_a_stalled_body_is_timed_out_with_408_and_close(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(body_timeout=0.5)
    host, port = server.base_url.removeprefix("http://").split(":")
    head = (
        f"POST {CREATE} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Authorization: Bearer {server.api_key}\r\nContent-Type: application/json\r\n"
        "Content-Length: 100\r\n\r\n"
    )
    with socket.create_connection((host, int(port)), timeout=30) as sock:
        sock.sendall(head.encode() + b'{"model":')  # ...and the rest never comes
        answer = b""
        while chunk := sock.recv(65536):  # the server closes when it is done
            answer += chunk
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.split()[1] == b"408", answer
    assert b"connection: close" in rest.lower()
    assert json.loads(rest.split(b"\r\n\r\n", 1)[1])["code"] == 408
    assert server.stats()["createTask"] == 0
