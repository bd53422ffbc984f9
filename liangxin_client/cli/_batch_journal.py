"""The journal side of a `liangxin batch` run: opening it safely, and recording each step.

Opening (`open_for_run`), before anything is sent:

- one run at a time: the run takes the journal's lock (`JournalLock`); a second run on the same
  journal refuses, naming the first's process;
- a journal that lost its content is never a new batch: when it is missing, empty, damaged,
  not a file, or has no rows while evidence of the batch is left — its ledger, its manifest,
  the mark the batch left in `--out`, its orphaned `-wal` — the run refuses and says what to do;
  with `--recover` it moves the damaged files aside (`JOURNAL.damaged-<time>`) and rebuilds the
  journal from the ledger (or, lacking one, the manifest): no row with a taskId is sent again,
  and a row whose createTask was in flight is ambiguous;
- a whole journal takes what its ledger knows and it does not (a write that failed, a WAL that
  was lost): the ledger and the journal only move forward, so the further one wins.

Recording (`Recorder`): each step goes to the ledger, then the journal. When either cannot be
written, the batch stops sending at once; every taskId this run holds that is not recorded as
finished is kept (the ledger, else a rescue file in the cache directory, which the next run reads
too) and printed at the end as ledger lines.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import attrs

from liangxin_client import GenerateOutcome, LiangXinError
from liangxin_client.cli._batch_report import journal_path, manifest_path, resume_meta
from liangxin_client.cli._durations_file import cache_dir
from liangxin_client.cli._exits import UsageError
from liangxin_client.cli._journal import (
    AMBIGUOUS_NOTE,
    FINAL,
    Journal,
    JournalError,
    JournalLock,
    JournalRow,
    Ledger,
    LedgerRecord,
    fingerprint,
    ledger_path,
)
from liangxin_client.cli._output import os_error
from liangxin_client.cli._run import Run

#: The mark a batch leaves in its `--out` directory (one JSON line per journal that wrote there).
MARK_NAME = ".liangxin-batches.jsonl"


class StoppedError(LiangXinError):
    """A createTask not sent: the batch stopped because a step could not be recorded."""


def rescue_path(journal: Path) -> Path:
    """Where a step goes when the ledger cannot take it: the cache directory, often another disk."""
    key = hashlib.sha256(os.path.abspath(journal).encode()).hexdigest()[:16]
    return cache_dir() / "rescue" / f"{journal.name}-{key}.jsonl"


def _rank(row: JournalRow) -> int:
    """How far a row got: the journal and the ledger only ever move a row forward."""
    if row.state in FINAL:
        return 3
    if row.task_id is not None:
        return 2
    return 1 if row.state in ("ambiguous", "submitting") else 0


# -- evidence of a batch ---------------------------------------------------------------------------


@attrs.define
class Evidence:
    """What is left of a batch around its journal."""

    ledger: LedgerRecord
    ledger_paths: list[Path]
    manifest: dict[int, JournalRow] | None  # None: of another batch (another row count)
    manifest_file: Path | None
    marks: list[Path]  # the `--out` mark naming this journal, orphaned -wal/-shm files

    @property
    def records(self) -> bool:
        """Something says which rows were sent (and their taskIds)."""
        return bool(self.ledger.paid_or_maybe() or self.manifest_rows())

    def manifest_rows(self) -> int:
        rows = (self.manifest or {}).values()
        return sum(r.task_id is not None or r.state == "ambiguous" for r in rows)

    def says(self) -> str:
        if self.ledger.paid_or_maybe():
            return (
                f"its ledger {self.ledger_paths[0]} records {self.ledger.task_ids()} taskIds "
                f"({self.ledger.paid_or_maybe()} rows sent)"
            )
        if self.manifest_rows():
            return f"its manifest {self.manifest_file} names {self.manifest_rows()} rows sent"
        return " and ".join(str(p) for p in self.marks) + " are left of the batch"


def _manifest_rows(path: Path, rows: int) -> dict[int, JournalRow] | None:
    """The rows a manifest says were sent; None when it is of a batch of another size."""
    found: dict[int, JournalRow] = {}
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    if lines and len(lines) != rows:
        return None
    for line in lines:
        with contextlib.suppress(ValueError, TypeError, KeyError, AttributeError):
            entry = json.loads(line)
            index = int(entry["index"])
            state, task_id = str(entry["state"]), entry.get("taskId")
            if 0 <= index < rows and state in ("success", "failed", "submitted", "error"):
                if task_id:
                    files = tuple(str(f) for f in entry.get("files") or ())
                    found[index] = JournalRow(
                        index, {}, state, str(task_id), files, entry.get("error"), 1
                    )
            elif 0 <= index < rows and state == "ambiguous":
                found[index] = JournalRow(index, {}, "ambiguous", None, (), AMBIGUOUS_NOTE, 1)
    return found


def _marked(out: Path, journal: Path) -> bool:
    with contextlib.suppress(OSError):
        for line in (out / MARK_NAME).read_text(encoding="utf-8").splitlines():
            with contextlib.suppress(ValueError, TypeError, KeyError):
                # relative to `--out`: the mark holds when the whole tree is moved
                if (out / json.loads(line)["journal"]).resolve() == journal.resolve():
                    return True
    return False


def _mark(out: Path, journal: Path, about: str) -> None:
    """Say in `--out` that this journal's batch writes there (so losing the journal shows)."""
    if _marked(out, journal):
        return
    entry = {"journal": os.path.relpath(journal.resolve(), out.resolve()), "input": about}
    entry["started"] = datetime.now().astimezone().isoformat(timespec="seconds")
    with contextlib.suppress(OSError), open(out / MARK_NAME, "a", encoding="utf-8") as mark:
        mark.write(json.dumps(entry) + "\n")


