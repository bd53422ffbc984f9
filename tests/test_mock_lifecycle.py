"""Task lifecycle, result images, failures and persistence across restarts (in process)."""

from __future__ import annotations

import io
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from PIL import Image

from liangxin_mock import MockServer

PROMPT = "A cinematic product photo of a premium tea bottle on a stone table, natural morning light"
Factory = Callable[..., MockServer]


def _client(server: MockServer) -> httpx.Client:
    headers = {"Authorization": f"Bearer {server.api_key}"}
    return httpx.Client(base_url=server.base_url, headers=headers, timeout=30)


def _create(c: httpx.Client, body: dict[str, Any], **headers: str) -> str:
    response = c.post("/api/v1/jobs/createTask", json=body, headers=headers)
    assert response.status_code == 200, response.text
    task_id: str = response.json()["data"]["taskId"]
    return task_id


def _wait(c: httpx.Client, task_id: str, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while True:
        response = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()["data"]
        if data["state"] in {"success", "fail"} or time.monotonic() > deadline:
            return data
        time.sleep(0.05)


def test_task_moves_through_the_states_to_success(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=1.0)
    with _client(server) as c:
        task_id = _create(c, {"model": "seedream-v4-5", "input": {"prompt": PROMPT}})
        seen: list[str] = []
        data = _wait_collecting(c, task_id, seen)
    assert seen[-1] == "success"
    order = ["waiting", "queuing", "generating", "success"]
    assert [s for s in order if s in seen] == list(dict.fromkeys(seen))  # never goes back
    assert data["failCode"] == "" and data["failMsg"] == ""
    assert data["completeTime"] >= data["createTime"]
    assert data["costTime"] == data["completeTime"] - data["createTime"]
    assert data["updateTime"] == data["completeTime"]


def _wait_collecting(c: httpx.Client, task_id: str, seen: list[str]) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        data: dict[str, Any] = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()[
            "data"
        ]
        seen.append(data["state"])
        if data["state"] in {"success", "fail"} or time.monotonic() > deadline:
            return data
        time.sleep(0.02)


def test_non_terminal_record_has_null_complete_time(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=600)
    with _client(server) as c:
        task_id = _create(c, {"model": "imagen4-fast", "input": {"prompt": "x"}})
        data = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()["data"]
    assert data["state"] == "waiting"
    assert data["resultJson"] == "" and data["completeTime"] is None and data["costTime"] is None


def test_zero_seconds_is_done_at_the_first_read(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=0)
    with _client(server) as c:
        task_id = _create(c, {"model": "z-image", "input": {"prompt": "x"}})
        data = c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).json()["data"]
    assert data["state"] == "success"


@pytest.mark.parametrize(
    ("model", "extra", "size"),
    [
        ("seedream-v4-5", {}, (512, 512)),
        ("seedream-v4-5", {"aspect_ratio": "16:9"}, (512, 288)),
        ("seedream-v5-lite", {"aspect_ratio": "portrait_2_3"}, (341, 512)),
        ("imagen4-ultra", {"aspect_ratio": "social_story_9_16"}, (288, 512)),
        ("nano-banana-pro", {"aspect_ratio": "5:4"}, (512, 410)),
        ("flux-2-pro", {}, (512, 384)),
        ("flux-2-pro", {"width": 512, "height": 1024}, (256, 512)),
        ("flux-2-pro", {"aspect_ratio": "21:9"}, (512, 219)),
        ("z-image", {"image_size": "portrait_9_16", "aspect_ratio": "16:9"}, (288, 512)),
        ("z-image", {"aspect_ratio": "4:3"}, (512, 384)),
        ("gemini-2.5-flash-image-preview", {}, (512, 512)),
    ],
)
def test_result_url_serves_a_png_of_the_requested_ratio(
    liangxin_mock_factory: Factory, model: str, extra: dict[str, Any], size: tuple[int, int]
) -> None:
    server = liangxin_mock_factory(task_seconds=0)
    with _client(server) as c:
        task_id = _create(c, {"model": model, "input": {"prompt": "a fox", **extra}})
        data = _wait(c, task_id)
        assert data["state"] == "success"
        urls = json.loads(data["resultJson"])["resultUrls"]
        assert len(urls) == 1 and urls[0].startswith(server.base_url + "/")
        image_response = httpx.get(urls[0], timeout=30)  # unauthenticated, like a CDN URL
    assert image_response.status_code == 200
    assert image_response.headers["content-type"] == "image/png"
    image = Image.open(io.BytesIO(image_response.content))
    assert image.format == "PNG"
    assert image.size == size


