"""`generate_many`: many requests through one client, one outcome per request as each completes.

Each request is submitted through the client's submit window (so a 429 narrows it and the
request queues again — no task was made), waited for, and optionally saved. One request's
failure never stops the others. A 403 on a createTask (credits spent, or access denied) stops
new submissions: the requests not yet sent get a `not_submitted` outcome, and the tasks already
accepted are still waited for.

The engine also resumes work: an item may carry a taskId instead of a request (a task submitted
earlier, to be waited for only — never submitted again). `ManyHooks` lets a caller record each
step durably (`liangxin batch` journals a row as "submitting" before its createTask is sent and
stores its taskId the moment it is known).
"""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import attrs

from liangxin_client._errors import (
    AmbiguousSubmitError,
    InvalidRequestError,
    LiangXinError,
    PermissionDeniedError,
    TaskFailedError,
)
from liangxin_client._inputs import ModelInput, build_create_body
from liangxin_client._records import TaskRecord
from liangxin_client._results import StrPath
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT

if TYPE_CHECKING:
    from liangxin_client._client import AsyncLiangXin, LiangXin

#: `success`: finished and (with `download_to`) saved. `failed`: the task reached `fail`.
#: `ambiguous`: createTask may have been accepted (not resent; see `AmbiguousSubmitError`).
#: `error`: anything else (rejected or invalid request, timeout, a failed save — `error` says).
#: `not_submitted`: never sent, because submissions stopped (a 403, or `stop()`).
OutcomeStatus = Literal["success", "failed", "ambiguous", "error", "not_submitted"]

#: Tasks in flight at once by default (the submit window may admit fewer).
DEFAULT_MANY_CONCURRENCY = 64

ManyRequest = ModelInput | Mapping[str, Any]


@attrs.frozen
class GenerateOutcome:
    """What became of one request of `generate_many`: `index` is its position in the input.

    `task_id` is set whenever the service accepted a task (also for failures and timeouts);
    `body` is the createTask body that was (or would have been) sent; `error` is the exception
    for anything but `success`.
    """

    index: int
    status: OutcomeStatus
    body: Mapping[str, Any] | None = None
    task_id: str | None = None
    record: TaskRecord | None = None
    paths: tuple[Path, ...] = ()
    error: Exception | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"


@attrs.frozen
class WorkItem:
    """One unit of work: a createTask `body` to submit, or the `task_id` of one already accepted."""

    index: int
    body: Mapping[str, Any] | None = None
    task_id: str | None = None


@attrs.define
class ManyHooks:
    """Calls made as work progresses (from worker threads with the sync client; keep them quick).

    `submitting(item)` runs just before its createTask is first sent, `created(item, task_id)` as
    soon as the taskId is known, `updated(item, record)` on each state change while waiting.
    """

    submitting: Callable[[WorkItem], object] | None = None
    created: Callable[[WorkItem, str], object] | None = None
    updated: Callable[[WorkItem, TaskRecord], object] | None = None


def request_body(
    request: ManyRequest, *, validate: bool = True, strict: bool = False
) -> dict[str, Any]:
    """The createTask body for one request: a typed input, or a mapping.

    A mapping is either the keyword form `{"model", "prompt", <input fields>..., "callback_url",
    "extra_input"}` or a createTask body `{"model", "input": {...}, "callBackUrl"}`.
    """
    if isinstance(request, Mapping):
        fields = dict(request)
        if isinstance(fields.get("input"), Mapping):
            payload = dict(fields.pop("input"))
            model = fields.pop("model", None)
            callback = fields.pop("callBackUrl", None)
            if fields:
                raise InvalidRequestError(
                    f"unexpected keys next to 'input': {', '.join(sorted(fields))}", "request"
                )
            prompt = payload.pop("prompt", None)
            return build_create_body(
                model,
                prompt,
                fields=payload,
                callback_url=callback,
                validate=validate,
                strict=strict,
            )
        model = fields.pop("model", None)
        prompt = fields.pop("prompt", None)
        callback = fields.pop("callback_url", None)
        extra = fields.pop("extra_input", None)
        return build_create_body(
            model,
            prompt,
            fields=fields,
            callback_url=callback,
            extra_input=extra,
            validate=validate,
            strict=strict,
        )
    return build_create_body(None, None, typed=request, fields={}, validate=validate, strict=strict)


