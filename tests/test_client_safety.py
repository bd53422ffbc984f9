"""No lost taskId, no leaked key, no foreign exception: the client's promises under faults (issue 13)."""

from __future__ import annotations

import asyncio
import json
import logging
import pickle
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_support import (
    BASE_URL,
    TASK_ID,
    Recorder,
    async_client_for,
    client_for,
    envelope,
    no_retry_waits,
    record_data,
)

from liangxin_client import (
    AmbiguousSubmitError,
    APIError,
    APIStatusError,
    AsyncLiangXin,
    ConfigurationError,
    DurationStats,
    LiangXin,
    LiangXinError,
    ResultExpiredError,
    ResultSaveError,
    find_ambiguous_submit,
)
from liangxin_mock import MockServer

__all__ = ["no_retry_waits"]

CANARY = "sk-canary-7f3a9e1c5b"
CREATED = httpx.Response(200, json=envelope({"taskId": TASK_ID}))
FILE_URL = f"{BASE_URL}/files/{TASK_ID}/0.png"


def fresh(answer: httpx.Response | Exception) -> httpx.Response:
    """A new copy of a canned answer (a Response object cannot be sent twice)."""
    if isinstance(answer, Exception):
        raise answer
    return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)


def _by_path(create: httpx.Response, record: httpx.Response | Exception) -> Recorder:
    """createTask answers `create`; every other request answers `record`."""

    class Routed(Recorder):
        def __call__(self, request: httpx.Request) -> httpx.Response:
            self.requests.append(request)
            return fresh(create if request.url.path.endswith("createTask") else record)

    return Routed(create)


# -- 1. every error after a createTask names the task --------------------------------------------

AFTER_CREATE = {
    "poll answered with an HTML 200": httpx.Response(
        200, text="<html>login</html>", headers={"content-type": "text/html"}
    ),
    "poll 401": httpx.Response(401, json={"error": {"message": "bad key", "type": "auth"}}),
    "poll 403": httpx.Response(403, json={"code": 403, "msg": "no credits", "data": None}),
    "poll 404": httpx.Response(404, json={"code": 404, "msg": "no such task", "data": None}),
    "poll unknown state": httpx.Response(200, json=envelope(record_data("paused"))),
    "poll fail": httpx.Response(
        200, json=envelope(record_data("fail", failCode="500", failMsg="upstream"))
    ),
}


@pytest.mark.parametrize("case", sorted(AFTER_CREATE))
def test_generate_errors_after_create_carry_the_task_id(case: str, no_retry_waits: None) -> None:
    seen = _by_path(CREATED, AFTER_CREATE[case])
    with client_for(seen, max_retries=0) as client, pytest.raises(LiangXinError) as info:
        client.generate("z-image", "a fox", timeout=5)
    assert info.value.task_id == TASK_ID, (case, type(info.value))


@pytest.mark.parametrize("case", sorted(AFTER_CREATE))
def test_async_generate_errors_after_create_carry_the_task_id(
    case: str, no_retry_waits: None
) -> None:
    async def run() -> LiangXinError:
        seen = _by_path(CREATED, AFTER_CREATE[case])
        async with async_client_for(seen, max_retries=0) as client:
            try:
                await client.generate("z-image", "a fox", timeout=5)
            except LiangXinError as exc:
                return exc
        raise AssertionError("no error")

    assert asyncio.run(run()).task_id == TASK_ID


def _succeeded(file_answer: httpx.Response) -> Callable[[httpx.Request], httpx.Response]:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createTask"):
            return fresh(CREATED)
        if request.url.path.startswith("/files/"):
            return fresh(file_answer)
        return httpx.Response(200, json=envelope(record_data("success")))

    return handler


def test_a_410_on_download_names_the_task(tmp_path: Path, no_retry_waits: None) -> None:
    handler = _succeeded(httpx.Response(410, text="gone"))
    with client_for(handler) as client, pytest.raises(ResultExpiredError) as info:
        client.generate("z-image", "a fox", download_to=tmp_path)
    assert info.value.task_id == TASK_ID


def test_a_file_where_download_to_should_be_a_folder_names_the_task(tmp_path: Path) -> None:
    # The folder could be made when generate() checked it (before paying); while the task ran,
    # a file took its place. (A file there from the start is refused before anything is sent:
    # tests/test_client_edges.py.)
    succeeded = _succeeded(httpx.Response(200, content=b"\x89PNG"))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createTask"):
            (tmp_path / "out").write_text("not a folder")
        return succeeded(request)

    with client_for(handler) as client, pytest.raises(ResultSaveError) as info:
        client.generate("z-image", "a fox", download_to=tmp_path / "out")
    assert info.value.task_id == TASK_ID
    assert isinstance(info.value, OSError) and TASK_ID in str(info.value)

    async def run() -> ResultSaveError:
        async with async_client_for(handler) as client:
            try:
                await client.generate("z-image", "a fox", download_to=tmp_path / "out")
            except ResultSaveError as exc:
                return exc
        raise AssertionError("no error")

    (tmp_path / "out").unlink()
    assert asyncio.run(run()).task_id == TASK_ID


