"""Progress on stderr: a rich display on a terminal, plain lines otherwise.

`TaskProgress` follows one task (`generate`, `wait`, `resume`); `BatchProgress` counts the rows
of a `batch`, with its rate and ETA.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    SpinnerColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Column
from rich.text import Text

from liangxin_client import TaskRecord

ItemT = TypeVar("ItemT")

#: Columns kept for the spinner, the longest state (`generating`) and the elapsed time.
ROOM_FOR_STATE_AND_TIME = 24


def seconds_text(seconds: float) -> str:
    """A duration for people: `0.5 s`, `42 s`, `3 min 5 s`, `2 h 10 min`."""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, secs = divmod(round(seconds), 60)
    if minutes < 60:
        return f"{minutes} min {secs} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


def task_duration(record: TaskRecord) -> str | None:
    """How long the task ran, from its record: createTime to completeTime, else costTime."""
    millis = record.cost_time
    if record.create_time is not None and record.complete_time is not None:
        millis = record.complete_time - record.create_time
    return seconds_text(millis / 1000) if millis is not None and millis >= 0 else None


def finished_ago(record: TaskRecord, now: float | None = None) -> str | None:
    """How long ago the task finished (its completeTime, on the service's clock), if known."""
    if record.complete_time is None:
        return None
    ago = (time.time() if now is None else now) - record.complete_time / 1000
    return seconds_text(ago) if ago >= 1 else None


class TaskProgress:
    """Shows a task's state and elapsed time on stderr; pass `update` as wait()'s `on_update`."""

    def __init__(self, task_id: str, console: Console) -> None:
        self.task_id = task_id
        self.console = console
        self._start = time.monotonic()
        self._live: Progress | None = None
        self._row: TaskID | None = None
        #: Whether the first record read was already final (None: nothing read yet).
        self.already_finished: bool | None = None

    def __enter__(self) -> TaskProgress:
        if self.console.is_terminal:
            # State and time first, never wrapped; the long taskId last, shortened with "…" on a
            # narrow terminal (it was printed in full when the task was created).
            self._live = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}", table_column=Column(no_wrap=True)),
                TimeElapsedColumn(),
                TextColumn(
                    "{task.fields[task_id]}",
                    table_column=Column(
                        no_wrap=True,
                        overflow="ellipsis",
                        max_width=max(1, self.console.width - ROOM_FOR_STATE_AND_TIME),
                    ),
                ),
                console=self.console,
                transient=True,
            )
            self._live.start()
            self._row = self._live.add_task("waiting for the first answer", task_id=self.task_id)
        return self

    def update(self, record: TaskRecord) -> None:
        if self.already_finished is None:  # the first record read
            self.already_finished = record.is_terminal
        if self._live is not None and self._row is not None:
            self._live.update(self._row, description=record.raw_state)
        elif self.already_finished:
            self.console.print(self.closing(record), highlight=False, soft_wrap=True)
        else:
            self.console.print(
                f"{self.task_id}: {record.raw_state} ({self.elapsed:.1f} s)",
                highlight=False,
                soft_wrap=True,
            )

    def closing(self, record: TaskRecord) -> str:
        """The line after the spinner: how long this wait took, or that there was nothing to
        wait for — with the task's own duration from its record (not `after 0.0 s`)."""
        if not self.already_finished:
            return f"{self.task_id}: {record.raw_state} after {self.elapsed:.1f} s"
        took = task_duration(record)
        ago = finished_ago(record)
        details = [f"it took {took}" if took else "", f"finished {ago} ago" if ago else ""]
        said = "; ".join(d for d in details if d)
        return f"{self.task_id} had already finished: {record.raw_state}" + (
            f" ({said})" if said else ""
        )

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()


class _DetailColumn(ProgressColumn):
    """The counts, rate and ETA, computed at each refresh (so the ETA counts down between rows)."""

    def __init__(self, owner: BatchProgress) -> None:
        super().__init__()
        self._owner = owner

    def render(self, task: Task) -> Text:
        return Text(self._owner.detail())


