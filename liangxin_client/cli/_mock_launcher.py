"""`liangxin --mock`: run the embedded liangxin-mock for the length of one command.

This is the only module of the client that imports `liangxin_mock`, and only inside
`embedded_mock()`: the library never depends on the mock (which must stay an independent
implementation of the contract), and `--mock` is the one feature that needs it — installed with
the `mock` extra, so a missing extra is a clean usage error here, not an import error elsewhere.

Every invocation starts a fresh server on a new port, so tasks live in a persistent SQLite file
(`$LIANGXIN_MOCK_DB`, default `~/.cache/liangxin/mock.db`) under one fixed local key: `get`,
`wait` and `download` of an earlier task keep working, and result URLs are re-read from
recordInfo, which builds them on the current port.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The local key of the embedded mock (it owns every task in the mock database).
MOCK_API_KEY = "sk-mock-liangxin-cli"
DEFAULT_TASK_SECONDS = 2.0


class MockUnavailableError(Exception):
    """The embedded mock cannot start: the mock extra is missing, or its database is unusable."""


def mock_db_path() -> Path:
    """`$LIANGXIN_MOCK_DB`, else `$XDG_CACHE_HOME/liangxin/mock.db` (default `~/.cache`)."""
    explicit = os.environ.get("LIANGXIN_MOCK_DB")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "liangxin" / "mock.db"


def _task_seconds() -> float:
    text = os.environ.get("LIANGXIN_MOCK_TASK_SECONDS", "")
    try:
        seconds = float(text) if text else DEFAULT_TASK_SECONDS
    except ValueError:
        return DEFAULT_TASK_SECONDS
    return seconds if seconds >= 0 else DEFAULT_TASK_SECONDS


@contextmanager
def embedded_mock() -> Iterator[tuple[str, str]]:
    """Start the mock; yield `(base_url, api_key)`; stop it on exit."""
    try:
        from liangxin_mock import MockServer
    except ImportError as exc:
        raise MockUnavailableError(
            f"--mock needs the mock extra ({exc.name} is missing): "
            "pip install 'liangxin-client[mock]'"
        ) from None
    db = mock_db_path()
    try:
        db.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # the database holds the key
        if not os.environ.get("LIANGXIN_MOCK_DB"):  # our own folder: private even if made earlier
            db.parent.chmod(0o700)
        server = MockServer(
            api_keys={MOCK_API_KEY: None},
            db_path=str(db),
            task_seconds=_task_seconds(),
            allow_http_callbacks=True,
        )
        server.__enter__()
    except (sqlite3.Error, OSError) as exc:
        reason = f"{exc.strerror or exc}" if isinstance(exc, OSError) else str(exc)
        raise MockUnavailableError(
            f"the embedded mock cannot use its database {str(db)!r} ({reason}); set "
            "LIANGXIN_MOCK_DB to a writable file, or delete a corrupt one to start over"
        ) from None
    try:
        yield server.base_url, MOCK_API_KEY
    finally:
        server.__exit__(None, None, None)
