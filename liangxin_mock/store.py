"""SQLite persistence: tasks, per-key counters, callback attempts and cached result files.

One connection guarded by a lock. A file database runs in WAL mode and commits every change
before the HTTP response goes out, so a killed mock restarted on the same file keeps every
acknowledged task. Task progress is never stored: it is computed from the stored timestamps.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

_SCHEMA = """
CREATE TABLE IF NOT EXISTS tasks (
    seq INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL UNIQUE,
    api_key TEXT NOT NULL,
    model TEXT NOT NULL,
    param TEXT NOT NULL,
    create_ms INTEGER NOT NULL,
    id_ms INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    complete_ms INTEGER NOT NULL,
    fail_code TEXT NOT NULL,
    fail_msg TEXT NOT NULL,
    callback_url TEXT,
    callback_state TEXT,
    base_url TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS tasks_callbacks ON tasks (callback_state, complete_ms);
CREATE INDEX IF NOT EXISTS tasks_running ON tasks (api_key, complete_ms);
CREATE INDEX IF NOT EXISTS tasks_id_ms ON tasks (id_ms);
CREATE TABLE IF NOT EXISTS counters (
    api_key TEXT PRIMARY KEY,
    create_task INTEGER NOT NULL DEFAULT 0,
    record_info INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS callback_attempts (
    id INTEGER PRIMARY KEY,
    task_id TEXT NOT NULL,
    url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at_ms INTEGER NOT NULL,
    status INTEGER,
    error TEXT
);
CREATE TABLE IF NOT EXISTS files (
    task_id TEXT NOT NULL,
    name TEXT NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (task_id, name)
);
"""

_COLUMNS = (
    "seq, task_id, api_key, model, param, create_ms, id_ms, duration_ms, complete_ms, "
    "fail_code, fail_msg, callback_url, callback_state, base_url"
)


@dataclass(frozen=True)
class TaskRow:
    """One stored task. `fail_code` is empty when the task is planned to succeed."""

    seq: int
    task_id: str
    api_key: str
    model: str
    param: str
    create_ms: int
    id_ms: int
    duration_ms: int
    complete_ms: int
    fail_code: str
    fail_msg: str
    callback_url: str | None
    callback_state: str | None
    base_url: str


@dataclass(frozen=True)
class NewTask:
    """What createTask hands the store; the store assigns `seq` and the taskId."""

    api_key: str
    model: str
    param: str
    create_ms: int
    duration_ms: int
    callback_url: str | None
    base_url: str


#: Given the new task's sequence number, return its planned (failCode, failMsg) or None.
OutcomeFn = Callable[[int], tuple[str, str] | None]


def _create_private(path: str) -> None:
    """Create a new database file 0600 before SQLite does: it holds every key, and SQLite gives
    its `-wal` and `-shm` files the database file's mode. An existing file is left as it is; a
    path SQLite will refuse anyway (a missing folder) is left for it to report."""
    if path == ":memory:" or path.startswith("file:"):
        return
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except OSError:
        return


class Store:
    """All mock state that must survive a restart."""

    def __init__(self, path: str | None) -> None:
        self.path = path
        self._lock = threading.RLock()
        if path:
            _create_private(path)
        self._db = sqlite3.connect(
            path or ":memory:", check_same_thread=False, isolation_level=None, timeout=30
        )
        if path:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(_SCHEMA)
        # Callbacks interrupted by a restart are sent again (at-least-once delivery).
        self._db.execute("UPDATE tasks SET callback_state='pending' WHERE callback_state='sending'")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ tasks
    def insert_task(self, new: NewTask, outcome: OutcomeFn) -> TaskRow:
        """Store a task; its taskId is `task_<model>_<ms>`, the ms bumped past any taken one.

        Sequence and id are read inside one write transaction, so processes sharing the database
        file (e.g. two `liangxin --mock` runs) never hand out the same taskId.
        """
        with self._lock, self._db:
            self._db.execute("BEGIN IMMEDIATE")
            # Two single-aggregate queries: SQLite answers each from an index (the rowid and
            # tasks_id_ms) in O(log n); MAX(seq) and MAX(id_ms) in one SELECT scan the table.
            (seq,) = self._db.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM tasks").fetchone()
            (last_ms,) = self._db.execute("SELECT COALESCE(MAX(id_ms), 0) FROM tasks").fetchone()
            id_ms = max(new.create_ms, last_ms + 1)
            fail = outcome(seq)
            row = TaskRow(
                seq=seq,
                task_id=f"task_{new.model}_{id_ms}",
                api_key=new.api_key,
                model=new.model,
                param=new.param,
                create_ms=new.create_ms,
                id_ms=id_ms,
                duration_ms=new.duration_ms,
                complete_ms=new.create_ms + new.duration_ms,
                fail_code=fail[0] if fail else "",
                fail_msg=fail[1] if fail else "",
                callback_url=new.callback_url,
                callback_state="pending" if new.callback_url else None,
                base_url=new.base_url,
            )
            self._db.execute(
                f"INSERT INTO tasks ({_COLUMNS}) VALUES ({', '.join('?' * 14)})",
                (
                    row.seq,
                    row.task_id,
                    row.api_key,
                    row.model,
                    row.param,
                    row.create_ms,
                    row.id_ms,
                    row.duration_ms,
                    row.complete_ms,
                    row.fail_code,
                    row.fail_msg,
                    row.callback_url,
                    row.callback_state,
                    row.base_url,
                ),
            )
            self._bump(row.api_key, "create_task")
            return row

    def get_task(self, task_id: str) -> TaskRow | None:
        with self._lock:
            found = self._db.execute(
                f"SELECT {_COLUMNS} FROM tasks WHERE task_id = ?", (task_id,)
            ).fetchone()
        return TaskRow(*found) if found else None

    def all_tasks(self) -> list[TaskRow]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM tasks ORDER BY seq").fetchall()
        return [TaskRow(*r) for r in rows]

    def running(self, api_key: str, now_ms: int) -> tuple[int, int | None]:
        """How many of the key's tasks are not terminal at `now_ms`, and when the first ends."""
        with self._lock:
            count, first = self._db.execute(
                "SELECT COUNT(*), MIN(complete_ms) FROM tasks WHERE api_key = ? AND complete_ms > ?",
                (api_key, now_ms),
            ).fetchone()
        return int(count), first

    # --------------------------------------------------------------- counters
    def _bump(self, api_key: str, column: str) -> None:
        self._db.execute(
            f"INSERT INTO counters (api_key, {column}) VALUES (?, 1) "
            f"ON CONFLICT(api_key) DO UPDATE SET {column} = {column} + 1",
            (api_key,),
        )

    def count_record_info(self, api_key: str) -> None:
        with self._lock:
            self._bump(api_key, "record_info")

    def counters(self) -> dict[str, tuple[int, int]]:
        """Per key: (accepted createTask calls, recordInfo calls)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT api_key, create_task, record_info FROM counters"
            ).fetchall()
        return {key: (int(c), int(r)) for key, c, r in rows}

    def accepted(self, api_key: str) -> int:
        return self.counters().get(api_key, (0, 0))[0]

    # -------------------------------------------------------------- callbacks
    def claim_due_callbacks(self, now_ms: int) -> list[TaskRow]:
        """Mark the callbacks of tasks terminal by `now_ms` as being sent, and return them."""
        with self._lock:
            rows = self._db.execute(
                f"UPDATE tasks SET callback_state = 'sending' "
                f"WHERE callback_state = 'pending' AND complete_ms <= ? RETURNING {_COLUMNS}",
                (now_ms,),
            ).fetchall()
        return [TaskRow(*r) for r in rows]

    def set_callback_state(self, task_id: str, state: str) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE tasks SET callback_state = ? WHERE task_id = ?", (state, task_id)
            )

    def record_attempt(
        self,
        task_id: str,
        url: str,
        attempt: int,
        at_ms: int,
        status: int | None,
        error: str | None,
    ) -> None:
        with self._lock:
            self._db.execute(
                "INSERT INTO callback_attempts (task_id, url, attempt, at_ms, status, error) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (task_id, url, attempt, at_ms, status, error),
            )

    def callbacks(self) -> list[dict[str, Any]]:
        """Every task with a callBackUrl, its delivery state and its attempts so far."""
        with self._lock:
            tasks = self._db.execute(
                "SELECT task_id, callback_url, callback_state FROM tasks "
                "WHERE callback_url IS NOT NULL ORDER BY seq"
            ).fetchall()
            attempts = self._db.execute(
                "SELECT task_id, attempt, at_ms, status, error FROM callback_attempts ORDER BY id"
            ).fetchall()
        by_task: dict[str, list[dict[str, Any]]] = {}
        for task_id, attempt, at_ms, status, error in attempts:
            by_task.setdefault(task_id, []).append(
                {"attempt": attempt, "at": at_ms, "status": status, "error": error}
            )
        return [
            {"taskId": t, "url": url, "state": state, "attempts": by_task.get(t, [])}
            for t, url, state in tasks
        ]

    # ------------------------------------------------------------------ files
    def get_file(self, task_id: str, name: str) -> bytes | None:
        with self._lock:
            found = self._db.execute(
                "SELECT data FROM files WHERE task_id = ? AND name = ?", (task_id, name)
            ).fetchone()
        return bytes(found[0]) if found else None

    def put_file(self, task_id: str, name: str, data: bytes) -> None:
        with self._lock:
            self._db.execute(
                "INSERT OR REPLACE INTO files (task_id, name, data) VALUES (?, ?, ?)",
                (task_id, name, data),
            )

    # ------------------------------------------------------------------ reset
    def reset(self) -> None:
        """Forget every task, counter, callback attempt and file."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for table in ("tasks", "counters", "callback_attempts", "files"):
                self._db.execute(f"DELETE FROM {table}")