def test_images_are_deterministic_from_the_task(liangxin_mock_factory: Factory) -> None:
    """One task: the same bytes at every download. Two tasks of one request: the same picture,
    their own taskId written on it. Another prompt: another picture."""
    server = liangxin_mock_factory(task_seconds=0)
    pngs = []
    with _client(server) as c:
        for prompt in ["same", "same", "other"]:
            task_id = _create(c, {"model": "seedream-v4-5", "input": {"prompt": prompt}})
            url = json.loads(_wait(c, task_id)["resultJson"])["resultUrls"][0]
            pngs.append(httpx.get(url).content)
            assert httpx.get(url).content == pngs[-1]
    assert len(set(pngs)) == 3
    corners = [Image.open(io.BytesIO(png)).getpixel((0, 0)) for png in pngs]
    assert corners[0] == corners[1]  # outside the panel: the picture of the request


def test_seed_written_as_3_0_is_the_seed_3(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=0)
    pngs = []
    with _client(server) as c:
        for seed in (3, 3.0, 4):
            body = {"model": "seedream-v4-5", "input": {"prompt": "p", "seed": seed}}
            url = json.loads(_wait(c, _create(c, body))["resultJson"])["resultUrls"][0]
            pngs.append(httpx.get(url).content)
            head = httpx.head(url)
            assert head.status_code == 200 and head.headers["content-type"] == "image/png"
    corners = [Image.open(io.BytesIO(png)).getpixel((0, 0)) for png in pngs]
    assert corners[0] == corners[1] != corners[2]


def test_result_file_is_404_before_success(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=600)
    with _client(server) as c:
        task_id = _create(c, {"model": "seedream-v4-5", "input": {"prompt": "x"}})
    assert httpx.get(f"{server.base_url}/files/{task_id}/0.png").status_code == 404


def test_forced_failure_header(liangxin_mock_factory: Factory) -> None:
    server = liangxin_mock_factory(task_seconds=0)
    body = {"model": "seedream-v4-5", "input": {"prompt": "x"}}
    with _client(server) as c:
        failed = _wait(c, _create(c, body, **{"X-Mock-Fail": "422:prompt rejected upstream"}))
        default = _wait(c, _create(c, body, **{"X-Mock-Fail": "500"}))
        ok = _wait(c, _create(c, body))
    assert failed["state"] == "fail" and failed["resultJson"] == ""
    assert (failed["failCode"], failed["failMsg"]) == ("422", "prompt rejected upstream")
    assert (default["state"], default["failCode"], default["failMsg"]) == (
        "fail",
        "500",
        "forced failure",
    )
    assert ok["state"] == "success"


def _outcomes(server: MockServer, n: int) -> list[tuple[str, str]]:
    with _client(server) as c:
        ids = [_create(c, {"model": "z-image", "input": {"prompt": f"p{i}"}}) for i in range(n)]
        return [(d["state"], d["failCode"]) for d in (_wait(c, t) for t in ids)]


def test_fail_rate_is_reproducible_with_a_seed(liangxin_mock_factory: Factory) -> None:
    first = _outcomes(liangxin_mock_factory(task_seconds=0, fail_rate=0.5, seed=7), 24)
    again = _outcomes(liangxin_mock_factory(task_seconds=0, fail_rate=0.5, seed=7), 24)
    other = _outcomes(liangxin_mock_factory(task_seconds=0, fail_rate=0.5, seed=8), 24)
    assert first == again
    assert first != other
    states = {state for state, _ in first}
    assert states == {"success", "fail"}
    assert all(code for state, code in first if state == "fail")


def test_restart_on_the_same_db_keeps_tasks_and_progress(tmp_path: Path) -> None:
    db = str(tmp_path / "mock.db")
    body = {"model": "seedream-v4-5", "input": {"prompt": "x"}}
    with (
        MockServer(db_path=db, api_keys={"k": None}, task_seconds=1.0) as first,
        _client(first) as c,
    ):
        slow = _create(c, body)
        done = _create(c, body, **{"X-Mock-Task-Seconds": "0"})
        before = c.get("/api/v1/jobs/recordInfo", params={"taskId": done}).json()["data"]
    with (
        MockServer(db_path=db, api_keys={"k": None}, task_seconds=1.0) as second,
        _client(second) as c,
    ):
        after = c.get("/api/v1/jobs/recordInfo", params={"taskId": done}).json()["data"]
        assert _wait(c, slow)["state"] == "success"
        assert second.stats()["keys"]["k"]["createTask"] == 2
    assert before["state"] == after["state"] == "success"
    assert before["createTime"] == after["createTime"]
