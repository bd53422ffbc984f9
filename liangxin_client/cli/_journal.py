"""The durable journal of `liangxin batch`: one SQLite row per input row, written before each step.

A row is marked `submitting` (committed) *before* its createTask is sent and gets its taskId
(committed) the moment the answer arrives, so a batch killed at any instant can be resumed
without paying twice: a row with a taskId is only waited for, and a row left `submitting` (the
process died with its createTask in flight) is `ambiguous` — reported, and resubmitted only on
request. WAL mode with `synchronous=NORMAL`: every commit survives the process being killed (a
power loss may lose the last commits; a lost `submitting` mark is then the only risk).

Row states: `pending` → `submitting` → `submitted` (taskId known) → `success` | `failed` |
`error`; `ambiguous` (the createTask's fate is unknown); `error` without a taskId means nothing
was created (a rejected or never-sent request) and is retried by a rerun.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

SCHEMA_VERSION = "1"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS rows (
    idx INTEGER PRIMARY KEY,
    body TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending',
    task_id TEXT,
    files TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    submits INTEGER NOT NULL DEFAULT 0,
    updated_ms INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS rows_state ON rows (state);
"""

#: States a rerun leaves alone.
FINAL = frozenset({"success", "failed"})
STATES = ("pending", "submitting", "submitted", "success", "failed", "error", "ambiguous")


class JournalError(Exception):
    """The journal cannot be used: unreadable, or made for another input."""


@attrs.frozen
class JournalRow:
    index: int
    body: dict[str, Any]
    state: str
    task_id: str | None
    files: tuple[str, ...]
    error: str | None
    submits: int

    def manifest(self) -> dict[str, Any]:
        """The row as the results manifest shows it (`request`: what was sent, when ambiguous)."""
        entry: dict[str, Any] = {
            "index": self.index,
            "taskId": self.task_id,
            "state": self.state,
            "files": list(self.files),
            "error": self.error,
        }
        if self.state in ("ambiguous", "submitting"):
            entry["state"] = "ambiguous"
            entry["request"] = self.body
        return entry


def _now_ms() -> int:
    return int(time.time() * 1000)


def _dump(body: Mapping[str, Any]) -> str:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


class Journal:
    """One batch's journal file (`path`); opened by `liangxin batch` and `--status`."""

    def __init__(self, path: Path, *, create: bool = True) -> None:
        self.path = path
        if not create and not path.exists():
            raise JournalError(f"no journal at {path}")
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise JournalError(f"cannot use {path} as a batch journal: {exc}") from None

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- set-up ----------------------------------------------------------------------------

    def meta(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT key, value FROM meta").fetchall())

    def start(self, bodies: Sequence[Mapping[str, Any]], meta: Mapping[str, str]) -> bool:
        """Record the input on a first run, or check that a rerun has the same input.

        Returns True when the journal already held this batch (a resume).
        """
        known = self._db.execute("SELECT COUNT(*) FROM rows").fetchone()[0]
        if known:
            self._check_same(bodies)
            return True
        now = _now_ms()
        with self._db:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.executemany(
                "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                [("schema", SCHEMA_VERSION), *meta.items()],
            )
            self._db.executemany(
                "INSERT INTO rows (idx, body, updated_ms) VALUES (?, ?, ?)",
                ((i, _dump(body), now) for i, body in enumerate(bodies)),
            )
        return False

    def _check_same(self, bodies: Sequence[Mapping[str, Any]]) -> None:
        stored = self._db.execute("SELECT idx, body FROM rows ORDER BY idx").fetchall()
        if len(stored) != len(bodies):
            raise JournalError(
                f"{self.path} is the journal of a batch of {len(stored)} rows, but the input has "
                f"{len(bodies)}; give another --journal for a different batch"
            )
        for (index, text), body in zip(stored, bodies, strict=True):
            if text != _dump(body):
                raise JournalError(
                    f"row {index + 1} of the input differs from the one in {self.path}; "
                    "give another --journal for a different batch"
                )

    # -- steps (each one commit) -----------------------------------------------------------

    def _set(self, index: int, sql: str, *args: Any) -> None:
        self._db.execute(
            f"UPDATE rows SET {sql}, updated_ms = ? WHERE idx = ?", (*args, _now_ms(), index)
        )

    def submitting(self, index: int) -> None:
        """Before the createTask is sent."""
        self._set(index, "state = 'submitting', error = NULL, submits = submits + 1")

    def submitted(self, index: int, task_id: str) -> None:
        """The taskId, as soon as the answer is read."""
        self._set(index, "state = 'submitted', task_id = ?", task_id)

    def finished(
        self, index: int, state: str, *, files: Iterable[str] = (), error: str | None = None
    ) -> None:
        self._set(index, "state = ?, files = ?, error = ?", state, json.dumps(list(files)), error)

    def reopen_ambiguous(self) -> int:
        """`--resubmit-ambiguous`: make every ambiguous row pending again; how many there were."""
        cursor = self._db.execute(
            "UPDATE rows SET state = 'pending', updated_ms = ? "
            "WHERE task_id IS NULL AND state IN ('ambiguous', 'submitting')",
            (_now_ms(),),
        )
        return cursor.rowcount

    def mark_ambiguous(self) -> int:
        """Rows left `submitting` by a killed run: their createTask's fate is unknown."""
        cursor = self._db.execute(
            "UPDATE rows SET state = 'ambiguous', error = ?, updated_ms = ? "
            "WHERE task_id IS NULL AND state = 'submitting'",
            (
                "the batch stopped while this row's createTask was in flight: it may have "
                "been created; check before resubmitting (--resubmit-ambiguous)",
                _now_ms(),
            ),
        )
        return cursor.rowcount

    # -- reading ---------------------------------------------------------------------------

    def rows(self) -> Iterator[JournalRow]:
        for index, body, state, task_id, files, error, submits in self._db.execute(
            "SELECT idx, body, state, task_id, files, error, submits FROM rows ORDER BY idx"
        ):
            yield JournalRow(
                index, json.loads(body), state, task_id, tuple(json.loads(files)), error, submits
            )

    def counts(self) -> dict[str, int]:
        found = dict(self._db.execute("SELECT state, COUNT(*) FROM rows GROUP BY state").fetchall())
        return {state: int(found.get(state, 0)) for state in STATES if found.get(state)}

    def task_ids(self) -> set[str]:
        return {
            t for (t,) in self._db.execute("SELECT task_id FROM rows WHERE task_id IS NOT NULL")
        }
