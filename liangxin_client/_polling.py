"""wait()'s schedule and bookkeeping, free of I/O so it can be tested without sleeping.

The sync and async clients drive the same `WaitLoop`; only the get() and the sleep differ.

The schedule is a function of the task's *age* (time since its `createTime`), not of how long this
wait() has run, and — once the client has seen a few tasks of the same model finish — of how long
that model's tasks usually take (`DurationStats`, learned per client):

* no estimate: the pause after a poll is `initial + (factor - 1) × age`, capped at `cap` — the
  same 0.5 s, 0.75 s, 1.1 s, … backoff as before for a fresh task, but a wait() started on a task
  that is already minutes old polls every `cap` seconds from the start;
* with an estimate: sleep (in steps of at most `long_cap`) until the age at which the model's
  tasks start finishing (`DurationStats.wake_age`), then back off from `initial` again as above.

Ages are read on the client's monotonic clock: the server's epoch-ms timestamps are placed on it
through the client's wall clock, corrected by what the server's own timestamps prove
(`ServerClock`), so a client clock that is behind the server does not make tasks look younger.
"""

from __future__ import annotations

import itertools
import math
import random
import threading
from collections import OrderedDict
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
    """How wait() spaces its polls; see the module docstring.

    Without a learned estimate the pause is `initial + (factor - 1) × age` (the task's age in
    seconds) capped at `cap`, ± `jitter`. With `learn=True` and a duration estimate for the task's
    model, wait() first sleeps in steps of at most `long_cap` seconds until the estimated start of
    completions, then backs off from `initial` the same way. `learn=False`: never use estimates.
    `factor=1` gives fixed polling every `initial` seconds.
    """

    initial: float = 0.5
    factor: float = 1.5
    cap: float = 3.0
    jitter: float = 0.1
    learn: bool = True
    long_cap: float = 10.0

    def delay(self, polls: int, rand: Callable[[], float] = random.random) -> float:
        """The backoff pause after the `polls`-th poll (1-based) of a fresh task; `rand()` ∈ [0, 1)."""
        base = min(self.cap, self.initial * self.factor ** max(0, polls - 1))
        return self._jittered(base, rand)

    def delay_at(self, age: float, rand: Callable[[], float] = random.random) -> float:
        """The backoff pause after a poll made `age` seconds into the task (or past its wake age).

        For a task polled from age 0 this is `delay()`'s geometric series: each pause is
        `initial + (factor - 1) × (sum of the pauses before it)`.
        """
        base = min(self.cap, self.initial + (self.factor - 1) * max(0.0, age))
        return self._jittered(base, rand)

    def pause(
        self, age: float, wake_age: float | None, rand: Callable[[], float] = random.random
    ) -> float:
        """The pause after a poll at `age`; `wake_age` is the learned age to start polling at."""
        if wake_age is None or not self.learn:
            return self.delay_at(age, rand)
        left = wake_age - age
        if left <= 0:
            return self.delay_at(-left, rand)
        if left <= self.long_cap:
            return left  # land on the wake age itself: no jitter, no extra poll just before it
        return self.long_cap * (1 - self.jitter * rand())

    def _jittered(self, base: float, rand: Callable[[], float]) -> float:
        return max(0.0, base * (1 + self.jitter * (2 * rand() - 1)))


def record_duration(record: TaskRecord) -> float | None:
    """Seconds from createTime to completeTime (else costTime) of a finished task; else None."""
    if not record.state.is_terminal:
        return None
    if record.create_time is not None and record.complete_time is not None:
        millis = record.complete_time - record.create_time
    elif record.cost_time is not None:
        millis = record.cost_time
    else:
        return None
    return millis / 1000 if millis >= 0 else None


