"""`main()`: parse, run one command, and turn whatever happens into an exit code."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence

from liangxin_client import LiangXinWarning
from liangxin_client.cli._batch import cmd_batch
from liangxin_client.cli._commands import (
    cmd_create,
    cmd_download,
    cmd_generate,
    cmd_get,
    cmd_models,
    cmd_resume,
    cmd_wait,
)
from liangxin_client.cli._exits import EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE
from liangxin_client.cli._failures import explain, fail, interrupted, show_warning
from liangxin_client.cli._gallery_rows import cmd_gallery
from liangxin_client.cli._inspect import cmd_inspect
from liangxin_client.cli._parser import build_parser, set_argv
from liangxin_client.cli._run import Run

#: What each command runs (the parser's `args.command`).
COMMANDS: dict[str, Callable[[Run], int]] = {
    "generate": cmd_generate,
    "create": cmd_create,
    "get": cmd_get,
    "wait": cmd_wait,
    "resume": cmd_resume,
    "download": cmd_download,
    "batch": cmd_batch,
    "inspect": cmd_inspect,
    "models": cmd_models,
    "gallery": cmd_gallery,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `liangxin` and `python -m liangxin_client`: returns the exit code."""
    with warnings.catch_warnings():  # restores the caller's filters and showwarning
        # The library's warnings are one line each, shown whatever the warning filters say
        # (PYTHONWARNINGS=error would otherwise turn a guess into a traceback).
        warnings.simplefilter("default", LiangXinWarning)
        warnings.showwarning = show_warning
        return _main(argv)


def _main(argv: Sequence[str] | None) -> int:
    run: Run | None = None
    try:  # Ctrl-C is one line at any point, start-up and error reporting included
        parser = build_parser()
        _autocomplete(parser)
        set_argv(tuple(sys.argv[1:] if argv is None else argv))
        try:
            args = parser.parse_args(argv)
        except SystemExit as exc:  # --help, --version, or a usage error (already printed)
            return exc.code if isinstance(exc.code, int) else EXIT_USAGE
        run = Run(args)
        try:
            with restored_ctrl_c():
                return COMMANDS[args.command](run)
        except BrokenPipeError:
            # The reader went away (`liangxin models | head`): stop quietly, as the Python docs
            # advise.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except Exception as exc:
            code, message = explain(run, exc)
            return fail(run, code, message, type(exc).__name__)
    except KeyboardInterrupt as exc:
        with ignoring_ctrl_c():  # a second Ctrl-C must not cut the line that names the task
            return fail(run, EXIT_INTERRUPTED, interrupted(run, exc), "Interrupted")


@contextlib.contextmanager
def restored_ctrl_c() -> Iterator[None]:
    """Ctrl-C's handler put back as it was once the command ends (`batch` ignores Ctrl-C once
    interrupted, while it writes its journal and manifest and says how to resume)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


@contextlib.contextmanager
def ignoring_ctrl_c() -> Iterator[None]:
    """Ctrl-C ignored while the block runs (the program is already on its way out)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request (argcomplete sets _ARGCOMPLETE), then exit."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)
