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
import json
import queue
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from pathlib import Path
from typing import Any, Generic, Literal, Protocol, TypeVar

import attrs

from liangxin_client import _display
from liangxin_client._errors import (
    AmbiguousSubmitError,
    InvalidNameError,
    InvalidRequestError,
    LiangXinError,
    PermissionDeniedError,
    TaskFailedError,
)
from liangxin_client._image_metadata import DEFAULT_MODE, MetadataMode, check_mode
from liangxin_client._inputs import ModelInput, build_create_body
from liangxin_client._limits import AsyncSubmitWindow, SubmitSlot, SubmitWindow
from liangxin_client._naming import NamePlan, NameTemplate, as_key, name_values
from liangxin_client._polling import DurationStats
from liangxin_client._records import Task, TaskRecord
from liangxin_client._results import StrPath
from liangxin_client._tasks import DEFAULT_WAIT_TIMEOUT, AsyncTasks, Tasks

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
    for anything but `success`; `key` is the request's own key, when it has one.
    """

    index: int
    status: OutcomeStatus
    body: Mapping[str, Any] | None = None
    task_id: str | None = None
    record: TaskRecord | None = None
    paths: tuple[Path, ...] = ()
    error: Exception | None = None
    key: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == "success"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready, `taskId` first (None if no task was accepted); the record as
        `TaskRecord.to_dict()` gives it, the error as its type and message."""
        error = None
        if self.error is not None:
            error = {"type": type(self.error).__name__, "message": str(self.error)}
        return {
            "taskId": self.task_id,
            "index": self.index,
            "key": self.key,
            "status": self.status,
            "request": json.loads(json.dumps(self.body)) if self.body is not None else None,
            "record": self.record.to_dict() if self.record is not None else None,
            "files": [str(path) for path in self.paths],
            "error": error,
        }

    def _repr_html_(self) -> str:
        """Jupyter: the images (saved files, else result URLs), the status and the fields."""
        rows: list[tuple[str, Any]] = [("index", self.index), ("status", self.status)]
        if self.key is not None:
            rows.append(("key", self.key))
        rows += self.record._display_rows() if self.record else [("task", self.task_id)]
        rows += [("file", str(path)) for path in self.paths]
        rows.append(("error", str(self.error) if self.error is not None else None))
        urls = self.record.result_urls if self.record else ()
        return _display.images(self.paths, urls) + _display.table(rows)


@attrs.frozen
class WorkItem:
    """One unit of work: a createTask `body` to submit, or the `task_id` of one already accepted;
    `key`, the request's own key (its outcome carries it; `{key}` in a name template)."""

    index: int
    body: Mapping[str, Any] | None = None
    task_id: str | None = None
    key: str | None = None


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
        model = fields.pop("model", None)
        if isinstance(fields.get("input"), Mapping):  # a createTask body
            fields.pop("key", None)  # the request's own key, never sent
            payload = dict(fields.pop("input"))
            callback, extra = fields.pop("callBackUrl", None), None
            if fields:
                raise InvalidRequestError(
                    f"unexpected keys next to 'input': {', '.join(sorted(fields))}", "request"
                )
            fields = payload
        else:  # the keyword form
            callback, extra = fields.pop("callback_url", None), fields.pop("extra_input", None)
        fields.pop("key", None)  # a request's own key is never sent (see `work_items`)
        return build_create_body(
            model,
            fields.pop("prompt", None),
            fields=fields,
            callback_url=callback,
            extra_input=extra,
            validate=validate,
            strict=strict,
        )
    return build_create_body(None, None, typed=request, fields={}, validate=validate, strict=strict)


def _keyed(
    requests: Iterable[ManyRequest] | Mapping[Any, ManyRequest],
) -> Iterator[tuple[object, ManyRequest]]:
    """(key, request): a mapping's keys, else a mapping request's own `"key"` (or None)."""
    if isinstance(requests, Mapping):
        yield from requests.items()
        return
    for request in requests:
        yield (request.get("key") if isinstance(request, Mapping) else None), request