def _gather(path: Path, run: Run, bodies: Sequence[Mapping[str, Any]]) -> Evidence:
    args = run.args
    paths = [ledger_path(path), rescue_path(path)]
    ledger = Ledger.read(*paths)
    manifest_file = manifest_path(args)
    marks = [Path(args.out) / MARK_NAME] if _marked(Path(args.out), path) else []
    if not path.exists():
        marks += [p for p in (_sibling(path, "-wal"), _sibling(path, "-shm")) if p.exists()]
    manifest = _manifest_rows(manifest_file, len(bodies))
    return Evidence(ledger, paths, manifest, manifest_file, marks)


def _sibling(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


# -- opening -----------------------------------------------------------------------------------------


@attrs.define
class Opened:
    journal: Journal
    lock: JournalLock
    ledger: Ledger
    resumed: bool
    notes: list[str]

    def close(self) -> None:
        self.ledger.close()
        self.journal.close()
        self.lock.release()


def _inspect(path: Path) -> tuple[Journal | None, str | None, bool]:
    """(the journal if it opens, what is wrong with it, whether only a write failed)."""
    if os.path.lexists(path) and not path.exists():
        return None, "is a symbolic link to a missing file", False
    if not path.exists():
        return None, "is missing", False
    if not path.is_file():
        return None, "is not a file", False
    if path.stat().st_size == 0:
        return None, "is empty (0 bytes)", False
    try:
        journal = Journal(path)
        try:
            journal.check_whole()
            if not journal.row_count():
                return journal, "has no rows", False
            journal.check_writable()
        except JournalError:
            journal.close()
            raise
    except JournalError as exc:
        unwritable = "readonly" in exc.reason or "read-only" in exc.reason
        return None, f"cannot be {'written' if unwritable else 'read'} ({exc.reason})", unwritable
    return journal, None, False


def open_for_run(
    run: Run, bodies: Sequence[Mapping[str, Any]], keys: Sequence[str | None] | None = None
) -> Opened:
    """The journal of this batch, locked and ready to record (a `UsageError` when it is not)."""
    args = run.args
    path = journal_path(args)
    about = str(args.file)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UsageError(f"cannot make the journal's directory: {os_error(exc)}") from None
    try:
        lock = JournalLock(path, about)
    except JournalError as exc:
        raise UsageError(str(exc)) from None
    try:
        return _open_locked(run, path, lock, bodies, keys)
    except BaseException:
        lock.release()
        raise


def _open_locked(
    run: Run,
    path: Path,
    lock: JournalLock,
    bodies: Sequence[Mapping[str, Any]],
    keys: Sequence[str | None] | None,
) -> Opened:
    args = run.args
    about = str(args.file)
    notes: list[str] = []
    printed = fingerprint(bodies)
    evidence = _gather(path, run, bodies)
    foreign = bool(evidence.ledger.fingerprints - {printed})
    journal, problem, unwritable = _inspect(path)
    if unwritable:
        raise UsageError(
            f"the journal {path} {problem}: make it and its directory writable, then run "
            "again; nothing was sent"
        )
    if problem is not None and evidence.manifest is None and not evidence.ledger.paid_or_maybe():
        if journal is not None:
            journal.close()
        raise UsageError(
            f"the journal {path} {problem}, and the manifest {evidence.manifest_file} is of a "
            f"batch of another size than the {len(bodies)} rows of this input: give another "
            "--out (or --manifest) for this batch, or move the old one away; nothing was sent"
        )
    if problem is not None and foreign:
        if journal is not None:
            journal.close()
        raise UsageError(
            f"the journal {path} {problem}, and its ledger {evidence.ledger_paths[0]} records "
            f"another input ({', '.join(sorted(evidence.ledger.inputs))}); give another "
            "--journal (or --out) for this batch, or move the old batch's files away; nothing "
            "was sent"
        )
    if problem is not None:
        if journal is not None and not evidence.records and not evidence.marks:
            pass  # a journal made but never filled: a new batch
        elif problem in ("is missing", "is empty (0 bytes)") and not (
            evidence.records or evidence.marks
        ):
            journal = None  # a new batch
        elif not evidence.records:
            if journal is not None:
                journal.close()
            raise UsageError(_no_record(path, problem, evidence))
        elif not args.recover:
            if journal is not None:
                journal.close()
            raise UsageError(
                f"the journal {path} {problem}, but {evidence.says()}: run as a new batch, this "
                "would pay again for them, so nothing was sent. Run the same command with "
                "--recover to rebuild the journal from that record (no row with a taskId is sent "
                "again), or use another --out for a new batch"
            )
        else:
            if journal is not None:
                journal.close()
            kept = _move_aside(path)
            journal = _new(path)
            journal.start(
                bodies, {"input": about, "out": str(args.out), **resume_meta(run)}, keys
            )  # the keys come from the input, as the bodies do
            adopted = _adopt(journal, _recovered_rows(evidence, bodies))
            notes.append(
                f"rebuilt the journal {path} from "
                f"{'its ledger' if evidence.ledger.paid_or_maybe() else 'its manifest'}: "
                f"{adopted} rows taken"
                + (f"; the old files are kept as {', '.join(map(str, kept))}" if kept else "")
            )
    elif args.recover:
        notes.append(f"the journal {path} is whole: nothing to recover")
    if journal is None:
        journal = _new(path)
    try:
        resumed = journal.start(
            bodies, {"input": about, "out": str(args.out), **resume_meta(run)}, keys
        )
        if problem is None and not foreign:
            adopted = _adopt(journal, evidence.ledger.rows)
            if adopted:
                notes.append(
                    f"the journal lacked {adopted} steps its ledger records (a failed write or a "
                    "lost WAL): taken from the ledger"
                )
        ledger = Ledger(ledger_path(path))
        ledger.append(
            {
                "event": "run",
                "rows": len(bodies),
                "fingerprint": printed,
                "input": about,
                "started": datetime.now().astimezone().isoformat(timespec="seconds"),
            }
        )
    except (JournalError, OSError) as exc:
        journal.close()
        text = str(exc) if isinstance(exc, JournalError) else os_error(exc)
        raise UsageError(f"{text}; nothing was sent") from None
    _mark(Path(args.out), path, about)
    return Opened(journal, lock, ledger, resumed, notes)


def _no_record(path: Path, problem: str, evidence: Evidence) -> str:
    if not evidence.marks:
        return (
            f"cannot use the journal {path}: it {problem}, and no ledger or manifest of its batch "
            "is left to rebuild it from; move it away (or give another --journal) to start a "
            "new batch; nothing was sent"
        )
    left = " and ".join(str(p) for p in evidence.marks)
    show = "show" if len(evidence.marks) > 1 else "shows"
    return (
        f"the journal {path} {problem}, but {left} {show} a batch ran with it, and no record of "
        "its taskIds is left: sending its rows again may pay twice for the ones already made, "
        f"so nothing was sent. Check your LiangXin console, then remove {left} (or use another "
        "--out) to start a new batch"
    )


def _new(path: Path) -> Journal:
    try:
        journal = Journal(path)
        journal.check_whole()
        journal.check_writable()
    except JournalError as exc:
        raise UsageError(f"{exc}; nothing was sent") from None
    return journal


def _move_aside(path: Path) -> list[Path]:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    kept: list[Path] = []
    for old in (path, _sibling(path, "-wal"), _sibling(path, "-shm")):
        if os.path.lexists(old):
            new = _sibling(old, f".damaged-{stamp}")
            try:
                os.replace(old, new)
            except OSError as exc:
                raise UsageError(
                    f"cannot move the damaged journal {old} aside: {os_error(exc)}; nothing was "
                    "sent"
                ) from None
            kept.append(new)
    return kept


def _recovered_rows(
    evidence: Evidence, bodies: Sequence[Mapping[str, Any]]
) -> dict[int, JournalRow]:
    if evidence.ledger.paid_or_maybe():
        return evidence.ledger.rows
    return evidence.manifest or {}


def _adopt(journal: Journal, known: Mapping[int, JournalRow]) -> int:
    """Take each row `known` has further than the journal; how many."""
    adopted = 0
    for row in journal.rows():
        other = known.get(row.index)
        if other is None or _rank(other) <= _rank(row):
            continue
        if row.task_id is not None and other.task_id != row.task_id:
            continue  # never replace a taskId the journal holds
        journal.adopt(other)
        adopted += 1
    return adopted


# -- recording ----------------------------------------------------------------------------------------


class Recorder:
    """Each step of a run: the ledger, then the journal. A step that cannot be recorded stops
    the batch (`on_stop`): no new createTask is sent, and the taskIds in hand are kept."""

    def __init__(
        self,
        opened: Opened,
        out: str,
        note: Callable[[str], None],
        on_stop: Callable[[], None] = lambda: None,
    ) -> None:
        self.out = out
        self.journal = opened.journal
        self.ledger = opened.ledger
        self.rescue = Ledger(rescue_path(opened.journal.path))
        self.note = note
        self.on_stop = on_stop
        self.failure: str | None = None  # the journal or ledger could not be written
        self.output_failure: str | None = None  # an image could not be saved
        self.in_hand: dict[int, str] = {}  # taskIds this run holds, not recorded as finished
        self.kept_in: set[Path] = set()
        self.unkept = False

    @property
    def stopped(self) -> bool:
        return self.failure is not None or self.output_failure is not None

    def _stop(self, message: str, *, output: bool = False) -> None:
        if self.stopped:
            return
        if output:
            self.output_failure = message
        else:
            self.failure = message
        self.note(f"{message}: stopping; no new task will be sent")
        self.on_stop()

    def _step(self, event: dict[str, Any], write: Callable[[], object]) -> bool:
        """Record one step; False when the journal did not take it."""
        try:
            self.ledger.append(event)
            self.kept_in.add(self.ledger.path)
        except OSError as exc:
            self._stop(f"cannot write the ledger {self.ledger.path}: {os_error(exc)}")
            try:
                self.rescue.path.parent.mkdir(parents=True, exist_ok=True)
                self.rescue.append(event)
                self.kept_in.add(self.rescue.path)
            except OSError:
                self.unkept = True
        try:
            write()
        except JournalError as exc:
            self._stop(str(exc))
            return False
        return True

    # ManyHooks
    def submitting(self, index: int) -> None:
        """Before a createTask: a `StoppedError` (the row is not sent) once the batch stopped."""
        if not self.stopped:
            self._step(
                {"event": "submitting", "index": index}, lambda: self.journal.submitting(index)
            )
            if self.stopped:  # this very mark stopped the batch: undo it now, for the row is
                self._not_sent(index)  # not sent and its outcome may never be consumed
        if self.stopped:
            raise StoppedError(f"not sent: {self.failure or self.output_failure}")

    def _not_sent(self, index: int) -> None:
        error = f"not sent: {self.failure or self.output_failure}"
        event = {"event": "outcome", "index": index, "state": "pending", "taskId": None}
        event |= {"files": [], "error": error}
        self._step(event, lambda: self.journal.finished(index, "pending", error=error))

    def created(self, index: int, task_id: str) -> None:
        """Never raises: a taskId in hand is never dropped."""
        self.in_hand[index] = task_id
        self._step(
            {"event": "created", "index": index, "taskId": task_id},
            lambda: self.journal.submitted(index, task_id),
        )

    @staticmethod
    def unsent(outcome: GenerateOutcome) -> bool:
        """Never sent: submissions stopped (a 403, Ctrl-C, or a step that was not recorded)."""
        return outcome.status == "not_submitted" or isinstance(outcome.error, StoppedError)

    def outcome(self, outcome: GenerateOutcome) -> None:
        error = str(outcome.error) if outcome.error is not None else None
        state = "pending" if self.unsent(outcome) else outcome.status
        files = [str(p) for p in outcome.paths]
        event = {"event": "outcome", "index": outcome.index, "state": state}
        event |= {"taskId": outcome.task_id, "files": files, "error": error}
        if self._step(
            event, lambda: self.journal.finished(outcome.index, state, files=files, error=error)
        ):
            self.in_hand.pop(outcome.index, None)
        if outcome.record is not None and isinstance(outcome.error, OSError):
            cause = outcome.error.__cause__
            reason = os_error(cause if isinstance(cause, OSError) else outcome.error)
            self._stop(f"cannot save images to --out {self.out}: {reason}", output=True)

    def reopened(self, indexes: Sequence[int]) -> None:
        for index in indexes:
            self._step({"event": "reopened", "index": index}, lambda: None)

    def lines(self) -> Iterator[str]:
        """The taskIds in hand, as ledger lines (a user can append them to the ledger)."""
        for index, task_id in sorted(self.in_hand.items()):
            yield Ledger.line({"event": "created", "index": index, "taskId": task_id})