class BatchProgress:
    """Counts, rate and ETA on stderr: a rich bar on a terminal, a line every 10 % otherwise.

    The ETA models the run as it is: `concurrency` rows held at once (AsyncManyRun's tasks, fed
    through `track`), each for about `duration()` seconds — the median time a row of this run
    was held, from taken to finished (queueing for the submit window included, so a window
    narrowed by 429s shows as longer rows), else `estimate`, the durations learned earlier. The
    rows held now finish when their age says; the rows not taken yet follow in the slots they
    free. (The rate of rows finished per second since the start is shown, but not used: it
    counts the first wave's wait as idle and began 64x too high or too low.)
    """

    #: How many of this run's row durations the ETA takes the median of.
    KEEP = 64

    def __init__(
        self,
        console: Console,
        total: int,
        done: int,
        estimate: float | None,
        *,
        concurrency: int = 1,
        todo: int | None = None,
    ) -> None:
        self.console = console
        self.total = total
        self.done = done
        self.counts: Counter[str] = Counter()
        self.estimate = estimate  # seconds per task, learned earlier (None: unknown)
        self.concurrency = max(1, concurrency)
        self.todo = total - done if todo is None else todo  # rows this run works on
        self._start = time.monotonic()
        self._finished_here = 0
        self._held: dict[int, float] = {}  # row index -> when a worker took it
        self._took: deque[float] = deque(maxlen=self.KEEP)
        # The bar is drawn from rich's refresh thread while the run updates these.
        self._lock = threading.Lock()
        self._live: Progress | None = None
        self._row: TaskID | None = None
        self._next_line = 0.1

    def __enter__(self) -> BatchProgress:
        if self.console.is_terminal:
            self._live = Progress(
                TextColumn("batch"),
                BarColumn(),
                MofNCompleteColumn(),
                _DetailColumn(self),
                console=self.console,
                transient=False,
            )
            self._live.start()
            self._row = self._live.add_task("batch", total=self.total, completed=self.done)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live is not None:
            self._live.stop()

    def track(self, items: Iterable[ItemT], index: Callable[[ItemT], int]) -> Iterator[ItemT]:
        """`items`, noting when each is taken (by one of the run's `concurrency` workers)."""
        for item in items:
            with self._lock:
                self._held[index(item)] = time.monotonic()
            yield item

    def duration(self) -> float | None:
        """Seconds a row is held, on average: from this run's rows (finished ones, and the ages
        of those still held, which took at least that long: a Kaplan-Meier mean, so the first
        rows to finish, the quickest, do not speak for all), else the estimate learned earlier
        (raised to what the rows held now show, when they are already older)."""
        now = time.monotonic()
        with self._lock:
            took, held = list(self._took), list(self._held.values())
        observed = sorted(
            [(seconds, True) for seconds in took] + [(now - taken, False) for taken in held]
        )
        mean, alive, at, left = 0.0, 1.0, 0.0, len(observed)
        for seconds, finished in observed:
            mean += alive * (seconds - at)
            at = seconds
            if finished:
                alive *= 1 - 1 / left
            left -= 1
        if len(took) >= 3 or (took and self.estimate is None):
            return mean
        if self.estimate is None:
            return None
        return max(self.estimate, mean)

    def eta(self) -> float | None:
        """Seconds until the rows of this run are finished; None while nothing is known."""
        left = self.todo - self._finished_here
        if left <= 0:
            return 0.0
        each = self.duration()
        if each is None:
            return None
        now = time.monotonic()
        with self._lock:
            ages = [now - taken for taken in self._held.values()]
        held = sorted(max(0.0, each - age) for age in ages)
        slots = max(self.concurrency, len(held))
        waiting = max(0, left - len(held))
        ends = [0.0] * (slots - len(held)) + held  # when each slot is free, soonest first
        rounds, extra = divmod(waiting, slots)
        # Waiting rows go to the slots in the order they free up, `each` seconds apiece.
        eta = max(end + (rounds + (j < extra)) * each for j, end in enumerate(ends))
        return max(eta, 1.0)

    def detail(self) -> str:
        elapsed = time.monotonic() - self._start
        rate = self._finished_here / elapsed if elapsed > 0 else 0.0
        with self._lock:
            counts = sorted(self.counts.items())
        parts = [f"{k} {v}" for k, v in counts]
        eta = self.eta()
        parts.append(f"{rate:.1f}/s")
        if eta is None:
            parts.append("ETA ?")
        elif eta > 0:  # (nothing left: no ETA)
            parts.append(f"ETA {seconds_text(eta)}")
        return " · ".join(parts)

    def finished(self, index: int, status: str) -> None:
        """Row `index` is done with (`not_submitted`: given back, never sent)."""
        with self._lock:
            taken = self._held.pop(index, None)
            if status == "not_submitted":
                return
            if taken is not None:
                self._took.append(time.monotonic() - taken)
            self.counts[status] += 1
        self.done += 1
        self._finished_here += 1
        if self._live is not None and self._row is not None:
            self._live.update(self._row, completed=self.done)
        elif self.done / self.total >= self._next_line or self.done == self.total:
            self._next_line = self.done / self.total + 0.1
            self.console.print(f"batch: {self.done}/{self.total} · {self.detail()}", markup=False)
