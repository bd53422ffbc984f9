"""`main()`: parse, run one command, and turn whatever happens into an exit code."""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from collections.abc import Callable, Sequence

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
    "models": cmd_models,
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
        return fail(run, EXIT_INTERRUPTED, interrupted(run, exc), "Interrupted")


def _autocomplete(parser: argparse.ArgumentParser) -> None:
    """Answer a shell's completion request (argcomplete sets _ARGCOMPLETE), then exit."""
    if "_ARGCOMPLETE" in os.environ:
        import argcomplete

        argcomplete.autocomplete(parser)
