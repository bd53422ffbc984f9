"""What `liangxin batch` leaves behind and says: its files, the manifest, `--status`, the summary
and the command that resumes it."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from liangxin_client import DEFAULT_MANY_CONCURRENCY, DEFAULT_WAIT_TIMEOUT
from liangxin_client.cli._exits import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_NOT_FINISHED,
    EXIT_OK,
    EXIT_TASK_FAILED,
    UsageError,
)
from liangxin_client.cli._gallery import SHEET_NAME, written_by_liangxin
from liangxin_client.cli._journal import Journal, JournalError
from liangxin_client.cli._run import Run
from liangxin_contract import redact_url

#: The resume hint names the callback URL through this variable: the docs say to keep a
#: callBackUrl unguessable, so it is never printed in full.
CALLBACK_VARIABLE = "LIANGXIN_CALLBACK_URL"
_CALLBACK_PLACEHOLDER = "<callback url>"


def _name(args: argparse.Namespace) -> str:
    return "stdin" if args.file == "-" else Path(args.file).stem


def journal_path(args: argparse.Namespace) -> Path:
    return Path(args.journal or Path(args.out) / f"{_name(args)}.journal.sqlite")


def manifest_path(args: argparse.Namespace) -> Path:
    return Path(args.manifest or Path(args.out) / f"{_name(args)}.manifest.jsonl")


def sheet_path(args: argparse.Namespace) -> Path:
    """The contact sheet, `index.html` beside the manifest (`_gallery.py`)."""
    return manifest_path(args).parent / SHEET_NAME


def plural(count: int, word: str) -> str:
    """`1 row`, `2 rows`."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def resume_meta(run: Run) -> dict[str, str]:
    """What the journal keeps of this run's options (beyond `input` and `out`), so that
    `--status` can print the command that resumes it. Never the key, nor the callback URL: only
    that they were given."""
    args = run.args
    given = {
        "cwd": os.getcwd(),
        "journal": str(journal_path(args)),
        "manifest": args.manifest,
        "format": args.format,
        "model": args.model,
        "key_column": args.key_column,
        "name": args.name,
        "mock": "1" if args.mock else None,
        "base_url": args.base_url,
        "profile": args.profile,
        "api_key": "flag" if args.api_key else None,
        "callback_url": "given" if args.callback_url else None,
        "listen": args.listen,
        "concurrency": (
            str(args.concurrency) if args.concurrency != DEFAULT_MANY_CONCURRENCY else None
        ),
        "timeout": f"{args.timeout:g}" if args.timeout != DEFAULT_WAIT_TIMEOUT else None,
    }
    return {key: value for key, value in given.items() if value}


def _command(file: str, out: str, journal: str, options: Mapping[str, str]) -> str:
    """`liangxin batch FILE -o OUT --journal JOURNAL` with the options a run was given."""
    parts = ["liangxin"]
    if options.get("mock"):
        parts.append("--mock")
    for flag, key in (("--base-url", "base_url"), ("--profile", "profile")):
        if options.get(key):
            parts += [flag, options[key]]
    parts += ["batch", file, "-o", out, "--journal", journal]
    for flag, key in (
        ("--manifest", "manifest"),
        ("--format", "format"),
        ("--model", "model"),
        ("--key-column", "key_column"),
        ("--name", "name"),
        ("--callback-url", "callback_url"),
        ("--listen", "listen"),
        ("--concurrency", "concurrency"),
        ("--timeout", "timeout"),
    ):
        if options.get(key):
            parts += [flag, _CALLBACK_PLACEHOLDER if key == "callback_url" else options[key]]
    if file == "-":
        parts.insert(0, "<same input> |")
    text = shlex.join(parts).replace("'<same input> |'", "<same input> |")
    return text.replace(shlex.quote(_CALLBACK_PLACEHOLDER), f'"${CALLBACK_VARIABLE}"')


def resume_command(run: Run) -> str:
    """The command that resumes this batch (the same one, with its paths spelled out).

    A `--callback-url` is written as `"$LIANGXIN_CALLBACK_URL"` (unset, the command refuses to
    run: `--listen` needs it) and `resume_note` says so; the key is never repeated.
    """
    args = run.args
    return _command(args.file, args.out, str(journal_path(args)), resume_meta(run))


