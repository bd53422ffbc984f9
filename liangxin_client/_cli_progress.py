"""The CLI's view of a running task: a rich spinner on a terminal, plain lines otherwise."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Column

from liangxin_client._records import TaskRecord

#: Columns kept for the spinner, the longest state (`generating`) and the elapsed time.
ROOM_FOR_STATE_AND_TIME = 24


class TaskProgress:
    """Shows a task's state and elapsed time on stderr; pass `update` as wait()'s `on_update`."""

    def __init__(self, task_id: str, console: Console) -> None:
        self.task_id = task_id
        self.console = console
        self._start = time.monotonic()
        self._live: Progress | None = None
        self._row: TaskID | None = None

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
        if self._live is not None and self._row is not None:
            self._live.update(self._row, description=record.raw_state)
        else:
            self.console.print(
                f"{self.task_id}: {record.raw_state} ({self.elapsed:.1f} s)",
                highlight=False,
                soft_wrap=True,
            )

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self._start

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._live is not None:
            self._live.stop()
