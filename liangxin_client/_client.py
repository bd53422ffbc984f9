"""`LiangXin` and `AsyncLiangXin`: the clients. Only their I/O differs (see `_base.py`)."""

from __future__ import annotations

import asyncio
import functools
import itertools
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from liangxin_client._base import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    UNSET,
    BaseClient,
)
from liangxin_client._download import CHUNK_SIZE, PartFile, download_error, file_name
from liangxin_client._errors import APIError, RateLimitError, ResultSaveError
from liangxin_client._inputs import ModelInput, build_create_body
from liangxin_client._limits import (
    DEFAULT_MAX_IN_FLIGHT,
    AsyncSubmitWindow,
    SubmitSlot,
    SubmitWindow,
)
from liangxin_client._many import (
    DEFAULT_MANY_CONCURRENCY,
    AsyncManyRun,
    ManyRequest,
    ManyRun,
    work_items,
)
from liangxin_client._records import Task, TaskRecord
from liangxin_client._responses import parse_create_response, parse_record_response
from liangxin_client._results import AsyncGenerationResult, GenerationResult, StrPath
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT, AsyncTasks, OnUpdate, Tasks

T = TypeVar("T")


class LiangXin(BaseClient):
    """Synchronous client.

    `api_key` and `base_url` default to `LIANGXIN_API_KEY` and `LIANGXIN_BASE_URL`. `timeout` is
    per HTTP request (default: connect 5 s, read/write/pool 30 s); `max_retries` bounds the
    billing-safe retries; `default_headers` go with every request. At most `max_in_flight` HTTP
    requests run at once (the rest queue; the client's own pool has that many connections). A
    given `http_client` is used as is and not closed by `close()`; size `max_in_flight` to its
    pool.
    """

    _window: SubmitWindow

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.Client | None = None,
        strict: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            strict=strict,
            max_in_flight=max_in_flight,
        )
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.Client(timeout=self.timeout, limits=self._http_limits())
        )
        self._sleep: Callable[[float], None] = time.sleep
        self._slots = threading.BoundedSemaphore(self.max_in_flight)
        self._window = SubmitWindow()
        self.tasks = Tasks(self)

    def with_options(
        self,
        *,
        api_key: str | None = UNSET,
        base_url: str | None = UNSET,
        timeout: float | httpx.Timeout = UNSET,
        max_retries: int = UNSET,
        default_headers: Mapping[str, str] | None = UNSET,
        strict: bool = UNSET,
    ) -> LiangXin:
        """A copy with some settings changed, sharing the pool, its limits and `durations`."""
        copy = LiangXin(
            **self._options(
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                strict=strict,
            ),
            http_client=self._http,
        )
        self._share_learning(copy)
        copy._slots, copy._window = self._slots, self._window
        return copy

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def generate(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *,
        input: ModelInput | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        on_update: OnUpdate | None = None,
        callback_url: str | None = None,
        extra_input: Mapping[str, Any] | None = None,
        validate: bool = True,
        strict: bool | None = None,
        **fields: Any,
    ) -> GenerationResult:
        """Create a task, wait for it (`timeout` seconds), and optionally save the results.

        Input arguments are those of `tasks.create`; `download_to` saves the files at once
        (result URLs expire about 24 h after completion).
        """
        body = build_create_body(
            model,
            prompt,
            typed=input,
            fields=fields,
            callback_url=callback_url,
            extra_input=extra_input,
            validate=validate,
            strict=self.strict if strict is None else strict,
        )
        with self._submit_slot() as slot:
            task = self._queued_create(body, slot, timeout)
            with self._edge(task.task_id, note=True):  # every error from here on names the task
                record = self.tasks.wait(task, timeout=timeout, on_update=on_update)
        with self._edge(task.task_id, note=True):
            paths = self.save(record, download_to) if download_to is not None else []
        return GenerationResult(record, tuple(paths), client=self)

    def generate_many(
        self,
        requests: Iterable[ManyRequest],
        *,
        concurrency: int = DEFAULT_MANY_CONCURRENCY,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        validate: bool = True,
        strict: bool | None = None,
    ) -> ManyRun:
        """Generate many images; iterate the result for one `GenerateOutcome` per request.

        `requests` (read lazily) are typed inputs or mappings (`{"model", "prompt", fields...}`
        or a createTask body). Up to `concurrency` tasks are in flight (worker threads), fewer
        when the service answers 429. Outcomes come as tasks finish, each with its `index`;
        one failure never stops the rest; a 403 on a createTask stops new submissions (the
        rest are `not_submitted`) while the tasks already accepted finish. `timeout` is each
        task's wait; `download_to` saves each result as it finishes.
        """
        return ManyRun(
            self,
            work_items(requests, validate, self.strict if strict is None else strict),
            concurrency=concurrency,
            timeout=timeout,
            download_to=download_to,
        )

    @contextmanager
    def _submit_slot(self) -> Iterator[SubmitSlot]:
        """A place in the submit window, held until the block ends (for a task: its wait)."""
        slot = SubmitSlot()
        self._window.acquire()
        slot.held = True
        try:
            yield slot
        finally:
            if slot.held:
                self._window.release(accepted=slot.accepted)

    def _queued_create(
        self,
        body: Mapping[str, Any],
        slot: SubmitSlot,
        timeout: float | None,
        *,
        stopped: Callable[[], bool] | None = None,
    ) -> Task:
        """createTask from a held slot; a 429 (no task made) gives the slot back and queues again.

        Rate-limited attempts go on for `timeout` seconds (None: until accepted), or until
        `stopped()` says to submit nothing new.
        """
        started = self._clock()
        for attempt in itertools.count(1):
            try:
                task = self._create_once(body)
            except RateLimitError as exc:
                wait = self._rate_limit_wait(exc, attempt)
                if timeout is not None and self._clock() + wait - started >= timeout:
                    raise
                if stopped is not None and stopped():  # the caller submits nothing new
                    raise
                slot.held = False
                self._window.release(accepted=False)
                self._sleep(wait)
                self._window.acquire()
                slot.held = True
                continue
            self._window.accepted()
            slot.accepted = True
            return task
        raise AssertionError("unreachable")  # pragma: no cover

    # -- I/O ----------------------------------------------------------------------------------

    def _with_retries(
        self, once: Callable[[], T], *, submit: bool, deadline: float | None = None
    ) -> T:
        try:
            return once()
        except APIError as exc:
            wait = self._first_retry_wait(exc, submit=submit, deadline=deadline)
            if wait is None:
                raise
        time.sleep(wait)
        for attempt in self._retrying(submit=submit, deadline=deadline):
            with attempt:
                return once()
        raise AssertionError("unreachable")  # pragma: no cover

    def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        submit_body: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        task_id: str | None = None,
    ) -> T:
        """One API call with its retries; `deadline` (on `_clock`) bounds both (see wait())."""

        def once() -> T:
            request = self._build(
                self._http,
                method,
                path,
                json=json,
                params=params,
                timeout=self._request_timeout(deadline),
            )
            self._log_request(request)
            if not self._slots.acquire(timeout=self._slot_timeout(deadline)):
                raise self._no_slot() from httpx.PoolTimeout("no free slot")
            try:
                # Never follow a redirect, even on a user's http_client that would (see _handle).
                response = self._http.send(request, follow_redirects=False)
            except httpx.RequestError as exc:
                raise self._transport_error(exc, submit_body) from exc
            except KeyboardInterrupt as exc:
                raise self._interrupted_submit(exc, submit_body)  # noqa: B904 (the same exc)
            finally:
                self._slots.release()
            try:
                return self._handle(response, parse, submit_body)
            except KeyboardInterrupt as exc:
                raise self._interrupted_submit(exc, submit_body)  # noqa: B904

        with self._edge(task_id):
            return self._with_retries(once, submit=submit_body is not None, deadline=deadline)

    def _create(self, body: Mapping[str, Any]) -> Task:
        """`tasks.create`: one createTask (with its retries) through the submit window."""
        with self._submit_slot() as slot:
            task = self._create_once(body)
            self._window.accepted()
            slot.accepted = True
            return task

    def _create_once(self, body: Mapping[str, Any]) -> Task:
        parse = functools.partial(parse_create_response, secret=self._api_key, model=body["model"])
        return self._call(*self._create_op, parse, json=body, submit_body=body)

    def _get(self, task_id: str, *, deadline: float | None = None) -> TaskRecord:
        parse = functools.partial(parse_record_response, secret=self._api_key, task_id=task_id)
        return self._call(
            *self._record_op,
            parse,
            params={"taskId": task_id},
            deadline=deadline,
            task_id=task_id,
        )

    def save(self, record: TaskRecord, directory: StrPath) -> list[Path]:
        """Download every result of a finished task into `directory`; return the file paths.

        A file that cannot be written raises `ResultSaveError` (an OSError) naming the task.
        """
        with self._edge(record.task_id):
            try:
                target = Path(directory)
                target.mkdir(parents=True, exist_ok=True)
                return [
                    self._download(url, target, record.task_id, index)
                    for index, url in enumerate(record.result_urls)
                ]
            except OSError as exc:
                raise ResultSaveError(record.task_id, str(directory), exc) from exc

    @contextmanager
    def _result_stream(self, url: str) -> Iterator[httpx.Response]:
        """One GET of a result URL, streamed: the open response, once its status is good."""
        request = self._build(self._http, "GET", url)
        self._log_request(request)
        with self._slots:  # a request in flight until the stream is closed
            try:
                response = self._http.send(request, stream=True, follow_redirects=True)
                try:
                    self._log_response(response, streamed=True)
                    if response.status_code >= 400:
                        response.read()
                        raise download_error(response, url, self._api_key)
                    yield response
                finally:
                    response.close()
            except httpx.RequestError as exc:
                raise self._transport_error(exc, None) from exc

    def _download(self, url: str, directory: Path, task_id: str, index: int) -> Path:
        def once() -> Path:
            with self._result_stream(url) as response:
                name = file_name(task_id, index, url, response.headers.get("content-type"))
                with PartFile(directory, name) as part:
                    for chunk in response.iter_bytes(CHUNK_SIZE):
                        part.write(chunk)
                    return part.commit()

        return self._with_retries(once, submit=False)

    def _read_result(self, record: TaskRecord, index: int) -> bytes:
        """Result `index` of a finished task, in memory (retried like a download)."""
        url = record.result_urls[index]

        def once() -> bytes:
            with self._result_stream(url) as response:
                return response.read()

        with self._edge(record.task_id):
            return self._with_retries(once, submit=False)

    def _iter_result(self, record: TaskRecord, index: int, chunk_size: int) -> Iterator[bytes]:
        """Result `index` as chunks, streamed (one request; not retried once it has begun)."""
        url = record.result_urls[index]
        with self._edge(record.task_id), self._result_stream(url) as response:
            yield from response.iter_bytes(chunk_size)