def work_items(
    requests: Iterable[ManyRequest] | Mapping[Any, ManyRequest],
    validate: bool,
    strict: bool = False,
    name: NameTemplate | None = None,
) -> Iterator[WorkItem | GenerateOutcome]:
    """Number the requests; one that cannot be turned into a body — or, with a `name` template,
    into a safe name of its own (and a key of its own) — is an `error` outcome at once, unsent."""
    keys: set[str] = set()
    names: dict[str, int] = {}
    for index, (raw_key, request) in enumerate(_keyed(requests)):
        key: str | None = None
        try:
            key = as_key(raw_key)
            if key is not None and key in keys:
                raise InvalidNameError(f"the key {key!r} is used by an earlier request", "key")
            body = request_body(request, validate=validate, strict=strict)
            if name is not None:
                claim = name.plan(name_values(body, key, index)).claim()
                if claim is not None and claim in names:
                    raise InvalidNameError(
                        f"the file name of this request is the same as request {names[claim]}'s "
                        "(add {key}, {row} or {task_id} to the template)",
                        "name",
                    )
                if claim is not None:
                    names[claim] = index
            if key is not None:
                keys.add(key)
            yield WorkItem(index, body=body, key=key)
        except InvalidRequestError as exc:
            yield GenerateOutcome(index, "error", error=exc, key=key)


TasksT = TypeVar("TasksT", Tasks, AsyncTasks)
WindowT = TypeVar("WindowT", SubmitWindow, AsyncSubmitWindow)
SlotT_co = TypeVar("SlotT_co", covariant=True)
TaskT_co = TypeVar("TaskT_co", covariant=True)
SavedT_co = TypeVar("SavedT_co", covariant=True)


class QueuedCreate(Protocol[TaskT_co]):
    """The client's createTask from a held submit slot (a 429 queues it again; see `_client`)."""

    def __call__(
        self,
        body: Mapping[str, Any],
        slot: SubmitSlot,
        timeout: float | None,
        *,
        stopped: Callable[[], bool] | None = None,
    ) -> TaskT_co: ...


class ManyClient(Protocol[TasksT, WindowT, SlotT_co, TaskT_co, SavedT_co]):
    """What a run needs of its client, for both clients: `SyncManyClient` is what `LiangXin`
    gives (blocking), `AsyncManyClient` what `AsyncLiangXin` gives (awaitables)."""

    durations: DurationStats
    tasks: TasksT
    _window: WindowT

    def _submit_slot(self) -> SlotT_co: ...
    @property
    def _queued_create(self) -> QueuedCreate[TaskT_co]: ...
    def _save_planned(
        self,
        record: TaskRecord,
        directory: StrPath,
        request: Mapping[str, Any] | None,
        metadata: MetadataMode,
        plan: NamePlan | None,
    ) -> SavedT_co: ...


SyncManyClient = ManyClient[
    Tasks, SubmitWindow, AbstractContextManager[SubmitSlot], Task, list[Path]
]
AsyncManyClient = ManyClient[
    AsyncTasks,
    AsyncSubmitWindow,
    AbstractAsyncContextManager[SubmitSlot],
    Awaitable[Task],
    Awaitable[list[Path]],
]


def first_poll_delay(durations: DurationStats, model: object, timeout: float | None) -> float:
    """How long to let a task just accepted run before its wait's first poll: the shortest
    duration learned for `model`, so that poll lands when such tasks start finishing (0 while
    none is known; at most half of `timeout`)."""
    lead = min(durations.samples(str(model)), default=0.0)
    return lead if timeout is None else min(lead, timeout / 2)


ClientT = TypeVar("ClientT", SyncManyClient, AsyncManyClient)
WaitT = TypeVar("WaitT")
#: A caller's own wait (e.g. callbacks with polling as the fallback): (taskId, on_update) → record.
SyncWait = Callable[[str, Callable[[TaskRecord], object]], TaskRecord]
AsyncWait = Callable[[str, Callable[[TaskRecord], object]], Awaitable[TaskRecord]]


