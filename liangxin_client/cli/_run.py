"""What one invocation of `liangxin` knows: its arguments, stderr, and the task in flight."""

from __future__ import annotations

import argparse
import shlex

from rich.console import Console


class Run:
    """The arguments, the stderr console, and the task in flight (for hints and errors)."""

    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.stderr = Console(stderr=True, highlight=False, soft_wrap=True)
        self.task_id: str | None = None
        self.base_url: str | None = None
        self.resume_with = "wait"  # the command that picks the task up again: wait or download

    @property
    def json(self) -> bool:
        return bool(self.args.json)

    def note(self, message: str) -> None:
        """A line for humans on stderr."""
        self.stderr.print(message, markup=False)

    def resume_hint(self, command: str | None = None) -> str:
        """One pasteable command that picks the task up again: `resume` (wait, then save) after
        `generate`, `wait` after `wait`, `download` once it succeeded.

        It repeats every option given as a flag that the new process needs (`--mock`,
        `--base-url`, `--profile`, `-o`, `--metadata`) — never the API key: with `--api-key` it
        says so.
        """
        command = command or self.resume_with
        args = self.args
        argv = ["liangxin"]
        if args.mock:
            argv.append("--mock")
        if args.base_url:
            argv += ["--base-url", args.base_url]
        if args.profile:
            argv += ["--profile", args.profile]
        argv += [command, self.task_id or "TASK_ID"]
        out = getattr(args, "out", None)
        if command in ("download", "resume") and out is not None:
            argv += ["-o", out]
        metadata = getattr(args, "metadata", "png")
        if command in ("download", "resume") and metadata != "png":
            argv += ["--metadata", metadata]
        return shlex.join(argv)

    def resume(self, command: str | None = None) -> str:
        """The resume hint in backticks, and a reminder when the key was a flag (never shown)."""
        note = " (with your --api-key: it is never shown)" if self.args.api_key else ""
        return f"`{self.resume_hint(command)}`{note}"