class DurationStats:
    """How long each model's tasks took lately: the last `keep` finished tasks per model.

    A client holds one (`client.durations`, shared with its `with_options` copies) and feeds it
    every finished record it reads; wait() asks it for `wake_age(model)`. Thread-safe.
    """

    #: Below this many samples, wake at `FEW_SAMPLES_FACTOR` × the shortest one.
    MIN_SAMPLES = 3
    FEW_SAMPLES_FACTOR = 0.8
    #: Otherwise wake at min(the `QUANTILE` quantile, `MEDIAN_FACTOR` × the median).
    QUANTILE = 0.2
    MEDIAN_FACTOR = 0.9

    #: How many models are remembered; the least recently seen is forgotten first.
    MAX_MODELS = 256

    def __init__(self, keep: int = 20, max_models: int = MAX_MODELS) -> None:
        if keep < 1 or max_models < 1:
            raise ValueError("keep and max_models must be >= 1")
        self.keep = keep
        self.max_models = max_models
        self._lock = threading.Lock()
        self._by_model: OrderedDict[str, OrderedDict[object, float]] = OrderedDict()
        self._unkeyed = itertools.count()

    def __repr__(self) -> str:
        with self._lock:
            counts = {model: len(samples) for model, samples in self._by_model.items()}
        return f"DurationStats(keep={self.keep}, samples={counts})"

    def observe(self, record: TaskRecord) -> None:
        """Learn from `record` if it is finished, timed and names its model (each task once)."""
        if not record.state.is_terminal or not record.model:
            return
        known = self._by_model.get(record.model)
        if known is not None and record.task_id in known:  # the usual re-read: no lock needed
            return
        seconds = record_duration(record)
        if seconds is not None:
            self.add(record.model, seconds, key=record.task_id or None)

    def add(self, model: str, seconds: float, *, key: str | None = None) -> None:
        """Add one duration for `model`; `key` (a task id) makes repeats count once."""
        with self._lock:
            samples = self._by_model.get(model)
            if samples is None:
                samples = self._by_model[model] = OrderedDict()
                while len(self._by_model) > self.max_models:
                    self._by_model.popitem(last=False)
            else:
                self._by_model.move_to_end(model)
            entry: object = key if key is not None else next(self._unkeyed)
            if entry in samples:
                return
            samples[entry] = seconds
            while len(samples) > self.keep:
                samples.popitem(last=False)

    def samples(self, model: str) -> list[float]:
        """The kept durations for `model`, oldest first."""
        with self._lock:
            return list(self._by_model.get(model, {}).values())

    def models(self) -> list[str]:
        """The models with at least one kept duration."""
        with self._lock:
            return [model for model, samples in self._by_model.items() if samples]

    def clear(self) -> None:
        with self._lock:
            self._by_model.clear()

    def wake_age(self, model: str) -> float | None:
        """The task age (s) at which to start polling a `model` task fast; None: no estimate."""
        ordered = sorted(self.samples(model))
        if not ordered:
            return None
        if len(ordered) < self.MIN_SAMPLES:
            return self.FEW_SAMPLES_FACTOR * ordered[0]
        low = ordered[max(0, math.ceil(self.QUANTILE * len(ordered)) - 1)]  # nearest rank
        return min(low, self.MEDIAN_FACTOR * _median(ordered))


def _median(ordered: list[float]) -> float:
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


class ServerClock:
    """Places the server's epoch-ms timestamps on the client's monotonic clock.

    `offset` = local monotonic seconds − server epoch seconds. The guess is the client's own
    (monotonic − wall clock), i.e. no skew; it is clamped into what the server's timestamps prove:
    a record received at local time r shows only instants ≤ r (an upper bound), and an updateTime
    newer than the one a poll sent at local time s saw lies after s (a lower bound). Proofs go stale
    at `DRIFT` s/s; contradicting ones (a stepped server clock) replace the older. Thread-safe.
    """

    DRIFT = 1e-4

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hi: tuple[float, float] | None = None  # (bound, local time it was proven)
        self._lo: tuple[float, float] | None = None

    def _bound(self, which: tuple[float, float] | None, now: float, sign: float) -> float:
        if which is None:
            return sign * math.inf
        return which[0] + sign * self.DRIFT * max(0.0, now - which[1])

    def offset(self, mono_now: float, wall_now: float) -> float:
        with self._lock:
            hi = self._bound(self._hi, mono_now, 1.0)
            lo = self._bound(self._lo, mono_now, -1.0)
        return min(max(mono_now - wall_now, lo), hi)

    def seen_by(self, server_ms: int, local: float) -> None:
        """The server instant `server_ms` had happened by local time `local`."""
        bound = local - server_ms / 1000
        with self._lock:
            if self._hi is None or bound < self._bound(self._hi, local, 1.0):
                self._hi = (bound, local)
                if self._lo is not None and self._bound(self._lo, local, -1.0) > bound:
                    self._lo = None

    def after(self, server_ms: int, local: float) -> None:
        """The server instant `server_ms` happened after local time `local`."""
        bound = local - server_ms / 1000
        with self._lock:
            if self._lo is None or bound > self._bound(self._lo, local, -1.0):
                self._lo = (bound, local)
                if self._hi is not None and self._bound(self._hi, local, 1.0) < bound:
                    self._hi = None