def work_items(
    requests: Iterable[ManyRequest], validate: bool, strict: bool = False
) -> Iterator[WorkItem | GenerateOutcome]:
    """Number the requests; one that cannot be turned into a body is an `error` outcome at once."""
    for index, request in enumerate(requests):
        try:
            yield WorkItem(index, body=request_body(request, validate=validate, strict=strict))
        except InvalidRequestError as exc:
            yield GenerateOutcome(index, "error", error=exc)


class _Stop:
    """Whether new submissions have stopped, and why (shared by every worker)."""

    def __init__(self) -> None:
        self.reason: LiangXinError | None = None
        self.stopped = False

    def stop(self, reason: LiangXinError | None = None) -> None:
        if not self.stopped:
            self.stopped, self.reason = True, reason


def _not_submitted(item: WorkItem, stop: _Stop) -> GenerateOutcome:
    return GenerateOutcome(item.index, "not_submitted", body=item.body, error=stop.reason)


def _submit_failure(item: WorkItem, exc: LiangXinError, stop: _Stop) -> GenerateOutcome:
    if isinstance(exc, AmbiguousSubmitError):
        return GenerateOutcome(item.index, "ambiguous", body=item.body, error=exc)
    if isinstance(exc, PermissionDeniedError):
        stop.stop(exc)
    return GenerateOutcome(item.index, "error", body=item.body, error=exc)


def _wait_failure(item: WorkItem, task_id: str, exc: LiangXinError) -> GenerateOutcome:
    status: OutcomeStatus = "failed" if isinstance(exc, TaskFailedError) else "error"
    return GenerateOutcome(item.index, status, body=item.body, task_id=task_id, error=exc)