class _Run(Generic[ClientT, WaitT]):
    """What the sync and async runs share: the settings, the stop flag, and every decision.

    The two shells below differ only where I/O happens (threads or tasks, blocking or awaited).
    """

    def __init__(
        self,
        client: ClientT,
        items: Iterable[WorkItem | GenerateOutcome],
        *,
        concurrency: int = DEFAULT_MANY_CONCURRENCY,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        download_to: StrPath | None = None,
        hooks: ManyHooks | None = None,
        wait: WaitT | None = None,
        metadata: MetadataMode = DEFAULT_MODE,
        name: NameTemplate | None = None,
    ) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be >= 1")
        self._client: ClientT = client
        self._items = iter(items)
        self._concurrency = concurrency
        self._timeout = timeout
        self._download_to = download_to
        self._metadata = check_mode(metadata)
        self._hooks = hooks or ManyHooks()
        self._wait = wait
        self._name = name
        self._stopped = False
        self._stop_reason: LiangXinError | None = None
        self._setup()

    def _setup(self) -> None:
        """What a shell keeps of its own (set at the end of `__init__`)."""

    def stop(self) -> None:
        """Send nothing new; tasks already accepted are still waited for."""
        self._halt(None)

    def _halt(self, reason: LiangXinError | None) -> None:
        if not self._stopped:
            self._stopped, self._stop_reason = True, reason

    def _is_stopped(self) -> bool:
        return self._stopped

    def _refused(self, item: WorkItem) -> GenerateOutcome | None:
        """`not_submitted` for a new item once submissions have stopped (checked again after
        queueing for a slot); None: go on."""
        if item.task_id is None and self._stopped:
            return GenerateOutcome(
                item.index, "not_submitted", body=item.body, error=self._stop_reason, key=item.key
            )
        return None

    def _submitting(self, item: WorkItem) -> Mapping[str, Any]:
        assert item.body is not None
        if self._hooks.submitting:
            self._hooks.submitting(item)
        return item.body

    def _created(self, item: WorkItem, task_id: str) -> str:
        if self._hooks.created:
            self._hooks.created(item, task_id)
        return task_id

    def _submit_failure(self, item: WorkItem, exc: LiangXinError) -> GenerateOutcome:
        if isinstance(exc, AmbiguousSubmitError):
            return GenerateOutcome(item.index, "ambiguous", body=item.body, error=exc, key=item.key)
        if isinstance(exc, PermissionDeniedError):  # credits spent or access denied: stop
            self._halt(exc)
        return GenerateOutcome(item.index, "error", body=item.body, error=exc, key=item.key)

    def _updates(self, item: WorkItem) -> Callable[[TaskRecord], object]:
        def on_update(record: TaskRecord) -> None:
            if self._hooks.updated:
                self._hooks.updated(item, record)

        return on_update

    def _lead_time(self, item: WorkItem) -> float:
        """`first_poll_delay` for an item just submitted (0 for a resumed task, with a caller's
        own wait, or when the caller follows each state with `hooks.updated`)."""
        if item.task_id is not None or item.body is None or self._wait or self._hooks.updated:
            return 0.0
        return first_poll_delay(self._client.durations, item.body.get("model"), self._timeout)

    def _save(self, item: WorkItem, record: TaskRecord) -> Any:
        """Save `record`'s results (`download_to`), each carrying `item`'s request."""
        assert self._download_to is not None
        plan = None
        if self._name is not None and item.body is not None:  # checked before its createTask
            plan = self._name.plan(name_values(item.body, item.key, item.index))
        return self._client._save_planned(
            record, self._download_to, item.body, self._metadata, plan
        )

    def _wait_timeout(self, lead: float) -> float | None:
        return None if self._timeout is None else self._timeout - lead

    def _settled(
        self,
        item: WorkItem,
        task_id: str,
        record: TaskRecord | None = None,
        paths: Iterable[Path] = (),
        error: Exception | None = None,
    ) -> GenerateOutcome:
        """The outcome of an accepted task: its wait or save failed (`error`), or success."""
        if error is None:
            return GenerateOutcome(
                item.index, "success", item.body, task_id, record, tuple(paths), key=item.key
            )
        status: OutcomeStatus = "failed" if isinstance(error, TaskFailedError) else "error"
        return GenerateOutcome(
            item.index, status, item.body, task_id, record, error=error, key=item.key
        )


