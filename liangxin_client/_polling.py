"""wait()'s schedule and bookkeeping, free of I/O so it can be tested without sleeping.

The sync and async clients drive the same `WaitLoop`; only the get() and the sleep differ.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import attrs

from liangxin_client._errors import (
    RateLimitError,
    TaskFailedError,
    TaskTimeoutError,
    UnexpectedTaskStateError,
)
from liangxin_client._records import TaskRecord, TaskState
from liangxin_client._retry import RETRY_AFTER_CAP


@attrs.frozen
class PollSchedule:
    """Delays between polls: `initial`, growing by `factor` per poll up to `cap`, ± `jitter`."""

    initial: float = 0.5
    factor: float = 1.5
    cap: float = 3.0
    jitter: float = 0.1

    def delay(self, polls: int, rand: Callable[[], float] = random.random) -> float:
        """The pause after the `polls`-th poll (1-based); `rand()` ∈ [0, 1)."""
        base = min(self.cap, self.initial * self.factor ** max(0, polls - 1))
        return max(0.0, base * (1 + self.jitter * (2 * rand() - 1)))


class WaitLoop:
    """One wait(): counts polls, reports state changes, enforces the deadline.

    `observe(record)` returns True when the task succeeded, raises `TaskFailedError` on `fail` and
    `UnexpectedTaskStateError` on a state it cannot judge; `next_delay()` says how long to pause,
    raising `TaskTimeoutError` once the deadline has passed.
    """

    def __init__(
        self,
        task_id: str,
        *,
        timeout: float | None,
        clock: Callable[[], float],
        schedule: PollSchedule | None = None,
        on_update: Callable[[TaskRecord], object] | None = None,
        rand: Callable[[], float] = random.random,
    ) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.schedule = schedule or PollSchedule()
        self.polls = 0
        self.last: TaskRecord | None = None
        self._clock = clock
        self._on_update = on_update
        self._rand = rand
        self._deadline = None if timeout is None else clock() + timeout

    @property
    def last_state(self) -> str | None:
        return self.last.raw_state if self.last else None

    def observe(self, record: TaskRecord) -> bool:
        self.polls += 1
        changed = self.last is None or record.raw_state != self.last.raw_state
        self.last = record
        if changed and self._on_update is not None:
            self._on_update(record)
        if record.state is TaskState.SUCCESS:
            return True
        if record.state is TaskState.FAIL:
            raise TaskFailedError(record.task_id or self.task_id, record.fail_code, record.fail_msg)
        if record.state is TaskState.UNKNOWN:
            raise UnexpectedTaskStateError(record.task_id or self.task_id, record.raw_state)
        return False

    def failed_poll(self) -> None:
        """Count a poll that got no record (a transient error that outlived the get() retries)."""
        self.polls += 1

    def next_delay(self, error: BaseException | None = None) -> float:
        """Seconds to sleep before the next poll; a RateLimitError's Retry-After is honoured."""
        delay = self.schedule.delay(max(1, self.polls), self._rand)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            delay = max(delay, min(error.retry_after, RETRY_AFTER_CAP))
        if self._deadline is None:
            return delay
        remaining = self._deadline - self._clock()
        if remaining <= 0:
            raise TaskTimeoutError(self.task_id, self.last_state, self.timeout) from error
        return min(delay, remaining)
