"""`LiangXin` and `AsyncLiangXin`: thin shells that drive the shared core's steps (`_base.py`).

Each shell owns only its I/O: the connection pool, the request slots, sleeping, and how a step is
performed — with httpx.Client and time.sleep, or httpx.AsyncClient and asyncio.sleep.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from pathlib import Path
from types import TracebackType
from typing import Any, Self, TypeVar

import httpx

from liangxin_client._base import (
    Backoff,
    BaseClient,
    Pause,
    Running,
    Send,
    Step,
    Steps,
    Stream,
    WindowOp,
)
from liangxin_client._download import CHUNK_SIZE, download_error
from liangxin_client._limits import AsyncSubmitWindow, SubmitSlot, SubmitWindow
from liangxin_client._many import AsyncManyRun, ManyRequest, ManyRun, work_items
from liangxin_client._records import Task, TaskRecord
from liangxin_client._results import AsyncGenerationResult, GenerationResult
from liangxin_client._tasks import AsyncTasks, Tasks

T = TypeVar("T")
Async = Coroutine[Any, Any, T]

_SHELL_DOC = """

    `api_key` and `base_url` default to `LIANGXIN_API_KEY` and `LIANGXIN_BASE_URL`. `timeout` is
    per HTTP request (default: connect 5 s, read/write/pool 30 s); `max_retries` bounds the
    billing-safe retries; `default_headers` go with every request. At most `max_in_flight` HTTP
    requests run at once (the rest queue; the client's own pool has that many connections). A
    given `http_client` is used as is and not closed by `close()`; size `max_in_flight` to its
    pool.
    """


class LiangXin(BaseClient[httpx.Client, GenerationResult, list[Path], ManyRun, Task]):
    __doc__ = "Synchronous client." + _SHELL_DOC

    tasks: Tasks
    _result_class = GenerationResult
    _io = (httpx.Client, time.sleep, threading.BoundedSemaphore, SubmitWindow, Tasks)

    def close(self) -> None:
        """Close the connection pool (unless it was passed in as `http_client`)."""
        if self._owns_http:
            self._http.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _many_run(
        self,
        requests: Iterable[ManyRequest] | Mapping[str, ManyRequest],
        validate: bool,
        strict: bool,
        **options: Any,
    ) -> ManyRun:
        items = work_items(requests, validate, strict, options.get("name"))
        return ManyRun(self, items, **options)

    # -- what generate_many (`_many.py`) uses -----------------------------------------------

    @contextmanager
    def _submit_slot(self) -> Iterator[SubmitSlot]:
        """A place in the submit window, held until the block ends (for a task: its wait)."""
        slot = self._drive(self._take_slot())
        try:
            yield slot
        finally:
            self._drive(self._give_back(slot))

    # -- I/O ----------------------------------------------------------------------------------

    def _drive(self, steps: Steps[T]) -> T:
        """Run the core's steps with httpx.Client and time.sleep."""
        with Running(steps, self._api_key) as run:
            while run.going:
                try:
                    result = self._perform(run.step)
                except BaseException as exc:  # handed back to the core, which decides
                    run.fail(exc)
                else:
                    run.answer(result)
            return run.value  # type: ignore[no-any-return]

    def _perform(self, step: Step) -> Any:
        kind = type(step)
        if kind is Send:
            return self._send(step)  # type: ignore[arg-type]
        if kind is Pause:
            return self._pause(step)  # type: ignore[arg-type]
        if kind is WindowOp:
            return getattr(self._window, step.method)(**step.kwargs)  # type: ignore[union-attr]
        if kind is Backoff:
            return time.sleep(step.seconds)  # type: ignore[union-attr]
        return self._stream(step)  # type: ignore[arg-type]

    def _send(self, step: Send) -> httpx.Response:
        if not self._slots.acquire(timeout=step.slot_timeout):
            raise self._no_slot() from httpx.PoolTimeout("no free slot")
        try:
            # Never follow a redirect, even on a user's http_client that would (see _handle).
            return self._http.send(step.request, follow_redirects=False)
        finally:
            self._slots.release()

    def _pause(self, step: Pause) -> None:
        if step.wake is None:
            self._sleep(step.seconds)
        elif step.wake.wait(step.seconds):
            step.wake.clear()

    def _stream(self, step: Stream) -> Any:
        with (
            self._slots,  # a request in flight until the stream is closed
            self._opened(step.request, step.url) as response,
            step.sink.receiving(response) as write,
        ):
            for chunk in response.iter_bytes(CHUNK_SIZE):
                write(chunk)
        return step.sink.result

    @contextmanager
    def _opened(self, request: httpx.Request, url: str) -> Iterator[httpx.Response]:
        """One GET of a result URL, streamed: the open response, once its status is good."""
        try:
            response = self._http.send(request, stream=True, follow_redirects=True)
            try:
                if self._download_failed(response):
                    response.read()
                    raise download_error(response, url)
                yield response
            finally:
                response.close()
        except httpx.RequestError as exc:
            raise self._transport_error(exc, None) from exc

    def _iter_result(self, record: TaskRecord, index: int, chunk_size: int) -> Iterator[bytes]:
        """Result `index` as chunks, streamed (one request; not retried once it has begun)."""
        request, url = self._result_request(record, index)
        with self._edge(record.task_id), self._slots, self._opened(request, url) as response:
            yield from response.iter_bytes(chunk_size)


class AsyncLiangXin(
    BaseClient[
        httpx.AsyncClient,
        Async[AsyncGenerationResult],
        Async[list[Path]],
        AsyncManyRun,
        Async[Task],
    ]
):
    """Asynchronous client; the same surface as `LiangXin`, awaited."""

    tasks: AsyncTasks
    _io = (httpx.AsyncClient, asyncio.sleep, asyncio.Semaphore, AsyncSubmitWindow, AsyncTasks)
    _result_class = AsyncGenerationResult

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

    def _many_run(
        self,
        requests: Iterable[ManyRequest] | Mapping[str, ManyRequest],
        validate: bool,
        strict: bool,
        **options: Any,
    ) -> AsyncManyRun:
        items = work_items(requests, validate, strict, options.get("name"))
        return AsyncManyRun(self, items, **options)

    # -- what generate_many (`_many.py`) uses -----------------------------------------------

    @asynccontextmanager
    async def _submit_slot(self) -> AsyncIterator[SubmitSlot]:
        """A place in the submit window; see `LiangXin._submit_slot`."""
        slot = await self._drive(self._take_slot())
        try:
            yield slot
        finally:
            await self._drive(self._give_back(slot))

    # -- I/O ----------------------------------------------------------------------------------

    async def _drive(self, steps: Steps[T]) -> T:
        """Run the core's steps with httpx.AsyncClient and asyncio.sleep."""
        with Running(steps, self._api_key) as run:
            while run.going:
                try:
                    result = await self._perform(run.step)
                except BaseException as exc:  # handed back to the core, which decides
                    run.fail(exc)
                else:
                    run.answer(result)
            return run.value  # type: ignore[no-any-return]

    async def _perform(self, step: Step) -> Any:
        kind = type(step)
        if kind is Send:
            return await self._send(step)  # type: ignore[arg-type]
        if kind is Pause:
            return await self._pause(step)  # type: ignore[arg-type]
        if kind is WindowOp:
            return await getattr(self._window, step.method)(**step.kwargs)  # type: ignore[union-attr]
        if kind is Backoff:
            return await asyncio.sleep(step.seconds)  # type: ignore[union-attr]
        return await self._stream(step)  # type: ignore[arg-type]

    async def _send(self, step: Send) -> httpx.Response:
        if step.slot_timeout is None or not self._slots.locked():
            await self._slots.acquire()
        else:
            try:
                await asyncio.wait_for(self._slots.acquire(), step.slot_timeout)
            except TimeoutError:
                raise self._no_slot() from httpx.PoolTimeout("no free slot")
        try:
            # Never follow a redirect, even on a user's http_client that would (see _handle).
            return await self._http.send(step.request, follow_redirects=False)
        finally:
            self._slots.release()

    async def _pause(self, step: Pause) -> None:
        if step.wake is None:
            await self._sleep(step.seconds)
            return
        try:
            await asyncio.wait_for(step.wake.wait(), step.seconds)
            step.wake.clear()
        except TimeoutError:
            pass

    async def _stream(self, step: Stream) -> Any:
        async with self._slots, self._opened(step.request, step.url) as response:
            with step.sink.receiving(response) as write:
                async for chunk in response.aiter_bytes(CHUNK_SIZE):
                    write(chunk)
        return step.sink.result

    @asynccontextmanager
    async def _opened(self, request: httpx.Request, url: str) -> AsyncIterator[httpx.Response]:
        """One GET of a result URL, streamed; see `LiangXin._opened`."""
        try:
            response = await self._http.send(request, stream=True, follow_redirects=True)
            try:
                if self._download_failed(response):
                    await response.aread()
                    raise download_error(response, url)
                yield response
            finally:
                await response.aclose()
        except httpx.RequestError as exc:
            raise self._transport_error(exc, None) from exc

    async def _iter_result(
        self, record: TaskRecord, index: int, chunk_size: int
    ) -> AsyncIterator[bytes]:
        """Result `index` as chunks, streamed; see `LiangXin._iter_result`."""
        request, url = self._result_request(record, index)
        with self._edge(record.task_id):
            async with self._slots, self._opened(request, url) as response:
                async for chunk in response.aiter_bytes(chunk_size):
                    yield chunk