class ManyRun:
    """One `generate_many` run on the sync client; iterate it for outcomes, `stop()` to end early."""

    def __init__(
        self,
        client: LiangXin,
        items: Iterable[WorkItem | GenerateOutcome],
        *,
        concurrency: int = DEFAULT_MANY_CONCURRENCY,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        hooks: ManyHooks | None = None,
        wait: Callable[[str, Callable[[TaskRecord], object]], TaskRecord] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._client = client
        self._items = iter(items)
        self._lock = threading.Lock()
        self._concurrency = concurrency
        self._timeout = timeout
        self._download_to = download_to
        self._hooks = hooks or ManyHooks()
        self._wait = wait
        self._stop = _Stop()

    def stop(self) -> None:
        """Send nothing new; tasks already accepted are still waited for."""
        self._stop.stop()

    def _next(self) -> WorkItem | GenerateOutcome | None:
        with self._lock:
            return next(self._items, None)

    def __iter__(self) -> Iterator[GenerateOutcome]:
        results: queue.Queue[GenerateOutcome | None] = queue.Queue()

        def worker() -> None:
            try:
                while (item := self._next()) is not None:
                    results.put(item if isinstance(item, GenerateOutcome) else self._one(item))
            finally:
                results.put(None)

        with ThreadPoolExecutor(self._concurrency, thread_name_prefix="liangxin-many") as pool:
            for _ in range(self._concurrency):
                pool.submit(worker)
            running = self._concurrency
            try:
                while running:
                    outcome = results.get()
                    if outcome is None:
                        running -= 1
                    else:
                        yield outcome
            finally:  # the caller stopped early: submit nothing new, let the workers drain
                self.stop()

    def _one(self, item: WorkItem) -> GenerateOutcome:
        client, hooks = self._client, self._hooks
        if item.task_id is None and self._stop.stopped:
            return _not_submitted(item, self._stop)
        with client._submit_slot() as slot:
            task_id = item.task_id
            if task_id is None:
                assert item.body is not None
                if self._stop.stopped:
                    return _not_submitted(item, self._stop)
                if hooks.submitting:
                    hooks.submitting(item)
                try:
                    task = client._queued_create(
                        item.body, slot, self._timeout, stopped=lambda: self._stop.stopped
                    )
                    task_id = task.task_id
                except LiangXinError as exc:
                    return _submit_failure(item, exc, self._stop)
                if hooks.created:
                    hooks.created(item, task_id)
            else:
                client._window.accepted(grow=False)  # a task already running on the service
                slot.accepted = True

            def on_update(record: TaskRecord) -> None:
                if hooks.updated:
                    hooks.updated(item, record)

            try:
                if self._wait is not None:
                    record = self._wait(task_id, on_update)
                else:
                    record = client.tasks.wait(task_id, timeout=self._timeout, on_update=on_update)
            except LiangXinError as exc:
                return _wait_failure(item, task_id, exc)
        try:
            paths = client.save(record, self._download_to) if self._download_to else []
        except (LiangXinError, OSError) as exc:
            return GenerateOutcome(item.index, "error", item.body, task_id, record, error=exc)
        return GenerateOutcome(item.index, "success", item.body, task_id, record, tuple(paths))


class AsyncManyRun:
    """One `generate_many` run on the async client; `async for` it, `stop()` to end early."""

    def __init__(
        self,
        client: AsyncLiangXin,
        items: Iterable[WorkItem | GenerateOutcome],
        *,
        concurrency: int = DEFAULT_MANY_CONCURRENCY,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        hooks: ManyHooks | None = None,
        wait: Callable[[str, Callable[[TaskRecord], object]], Awaitable[TaskRecord]] | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._client = client
        self._items = iter(items)
        self._concurrency = concurrency
        self._timeout = timeout
        self._download_to = download_to
        self._hooks = hooks or ManyHooks()
        self._wait = wait
        self._stop = _Stop()
        self._creating = 0  # createTask calls on the wire (let them land before cancelling)
        self._created = asyncio.Event()

    def stop(self) -> None:
        """Send nothing new; tasks already accepted are still waited for."""
        self._stop.stop()

    async def settle_submits(self) -> None:
        """After `stop()`: wait for the createTask calls already sent to be answered."""
        while self._creating:
            self._created.clear()
            await self._created.wait()

    def __aiter__(self) -> AsyncIterator[GenerateOutcome]:
        return self._run()

    async def _run(self) -> AsyncIterator[GenerateOutcome]:
        pending: set[asyncio.Task[GenerateOutcome]] = set()
        exhausted = False
        try:
            while True:
                while not exhausted and len(pending) < self._concurrency:
                    item = next(self._items, None)
                    if item is None:
                        exhausted = True
                    elif isinstance(item, GenerateOutcome):
                        yield item
                    elif item.task_id is None and self._stop.stopped:
                        yield _not_submitted(item, self._stop)
                    else:
                        pending.add(asyncio.create_task(self._one(item)))
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    async def _create(self, item: WorkItem, slot: Any) -> str:
        """createTask, shielded: a Ctrl-C lets a call already on the wire learn its taskId."""
        assert item.body is not None
        self._creating += 1
        try:
            task = await self._client._queued_create(
                item.body, slot, self._timeout, stopped=lambda: self._stop.stopped
            )
        finally:
            self._creating -= 1
            self._created.set()
        if self._hooks.created:
            self._hooks.created(item, task.task_id)
        return task.task_id

    async def _one(self, item: WorkItem) -> GenerateOutcome:
        client, hooks = self._client, self._hooks
        if item.task_id is None and self._stop.stopped:
            return _not_submitted(item, self._stop)
        async with client._submit_slot() as slot:
            task_id = item.task_id
            if task_id is None:
                if self._stop.stopped:
                    return _not_submitted(item, self._stop)
                if hooks.submitting:
                    hooks.submitting(item)
                try:
                    task_id = await asyncio.shield(self._create(item, slot))
                except LiangXinError as exc:
                    return _submit_failure(item, exc, self._stop)
            else:
                await client._window.accepted(grow=False)
                slot.accepted = True

            def on_update(record: TaskRecord) -> None:
                if hooks.updated:
                    hooks.updated(item, record)

            try:
                if self._wait is not None:
                    record = await self._wait(task_id, on_update)
                else:
                    record = await client.tasks.wait(
                        task_id, timeout=self._timeout, on_update=on_update
                    )
            except LiangXinError as exc:
                return _wait_failure(item, task_id, exc)
        try:
            paths = await client.save(record, self._download_to) if self._download_to else []
        except (LiangXinError, OSError) as exc:
            return GenerateOutcome(item.index, "error", item.body, task_id, record, error=exc)
        return GenerateOutcome(item.index, "success", item.body, task_id, record, tuple(paths))
