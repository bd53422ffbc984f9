"""generate_many (sync and async) against the mock: one outcome per request, whatever happens."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from liangxin_client import (
    AmbiguousSubmitError,
    AsyncLiangXin,
    GenerateOutcome,
    LiangXin,
    PermissionDeniedError,
    TaskFailedError,
    ZImageInput,
)
from liangxin_client._many import request_body
from liangxin_mock import MockServer

Factory = Callable[..., MockServer]


def _requests(n: int) -> list[Any]:
    forms: list[Any] = []
    for i in range(n):
        if i % 3 == 0:
            forms.append(ZImageInput(prompt=f"fox {i}"))
        elif i % 3 == 1:
            forms.append({"model": "z-image", "prompt": f"fox {i}", "image_size": "square"})
        else:
            forms.append({"model": "z-image", "input": {"prompt": f"fox {i}"}})
    return forms


def test_request_forms_make_the_same_body() -> None:
    typed = request_body(ZImageInput(prompt="p", image_size="square"))
    keywords = request_body({"model": "z-image", "prompt": "p", "image_size": "square"})
    body = request_body({"model": "z-image", "input": {"prompt": "p", "image_size": "square"}})
    assert (
        typed
        == keywords
        == body
        == {
            "model": "z-image",
            "input": {"prompt": "p", "image_size": "square"},
        }
    )


def _check_every_index(outcomes: list[GenerateOutcome], n: int) -> None:
    assert sorted(o.index for o in outcomes) == list(range(n))


def test_sync_outcomes_cover_success_failure_and_invalid_requests(
    liangxin_mock_factory: Factory, tmp_path: Path
) -> None:
    mock = liangxin_mock_factory(task_seconds=0.2, fail_rate=0.3, seed=7)
    requests = _requests(20)
    requests.insert(5, {"model": "flux-2-pro", "prompt": "bad", "width": 512})  # no height
    with LiangXin(mock.api_key, mock.base_url) as client:
        outcomes = list(client.generate_many(requests, concurrency=6, download_to=tmp_path))
    _check_every_index(outcomes, 21)
    by_status = Counter(o.status for o in outcomes)
    failed_on_mock = sum(t["state"] == "fail" for t in mock.tasks())
    assert by_status == {"success": 20 - failed_on_mock, "failed": failed_on_mock, "error": 1}
    assert failed_on_mock > 0
    invalid = next(o for o in outcomes if o.status == "error")
    assert invalid.index == 5 and invalid.task_id is None
    for o in outcomes:
        if o.status == "failed":
            assert isinstance(o.error, TaskFailedError) and o.task_id
        if o.status == "success":
            assert o.task_id and len(o.paths) == 1 and o.paths[0].exists()
    assert mock.stats()["createTask"] == 20


def test_async_outcomes_arrive_as_tasks_finish(liangxin_mock_factory: Factory) -> None:
    mock = liangxin_mock_factory(task_seconds=0.2)

    async def main() -> list[GenerateOutcome]:
        async with AsyncLiangXin(mock.api_key, mock.base_url) as client:
            return [o async for o in client.generate_many(_requests(30), concurrency=8)]

    outcomes = asyncio.run(main())
    _check_every_index(outcomes, 30)
    assert all(o.ok and o.record is not None for o in outcomes)
    assert mock.stats()["createTask"] == 30


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_quota_error_stops_new_submissions_and_finishes_the_rest(
    liangxin_mock_factory: Factory, mode: str
) -> None:
    mock = liangxin_mock_factory(task_seconds=0.3, api_keys={"poor": 5})
    requests = _requests(14)
    if mode == "sync":
        with LiangXin("poor", mock.base_url) as client:
            outcomes = list(client.generate_many(requests, concurrency=3))
    else:

        async def main() -> list[GenerateOutcome]:
            async with AsyncLiangXin("poor", mock.base_url) as client:
                return [o async for o in client.generate_many(requests, concurrency=3)]

        outcomes = asyncio.run(main())
    _check_every_index(outcomes, 14)
    by_status = Counter(o.status for o in outcomes)
    assert by_status["success"] == 5
    refused = [o for o in outcomes if o.status == "error"]
    assert refused and all(isinstance(o.error, PermissionDeniedError) for o in refused)
    # Only the calls already in flight when the first 403 came were sent; the rest never were.
    assert len(refused) <= 3 and by_status["not_submitted"] == 14 - 5 - len(refused)
    assert all(o.body is not None for o in outcomes)
    assert mock.stats()["keys"]["poor"]["createTask"] == 5


def test_ambiguous_submits_are_outcomes_with_what_was_sent(liangxin_mock_factory: Factory) -> None:
    mock = liangxin_mock_factory(
        task_seconds=0.1, fault_rate=0.3, seed=3, fault_kinds=("accepted_drop",)
    )
    with LiangXin(mock.api_key, mock.base_url) as client:
        outcomes = list(client.generate_many(_requests(20), concurrency=4))
    _check_every_index(outcomes, 20)
    ambiguous = [o for o in outcomes if o.status == "ambiguous"]
    assert ambiguous, "the seed should drop some accepted createTasks"
    for o in ambiguous:
        assert isinstance(o.error, AmbiguousSubmitError) and o.task_id is None
        assert o.body is not None and o.body["input"]["prompt"] == f"fox {o.index}"
    assert Counter(o.status for o in outcomes)["success"] == 20 - len(ambiguous)
    # Ambiguous means "maybe paid": the mock did store each of them.
    assert mock.stats()["createTask"] == 20