def _note(callback: str | None, api_key: bool) -> str:
    notes = []
    if callback is not None:
        notes.append(f"with {CALLBACK_VARIABLE} set to your callback URL{callback}")
    if api_key:
        notes.append("with your --api-key: it is never shown")
    return f" ({'; '.join(notes)})" if notes else ""


def resume_note(run: Run) -> str:
    """What to set or add before pasting `resume_command` (empty when nothing)."""
    url = run.args.callback_url
    return _note(f", {redact_url(url)}" if url else None, bool(run.args.api_key))


def status_resume(
    meta: Mapping[str, str], journal: Path, bodies: list[dict[str, Any]]
) -> tuple[str, str]:
    """(command, note) that resume the batch of `journal`, from what its first run recorded,
    run from here: `cd` to where that run ran when it is not here (its paths are relative to
    it)."""
    options = dict(meta)
    if "model" not in options and "cwd" not in options:  # a journal from before: rows may
        models = {str(body.get("model")) for body in bodies}  # have taken their model from -m
        if len(models) == 1:  # (-m MODEL only fills rows that name none: safe when all agree)
            options["model"] = models.pop()
    where = options.get("cwd")
    here = where is None or Path(where) == Path.cwd()
    path = str(journal) if here else str(journal.resolve())
    command = _command(meta.get("input", "?"), meta.get("out", "?"), path, options)
    note = _note("" if options.get("callback_url") else None, bool(options.get("api_key")))
    return (command if here else f"cd {shlex.quote(str(where))} && {command}"), note


def _resubmit(command: str) -> str:
    """`command` with `--resubmit-ambiguous` (before a `cd`'s command is not where it goes)."""
    return command + " --resubmit-ambiguous"


def left_over(counts: Mapping[str, int]) -> tuple[int, int]:
    """(rows a rerun resumes, ambiguous rows a rerun leaves alone) of a batch's counts."""
    ambiguous = counts.get("ambiguous", 0) + counts.get("submitting", 0)
    finished = counts.get("success", 0) + counts.get("failed", 0)
    return sum(counts.values()) - finished - ambiguous, ambiguous


def _states(counts: Mapping[str, int], states: Iterable[str]) -> str:
    return ", ".join(f"{state} {counts[state]}" for state in states if counts.get(state))


_FINISHED = ("success", "failed")
_LEFT = ("submitted", "pending", "error", "ambiguous", "submitting")


def leftover_notes(
    counts: Mapping[str, int], command: str, note: str, *, interrupted: bool = False
) -> list[str]:
    """What finishes the rows left: the same command for those it resumes; for ambiguous ones,
    which it leaves alone, the check to make and the option that sends them again (and may pay
    twice)."""
    resumable, ambiguous = left_over(counts)
    lines = []
    left = f"{plural(resumable, 'row')} ({_states(counts, _LEFT[:3])})"
    if interrupted:
        resume = f": resume with `{command}`{note} for the {left} left" if resumable else ""
        lines.append(f"interrupted; nothing is lost{resume}")
    elif resumable:
        lines.append(
            f"{left} not done: `{command}`{note} resumes them (it waits for the tasks already "
            "made and sends the rows that were not)"
        )
    if ambiguous:
        them = "it" if ambiguous == 1 else "them"
        lines.append(
            f"{plural(ambiguous, 'row')} ambiguous: the createTask may have been accepted, so "
            f"a rerun leaves {them} alone (the manifest has what was sent); look for "
            f"{them} in the service's task list, and only if not there, "
            f"`{_resubmit(command)}`{note} sends {them} again — paying twice for any that was "
            "created"
        )
    return lines