def test_an_interruption_after_create_names_the_task() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createTask"):
            return fresh(CREATED)
        raise KeyboardInterrupt

    with client_for(handler) as client, pytest.raises(KeyboardInterrupt) as info:
        client.generate("z-image", "a fox")
    assert any(TASK_ID in note for note in info.value.__notes__)


def test_an_error_from_on_update_names_the_task(no_retry_waits: None) -> None:
    seen = _by_path(CREATED, httpx.Response(200, json=envelope(record_data("generating"))))

    def broken(record: object) -> None:
        raise RuntimeError("my callback is broken")

    with client_for(seen) as client, pytest.raises(RuntimeError) as info:
        client.generate("z-image", "a fox", on_update=broken)
    assert any(TASK_ID in note for note in info.value.__notes__)


# -- 1. a create interrupted in flight is ambiguous, and stays an interruption --------------------


async def _hang(request: httpx.Request) -> httpx.Response:
    await asyncio.sleep(30)
    raise AssertionError("not cancelled")


def _assert_ambiguous(exc: BaseException) -> None:
    ambiguous = find_ambiguous_submit(exc)
    assert isinstance(ambiguous, AmbiguousSubmitError), repr(exc)
    assert ambiguous.request_summary["model"] == "z-image"
    assert "may have been created" in str(ambiguous)


def test_async_create_cancelled_by_a_timeout_is_a_timeout_carrying_the_ambiguity() -> None:
    async def run() -> BaseException:
        async with async_client_for(_hang) as client:
            try:
                async with asyncio.timeout(0.05):
                    await client.tasks.create("z-image", "a fox")
            except TimeoutError as exc:  # asyncio's own semantics are kept
                return exc
        raise AssertionError("no timeout")

    _assert_ambiguous(asyncio.run(run()))


def test_async_create_under_wait_for_and_task_cancel() -> None:
    async def run() -> tuple[BaseException, BaseException]:
        async with async_client_for(_hang) as client:
            try:
                await asyncio.wait_for(client.tasks.create("z-image", "a fox"), 0.05)
            except TimeoutError as exc:
                timed_out: BaseException = exc
            task = asyncio.create_task(client.generate("z-image", "a fox"))
            await asyncio.sleep(0.05)
            task.cancel()
            try:
                await task
            except asyncio.CancelledError as exc:
                assert task.cancelled()
                return timed_out, exc
        raise AssertionError("not cancelled")

    for exc in asyncio.run(run()):
        _assert_ambiguous(exc)


def test_sync_create_interrupted_in_flight_is_ambiguous() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    with client_for(handler) as client, pytest.raises(KeyboardInterrupt) as info:
        client.tasks.create("z-image", "a fox")
    _assert_ambiguous(info.value)


def test_a_poll_interrupted_is_not_called_ambiguous() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise KeyboardInterrupt

    with client_for(handler) as client, pytest.raises(KeyboardInterrupt) as info:
        client.tasks.get(TASK_ID)
    assert find_ambiguous_submit(info.value) is None


# -- 2. redirects and the duration cache ---------------------------------------------------------


def test_a_following_http_client_never_resends_a_create_to_a_redirect_target() -> None:
    hosts: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        hosts.append(request.url.host)
        if request.url.host == "elsewhere.example":
            return fresh(CREATED)
        target = "https://elsewhere.example/api/v1/jobs/createTask"
        return httpx.Response(307, headers={"location": target})

    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)
    with (
        LiangXin("sk-test-key", BASE_URL, http_client=http) as client,
        pytest.raises(APIStatusError, match="redirect"),
    ):
        client.tasks.create("z-image", "a fox")
    assert hosts == ["api.liangxin.test"]

    async def run() -> None:
        ahttp = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=True)
        async with AsyncLiangXin("sk-test-key", BASE_URL, http_client=ahttp) as client:
            with pytest.raises(APIStatusError, match="redirect"):
                await client.tasks.create("z-image", "a fox")

    hosts.clear()
    asyncio.run(run())
    assert hosts == ["api.liangxin.test"]


