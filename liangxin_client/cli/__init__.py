"""`liangxin`: generate images, inspect tasks and list models from the command line.

Results go to stdout (paths, a taskId, or JSON with `--json`); progress, the taskId as soon as it
exists, and errors go to stderr. An error is one line, `error: ...`, and its exit code says what
went wrong (see `EXIT_CODES`).

Built on the public `liangxin_client` API only. The modules: `_parser` (the grammar), `_main`
(dispatch, Ctrl-C), `_commands` and `_batch` (what each command does), `_connect` (which service:
flags, environment, profile from `_config`, or the embedded mock from `_mock_launcher`),
`_output` (what is printed and saved), `_progress`, `_failures` and `_exits` (error lines and
exit codes), `_journal` and `_durations_file` (what batches and waits keep on disk), `_gallery`
and `_gallery_rows` (a batch's contact sheet, `liangxin gallery`).
"""

from liangxin_client.cli._exits import (
    EXIT_API_ERROR,
    EXIT_CODES,
    EXIT_INTERRUPTED,
    EXIT_NOT_FINISHED,
    EXIT_OK,
    EXIT_TASK_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
    UsageError,
)
from liangxin_client.cli._main import main
from liangxin_client.cli._parser import build_parser
from liangxin_client.cli._run import Run

__all__ = [
    "EXIT_API_ERROR",
    "EXIT_CODES",
    "EXIT_INTERRUPTED",
    "EXIT_NOT_FINISHED",
    "EXIT_OK",
    "EXIT_TASK_FAILED",
    "EXIT_TIMEOUT",
    "EXIT_USAGE",
    "Run",
    "UsageError",
    "build_parser",
    "main",
]
