"""What `liangxin batch` leaves behind and says: its files, the manifest, `--status`, the summary
and the command that resumes it."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import tempfile
from pathlib import Path

from liangxin_client import DEFAULT_MANY_CONCURRENCY
from liangxin_client.cli._exits import (
    EXIT_API_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_TASK_FAILED,
    UsageError,
)
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


def resume_command(run: Run) -> str:
    """The command that resumes this batch (the same one, with its paths spelled out).

    A `--callback-url` is written as `"$LIANGXIN_CALLBACK_URL"` (unset, the command refuses to
    run: `--listen` needs it) and `resume_note` says so.
    """
    args = run.args
    parts = ["liangxin", *(["--mock"] if args.mock else []), "batch", args.file]
    parts += ["-o", args.out, "--journal", str(journal_path(args))]
    for flag, value in (
        ("--model", args.model),
        ("--callback-url", _CALLBACK_PLACEHOLDER if args.callback_url else None),
        ("--listen", args.listen),
    ):
        if value:
            parts += [flag, value]
    if args.concurrency != DEFAULT_MANY_CONCURRENCY:
        parts += ["--concurrency", str(args.concurrency)]
    if args.file == "-":
        parts.insert(0, "<same input> |")
    text = shlex.join(parts).replace("'<same input> |'", "<same input> |")
    return text.replace(shlex.quote(_CALLBACK_PLACEHOLDER), f'"${CALLBACK_VARIABLE}"')


def resume_note(run: Run) -> str:
    """What to set before pasting `resume_command` (empty without a callback URL)."""
    url = run.args.callback_url
    if not url:
        return ""
    return f" (with {CALLBACK_VARIABLE} set to your callback URL, {redact_url(url)})"


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
    """`liangxin batch --status JOURNAL`: rows per state, ambiguous rows, errors."""
    try:
        with Journal(Path(run.args.status), create=False) as journal:
            counts = journal.counts()
            rows = list(journal.rows())
            meta = journal.meta()
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    ambiguous = [r.manifest() for r in rows if r.state in ("ambiguous", "submitting")]
    errors = [r.manifest() for r in rows if r.state in ("error", "failed")]
    if run.json:
        print(
            json.dumps(
                {
                    "rows": len(rows),
                    "states": counts,
                    "meta": meta,
                    "ambiguous": ambiguous,
                    "errors": errors,
                },
                indent=2,
                ensure_ascii=False,
            )
        )
        return EXIT_OK
    print(f"{run.args.status}: {len(rows)} rows ({meta.get('input', '?')})")
    for state, count in counts.items():
        print(f"  {state:<11} {count}")
    for entry in ambiguous:
        summary = {k: entry["request"].get(k) for k in ("model",)}
        prompt = str(entry["request"].get("input", {}).get("prompt", ""))[:60]
        print(f"  ambiguous row {entry['index'] + 1}: {summary['model']} {prompt!r}")
    for entry in errors[:20]:
        task = f" task {entry['taskId']}" if entry["taskId"] else ""
        print(f"  {entry['state']} row {entry['index'] + 1}{task}: {entry['error']}")
    done = counts.get("success", 0) + counts.get("failed", 0)
    if done < len(rows):
        print("  not finished: run the same `liangxin batch` command again to resume")
    return EXIT_OK


def summary(run: Run, counts: dict[str, int], total: int, wall: float, completed: bool) -> int:
    """The end of a run: states, the manifest's path, how to resume; the exit code."""
    args = run.args
    if run.json:
        print(
            json.dumps(
                {
                    "rows": total,
                    "states": counts,
                    "seconds": round(wall, 1),
                    "manifest": str(manifest_path(args)),
                    "journal": str(journal_path(args)),
                    "completed": completed,
                },
                indent=2,
            )
        )
    else:
        states = ", ".join(f"{k} {v}" for k, v in counts.items())
        print(f"{total} rows in {wall:.1f} s: {states}")
        print(f"manifest: {manifest_path(args)}")
    if not completed:
        run.note(
            f"interrupted; nothing is lost: resume with `{resume_command(run)}`{resume_note(run)}"
        )
        return EXIT_INTERRUPTED
    unfinished = total - counts.get("success", 0) - counts.get("failed", 0)
    if unfinished:
        run.note(
            f"{unfinished} rows not done (see the manifest, or `liangxin batch --status "
            f"{journal_path(args)}`); rerun `{resume_command(run)}`{resume_note(run)} to resume"
        )
        return EXIT_API_ERROR
    return EXIT_TASK_FAILED if counts.get("failed") else EXIT_OK