def write_manifest(journal: Journal, path: Path) -> None:
    """One JSON line per row, replaced atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".manifest-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            for row in journal.rows():
                out.write(json.dumps(row.manifest(), ensure_ascii=False) + "\n")
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def cmd_status(run: Run) -> int:
    """`liangxin batch --status JOURNAL`: rows per state, ambiguous rows, errors, and the command
    that resumes an unfinished batch. Exit 0 when every row succeeded, 3 when every row is
    finished and some tasks failed, 5 (EXIT_NOT_FINISHED) while rows are left."""
    path = Path(run.args.status)
    try:
        with Journal(path, create=False, read_only=True) as journal:
            counts = journal.counts()
            rows = list(journal.rows())
            meta = journal.meta()
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    ambiguous = [r.manifest() for r in rows if r.state in ("ambiguous", "submitting")]
    errors = [r.manifest() for r in rows if r.state in ("error", "failed")]
    resumable, unsure = left_over(counts)
    finished = not resumable and not unsure
    command, note = status_resume(meta, path, [r.body for r in rows])
    if finished:
        code = EXIT_TASK_FAILED if counts.get("failed") else EXIT_OK
    else:
        code = EXIT_NOT_FINISHED
    if run.json:
        print(
            json.dumps(
                {
                    "rows": len(rows),
                    "states": counts,
                    "finished": finished,
                    "resume": None if finished else command,
                    "meta": meta,
                    "ambiguous": ambiguous,
                    "errors": errors,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return code
    print(f"{run.args.status}: {plural(len(rows), 'row')} ({meta.get('input', '?')})")
    for state, count in counts.items():
        print(f"  {state:<11} {count}")
    for entry in ambiguous:
        model = entry["request"].get("model")
        prompt = str(entry["request"].get("input", {}).get("prompt", ""))[:60]
        print(f"  ambiguous row {entry['index'] + 1}{_key(entry)}: {model} {prompt!r}")
    for entry in errors[:20]:
        task = f" task {entry['taskId']}" if entry["taskId"] else ""
        print(f"  {entry['state']} row {entry['index'] + 1}{_key(entry)}{task}: {entry['error']}")
    if finished:
        print("finished: every row " + ("succeeded" if code == EXIT_OK else "is done"))
    else:
        left = resumable + unsure
        print(f"not finished: {plural(left, 'row')} left")
        for line in leftover_notes(counts, command, note):
            print(f"  {line}")
    return code


def _key(entry: Mapping[str, Any]) -> str:
    return f" ({entry['key']})" if entry.get("key") is not None else ""


def summary(run: Run, counts: dict[str, int], total: int, wall: float, completed: bool) -> int:
    """The end of a run: states, the manifest's path, what is left and the command that
    finishes it; the exit code."""
    args = run.args
    sheet = sheet_path(args)  # named only when the batch wrote it
    resumable, ambiguous = left_over(counts)
    if run.json:
        print(
            json.dumps(
                {
                    "rows": total,
                    "states": counts,
                    "seconds": round(wall, 1),
                    "manifest": str(manifest_path(args)),
                    "sheet": str(sheet) if written_by_liangxin(sheet) else None,
                    "journal": str(journal_path(args)),
                    "completed": completed,
                    "left": resumable + ambiguous,
                    "resume": resume_command(run) if resumable + ambiguous else None,
                },
                indent=2,
            )
        )
    elif completed:
        print(f"{plural(total, 'row')} in {wall:.1f} s: {_states(counts, counts)}")
        print(f"manifest: {manifest_path(args)}")
        if written_by_liangxin(sheet):
            print(f"contact sheet: {sheet}")
    else:
        finished = sum(counts.get(state, 0) for state in _FINISHED)
        done = f" ({_states(counts, _FINISHED)})" if finished else ""
        left = resumable + ambiguous
        print(
            f"interrupted after {wall:.1f} s: {finished} of {plural(total, 'row')} finished"
            f"{done}, {left} left ({_states(counts, _LEFT)})"
        )
        print(f"manifest: {manifest_path(args)}")
        if written_by_liangxin(sheet):
            print(f"contact sheet: {sheet}")
    for line in leftover_notes(
        counts, resume_command(run), resume_note(run), interrupted=not completed
    ):
        run.note(line)
    if not completed:
        return EXIT_INTERRUPTED
    if resumable + ambiguous:
        return EXIT_API_ERROR
    return EXIT_TASK_FAILED if counts.get("failed") else EXIT_OK
