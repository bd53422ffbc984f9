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

Next to the journal: `JOURNAL.lock`, held (`flock`) by the one run that may write the journal —
the OS drops it when that process dies — and `JOURNAL.ledger.jsonl`, the `Ledger`: every step
appended as one JSON line before the journal records it, a second record that survives the
journal losing its content (emptied, its WAL deleted, a failed write) and rebuilds it
(`_journal_open.py`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import socket
import sqlite3
import sys
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

#: 2: rows have a `key` (a journal of schema 1 gets the column when a run opens it).
SCHEMA_VERSION = "2"

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
    updated_ms INTEGER NOT NULL,
    key TEXT
);
CREATE INDEX IF NOT EXISTS rows_state ON rows (state);
"""

#: Why a row left `submitting` is ambiguous.
AMBIGUOUS_NOTE = (
    "the batch stopped while this row's createTask was in flight: it may have been created; "
    "check before resubmitting (--resubmit-ambiguous)"
)

#: States a rerun leaves alone.
FINAL = frozenset({"success", "failed"})
STATES = ("pending", "submitting", "submitted", "success", "failed", "error", "ambiguous")


class JournalError(Exception):
    """The journal cannot be used: unreadable, unwritable, or made for another input.

    `reason` is the cause alone (SQLite's or the OS's words), for messages of their own.
    """

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason or message


class JournalBusyError(JournalError):
    """Another process holds the journal's lock (a batch is running on it)."""