def test_durations_are_bounded_in_the_number_of_models() -> None:
    stats = DurationStats()
    for n in range(2000):
        stats.add(f"model-{n}", 1.0)
    assert len(stats._by_model) == DurationStats.MAX_MODELS
    assert stats.samples("model-1999") == [1.0] and stats.samples("model-0") == []
    stats.add("model-1744", 2.0)  # seen again: now the most recent
    for n in range(2000, 2000 + DurationStats.MAX_MODELS - 1):
        stats.add(f"model-{n}", 1.0)
    assert stats.samples("model-1744") == [1.0, 2.0]


# -- 3. configuration the client cannot use is a LiangXinError at construction ---------------------


@pytest.mark.parametrize(
    "base_url",
    ["http://127.0.0.1:notaport", "http://[::1", "http://", "ftp://host", "http://h:99999", "x"],
)
def test_an_unusable_base_url_is_a_configuration_error(base_url: str) -> None:
    with pytest.raises(ConfigurationError):
        LiangXin("sk-test-key", base_url)
    with pytest.raises(LiangXinError):
        AsyncLiangXin("sk-test-key", base_url)


def test_a_non_ascii_default_header_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="ASCII"):
        LiangXin("sk-test-key", BASE_URL, default_headers={"X-Note": "café"})
    with pytest.raises(ConfigurationError):
        LiangXin("sk-test-key", BASE_URL, max_retries=-1)


# -- 4. the key never rides on an exception ------------------------------------------------------


def _walk(value: Any, depth: int = 0, seen: set[int] | None = None) -> Iterator[Any]:
    """Every value reachable from `value` through attributes, containers and httpx objects."""
    seen = set() if seen is None else seen
    if depth > 12 or id(value) in seen:
        return
    seen.add(id(value))
    yield value
    children: list[Any] = []
    if isinstance(value, httpx.Headers):
        children = list(value.raw)
    elif isinstance(value, httpx.Request):
        children = [value.headers, str(value.url), value.content]
    elif isinstance(value, httpx.Response):
        children = [value.headers, value.content, value._request]
    elif isinstance(value, dict):
        children = [*value.keys(), *value.values()]
    elif isinstance(value, list | tuple | set | frozenset):
        children = list(value)
    elif isinstance(value, str | bytes | int | float | bool | type(None)):
        children = []
    else:
        if isinstance(value, BaseException):
            children.extend(value.args)
        try:
            children.extend(vars(value).values())
        except TypeError:
            children.extend(getattr(value, slot, None) for slot in getattr(value, "__slots__", ()))
    for child in children:
        yield from _walk(child, depth + 1, seen)


def assert_no_canary(exc: BaseException) -> None:
    assert CANARY not in repr(exc) and CANARY not in str(exc)
    assert CANARY.encode() not in pickle.dumps(exc)
    for value in _walk(exc):
        if isinstance(value, str):
            assert CANARY not in value, (type(exc), value)
        if isinstance(value, bytes):
            assert CANARY.encode() not in value, (type(exc), value)
    restored = pickle.loads(pickle.dumps(exc))
    assert type(restored) is type(exc) and str(restored) == str(exc)


ECHO = {"x-request-id": CANARY, "x-echo": f"Bearer {CANARY}"}