class ManyRun(_Run[SyncManyClient, SyncWait]):
    """One `generate_many` run on the sync client; iterate it for outcomes, `stop()` to end early."""

    _wait: SyncWait | None

    def _setup(self) -> None:
        self._lock = threading.Lock()  # worker threads take items from one iterator

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
        if (refused := self._refused(item)) is not None:
            return refused
        with self._client._submit_slot() as slot:
            if (refused := self._refused(item)) is not None:
                return refused
            try:
                task_id = self._submit(item, slot)
            except LiangXinError as exc:
                return self._submit_failure(item, exc)
            try:
                record = self._await_task(item, task_id)
            except LiangXinError as exc:
                return self._settled(item, task_id, error=exc)
        try:
            paths = self._save(item, record) if self._download_to else []
        except (LiangXinError, OSError) as exc:
            return self._settled(item, task_id, record, error=exc)
        return self._settled(item, task_id, record, paths)

    def _submit(self, item: WorkItem, slot: SubmitSlot) -> str:
        """The item's taskId: createTask from `slot`, or the task it resumes (held as running)."""
        if item.task_id is not None:
            self._client._window.accepted(grow=False)  # a task already running on the service
            slot.accepted = True
            return item.task_id
        body = self._submitting(item)
        task = self._client._queued_create(body, slot, self._timeout, stopped=self._is_stopped)
        return self._created(item, task.task_id)

    def _await_task(self, item: WorkItem, task_id: str) -> TaskRecord:
        on_update = self._updates(item)
        if self._wait is not None:
            return self._wait(task_id, on_update)
        lead = self._lead_time(item)
        if lead:
            time.sleep(lead)
        return self._client.tasks.wait(
            task_id, timeout=self._wait_timeout(lead), on_update=on_update
        )


class AsyncManyRun(_Run[AsyncManyClient, AsyncWait]):
    """One `generate_many` run on the async client; `async for` it, `stop()` to end early."""

    _wait: AsyncWait | None

    def _setup(self) -> None:
        self._creating = 0  # createTask calls on the wire (let them land before cancelling)
        self._created_event = asyncio.Event()
        #: The shielded createTask calls still running (they outlive a cancelled `_one`).
        self._submits: set[asyncio.Task[str]] = set()

    async def settle_submits(self) -> None:
        """After `stop()`: wait for the createTask calls already sent to be answered."""
        while self._creating:
            self._created_event.clear()
            await self._created_event.wait()

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
                    elif (refused := self._refused(item)) is not None:
                        yield refused
                    else:
                        pending.add(asyncio.create_task(self._one(item)))
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            # Ending early: the createTask calls still on the wire (shielded from Ctrl-C; a
            # second one, or the caller leaving, gives up on them) end here too, each outcome
            # retrieved, so none outlives the run and reports its error to asyncio's handler.
            left: list[asyncio.Task[Any]] = [*pending, *self._submits]
            for task in left:
                task.cancel()
            if left:
                await asyncio.gather(*left, return_exceptions=True)

    async def _one(self, item: WorkItem) -> GenerateOutcome:
        if (refused := self._refused(item)) is not None:
            return refused
        async with self._client._submit_slot() as slot:
            if (refused := self._refused(item)) is not None:
                return refused
            try:
                # Shielded: a Ctrl-C lets a createTask already on the wire learn its taskId.
                submit = asyncio.ensure_future(self._submit(item, slot))
                self._submits.add(submit)
                submit.add_done_callback(self._submits.discard)
                task_id = await asyncio.shield(submit)
            except LiangXinError as exc:
                return self._submit_failure(item, exc)
            try:
                record = await self._await_task(item, task_id)
            except LiangXinError as exc:
                return self._settled(item, task_id, error=exc)
        try:
            paths = await self._save(item, record) if self._download_to else []
        except (LiangXinError, OSError) as exc:
            return self._settled(item, task_id, record, error=exc)
        return self._settled(item, task_id, record, paths)

    async def _submit(self, item: WorkItem, slot: SubmitSlot) -> str:
        """The item's taskId: createTask from `slot`, or the task it resumes (held as running)."""
        if item.task_id is not None:
            await self._client._window.accepted(grow=False)
            slot.accepted = True
            return item.task_id
        body = self._submitting(item)
        self._creating += 1
        try:
            task = await self._client._queued_create(
                body, slot, self._timeout, stopped=self._is_stopped
            )
        finally:
            self._creating -= 1
            self._created_event.set()
        return self._created(item, task.task_id)

    async def _await_task(self, item: WorkItem, task_id: str) -> TaskRecord:
        on_update = self._updates(item)
        if self._wait is not None:
            return await self._wait(task_id, on_update)
        lead = self._lead_time(item)
        if lead:
            await asyncio.sleep(lead)
        return await self._client.tasks.wait(
            task_id, timeout=self._wait_timeout(lead), on_update=on_update
        )
