"""`client.tasks`: create, get and wait, for the sync and the async client."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

from liangxin_client._errors import (
    APIConnectionError,
    InternalServerError,
    InvalidRequestError,
    RateLimitError,
)
from liangxin_client._inputs import ModelInput, build_create_body
from liangxin_client._polling import DurationStats, PollSchedule, ServerClock, WaitLoop
from liangxin_client._records import Task, TaskRecord

DEFAULT_WAIT_TIMEOUT = 600.0

#: Errors a wait() rides out (they already outlived get()'s own retries) until its deadline.
_TRANSIENT = (APIConnectionError, InternalServerError, RateLimitError)

OnUpdate = Callable[[TaskRecord], object]


class _Clocks(Protocol):
    strict: bool
    durations: DurationStats
    _clock: Callable[[], float]
    _wall: Callable[[], float]
    _server_clock: ServerClock

    def _edge(self, task_id: str | None = None, *, note: bool = False) -> Any: ...


class TaskClient(_Clocks, Protocol):
    """What `Tasks` needs of the sync client."""

    _sleep: Callable[[float], None]

    def _create(self, body: Mapping[str, Any]) -> Task: ...
    def _get(self, task_id: str, *, deadline: float | None = None) -> TaskRecord: ...


class AsyncTaskClient(_Clocks, Protocol):
    """What `AsyncTasks` needs of the async client."""

    _sleep: Callable[[float], Awaitable[None]]

    def _create(self, body: Mapping[str, Any]) -> Awaitable[Task]: ...
    def _get(self, task_id: str, *, deadline: float | None = None) -> Awaitable[TaskRecord]: ...


def _wait_loop(
    client: _Clocks,
    task_id: str,
    timeout: float | None,
    schedule: PollSchedule,
    on_update: OnUpdate | None,
) -> WaitLoop:
    return WaitLoop(
        task_id,
        timeout=timeout,
        clock=client._clock,
        schedule=schedule,
        on_update=on_update,
        wall=client._wall,
        durations=client.durations,
        server_clock=client._server_clock,
    )


def _task_id(task: str | Task) -> str:
    task_id = task.task_id if isinstance(task, Task) else task
    if not isinstance(task_id, str) or not task_id:
        raise InvalidRequestError("task_id must be a non-empty string", "taskId")
    return task_id


class Tasks:
    """Tasks of the sync client: `client.tasks`."""

    def __init__(self, client: TaskClient) -> None:
        self._client = client
        self.schedule = PollSchedule()

    def create(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *,
        input: ModelInput | None = None,
        callback_url: str | None = None,
        extra_input: Mapping[str, Any] | None = None,
        validate: bool = True,
        strict: bool | None = None,
        **fields: Any,
    ) -> Task:
        """Submit one task; each accepted call may cost credits.

        Give `prompt` and the model's input fields as keywords, or a typed `input=` object
        (then `model` may be omitted). Checked against the contract before sending
        unless `validate=False`: what the docs say the service refuses raises
        `InvalidRequestError`; a guess (an inferred rule, an unknown model or field) warns with a
        `LiangXinWarning` and is sent, or raises with `strict=True` (default: the client's
        `strict`). Undocumented fields go in `extra_input`.
        """
        body = build_create_body(
            model,
            prompt,
            typed=input,
            fields=fields,
            callback_url=callback_url,
            extra_input=extra_input,
            validate=validate,
            strict=self._client.strict if strict is None else strict,
        )
        return self._client._create(body)

    def get(self, task_id: str | Task) -> TaskRecord:
        """The task's current record (recordInfo); retried on transient failures.

        A finished record's duration is remembered per model (`client.durations`) for wait().
        """
        return self._poll(_task_id(task_id), None)

    def _poll(self, task_id: str, deadline: float | None) -> TaskRecord:
        """get(), its timeout and retries bounded by `deadline` (on the client's clock)."""
        record = self._client._get(task_id, deadline=deadline)
        self._client.durations.observe(record)
        return record

    def wait(
        self,
        task_id: str | Task,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
        wake: threading.Event | None = None,
        schedule: PollSchedule | None = None,
    ) -> TaskRecord:
        """Poll until the task succeeds; return its record.

        Raises `TaskFailedError` on `fail`, `TaskTimeoutError` after `timeout` seconds (None: no
        deadline), `UnexpectedTaskStateError` on a state this client does not know.
        `on_update(record)` runs on each state change. Setting `wake` (e.g. when a callback
        arrives) makes the next poll happen at once. `schedule` overrides `self.schedule`.

        The first poll is immediate. The pauses then follow the task's age (from its createTime,
        placed on this machine's clock with skew checks; from the first poll if it has none):
        without an estimate, `schedule.initial + (schedule.factor - 1) × age` capped at
        `schedule.cap` (0.5 s, 0.75 s, 1.1 s, … up to 3 s by default), so an old task is polled
        every `cap` seconds from the start. Once this client (or a `with_options` copy) has read
        finished tasks of the same model, it learns their durations (`client.durations`, the
        last 20 per model) and, while the task is younger than the age at which that model's
        tasks start finishing (`DurationStats.wake_age`: the 20th percentile or 0.9 × the
        median, whichever is smaller; 0.8 × the shortest with fewer than 3 samples), sleeps in
        steps of at most `schedule.long_cap` (10 s) until that age, then backs off from
        `initial` again. `PollSchedule(learn=False)` turns the learning off. Retry-After, the
        deadline and `wake` apply in every phase.
        """
        task_id = _task_id(task_id)
        with self._client._edge(task_id):
            return self._wait(task_id, timeout, on_update, wake, schedule)

    def _wait(
        self,
        task_id: str,
        timeout: float | None,
        on_update: OnUpdate | None,
        wake: threading.Event | None,
        schedule: PollSchedule | None,
    ) -> TaskRecord:
        loop = _wait_loop(self._client, task_id, timeout, schedule or self.schedule, on_update)
        while True:
            error: Exception | None = None
            loop.sending()
            try:
                record = self._poll(task_id, loop.deadline)
            except _TRANSIENT as exc:
                loop.failed_poll()
                error = exc
            else:
                if loop.observe(record):
                    return record
            delay = loop.next_delay(error)
            if wake is None:
                self._client._sleep(delay)
            elif wake.wait(delay):
                wake.clear()


class AsyncTasks:
    """Tasks of the async client: `client.tasks`; same surface as `Tasks`, awaited."""

    def __init__(self, client: AsyncTaskClient) -> None:
        self._client = client
        self.schedule = PollSchedule()

    async def create(
        self,
        model: str | None = None,
        prompt: str | None = None,
        *,
        input: ModelInput | None = None,
        callback_url: str | None = None,
        extra_input: Mapping[str, Any] | None = None,
        validate: bool = True,
        strict: bool | None = None,
        **fields: Any,
    ) -> Task:
        """Submit one task; see `Tasks.create`."""
        body = build_create_body(
            model,
            prompt,
            typed=input,
            fields=fields,
            callback_url=callback_url,
            extra_input=extra_input,
            validate=validate,
            strict=self._client.strict if strict is None else strict,
        )
        return await self._client._create(body)

    async def get(self, task_id: str | Task) -> TaskRecord:
        """The task's current record; see `Tasks.get`."""
        return await self._poll(_task_id(task_id), None)

    async def _poll(self, task_id: str, deadline: float | None) -> TaskRecord:
        """get(), its timeout and retries bounded by `deadline`; see `Tasks._poll`."""
        record = await self._client._get(task_id, deadline=deadline)
        self._client.durations.observe(record)
        return record

    async def wait(
        self,
        task_id: str | Task,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
        wake: asyncio.Event | None = None,
        schedule: PollSchedule | None = None,
    ) -> TaskRecord:
        """Poll until the task succeeds; see `Tasks.wait` (`wake` is an asyncio.Event here)."""
        task_id = _task_id(task_id)
        with self._client._edge(task_id):
            return await self._wait(task_id, timeout, on_update, wake, schedule)

    async def _wait(
        self,
        task_id: str,
        timeout: float | None,
        on_update: OnUpdate | None,
        wake: asyncio.Event | None,
        schedule: PollSchedule | None,
    ) -> TaskRecord:
        loop = _wait_loop(self._client, task_id, timeout, schedule or self.schedule, on_update)
        while True:
            error: Exception | None = None
            loop.sending()
            try:
                record = await self._poll(task_id, loop.deadline)
            except _TRANSIENT as exc:
                loop.failed_poll()
                error = exc
            else:
                if loop.observe(record):
                    return record
            delay = loop.next_delay(error)
            if wake is None:
                await self._client._sleep(delay)
            else:
                try:
                    await asyncio.wait_for(wake.wait(), delay)
                    wake.clear()
                except TimeoutError:
                    pass