@attrs.frozen
class JournalRow:
    index: int
    body: dict[str, Any]
    state: str
    task_id: str | None
    files: tuple[str, ...]
    error: str | None
    submits: int
    key: str | None = None

    def manifest(self) -> dict[str, Any]:
        """The row as the results manifest shows it (`request`: what was sent, when ambiguous)."""
        entry: dict[str, Any] = {
            "index": self.index,
            "key": self.key,
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


def fingerprint(bodies: Sequence[Mapping[str, Any]]) -> str:
    """One hash of a batch's input (its rows as the journal stores them)."""
    digest = hashlib.sha256()
    for body in bodies:
        digest.update(_dump(body).encode() + b"\n")
    return "sha256:" + digest.hexdigest()


def _problem(exc: BaseException) -> str:
    if isinstance(exc, OSError):
        return f"{exc.strerror or exc}"
    return str(exc)


class Journal:
    """One batch's journal file (`path`); opened by `liangxin batch` and, `read_only`, by
    `--status` (which then writes nothing and works while a run holds the journal).

    Every SQLite or OS error is a `JournalError` with a sentence that names the file.
    """

    def __init__(self, path: Path, *, create: bool = True, read_only: bool = False) -> None:
        self.path = path
        if not create and not path.exists():
            raise JournalError(f"no journal at {path}")
        if path.exists() and not path.is_file():
            raise JournalError(f"{path} is not a file, so it cannot be a batch journal")
        try:
            if read_only:
                uri = f"{path.resolve().as_uri()}?mode=ro"
                self._db = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
                self._db.execute("SELECT COUNT(*) FROM rows").fetchone()
                return
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)
            columns = self._db.execute("PRAGMA table_info(rows)").fetchall()
            if not any(column[1] == "key" for column in columns):  # schema 1: rows get keys
                self._db.execute("ALTER TABLE rows ADD COLUMN key TEXT")
                self._db.execute(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema', ?)",
                    (SCHEMA_VERSION,),
                )
        except (sqlite3.Error, OSError) as exc:
            with contextlib.suppress(AttributeError, sqlite3.Error):
                self._db.close()
            raise JournalError(
                f"cannot use {path} as a batch journal: {_problem(exc)}", _problem(exc)
            ) from None

    def _keyed(self) -> bool:
        return any(column[1] == "key" for column in self._query("PRAGMA table_info(rows)"))

    def check_whole(self) -> None:
        """The file is whole (`quick_check`) and has the journal's columns."""
        try:
            problems = [r for (r,) in self._db.execute("PRAGMA quick_check") if r != "ok"]
            if problems:
                raise JournalError(
                    f"the journal {self.path} is damaged: {problems[0]}", problems[0]
                )
            self._db.execute(
                "SELECT idx, body, state, task_id, files, error, submits FROM rows LIMIT 1"
            ).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(
                f"cannot use {self.path} as a batch journal: {exc}", str(exc)
            ) from None

    def check_writable(self) -> None:
        """A write, before anything is sent (a read-only file or a full disk shows here)."""
        self._write(
            "INSERT OR REPLACE INTO meta (key, value) VALUES ('opened_ms', ?)", (str(_now_ms()),)
        )

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self._db.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- set-up ----------------------------------------------------------------------------

    def _query(self, sql: str, *args: Any) -> list[Any]:
        try:
            return self._db.execute(sql, args).fetchall()
        except sqlite3.Error as exc:
            raise JournalError(f"cannot read the journal {self.path}: {exc}", str(exc)) from None

    def meta(self) -> dict[str, str]:
        return dict(self._query("SELECT key, value FROM meta"))

    def row_count(self) -> int:
        return int(self._query("SELECT COUNT(*) FROM rows")[0][0])

    def start(
        self,
        bodies: Sequence[Mapping[str, Any]],
        meta: Mapping[str, str],
        keys: Sequence[str | None] | None = None,
    ) -> bool:
        """Record the input (each row's body and key) on a first run, or check that a rerun has
        the same input.

        Returns True when the journal already held this batch (a resume).
        """
        keys = list(keys) if keys is not None else [None] * len(bodies)
        if self.row_count():
            self._check_same(bodies, keys)
            return True
        now = _now_ms()
        try:
            with self._db:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)",
                    [("schema", SCHEMA_VERSION), *meta.items()],
                )
                self._db.executemany(
                    "INSERT INTO rows (idx, body, key, updated_ms) VALUES (?, ?, ?, ?)",
                    (
                        (i, _dump(body), key, now)
                        for i, (body, key) in enumerate(zip(bodies, keys, strict=True))
                    ),
                )
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc}", str(exc)) from None
        return False

    def _check_same(self, bodies: Sequence[Mapping[str, Any]], keys: Sequence[str | None]) -> None:
        stored = self._query("SELECT idx, body, key FROM rows ORDER BY idx")
        if len(stored) != len(bodies):
            raise JournalError(
                f"{self.path} is the journal of a batch of {len(stored)} rows, but the input has "
                f"{len(bodies)}; give another --journal for a different batch"
            )
        unkeyed = []
        for (index, text, known), body, key in zip(stored, bodies, keys, strict=True):
            if text != _dump(body) or (known is not None and known != key):
                raise JournalError(
                    f"row {index + 1} of the input differs from the one in {self.path}"
                    + (f" (key {known!r}, now {key!r})" if known != key and known else "")
                    + "; give another --journal for a different batch"
                )
            if known is None and key is not None:
                unkeyed.append((key, index))
        if unkeyed:  # a journal made before rows had keys: they get the input's
            try:
                with self._db:
                    self._db.executemany("UPDATE rows SET key = ? WHERE idx = ?", unkeyed)
            except sqlite3.Error as exc:
                raise JournalError(
                    f"cannot write the journal {self.path}: {exc}", str(exc)
                ) from None

    # -- steps (each one commit) -----------------------------------------------------------

    def _write(self, sql: str, args: Sequence[Any]) -> int:
        try:
            return self._db.execute(sql, args).rowcount
        except sqlite3.Error as exc:
            raise JournalError(f"cannot write the journal {self.path}: {exc}", str(exc)) from None

    def _set(self, index: int, sql: str, *args: Any) -> None:
        self._write(
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

    def adopt(self, row: JournalRow) -> None:
        """Take a row as the ledger or a manifest knew it (rebuilding a journal that lost it)."""
        self._set(
            row.index,
            "state = ?, task_id = ?, files = ?, error = ?",
            row.state,
            row.task_id,
            json.dumps(list(row.files)),
            row.error,
        )

    def reopen_ambiguous(self) -> list[int]:
        """`--resubmit-ambiguous`: make every ambiguous row pending again; which rows."""
        where = "WHERE task_id IS NULL AND state IN ('ambiguous', 'submitting')"
        rows = [i for (i,) in self._query(f"SELECT idx FROM rows {where}")]
        self._write(f"UPDATE rows SET state = 'pending', updated_ms = ? {where}", (_now_ms(),))
        return rows

    def mark_ambiguous(self) -> int:
        """Rows left `submitting` by a killed run: their createTask's fate is unknown."""
        return self._write(
            "UPDATE rows SET state = 'ambiguous', error = ?, updated_ms = ? "
            "WHERE task_id IS NULL AND state = 'submitting'",
            (AMBIGUOUS_NOTE, _now_ms()),
        )

    # -- reading ---------------------------------------------------------------------------

    def rows(self) -> Iterator[JournalRow]:
        key = "key" if self._keyed() else "NULL"  # NULL: a schema-1 journal read by --status
        found = self._query(
            f"SELECT idx, body, state, task_id, files, error, submits, {key} FROM rows ORDER BY idx"
        )
        try:
            for index, body, state, task_id, files, error, submits, row_key in found:
                yield JournalRow(
                    index,
                    json.loads(body),
                    state,
                    task_id,
                    tuple(json.loads(files)),
                    error,
                    submits,
                    row_key,
                )
        except (ValueError, TypeError) as exc:
            raise JournalError(f"the journal {self.path} is damaged: {exc}") from None

    def counts(self) -> dict[str, int]:
        found = dict(self._query("SELECT state, COUNT(*) FROM rows GROUP BY state"))
        return {state: int(found.get(state, 0)) for state in STATES if found.get(state)}

    def task_ids(self) -> set[str]:
        return {t for (t,) in self._query("SELECT task_id FROM rows WHERE task_id IS NOT NULL")}


# -- one run at a time ----------------------------------------------------------------------------


def lock_path(journal: Path) -> Path:
    """Beside the journal's file (through a symlink too: one file, one lock)."""
    real = journal.resolve() if journal.is_file() else journal
    return real.with_name(real.name + ".lock")


def ledger_path(journal: Path) -> Path:
    return journal.with_name(journal.name + ".ledger.jsonl")


if sys.platform == "win32":  # pragma: no cover - exercised on Windows only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 1 << 20, os.SEEK_SET)  # a byte past the holder's note, which stays readable
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True


class JournalLock:
    """The one run that may write a journal holds `JOURNAL.lock` (an exclusive `flock`, which the
    OS drops when the process dies, so a killed run never blocks the next); the file says who
    holds it (pid, host, start time — never the command line, which may carry the API key)."""

    def __init__(self, journal: Path, about: str) -> None:
        self.journal = journal
        self.path = lock_path(journal)
        try:
            self._fd: int | None = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise JournalError(f"cannot lock the journal {journal}: {_problem(exc)}") from None
        try:
            locked = _try_lock(self._fd)
        except OSError as exc:  # a file system without locks
            self.release()
            raise JournalError(f"cannot lock the journal {journal}: {_problem(exc)}") from None
        if not locked:
            holder = self._holder()
            self.release()
            raise JournalBusyError(
                f"another `liangxin batch` is running on the journal {journal} ({holder}): two "
                "runs would pay twice for the same rows, so this one sends nothing; wait for it "
                f"to end or stop it (`liangxin batch --status {journal}` shows where it stands)"
            )
        note = {
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started": datetime.now().astimezone().isoformat(timespec="seconds"),
            "input": about,
        }
        with contextlib.suppress(OSError):  # a full disk: the lock holds all the same
            os.ftruncate(self._fd, 0)
            os.lseek(self._fd, 0, os.SEEK_SET)
            os.write(self._fd, json.dumps(note).encode())

    def _holder(self) -> str:
        for _ in range(20):  # the holder writes its note just after taking the lock
            with contextlib.suppress(OSError, ValueError):
                note = json.loads(self.path.read_text(encoding="utf-8"))
                started = datetime.fromisoformat(str(note["started"]))
                return (
                    f"pid {note['pid']} on {note['host']}, started "
                    f"{started.strftime('%Y-%m-%d %H:%M:%S')}"
                )
            time.sleep(0.01)
        return "pid unknown"

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)  # the lock goes with the descriptor
            self._fd = None