class WaitLoop:
    """One wait(): counts polls, reports state changes, enforces the deadline, times the polls.

    `observe(record)` returns True when the task succeeded, raises `TaskFailedError` on `fail` and
    `UnexpectedTaskStateError` on a state it cannot judge; `next_delay()` says how long to pause,
    raising `TaskTimeoutError` once the deadline has passed. Call `sending()` just before each
    poll so the loop knows when it went out. `wall` (epoch seconds) places the task's createTime on
    `clock`; without it ages count from the task's first sighting.
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
        wall: Callable[[], float] | None = None,
        durations: DurationStats | None = None,
        server_clock: ServerClock | None = None,
    ) -> None:
        self.task_id = task_id
        self.timeout = timeout
        self.schedule = schedule or PollSchedule()
        self.polls = 0
        self.last: TaskRecord | None = None
        self.born: float | None = None  # the task's creation on `clock`, once a record told us
        self._clock, self._wall, self._server_clock = clock, wall, server_clock
        self._on_update, self._rand, self._durations = on_update, rand, durations
        self._started = clock()
        self._sent: float | None = None
        self._last_sent: float | None = None
        self._first_seen: float | None = None
        self._deadline = None if timeout is None else self._started + timeout

    @property
    def deadline(self) -> float | None:
        """When this wait() gives up, on `clock`; None: never."""
        return self._deadline

    @property
    def last_state(self) -> str | None:
        return self.last.raw_state if self.last else None

    def sending(self) -> None:
        """A poll is about to go out."""
        self._sent = self._clock()

    def age(self, now: float | None = None) -> float:
        """The task's age in seconds (since this wait() began while no record has come)."""
        now = self._clock() if now is None else now
        return max(0.0, now - (self._started if self.born is None else self.born))

    def wake_age(self) -> float | None:
        """The learned age at which to poll fast, if learning is on and the model is known."""
        if (
            not self.schedule.learn
            or self._durations is None
            or not self.last
            or not self.last.model
        ):
            return None
        return self._durations.wake_age(self.last.model)

    def observe(self, record: TaskRecord) -> bool:
        self.polls += 1
        self._place(record)
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

    def _place(self, record: TaskRecord) -> None:
        """Update `born` (and the server clock's proofs) from a record just received."""
        received = self._clock()
        sent = received if self._sent is None else self._sent
        self._sent = None
        if self._first_seen is None:
            self._first_seen = sent
        stamps = [t for t in (record.create_time, record.update_time, record.complete_time) if t]
        previous = self.last.update_time if self.last is not None else None
        clock = self._server_clock
        if clock is not None and stamps:
            clock.seen_by(max(stamps), received)
            newer = record.update_time
            if newer and previous and newer > previous and self._last_sent is not None:
                clock.after(newer, self._last_sent)
        self._last_sent = sent
        born = self._first_seen
        if record.create_time and self._wall is not None:
            wall_now = self._wall()
            offset = received - wall_now if clock is None else clock.offset(received, wall_now)
            # The task is at least as old as its own latest timestamp says, skew or not.
            proven = received - (max(stamps) - record.create_time) / 1000
            born = min(born, proven, record.create_time / 1000 + offset)
        self.born = born

    def failed_poll(self) -> None:
        """Count a poll that got no record (a transient error that outlived the get() retries)."""
        self.polls += 1
        self._sent = None

    def next_delay(self, error: BaseException | None = None) -> float:
        """Seconds to sleep before the next poll; a RateLimitError's Retry-After is honoured."""
        now = self._clock()
        delay = self.schedule.pause(self.age(now), self.wake_age(), self._rand)
        if isinstance(error, RateLimitError) and error.retry_after is not None:
            delay = max(delay, min(error.retry_after, RETRY_AFTER_CAP))
        if self._deadline is None:
            return delay
        remaining = self._deadline - now
        if remaining <= 0:
            raise TaskTimeoutError(self.task_id, self.last_state, self.timeout) from error
        return min(delay, remaining)
