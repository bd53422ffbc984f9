"""What the commands print (records as text or JSON, saved paths) and where they save (`--out`)."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import datetime
from pathlib import Path
from typing import Any

from liangxin_client import TaskRecord
from liangxin_client.cli._exits import EXIT_OK, UsageError
from liangxin_client.cli._run import Run


def emit(data: Any) -> None:
    """JSON on stdout."""
    print(json.dumps(data, indent=2, ensure_ascii=False))


def _iso(millis: int | None) -> str | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000).astimezone().isoformat(timespec="seconds")


def record_json(record: TaskRecord) -> dict[str, Any]:
    """A record as the CLI's JSON shows it (recordInfo's names, resultJson decoded)."""
    return {
        "taskId": record.task_id,
        "model": record.model,
        "state": record.raw_state,
        "resultUrls": list(record.result_urls),
        "failCode": record.fail_code,
        "failMsg": record.fail_msg,
        "createTime": record.create_time,
        "updateTime": record.update_time,
        "completeTime": record.complete_time,
        "costTime": record.cost_time,
        "param": dict(record.param) if record.param is not None else None,
    }


def render(record: TaskRecord, run: Run) -> str:
    """A record as `task: ...`, `state: ...` lines."""
    results: list[tuple[str, Any]] = [("result", url) for url in record.result_urls]
    if run.args.mock and record.result_urls:
        # The embedded mock's port dies with this command: its URLs would be dead links.
        count = len(record.result_urls)
        results = [
            (
                "results",
                f"{count} file{'s' * (count != 1)}; save with `{run.resume_hint('download')}` "
                "(--mock result URLs work only while the mock runs)",
            )
        ]
    rows: list[tuple[str, Any]] = [
        ("task", record.task_id),
        ("model", record.model),
        ("state", record.raw_state),
        ("created", _iso(record.create_time)),
        ("completed", _iso(record.complete_time)),
        ("cost", f"{record.cost_time / 1000:g} s" if record.cost_time is not None else None),
        ("fail", ": ".join(p for p in (record.fail_code, record.fail_msg) if p) or None),
        *results,
    ]
    return "\n".join(f"{name + ':':<10} {value}" for name, value in rows if value is not None)


def print_record(record: TaskRecord, run: Run) -> int:
    """The record on stdout: JSON with --json, else lines."""
    print(json.dumps(record_json(record), indent=2) if run.json else render(record, run))
    return EXIT_OK


def print_saved(run: Run, record: TaskRecord, paths: list[Path]) -> int:
    """The saved files on stdout: one path a line, or the record plus `files` with --json."""
    if run.json:
        emit({**record_json(record), "files": [str(p) for p in paths]})
    else:
        print("\n".join(str(p) for p in paths))
    return EXIT_OK


def os_error(exc: OSError) -> str:
    """An OSError in a few words: its reason and the file it concerns."""
    return f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")


class OutputDir:
    """`--out`, made ready before anything is sent: created if missing, a directory, writable.

    `discard()` removes the directories it created, for a command that ends before a task exists.
    """

    def __init__(self, text: str) -> None:
        self.text = text
        self.path = Path(text)
        self.created: list[Path] = []
        try:
            self.created = [p for p in (self.path, *self.path.parents) if not p.exists()]
            if self.path.exists() and not self.path.is_dir():
                raise UsageError(f"--out {text!r} is not a directory")
            self.path.mkdir(parents=True, exist_ok=True)
            fd, probe = tempfile.mkstemp(prefix=".liangxin-probe-", dir=self.path)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            self.discard()
            raise UsageError(f"cannot write to --out {text!r}: {os_error(exc)}") from None

    @contextmanager
    def kept_only_on_success(self) -> Iterator[None]:
        """Remove the directories made for the results if the block fails (no results to save)."""
        try:
            yield
        except BaseException:
            self.discard()
            raise

    def discard(self) -> None:
        for path in self.created:  # deepest first; rmdir leaves anything non-empty alone
            with suppress(OSError):
                path.rmdir()