# -- the ledger -------------------------------------------------------------------------------------


class Ledger:
    """`JOURNAL.ledger.jsonl`: each step of each row, appended (one `write`, no fsync: like the
    journal it survives the process being killed) *before* the journal records it.

    Lines: `{"event": "run", "rows", "fingerprint", "input", "started"}` at the start of each
    run; `submitting` (index) before a createTask is sent; `created` (index, taskId) as soon as it
    is known; `outcome` (index, state, taskId, files, error); `reopened` (index) for
    `--resubmit-ambiguous`. `read` folds them into the last known row of each index.
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def open(self) -> None:
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def close(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.close(self._fd)
            self._fd = None

    @staticmethod
    def line(event: Mapping[str, Any]) -> str:
        return json.dumps(event, ensure_ascii=False)

    def append(self, event: Mapping[str, Any]) -> None:
        """One line; an OSError when it cannot be written whole."""
        if self._fd is None:
            self.open()
        self._write((self.line(event) + "\n").encode())

    def _write(self, data: bytes) -> None:
        assert self._fd is not None
        if os.write(self._fd, data) != len(data):
            raise OSError(28, "No space left on device (a line written in part)", str(self.path))

    @staticmethod
    def read(*paths: Path) -> LedgerRecord:
        """What the ledger files say (missing files and damaged lines are skipped)."""
        record = LedgerRecord()
        for path in paths:
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            for line in text.splitlines():
                with contextlib.suppress(ValueError, TypeError, KeyError):
                    record.add(json.loads(line))
        return record


@attrs.define
class LedgerRecord:
    """The ledger folded: the batches it was written for, and each row's last known step."""

    fingerprints: set[str] = attrs.field(factory=set)
    inputs: set[str] = attrs.field(factory=set)
    rows: dict[int, JournalRow] = attrs.field(factory=dict)

    def add(self, event: Mapping[str, Any]) -> None:
        kind = event["event"]
        if kind == "run":
            self.fingerprints.add(str(event["fingerprint"]))
            self.inputs.add(str(event.get("input")))
            return
        index = int(event["index"])
        known = self.rows.get(index)
        task_id = known.task_id if known is not None else None
        if kind == "submitting" and task_id is None:
            self.rows[index] = JournalRow(index, {}, "ambiguous", None, (), AMBIGUOUS_NOTE, 1)
        elif kind == "created":
            self.rows[index] = JournalRow(index, {}, "submitted", str(event["taskId"]), (), None, 1)
        elif kind == "outcome":
            task_id = event.get("taskId") or task_id
            files = tuple(str(f) for f in event.get("files") or ())
            error = event.get("error")
            self.rows[index] = JournalRow(index, {}, str(event["state"]), task_id, files, error, 1)
        elif kind == "reopened" and task_id is None:
            self.rows[index] = JournalRow(index, {}, "pending", None, (), None, 0)

    def task_ids(self) -> int:
        return sum(r.task_id is not None for r in self.rows.values())

    def paid_or_maybe(self) -> int:
        """Rows that have a task, or may have one (their createTask was sent)."""
        return sum(r.task_id is not None or r.state == "ambiguous" for r in self.rows.values())
