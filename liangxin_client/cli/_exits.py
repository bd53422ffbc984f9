"""The exit codes of `liangxin`, and the errors the CLI itself raises."""

from __future__ import annotations

from liangxin_client import LiangXinError

EXIT_OK = 0
EXIT_API_ERROR = 1  # the service answered with an error or could not be reached, or another
#                    failure once something was sent (an unknown task state, a failed save)
EXIT_USAGE = 2  # bad arguments or input rejected before anything was sent
EXIT_TASK_FAILED = 3  # the task reached `fail`
EXIT_TIMEOUT = 4  # --timeout passed before the task finished (it goes on)
EXIT_NOT_FINISHED = 5  # `batch --status`: rows are left (it prints the command that resumes)
EXIT_INTERRUPTED = 130  # Ctrl-C

EXIT_CODES = (
    "0 ok, 1 API or other error after sending, 2 usage or invalid input (nothing sent), "
    "3 task failed, 4 timed out, 5 batch --status: not finished, 130 Ctrl-C"
)


class UsageError(Exception):
    """A user mistake found by the CLI itself (exit 2)."""


class TaskNotFinishedError(LiangXinError):
    """`download` of a task that has no results yet."""


class SaveFailedError(LiangXinError):
    """The task succeeded but its results could not be saved (exit 1; `download` recovers)."""
