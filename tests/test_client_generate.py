"""generate() end to end against the mock, and result downloads."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    BASE_URL,
    KEY,
    TASK_ID,
    Recorder,
    client_for,
    envelope,
    no_retry_waits,
    record_data,
)
from PIL import Image

import liangxin_contract
from liangxin_client import (
    AsyncLiangXin,
    GenerationResult,
    LiangXin,
    ResultExpiredError,
    SeedreamV45Input,
    TaskFailedError,
    TaskState,
)
from liangxin_client._records import record_from_data
from liangxin_mock import MockServer

__all__ = ["no_retry_waits"]

REF = ["https://example.com/ref.png"]

#: model → (input fields, expected width:height of the result)
CASES: dict[str, tuple[dict[str, Any], tuple[int, int]]] = {
    "seedream-v4-5": ({"aspect_ratio": "16:9"}, (16, 9)),
    "seedream-v4-5-edit": ({"aspect_ratio": "21:9", "reference_images": REF}, (21, 9)),
    "seedream-v5-lite": ({"aspect_ratio": "3:2"}, (3, 2)),
    "seedream-v5-lite-edit": ({"aspect_ratio": "9:16", "reference_images": REF}, (9, 16)),
    "z-image": ({"image_size": "portrait_3_4"}, (3, 4)),
    "gemini-2.5-flash-image-preview": ({}, (1, 1)),
    "nano-banana-pro": ({"aspect_ratio": "5:4"}, (5, 4)),
    "nano-banana-pro-flash": ({"aspect_ratio": "4:5", "use_google_search_tool": True}, (4, 5)),
    "imagen4-fast": ({"aspect_ratio": "widescreen_16_9"}, (16, 9)),
    "imagen4-ultra": ({"aspect_ratio": "3:4"}, (3, 4)),
    "flux-2-pro": ({"width": 1024, "height": 768}, (4, 3)),
    "kling-v3-pro": ({"aspect_ratio": "16:9", "duration": 5}, (16, 9)),
}


def assert_png_ratio(path: Path, ratio: tuple[int, int]) -> None:
    with Image.open(path) as image:
        assert image.format == "PNG"
        width, height = image.size
    assert abs(width / height - ratio[0] / ratio[1]) < 0.01, (path, image.size, ratio)


def test_cases_cover_every_model() -> None:
    assert set(CASES) == set(liangxin_contract.model_names())


@pytest.mark.parametrize("model", sorted(CASES))
def test_generate_every_model_sync(liangxin_mock: MockServer, tmp_path: Path, model: str) -> None:
    fields, ratio = CASES[model]
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        result = client.generate(
            model, f"a test image for {model}", download_to=tmp_path, timeout=60, **fields
        )
    assert isinstance(result, GenerationResult)
    assert result.record.state is TaskState.SUCCESS and result.record.model == model
    assert len(result.urls) == 1 and len(result.paths) == 1
    assert result.paths[0].parent == tmp_path
    assert_png_ratio(result.paths[0], ratio)
    assert not list(tmp_path.glob(".*.part"))


def test_generate_every_model_async(liangxin_mock: MockServer, tmp_path: Path) -> None:
    async def run() -> list[tuple[str, list[Path]]]:
        async with AsyncLiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:

            async def one(model: str) -> tuple[str, list[Path]]:
                fields, _ = CASES[model]
                result = await client.generate(
                    model, f"async image for {model}", timeout=60, **fields
                )
                assert result.record.state is TaskState.SUCCESS
                return model, await result.save(tmp_path / model)

            return await asyncio.gather(*(one(m) for m in CASES))

    for model, paths in asyncio.run(run()):
        assert len(paths) == 1
        assert_png_ratio(paths[0], CASES[model][1])


def test_generate_with_a_typed_input_then_save(liangxin_mock: MockServer, tmp_path: Path) -> None:
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        result = client.generate(
            input=SeedreamV45Input(prompt="typed", aspect_ratio="cinematic_21_9")
        )
        assert result.paths == ()
        paths = result.save(tmp_path)
    assert_png_ratio(paths[0], (21, 9))


def test_generate_raises_task_failed_from_the_mock(liangxin_mock: MockServer) -> None:
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        failing = client.with_options(
            default_headers={"X-Mock-Fail": "CONTENT_POLICY:blocked by policy"}
        )
        with pytest.raises(TaskFailedError) as info:
            failing.generate("z-image", "x", timeout=60)
    assert info.value.fail_code == "CONTENT_POLICY" and info.value.fail_msg == "blocked by policy"


# -- downloads through MockTransport --------------------------------------------------------------


def _success_with(url: str) -> httpx.Response:
    return httpx.Response(
        200, json=envelope(record_data("success", resultJson=f'{{"resultUrls":["{url}"]}}'))
    )


@pytest.mark.parametrize("status", [403, 404, 410])
def test_expired_result_url_says_so(tmp_path: Path, status: int) -> None:
    url = "https://cdn.example/r/0.png"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.host == "cdn.example":
            return httpx.Response(status, text="gone")
        return _success_with(url)

    with client_for(handler) as client:
        result = GenerationResult(client.tasks.get(TASK_ID), client=client)
        with pytest.raises(ResultExpiredError) as info:
            result.save(tmp_path)
    assert "expire about 24 h" in str(info.value) and "re-run" in str(info.value)
    assert info.value.status_code == status
    assert list(tmp_path.iterdir()) == []


def test_download_streams_to_a_temp_file_and_sends_no_key_to_other_hosts(tmp_path: Path) -> None:
    payload = b"\x89PNG\r\n\x1a\n" + bytes(300_000)
    seen = Recorder(httpx.Response(200, content=payload, headers={"content-type": "image/png"}))
    with client_for(seen) as client:
        record = record_from_data(
            record_data("success", resultJson='{"resultUrls":["https://cdn.example/x?sig=1"]}')
        )
        [path] = client.save(record, tmp_path / "new" / "dir", metadata="none")
    assert path.read_bytes() == payload and path.suffix == ".png"
    assert path.name == f"{TASK_ID}_0.png"
    assert "authorization" not in seen.requests[0].headers
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert path.stat().st_mode & 0o777 == 0o666 & ~_current_umask()


def test_download_to_the_api_host_is_authenticated(tmp_path: Path) -> None:
    seen = Recorder(httpx.Response(200, content=b"png", headers={"content-type": "image/png"}))
    with client_for(seen) as client:
        record = record_from_data(record_data("success"))
        client.save(record, tmp_path)
    assert seen.requests[0].headers["authorization"] == f"Bearer {KEY}"
    assert str(seen.requests[0].url).startswith(BASE_URL)


def test_interrupted_download_is_retried_and_leaves_no_partial_file(
    tmp_path: Path, no_retry_waits: None
) -> None:
    class Broken(httpx.SyncByteStream):
        def __iter__(self) -> Iterator[bytes]:
            yield b"first half"
            raise httpx.ReadError("connection reset")

    answers = [
        httpx.Response(200, stream=Broken()),
        httpx.Response(503, text="busy"),
        httpx.Response(200, content=b"whole"),
    ]

    def handler(request: httpx.Request) -> httpx.Response:
        return answers.pop(0)

    with client_for(handler, max_retries=2) as client:
        [path] = client.save(record_from_data(record_data("success")), tmp_path, metadata="none")
    assert path.read_bytes() == b"whole"
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def _current_umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask
