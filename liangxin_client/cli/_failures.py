"""How a command ends when something goes wrong: one `error: ...` line and its exit code.

Also the library's warnings, as one `warning: ...` line each, in the command line's words.
"""

from __future__ import annotations

import re
import sys
import warnings
from typing import TextIO
from urllib.parse import urlsplit

from liangxin_client import (
    APIConnectionError,
    AuthenticationError,
    ConfigurationError,
    InvalidRequestError,
    LiangXinError,
    LiangXinWarning,
    NotFoundError,
    TaskFailedError,
    TaskTimeoutError,
    UnexpectedTaskStateError,
    find_ambiguous_submit,
)
from liangxin_client.cli._exits import (
    EXIT_API_ERROR,
    EXIT_TASK_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    UsageError,
)
from liangxin_client.cli._output import emit, os_error
from liangxin_client.cli._run import Run


def explain(run: Run, exc: BaseException) -> tuple[int, str]:
    """The exit code and the one-line message for an error (anything else is re-raised)."""
    if isinstance(exc, InvalidRequestError):
        return EXIT_USAGE, cli_wording(str(exc))
    if isinstance(exc, UsageError | ConfigurationError):
        return EXIT_USAGE, str(exc)
    if isinstance(exc, TaskFailedError):
        return EXIT_TASK_FAILED, str(exc)
    if isinstance(exc, TaskTimeoutError):
        after = f" after {exc.timeout:g} s" if exc.timeout is not None else ""
        return EXIT_TIMEOUT, (
            f"task {exc.task_id} not finished{after} (last state: {exc.last_state or 'unknown'}); "
            f"it goes on: resume with {run.resume()}"
        )
    if isinstance(exc, NotFoundError):
        hint = _base_url_hint(run)
        if run.task_id and not hint:
            return EXIT_API_ERROR, f"no task {run.task_id!r} on this service ({exc})"
        return EXIT_API_ERROR, f"{exc}{hint}"
    if isinstance(exc, APIConnectionError) and run.base_url:
        return EXIT_API_ERROR, f"cannot reach {run.base_url}: {exc}"
    if isinstance(exc, AuthenticationError):
        return EXIT_API_ERROR, f"{exc}: check --api-key / LIANGXIN_API_KEY"
    if isinstance(exc, UnexpectedTaskStateError):
        return EXIT_API_ERROR, (
            f"task {exc.task_id} is in state {exc.state!r}, which this version of liangxin does "
            f"not know; `liangxin{' --mock' if run.args.mock else ''} get {exc.task_id}` shows "
            "the raw record (or upgrade liangxin-client)"
        )
    if isinstance(exc, LiangXinError):
        # APIError, a failed save, ...: anything else the library raises comes after sending
        # (a configuration the client rejects is a UsageError raised by `_connect`).
        return EXIT_API_ERROR, str(exc)
    if isinstance(exc, OSError):
        return EXIT_API_ERROR, os_error(exc)
    raise exc


def cli_wording(message: str) -> str:
    """A library message about Python arguments, said the command line's way."""
    message = message.replace("pass extra_input={...}", "use --extra KEY=VALUE")
    message = re.sub(r"\bextra_input(=\{[^}]*\})?", "--extra KEY=VALUE", message)
    return re.sub(r"\bvalidate=False\b", "--no-validate", message)


def _base_url_hint(run: Run) -> str:
    """For a 404: a base URL that already ends in the API's own path prefix is the usual cause."""
    path = urlsplit(run.base_url or "").path.rstrip("/")
    for suffix in ("/api/v1/jobs", "/api/v1", "/api"):
        if path.endswith(suffix):
            root = (run.base_url or "").rstrip("/")[: -len(suffix)]
            return (
                f"; the base URL ends in {suffix!r}, which the client adds itself: "
                f"try --base-url {root}"
            )
    return ""


def interrupted(run: Run | None, exc: KeyboardInterrupt) -> str:
    """The message for Ctrl-C: what goes on, and how to pick it up (or that a task may exist)."""
    ambiguous = find_ambiguous_submit(exc)
    if ambiguous is not None:
        return (
            "interrupted while the task was being created: a task may exist (and cost credits) "
            "— check before running the command again: your LiangXin console's recent tasks"
            f"{' or GET /__mock__/stats' if run is not None and run.args.mock else ''}; "
            f"request: {ambiguous.request_summary}"
        )
    if run is not None and run.task_id:
        return f"interrupted; task {run.task_id} goes on: resume with {run.resume()}"
    return "interrupted"


def fail(run: Run | None, code: int, message: str, kind: str) -> int:
    """Print the error (also as JSON on stdout with --json); return its exit code."""
    line = " ".join(message.split())
    print(f"error: {line}", file=sys.stderr)
    if run is not None and run.json:
        emit({"error": {"type": kind, "message": line, "exitCode": code, "taskId": run.task_id}})
    return code


def show_warning(
    message: Warning | str,
    category: type[Warning],
    filename: str,
    lineno: int,
    file: TextIO | None = None,
    line: str | None = None,
) -> None:
    """The library's warnings as one `warning: ...` line each; others as Python shows them."""
    if issubclass(category, LiangXinWarning):
        print(f"warning: {cli_wording(' '.join(str(message).split()))}", file=sys.stderr)
    else:
        _python_show_warning(message, category, filename, lineno, file, line)


_python_show_warning = warnings.showwarning