class AsyncLiangXin(BaseClient):
    """Asynchronous client; the same surface as `LiangXin`, awaited."""

    _window: AsyncSubmitWindow

    def __init__(
        self,
        api_key: str | None = None,
        base_url: str | None = None,
        *,
        timeout: float | httpx.Timeout = DEFAULT_TIMEOUT,
        max_retries: int = DEFAULT_MAX_RETRIES,
        default_headers: Mapping[str, str] | None = None,
        http_client: httpx.AsyncClient | None = None,
        strict: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        super().__init__(
            api_key,
            base_url,
            timeout=timeout,
            max_retries=max_retries,
            default_headers=default_headers,
            strict=strict,
            max_in_flight=max_in_flight,
        )
        self._owns_http = http_client is None
        self._http = (
            http_client
            if http_client is not None
            else httpx.AsyncClient(timeout=self.timeout, limits=self._http_limits())
        )
        self._sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self._slots = asyncio.Semaphore(self.max_in_flight)
        self._window = AsyncSubmitWindow()
        self.tasks = AsyncTasks(self)

    def with_options(
        self,
        *,
        api_key: str | None = UNSET,
        base_url: str | None = UNSET,
        timeout: float | httpx.Timeout = UNSET,
        max_retries: int = UNSET,
        default_headers: Mapping[str, str] | None = UNSET,
        strict: bool = UNSET,
    ) -> AsyncLiangXin:
        """A copy with some settings changed, sharing the pool, its limits and `durations`."""
        copy = AsyncLiangXin(
            **self._options(
                api_key=api_key,
                base_url=base_url,
                timeout=timeout,
                max_retries=max_retries,
                default_headers=default_headers,
                strict=strict,
            ),
            http_client=self._http,
        )
        self._share_learning(copy)
        copy._slots, copy._window = self._slots, self._window
        return copy

    async def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            await self._http.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def generate(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *,
        input: ModelInput | None = None,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        on_update: OnUpdate | None = None,
        callback_url: str | None = None,
        extra_input: Mapping[str, Any] | None = None,
        validate: bool = True,
        strict: bool | None = None,
        **fields: Any,
    ) -> AsyncGenerationResult:
        """Create a task, wait for it, and optionally save the results; see `LiangXin.generate`."""
        body = build_create_body(
            model,
            prompt,
            typed=input,
            fields=fields,
            callback_url=callback_url,
            extra_input=extra_input,
            validate=validate,
            strict=self.strict if strict is None else strict,
        )
        async with self._submit_slot() as slot:
            task = await self._queued_create(body, slot, timeout)
            with self._edge(task.task_id, note=True):  # every error from here on names the task
                record = await self.tasks.wait(task, timeout=timeout, on_update=on_update)
        with self._edge(task.task_id, note=True):
            paths = await self.save(record, download_to) if download_to is not None else []
        return AsyncGenerationResult(record, tuple(paths), client=self)

    def generate_many(
        self,
        requests: Iterable[ManyRequest],
        *,
        concurrency: int = DEFAULT_MANY_CONCURRENCY,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        validate: bool = True,
        strict: bool | None = None,
    ) -> AsyncManyRun:
        """Generate many images; `async for` the result; see `LiangXin.generate_many`."""
        return AsyncManyRun(
            self,
            work_items(requests, validate, self.strict if strict is None else strict),
            concurrency=concurrency,
            timeout=timeout,
            download_to=download_to,
        )

    @asynccontextmanager
    async def _submit_slot(self) -> AsyncIterator[SubmitSlot]:
        """A place in the submit window; see `LiangXin._submit_slot`."""
        slot = SubmitSlot()
        await self._window.acquire()
        slot.held = True
        try:
            yield slot
        finally:
            if slot.held:
                await self._window.release(accepted=slot.accepted)

    async def _queued_create(
        self,
        body: Mapping[str, Any],
        slot: SubmitSlot,
        timeout: float | None,
        *,
        stopped: Callable[[], bool] | None = None,
    ) -> Task:
        """createTask from a held slot; see `LiangXin._queued_create`."""
        started = self._clock()
        for attempt in itertools.count(1):
            try:
                task = await self._create_once(body)
            except RateLimitError as exc:
                wait = self._rate_limit_wait(exc, attempt)
                if timeout is not None and self._clock() + wait - started >= timeout:
                    raise
                if stopped is not None and stopped():  # the caller submits nothing new
                    raise
                slot.held = False
                await self._window.release(accepted=False)
                await self._sleep(wait)
                await self._window.acquire()
                slot.held = True
                continue
            await self._window.accepted()
            slot.accepted = True
            return task
        raise AssertionError("unreachable")  # pragma: no cover

    # -- I/O ----------------------------------------------------------------------------------

    async def _with_retries(
        self, once: Callable[[], Awaitable[T]], *, submit: bool, deadline: float | None = None
    ) -> T:
        try:
            return await once()
        except APIError as exc:
            wait = self._first_retry_wait(exc, submit=submit, deadline=deadline)
            if wait is None:
                raise
        await asyncio.sleep(wait)
        async for attempt in self._aretrying(submit=submit, deadline=deadline):
            with attempt:
                return await once()
        raise AssertionError("unreachable")  # pragma: no cover

    async def _call(
        self,
        method: str,
        path: str,
        parse: Callable[[httpx.Response], T],
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
        submit_body: Mapping[str, Any] | None = None,
        deadline: float | None = None,
        task_id: str | None = None,
    ) -> T:
        """One API call with its retries; `deadline` (on `_clock`) bounds both (see wait())."""

        async def once() -> T:
            request = self._build(
                self._http,
                method,
                path,
                json=json,
                params=params,
                timeout=self._request_timeout(deadline),
            )
            self._log_request(request)
            wait_for_slot = self._slot_timeout(deadline)
            if wait_for_slot is None or not self._slots.locked():
                await self._slots.acquire()
            else:
                try:
                    await asyncio.wait_for(self._slots.acquire(), wait_for_slot)
                except TimeoutError:
                    raise self._no_slot() from httpx.PoolTimeout("no free slot")
            try:
                # Never follow a redirect, even on a user's http_client that would (see _handle).
                response = await self._http.send(request, follow_redirects=False)
            except httpx.RequestError as exc:
                raise self._transport_error(exc, submit_body) from exc
            except (KeyboardInterrupt, asyncio.CancelledError) as exc:
                raise self._interrupted_submit(exc, submit_body)  # noqa: B904 (the same exc)
            finally:
                self._slots.release()
            return self._handle(response, parse, submit_body)

        with self._edge(task_id):
            return await self._with_retries(once, submit=submit_body is not None, deadline=deadline)

    async def _create(self, body: Mapping[str, Any]) -> Task:
        """`tasks.create`: one createTask (with its retries) through the submit window."""
        async with self._submit_slot() as slot:
            task = await self._create_once(body)
            await self._window.accepted()
            slot.accepted = True
            return task

    async def _create_once(self, body: Mapping[str, Any]) -> Task:
        parse = functools.partial(parse_create_response, secret=self._api_key, model=body["model"])
        return await self._call(*self._create_op, parse, json=body, submit_body=body)

    async def _get(self, task_id: str, *, deadline: float | None = None) -> TaskRecord:
        parse = functools.partial(parse_record_response, secret=self._api_key, task_id=task_id)
        return await self._call(
            *self._record_op,
            parse,
            params={"taskId": task_id},
            deadline=deadline,
            task_id=task_id,
        )

    async def save(self, record: TaskRecord, directory: StrPath) -> list[Path]:
        """Download every result of a finished task into `directory`; see `LiangXin.save`."""
        with self._edge(record.task_id):
            try:
                target = Path(directory)
                target.mkdir(parents=True, exist_ok=True)
                return [
                    await self._download(url, target, record.task_id, index)
                    for index, url in enumerate(record.result_urls)
                ]
            except OSError as exc:
                raise ResultSaveError(record.task_id, str(directory), exc) from exc

    @asynccontextmanager
    async def _result_stream(self, url: str) -> AsyncIterator[httpx.Response]:
        """One GET of a result URL, streamed; see `LiangXin._result_stream`."""
        request = self._build(self._http, "GET", url)
        self._log_request(request)
        async with self._slots:  # a request in flight until the stream is closed
            try:
                response = await self._http.send(request, stream=True, follow_redirects=True)
                try:
                    self._log_response(response, streamed=True)
                    if response.status_code >= 400:
                        await response.aread()
                        raise download_error(response, url, self._api_key)
                    yield response
                finally:
                    await response.aclose()
            except httpx.RequestError as exc:
                raise self._transport_error(exc, None) from exc

    async def _download(self, url: str, directory: Path, task_id: str, index: int) -> Path:
        async def once() -> Path:
            async with self._result_stream(url) as response:
                name = file_name(task_id, index, url, response.headers.get("content-type"))
                with PartFile(directory, name) as part:
                    async for chunk in response.aiter_bytes(CHUNK_SIZE):
                        part.write(chunk)
                    return part.commit()

        return await self._with_retries(once, submit=False)

    async def _read_result(self, record: TaskRecord, index: int) -> bytes:
        """Result `index` of a finished task, in memory; see `LiangXin._read_result`."""
        url = record.result_urls[index]

        async def once() -> bytes:
            async with self._result_stream(url) as response:
                return await response.aread()

        with self._edge(record.task_id):
            return await self._with_retries(once, submit=False)

    async def _iter_result(
        self, record: TaskRecord, index: int, chunk_size: int
    ) -> AsyncIterator[bytes]:
        """Result `index` as chunks, streamed; see `LiangXin._iter_result`."""
        url = record.result_urls[index]
        with self._edge(record.task_id):
            async with self._result_stream(url) as response:
                async for chunk in response.aiter_bytes(chunk_size):
                    yield chunk
