"""Rough edges of the library (issue 19, item 11): a result index out of range, a `download_to`
that cannot be written (found before anything is paid for), a prompt of only whitespace, and
how typed inputs show themselves."""

from __future__ import annotations

import asyncio
import inspect
import os
import pydoc
import warnings
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    TASK_ID,
    Recorder,
    async_client_for,
    client_for,
    envelope,
    record_data,
)

import liangxin_contract
from liangxin_client import (
    UNSET,
    Flux2ProInput,
    InferredConstraintWarning,
    InvalidRequestError,
    LiangXinError,
    NanoBananaProInput,
    ResultIndexError,
    ResultSaveError,
    SeedreamV45Input,
    Unset,
    ZImageInput,
)
from liangxin_mock import MockServer

CREATED = httpx.Response(200, json=envelope({"taskId": TASK_ID}))


def finished(request: httpx.Request) -> httpx.Response:
    """createTask accepted, the task done with one image, the image a PNG."""
    if request.url.path.endswith("createTask"):
        return httpx.Response(200, json=envelope({"taskId": TASK_ID}))
    if request.url.path.startswith("/files/"):
        return httpx.Response(200, content=b"\x89PNG...")
    return httpx.Response(200, json=envelope(record_data("success")))


class Counting:
    """`finished`, counting the createTasks (each one may cost money)."""

    def __init__(self) -> None:
        self.creates = 0
        self.requests = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.creates += request.url.path.endswith("createTask")
        return finished(request)


# -- result.read(index) ----------------------------------------------------------------------------


@pytest.mark.parametrize("index", [1, 5, -2])
def test_reading_a_result_that_does_not_exist_says_how_many_there_are(index: int) -> None:
    with client_for(finished) as client:
        result = client.generate("z-image", "a fox")
        with pytest.raises(ResultIndexError) as info:
            result.read(index)
        with pytest.raises(ResultIndexError):
            result.iter_bytes(index)  # raised at the call, before any request
        assert result.read(0).startswith(b"\x89PNG")
        assert result.read(-1) == result.read(0)  # Python's indexing, as on result.urls
    error = info.value
    assert isinstance(error, IndexError) and isinstance(error, LiangXinError)
    assert (error.task_id, error.index, error.count) == (TASK_ID, index, 1)
    assert str(error) == (
        f"task {TASK_ID} has 1 result (index 0 or -1); there is no result {index}"
    )


def test_a_task_without_results_says_so() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createTask"):
            return httpx.Response(200, json=envelope({"taskId": TASK_ID}))
        data = record_data("success", resultJson='{"resultUrls": []}')
        return httpx.Response(200, json=envelope(data))

    with client_for(handler) as client:
        result = client.generate("z-image", "a fox")
        with pytest.raises(ResultIndexError, match="has no results; there is no result 0"):
            result.read()


def test_the_async_result_checks_its_index_at_the_call() -> None:
    async def run() -> ResultIndexError:
        async with async_client_for(finished) as client:
            result = await client.generate("z-image", "a fox")
            with pytest.raises(ResultIndexError):
                result.iter_bytes(1)
            try:
                await result.read(1)
            except ResultIndexError as exc:
                return exc
        raise AssertionError("no error")

    assert asyncio.run(run()).count == 1


# -- generate(download_to=...) checks the directory before it pays -------------------------------


def unwritable_targets(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "a-file").write_text("not a folder")
    return {
        "a file": tmp_path / "a-file",
        "below a file": tmp_path / "a-file" / "out",
        "read-only filesystem": Path("/proc/liangxin-out"),
        "below a read-only filesystem": Path("/proc/liangxin/out"),
    }


