"""Credits (403), body size (413) and the per-key concurrency cap (429)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx

from liangxin_mock import MockServer

Factory = Callable[..., MockServer]
BODY = {"model": "seedream-v4-5", "input": {"prompt": "x"}}
QUOTA = {
    "error": {
        "message": "insufficient quota",
        "type": "new_api_error",
        "code": "insufficient_user_quota",
    }
}


def _post(server: MockServer, key: str | None = None, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key or server.api_key}"}
    return httpx.post(
        server.base_url + "/api/v1/jobs/createTask", headers=headers, timeout=30, **kwargs
    )  # type: ignore[arg-type]


def test_credits_run_out_with_403(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(api_keys={"poor": 2, "rich": None})
    assert _post(server, "poor", json={"model": "x"}).status_code == 400  # costs nothing
    assert [_post(server, "poor", json=BODY).status_code for _ in range(2)] == [200, 200]
    spent = _post(server, "poor", json=BODY)
    assert spent.status_code == 403
    assert spent.json() == QUOTA
    assert _post(server, "rich", json=BODY).status_code == 200
    keys = server.stats()["keys"]
    assert keys["poor"]["createTask"] == 2 and keys["poor"]["creditsLeft"] == 0


def test_body_over_the_limit_is_413(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(max_body_bytes=1000)
    big = {"model": "seedream-v4-5", "input": {"prompt": "x" * 2000}}
    response = _post(server, json=big)
    assert response.status_code == 413
    assert response.json() == {"code": 413, "msg": "request body too large", "data": None}
    assert _post(server, json=BODY).status_code == 200


def test_streamed_body_over_the_limit_is_413(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(max_body_bytes=1000)

    def chunks() -> Iterator[bytes]:  # no Content-Length: chunked transfer encoding
        yield b'{"model":"seedream-v4-5","input":{"prompt":"'
        for _ in range(20):
            yield b"x" * 100
        yield b'"}}'

    response = _post(server, content=chunks())
    assert response.status_code == 413
    assert response.json()["code"] == 413
    assert server.stats()["createTask"] == 0


def test_concurrency_cap_is_429_with_retry_after(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(
        api_keys={"a": None, "b": None}, max_concurrent=2, task_seconds=600
    )
    assert [_post(server, "a", json=BODY).status_code for _ in range(2)] == [200, 200]
    capped = _post(server, "a", json=BODY)
    assert capped.status_code == 429
    assert capped.headers["retry-after"].isdigit() and int(capped.headers["retry-after"]) >= 1
    body = capped.json()
    assert body["code"] == 429 and body["data"] is None and body["msg"]
    assert _post(server, "b", json=BODY).status_code == 200  # the cap is per key
    assert server.stats()["keys"]["a"]["createTask"] == 2


def test_finished_tasks_free_their_slot(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(max_concurrent=1, task_seconds=0)
    assert [_post(server, json=BODY).status_code for _ in range(3)] == [200, 200, 200]