#: name → (createTask answer, recordInfo answer, how to call)
SCENARIOS: dict[str, tuple[Any, Any, str]] = {
    **{
        f"create {status}": (
            httpx.Response(
                status,
                headers=ECHO,
                json={"code": CANARY if status == 400 else status, "msg": f"key {CANARY} bad"},
            ),
            None,
            "create",
        )
        for status in (400, 401, 403, 404, 413, 422, 429, 500, 418)
    },
    "create platform envelope": (
        httpx.Response(401, json={"error": {"message": CANARY, "type": CANARY, "code": CANARY}}),
        None,
        "create",
    ),
    "create HTML 502 (ambiguous)": (
        httpx.Response(502, headers=ECHO, text=f"<html>{CANARY}</html>"),
        None,
        "create",
    ),
    "create unreadable 200 (ambiguous)": (
        httpx.Response(200, headers=ECHO, text=CANARY),
        None,
        "create",
    ),
    "create redirect": (
        httpx.Response(307, headers={"location": f"https://x.example/?k={CANARY}", **ECHO}),
        None,
        "create",
    ),
    "create read timeout (ambiguous)": (httpx.ReadTimeout(f"lost {CANARY}"), None, "create"),
    "create connect error": (httpx.ConnectError(f"refused {CANARY}"), None, "create"),
    "poll 404": (CREATED, httpx.Response(404, headers=ECHO, json={"code": 404}), "generate"),
    "poll HTML 200": (CREATED, httpx.Response(200, headers=ECHO, text=CANARY), "generate"),
    "poll bad record": (
        CREATED,
        httpx.Response(200, json=envelope({"taskId": TASK_ID, "state": 5, "x": CANARY})),
        "generate",
    ),
    "task failed": (
        CREATED,
        httpx.Response(
            200, json=envelope(record_data("fail", failCode=CANARY, failMsg=f"echo {CANARY}"))
        ),
        "generate",
    ),
    "unknown state": (CREATED, httpx.Response(200, json=envelope(record_data(CANARY))), "generate"),
    "poll read timeout": (CREATED, httpx.ReadTimeout(f"lost {CANARY}"), "get"),
    "download 410": (CREATED, httpx.Response(410, headers=ECHO, text=CANARY), "download"),
    "download 500": (CREATED, httpx.Response(500, headers=ECHO, text=CANARY), "download"),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_no_exception_carries_the_api_key(
    name: str, tmp_path: Path, no_retry_waits: None, caplog: pytest.LogCaptureFixture
) -> None:
    create, record, how = SCENARIOS[name]

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("createTask"):
            answer = create
        elif request.url.path.startswith("/files/"):
            answer = record
        elif how == "download":
            answer = httpx.Response(200, json=envelope(record_data("success")))
        else:
            answer = record
        return fresh(answer)

    caplog.set_level(logging.DEBUG, logger="liangxin_client")
    with (
        client_for(handler, api_key=CANARY, max_retries=0) as client,
        pytest.raises(LiangXinError) as info,
    ):
        if how == "create":
            client.tasks.create("z-image", "a fox")
        elif how == "get":
            client.tasks.get(TASK_ID)
        else:
            client.generate("z-image", "a fox", timeout=5, download_to=tmp_path)
    assert_no_canary(info.value)
    assert CANARY not in caplog.text
    if how != "create":
        assert info.value.task_id == TASK_ID


def test_no_exception_from_the_async_client_carries_the_api_key(no_retry_waits: None) -> None:
    async def run() -> list[BaseException]:
        errors: list[BaseException] = []
        for answer in (
            httpx.Response(401, headers=ECHO, json={"code": 401, "msg": CANARY}),
            httpx.Response(502, headers=ECHO, text=CANARY),
            httpx.Response(200, json=envelope(record_data("fail", failMsg=CANARY))),
        ):
            seen = _by_path(CREATED, answer)
            async with async_client_for(seen, api_key=CANARY, max_retries=0) as client:
                try:
                    await client.generate("z-image", "a fox", timeout=5)
                except LiangXinError as exc:
                    errors.append(exc)
        return errors

    errors = asyncio.run(run())
    assert len(errors) == 3
    for exc in errors:
        assert_no_canary(exc)


def test_an_api_error_keeps_a_credential_free_copy_of_what_was_sent(no_retry_waits: None) -> None:
    seen = _by_path(httpx.Response(400, json={"code": 400, "msg": "bad"}), CREATED)
    with client_for(seen, api_key=CANARY, max_retries=0) as client, pytest.raises(APIError) as info:
        client.tasks.create("z-image", "a fox")
    request = info.value.request
    assert request is not None and request.headers["authorization"] == "***"
    assert json.loads(request.content)["model"] == "z-image"
    assert info.value.response.request.headers["authorization"] == "***"  # type: ignore[attr-defined]


# -- 5. results in memory ------------------------------------------------------------------------


def test_results_in_memory_sync_and_async(liangxin_mock: MockServer) -> None:
    with LiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as client:
        result = client.generate("z-image", "a fox", timeout=60)
        data = result.read()
        chunks = list(result.iter_bytes(chunk_size=1024))
    assert data.startswith(b"\x89PNG") and b"".join(chunks) == data
    assert len(chunks) > 1 and all(len(c) <= 1024 for c in chunks)

    async def run() -> tuple[bytes, bytes]:
        async with AsyncLiangXin(liangxin_mock.api_key, liangxin_mock.base_url) as aclient:
            aresult = await aclient.generate("z-image", "a fox", timeout=60)
            whole = await aresult.read()
            streamed = b"".join([c async for c in aresult.iter_bytes()])
        return whole, streamed

    whole, streamed = asyncio.run(run())
    assert whole.startswith(b"\x89PNG") and streamed == whole


def test_reading_an_expired_result_in_memory_says_so(no_retry_waits: None) -> None:
    handler = _succeeded(httpx.Response(410, text="gone"))
    with client_for(handler) as client:
        result = client.generate("z-image", "a fox")
        with pytest.raises(ResultExpiredError) as info:
            result.read()
        assert info.value.task_id == TASK_ID
        with pytest.raises(ResultExpiredError):
            list(result.iter_bytes())