@pytest.mark.parametrize("case", ["a file", "below a file", "read-only filesystem", "below a read-only filesystem"])  # fmt: skip
def test_generate_refuses_an_unwritable_download_to_before_it_pays(
    tmp_path: Path, case: str
) -> None:
    target = unwritable_targets(tmp_path)[case]
    seen = Counting()
    with client_for(seen) as client, pytest.raises(ResultSaveError) as info:
        client.generate("z-image", "a fox", download_to=target)
    assert seen.requests == 0
    error = info.value
    assert error.task_id is None and isinstance(error, OSError)
    assert str(target) in str(error) and "nothing was sent" in str(error)

    async def run() -> None:
        async with async_client_for(seen) as aclient:
            await aclient.generate("z-image", "a fox", download_to=target)

    with pytest.raises(ResultSaveError):
        asyncio.run(run())
    assert seen.requests == 0


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes to read-only directories")
def test_generate_refuses_a_read_only_directory_before_it_pays(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    seen = Counting()
    with client_for(seen) as client, pytest.raises(ResultSaveError):
        client.generate("z-image", "a fox", download_to=locked / "out")
    assert seen.requests == 0


def test_generate_many_refuses_an_unwritable_download_to_before_it_pays(tmp_path: Path) -> None:
    target = unwritable_targets(tmp_path)["below a file"]
    seen = Counting()
    with client_for(seen) as client, pytest.raises(ResultSaveError):
        for _ in client.generate_many(
            [{"model": "z-image", "prompt": "a fox"}] * 3, download_to=target
        ):
            pass  # pragma: no cover
    assert seen.requests == 0

    async def run() -> None:
        async with async_client_for(seen) as aclient:
            async for _ in aclient.generate_many(
                [{"model": "z-image", "prompt": "a fox"}], download_to=target
            ):
                pass  # pragma: no cover

    with pytest.raises(ResultSaveError):
        asyncio.run(run())
    assert seen.requests == 0


def test_a_download_to_that_does_not_exist_yet_is_created_after_the_task(tmp_path: Path) -> None:
    target = tmp_path / "new" / "deeper"
    seen = Counting()
    with client_for(seen) as client:
        result = client.generate("z-image", "a fox", download_to=target)
    assert seen.creates == 1
    assert [p.parent for p in result.paths] == [target]


def test_nothing_is_created_when_the_request_is_refused(tmp_path: Path) -> None:
    target = tmp_path / "new"
    with client_for(Counting()) as client, pytest.raises(InvalidRequestError):
        client.generate("seedream-v4-5", "a fox", aspect_ratio="5:7", download_to=target)
    assert not target.exists()


# -- a prompt of only whitespace --------------------------------------------------------------------


@pytest.mark.parametrize("prompt", ["  ", "   \n\t", "\u3000\u3000", "\u00a0 "])
@pytest.mark.parametrize("model", ["seedream-v4-5", "z-image", "imagen4-ultra", "flux-2-pro", "nano-banana-pro"])  # fmt: skip
def test_a_blank_prompt_warns_and_is_sent(model: str, prompt: str) -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": TASK_ID})))
    with warnings.catch_warnings(record=True) as caught, client_for(seen) as client:
        warnings.simplefilter("always")
        client.tasks.create(model, prompt)
    assert len(seen.requests) == 1
    [warning] = [w.message for w in caught if isinstance(w.message, InferredConstraintWarning)]
    assert warning.field == "input.prompt"
    assert "only whitespace" in str(warning)


def test_a_one_space_prompt_warns_where_one_character_is_allowed() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": TASK_ID})))
    with warnings.catch_warnings(record=True) as caught, client_for(seen) as client:
        warnings.simplefilter("always")
        client.tasks.create("seedream-v4-5", " ")
        with pytest.raises(InvalidRequestError):  # documented: 2 to 3000 characters
            client.tasks.create("nano-banana-pro", " ")
    [warning] = [w.message for w in caught if isinstance(w.message, InferredConstraintWarning)]
    assert str(warning) == (
        "invalid input.prompt: only whitespace (1 character) "
        "(an inferred rule, not stated by the LiangXin docs: sent anyway)"
    )
    assert len(seen.requests) == 1


def test_a_blank_prompt_is_an_error_only_when_strict() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": TASK_ID})))
    with client_for(seen, strict=True) as client, pytest.raises(InvalidRequestError) as info:
        client.tasks.create("seedream-v4-5", "  ")
    assert info.value.field == "input.prompt" and seen.requests == []


def test_an_empty_prompt_is_still_refused_and_a_real_one_does_not_warn() -> None:
    seen = Recorder(httpx.Response(200, json=envelope({"taskId": TASK_ID})))
    with warnings.catch_warnings(record=True) as caught, client_for(seen) as client:
        warnings.simplefilter("always")
        with pytest.raises(InvalidRequestError):
            client.tasks.create("seedream-v4-5", "")
        client.tasks.create("seedream-v4-5", " a fox ")
    assert [w for w in caught if isinstance(w.message, InferredConstraintWarning)] == []


def test_the_mock_accepts_a_blank_prompt_and_notes_the_guess(liangxin_mock_factory: Any) -> None:
    body = {"model": "z-image", "input": {"prompt": "   "}}
    for strict, status in ((False, 200), (True, 400)):
        mock: MockServer = liangxin_mock_factory(strict=strict)
        headers = {"Authorization": f"Bearer {mock.api_key}"}
        with httpx.Client(base_url=mock.base_url, headers=headers) as http:
            answer = http.post("/api/v1/jobs/createTask", json=body)
            noted = http.get("/__mock__/stats").json()["inferredViolations"]
        assert answer.status_code == status, answer.text
        if strict:
            assert answer.json()["msg"] == "invalid input.prompt: only whitespace (3 characters)"
        else:
            assert [entry["field"] for entry in noted["log"]] == ["input.prompt"]


def test_a_valid_prompt_rests_on_no_guess() -> None:
    # The blank-prompt guess is not a schema constraint: a valid prompt's acceptance stays
    # documented (the conformance suite holds the service to it).
    assert (
        liangxin_contract.check_create_task(
            {"model": "seedream-v4-5", "input": {"prompt": "a fox"}}
        ).violations
        == ()
    )
    assert all(c.documented for c in liangxin_contract.model_constraints("seedream-v4-5"))


# -- typed inputs show what is set ------------------------------------------------------------------


def test_a_typed_input_shows_only_the_fields_set() -> None:
    assert (
        repr(SeedreamV45Input(prompt="a fox", seed=3)) == "SeedreamV45Input(prompt='a fox', seed=3)"
    )
    assert repr(ZImageInput(prompt="a fox")) == "ZImageInput(prompt='a fox')"
    flux = Flux2ProInput(prompt="a fox", width=1024, height=768)
    flux["input_image_5"] = "https://e.com/x.png"
    assert repr(flux) == (
        "Flux2ProInput(prompt='a fox', width=1024, height=768, "
        "additional_properties={'input_image_5': 'https://e.com/x.png'})"
    )
    assert "Unset" not in repr(NanoBananaProInput(prompt="a fox", aspect_ratio="5:4"))


def test_unset_reads_as_unset_in_signatures_and_help() -> None:
    assert repr(UNSET) == "UNSET" and isinstance(UNSET, Unset)
    assert "seed: 'int | Unset' = UNSET" in str(inspect.signature(SeedreamV45Input))
    page = pydoc.render_doc(SeedreamV45Input, renderer=pydoc.plaintext)
    assert "enable_safety_checker: 'bool | Unset' = UNSET" in page
    assert "object at 0x" not in page


def test_unset_fields_stay_out_of_the_body_and_equal_inputs_are_equal() -> None:
    typed = SeedreamV45Input(prompt="a fox", seed=3)
    assert typed.to_dict() == {"prompt": "a fox", "seed": 3}
    assert typed == SeedreamV45Input(prompt="a fox", seed=3)
    assert typed != SeedreamV45Input(prompt="a fox")
