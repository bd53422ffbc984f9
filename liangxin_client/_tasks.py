"""`client.tasks`: create, get and wait, for the sync and the async client.

`Tasks` and `AsyncTasks` are one surface (`TaskMethods`) over a narrow port (`TaskPort`): the
client runs each call through its shared core and hands back a value (`LiangXin`) or an
awaitable of it (`AsyncLiangXin`).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, Protocol, TypeVar, cast

from liangxin_client._errors import (
    APIConnectionError,
    InternalServerError,
    InvalidRequestError,
    RateLimitError,
)
from liangxin_client._inputs import CreateRequest, ModelInput
from liangxin_client._polling import PollSchedule
from liangxin_client._records import Task, TaskRecord

DEFAULT_WAIT_TIMEOUT = 600.0

#: Errors a wait() rides out (they already outlived get()'s own retries) until its deadline.
TRANSIENT = (APIConnectionError, InternalServerError, RateLimitError)

OnUpdate = Callable[[TaskRecord], object]

TaskT = TypeVar("TaskT")
RecordT = TypeVar("RecordT")
WakeT = TypeVar("WakeT")


def task_id_of(task: str | Task) -> str:
    """The taskId of `task` (a Task or a taskId), checked."""
    task_id = task.task_id if isinstance(task, Task) else task
    if not isinstance(task_id, str) or not task_id:
        raise InvalidRequestError("task_id must be a non-empty string", "taskId")
    return task_id


class TaskPort(Protocol):
    """What `client.tasks` needs of its client: three calls, each a value or an awaitable."""

    def _create_task(self, request: CreateRequest) -> Any: ...
    def _get_task(self, task: str | Task) -> Any: ...
    def _wait_task(self, *wait: Any) -> Any:
        """wait(task, timeout, on_update, wake, schedule)."""


class TaskMethods(Generic[TaskT, RecordT, WakeT]):
    """`client.tasks`; `TaskT`/`RecordT` are what the calls give (awaitables on the async client)."""

    def __init__(self, client: TaskPort) -> None:
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
    ) -> TaskT:
        """Submit one task; each accepted call may cost credits.

        Give `prompt` and the model's input fields as keywords, or a typed `input=` object
        (then `model` may be omitted). Checked against the contract before sending
        unless `validate=False`: what the docs say the service refuses raises
        `InvalidRequestError`; a guess (an inferred rule, an unknown model or field) warns with a
        `LiangXinWarning` and is sent, or raises with `strict=True` (default: the client's
        `strict`). Undocumented fields go in `extra_input`.
        """
        request = CreateRequest(
            model, prompt, input, fields, callback_url, extra_input, validate, strict
        )
        return cast(TaskT, self._client._create_task(request))

    def get(self, task_id: str | Task) -> RecordT:
        """The task's current record (recordInfo); retried on transient failures.

        A finished record's duration is remembered per model (`client.durations`) for wait().
        """
        return self._client._get_task(task_id)  # type: ignore[no-any-return]

    def wait(
        self,
        task_id: str | Task,
        *,
        timeout: float | None = DEFAULT_WAIT_TIMEOUT,
        on_update: OnUpdate | None = None,
        wake: WakeT | None = None,
        schedule: PollSchedule | None = None,
    ) -> RecordT:
        """Poll until the task succeeds; return its record.

        Raises `TaskFailedError` on `fail`, `TaskTimeoutError` after `timeout` seconds (None: no
        deadline), `UnexpectedTaskStateError` on a state this client does not know.
        `on_update(record)` runs on each state change. Setting `wake` (a threading.Event, or an
        asyncio.Event on the async client; e.g. when a callback arrives) makes the next poll
        happen at once. `schedule` overrides `self.schedule`.

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
        waiting = self._client._wait_task(task_id, timeout, on_update, wake, schedule)
        return cast(RecordT, waiting)


class Tasks(TaskMethods[Task, TaskRecord, threading.Event]):
    """Tasks of the sync client: `client.tasks`."""


class AsyncTasks(TaskMethods[Awaitable[Task], Awaitable[TaskRecord], asyncio.Event]):
    """Tasks of the async client: `client.tasks`; same surface as `Tasks`, awaited."""
