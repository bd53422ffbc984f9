"""What a contact sheet shows, and when it is written.

Rows come from a batch's journal (everything: the request, the state, the files, the options to
resume), else its manifest, else a folder of images. `LiveSheet` keeps a running batch's
`index.html` up to date (at most every `UPDATE_SECONDS`, and once more at the end, Ctrl-C
included); `cmd_gallery` is `liangxin gallery DIR|MANIFEST|JOURNAL`, which writes it again for
any earlier run.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import attrs

from liangxin_client import read_image_metadata
from liangxin_client.cli._batch_report import (
    leftover_notes,
    resume_command,
    resume_note,
    sheet_path,
    status_resume,
)
from liangxin_client.cli._exits import EXIT_OK, UsageError
from liangxin_client.cli._gallery import SHEET_NAME, Sheet, SheetRow, write, written_by_liangxin
from liangxin_client.cli._journal import Journal, JournalError, JournalRow
from liangxin_client.cli._output import emit, os_error
from liangxin_client.cli._run import Run

#: Least seconds between two writes of a running batch's sheet.
UPDATE_SECONDS = 2.0
#: A write may take at most this share of the batch's time (a huge sheet is written less often).
UPDATE_SHARE = 0.05
#: The image files a folder's sheet shows.
IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".webp", ".gif", ".avif", ".bmp"})
_MANIFEST = ".manifest.jsonl"
_JOURNAL = ".journal.sqlite"
_VALUE_CHARS = 80


# -- one row ----------------------------------------------------------------------------------------


def _text(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _VALUE_CHARS else text[: _VALUE_CHARS - 1] + "…"


def _request(body: Mapping[str, Any] | None) -> tuple[str | None, str | None, tuple[Any, ...]]:
    """(model, prompt, other input fields) of a createTask body."""
    if not isinstance(body, Mapping):
        return None, None, ()
    fields = body.get("input")
    fields = fields if isinstance(fields, Mapping) else {}
    prompt = fields.get("prompt")
    others = tuple((str(k), _text(v)) for k, v in fields.items() if k != "prompt")
    model = body.get("model")
    return (
        str(model) if model is not None else None,
        str(prompt) if prompt is not None else None,
        others,
    )


def locate(text: str, bases: Sequence[Path]) -> Path | None:
    """Where a file a batch recorded is now: as written (absolute, or relative to one of
    `bases`, the run's directory first), else the same trailing path under a base (the folder
    was moved or the sheet is made from elsewhere); None when it is nowhere."""
    path = Path(text)
    if path.is_absolute():
        if path.exists():
            return path
        parts = path.parts[1:]
    else:
        for base in bases:
            if (base / path).exists():
                return base / path
        parts = path.parts
    for start in range(1, len(parts)):
        for base in bases:
            candidate = base.joinpath(*parts[start:])
            if candidate.exists():
                return candidate
    return None


def _next_step(state: str, task_id: str | None, command: str | None, running: bool) -> str | None:
    """What to run about a row that did not succeed (None: nothing, or the run goes on)."""
    rerun = f"`{command}`" if command else "the same `liangxin batch` command"
    if state == "ambiguous":
        again = (
            f"`{command} --resubmit-ambiguous`"
            if command
            else "the batch command with `--resubmit-ambiguous`"
        )
        return (
            "its createTask may have been accepted: look for it in the service's task list, "
            f"and only if it is not there, {again} sends it again (paying twice if it was made)"
        )
    if running:
        return None
    if state == "error":
        if task_id:
            return f"{rerun} waits for its task again"
        return f"nothing was created: {rerun} sends it again"
    if state == "submitted":
        return f"its task was made: {rerun} waits for it and saves the images"
    if state in ("pending", "submitting"):
        return f"not sent yet: {rerun} sends it"
    return None


def sheet_row(
    entry: Mapping[str, Any],
    body: Mapping[str, Any] | None,
    bases: Sequence[Path],
    *,
    command: str | None = None,
    running: bool = False,
) -> SheetRow:
    """A card from a manifest entry (and the request, when the journal has it)."""
    index = int(entry.get("index", 0))
    state = str(entry.get("state") or "pending")
    task_id = entry.get("taskId")
    task_id = str(task_id) if task_id else None
    model, prompt, inputs = _request(body if body is not None else entry.get("request"))
    found: list[Path] = []
    missing: list[Path] = []
    for name in entry.get("files") or ():
        where = locate(str(name), bases)
        if where is None:
            missing.append(Path(str(name)))
        else:
            found.append(where)
    key = entry.get("key")
    error = entry.get("error")
    return SheetRow(
        index=index,
        state=state,
        files=tuple(found),
        key=str(key) if key not in (None, "") else None,
        task_id=task_id,
        model=model,
        prompt=prompt,
        inputs=inputs,
        error=str(error) if error else None,
        next_step=_next_step(state, task_id, command, running),
        missing=tuple(missing),
    )


# -- sources ----------------------------------------------------------------------------------------


def _journal_entry(row: JournalRow, running: bool) -> dict[str, Any]:
    entry = row.manifest()
    if running:  # in flight, not (yet) ambiguous
        entry["state"] = row.state
    return entry


def _title(given: str) -> str:
    """`liangxin batch: rows.csv` for the input given as `given` (`-`: stdin)."""
    return f"liangxin batch: {'stdin' if given == '-' else Path(given).name}"


def journal_sheet(journal: Journal, where: Path) -> Sheet:
    """The sheet of an earlier batch, from its journal (`where`: the path it was given as)."""
    rows = list(journal.rows())
    meta = journal.meta()
    command, note = status_resume(meta, where, [r.body for r in rows])
    bases = [Path(meta["cwd"])] if meta.get("cwd") else []
    bases += [Path.cwd(), where.parent]
    cards = [sheet_row(_journal_entry(r, False), r.body, bases, command=command) for r in rows]
    counts = Counter(r.state for r in rows)
    finished = all(r.state in ("success", "failed") for r in rows)
    return Sheet(
        title=_title(meta.get("input", where.name.removesuffix(_JOURNAL))),
        rows=cards,
        status="finished" if finished else "",
        notes=leftover_notes(counts, command, note),
        source=str(where),
    )


def read_manifest(path: Path) -> list[dict[str, Any]]:
    """A manifest's entries; one clear line for a file that is not one."""
    entries: list[dict[str, Any]] = []
    try:
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    entry = json.loads(line)
                except ValueError:
                    entry = None
                if not isinstance(entry, dict):
                    raise UsageError(
                        f"{path} line {number} is not a manifest entry (a JSON object a line)"
                    )
                entry.setdefault("index", len(entries))
                entries.append(entry)
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {os_error(exc)}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a manifest (not UTF-8 text)") from None
    return entries


def manifest_sheet(path: Path) -> Sheet:
    """The sheet of a batch whose journal is gone: what the manifest says, and the request each
    saved image carries (a failed row's is in neither, an ambiguous row's is in the manifest)."""
    entries = read_manifest(path)
    bases = [Path.cwd(), path.parent]
    cards = [sheet_row(entry, None, bases) for entry in entries]
    cards = [
        _with_request(card, image_request(card.files[0])) if card.files else card for card in cards
    ]
    left = sum(card.state not in ("success", "failed") for card in cards)
    notes = []
    if left:
        notes.append(
            f"{left} of {len(cards)} rows not finished: the same `liangxin batch` command resumes "
            "them (its journal, which has the requests and the command, is not next to this "
            "manifest)"
        )
    return Sheet(
        title=_title(path.name.removesuffix(_MANIFEST)),
        rows=cards,
        status="" if left else "finished",
        notes=notes,
        source=str(path),
    )


def image_files(folder: Path, skip: Path | None = None) -> list[Path]:
    """The images under `folder` (not in hidden folders), in name order."""
    found = []
    for path in sorted(folder.rglob("*")):
        relative = path.relative_to(folder)
        if any(part.startswith(".") for part in relative.parts):
            continue
        if path.suffix.lower() in IMAGE_SUFFIXES and path.is_file() and path != skip:
            found.append(path)
    return found


def image_request(path: Path) -> dict[str, Any] | None:
    """What made the image at `path`, as liangxin-client wrote it into the file (or its
    sidecar); None when it carries nothing, or cannot be read."""
    try:
        return read_image_metadata(path)
    except (OSError, ValueError):
        return None


def _with_request(card: SheetRow, meta: Mapping[str, Any] | None) -> SheetRow:
    """`card` with the model, prompt and input fields an image of it carries, where the card
    has none of its own."""
    if meta is None or card.prompt is not None:
        return card
    model, prompt, inputs = _request({"model": meta.get("model"), "input": meta.get("input")})
    prompt = prompt if prompt is not None else meta.get("prompt")
    key = meta.get("key")
    return attrs.evolve(
        card,
        model=card.model or model,
        prompt=str(prompt) if prompt is not None else None,
        inputs=card.inputs or inputs,
        task_id=card.task_id or (str(meta["taskId"]) if meta.get("taskId") else None),
        key=card.key or (str(key) if key not in (None, "") else None),
    )


def folder_sheet(folder: Path, images: list[Path]) -> Sheet:
    """A card per task whose images carry their request (its images together, in order), and
    one per image that carries none (named by its path)."""
    tasks: dict[str, list[tuple[int, Path, dict[str, Any]]]] = {}
    order: list[tuple[str | None, Path]] = []
    for path in images:
        meta = image_request(path)
        task = str(meta["taskId"]) if meta is not None and meta.get("taskId") else None
        if task is None or meta is None:
            order.append((None, path))
            continue
        if task not in tasks:
            order.append((task, path))
        number = meta.get("image")
        tasks.setdefault(task, []).append((number if isinstance(number, int) else 0, path, meta))
    cards = []
    for index, (task, path) in enumerate(order):
        if task is None:
            name = path.relative_to(folder).as_posix()
            cards.append(SheetRow(index=index, state="success", files=(path,), caption=name))
            continue
        found = sorted(tasks[task], key=lambda item: item[0])
        card = SheetRow(index=index, state="success", files=tuple(p for _, p, _ in found))
        cards.append(_with_request(card, found[0][2]))
    return Sheet(title=f"liangxin: {folder.name or folder}", rows=cards, source=str(folder))


def _open_journal(path: Path) -> Journal:
    """Read only: it writes nothing, and works while a batch runs on the journal."""
    try:
        return Journal(path, create=False, read_only=True)
    except JournalError as exc:
        raise UsageError(str(exc)) from None


def _batch_stem(path: Path) -> str | None:
    for suffix in (_MANIFEST, _JOURNAL):
        if path.name.endswith(suffix):
            return path.name.removesuffix(suffix)
    return None


def _from_batch(manifest: Path | None, journal: Path | None) -> Sheet:
    """One batch's sheet: from its journal when there is one that matches the manifest."""
    if journal is not None and journal.is_file():
        with _open_journal(journal) as opened:
            try:
                sheet = journal_sheet(opened, journal)
            except JournalError as exc:
                if manifest is None:
                    raise UsageError(str(exc)) from None
            else:
                if manifest is None or len(sheet.rows) == len(read_manifest(manifest)):
                    return sheet
    assert manifest is not None
    return manifest_sheet(manifest)


def find_sheet(target: Path, output: Path | None) -> tuple[Sheet, Path]:
    """The sheet `liangxin gallery TARGET` writes, and where (next to the manifest or journal,
    in a folder of images, or `output`)."""
    if not target.exists():
        raise UsageError(f"no such file or directory: {target}")
    if target.is_file():
        stem = _batch_stem(target)
        if target.name.endswith(_JOURNAL):
            manifest = target.with_name(f"{stem}{_MANIFEST}")
            sheet = _from_batch(manifest if manifest.is_file() else None, target)
        else:
            journal = target.with_name(f"{stem}{_JOURNAL}") if stem is not None else None
            sheet = _from_batch(target, journal)
        return sheet, output or target.parent / SHEET_NAME
    stems = sorted(
        {s for p in target.iterdir() if (s := _batch_stem(p)) is not None and p.is_file()}
    )
    if len(stems) > 1:
        names = ", ".join(f"{s}{_MANIFEST}" for s in stems)
        raise UsageError(
            f"{target} holds {len(stems)} batches ({names}): give the manifest of one, e.g. "
            f"`liangxin gallery {target / (stems[0] + _MANIFEST)} -o {target / (stems[0] + '.html')}`"
        )
    destination = output or target / SHEET_NAME
    if stems:
        manifest = target / f"{stems[0]}{_MANIFEST}"
        journal = target / f"{stems[0]}{_JOURNAL}"
        return _from_batch(manifest if manifest.is_file() else None, journal), destination
    images = image_files(target, skip=destination)
    if not images:
        raise UsageError(f"{target} holds no batch manifest or journal, and no image")
    return folder_sheet(target, images), destination


def cmd_gallery(run: Run) -> int:
    """`liangxin gallery TARGET [-o FILE]`: write the contact sheet; print where."""
    target = Path(run.args.target)
    output = Path(run.args.output) if run.args.output else None
    sheet, path = find_sheet(target, output)
    if output is None and path.exists() and not written_by_liangxin(path):
        raise UsageError(
            f"{path} was not written by liangxin, so it is left alone: write the contact sheet "
            "elsewhere with -o FILE (or name this file with -o to replace it)"
        )
    try:
        write(sheet, path)
    except OSError as exc:
        raise UsageError(f"cannot write the contact sheet {path}: {os_error(exc)}") from None
    images = sum(len(row.files) for row in sheet.rows)
    missing = sum(len(row.missing) for row in sheet.rows)
    if run.json:
        emit(
            {
                "sheet": str(path),
                "rows": len(sheet.rows),
                "images": images,
                "missing": missing,
                "source": sheet.source,
            }
        )
    else:
        print(path)
        if missing:
            run.note(f"{missing} image file{'s' * (missing != 1)} named by the batch not found")
    return EXIT_OK


# -- a running batch --------------------------------------------------------------------------------


class LiveSheet:
    """The `index.html` of a running batch, next to its manifest.

    `update()` after each outcome writes it when `UPDATE_SECONDS` have passed since the last
    write (longer for a sheet so large that writing it would take more than `UPDATE_SHARE` of
    the time); `finish()` writes it at the end. A sheet that cannot be written is one line on
    stderr and never stops the batch.
    """

    def __init__(self, run: Run, journal: Journal, note: Callable[[str], None]) -> None:
        self.run = run
        self.journal = journal
        self.path = sheet_path(run.args)
        self._note = note
        self._due = 0.0
        self._failed = False

    def _sheet(self, status: str, notes: Iterable[str] = ()) -> Sheet:
        running = status == "running"
        command = resume_command(self.run)
        bases = [Path.cwd()]
        rows = [
            sheet_row(_journal_entry(r, running), r.body, bases, command=command, running=running)
            for r in self.journal.rows()
        ]
        return Sheet(
            title=_title(str(self.run.args.file)),
            rows=rows,
            status=status,
            notes=list(notes),
            source=str(self.journal.path),
        )

    def _write(self, status: str, notes: Iterable[str] = ()) -> None:
        started = time.monotonic()
        if self.path.exists() and not written_by_liangxin(self.path):
            if not self._failed:
                self._note(
                    f"{self.path} was not written by liangxin, so no contact sheet is written "
                    f"over it (`liangxin gallery {self.path.parent} -o FILE` writes one elsewhere)"
                )
            self._failed = True
            return
        try:
            write(self._sheet(status, notes), self.path)
        except Exception as exc:  # a page to look at never changes how a batch ends
            if not self._failed:
                reason = os_error(exc) if isinstance(exc, OSError) else str(exc)
                self._note(f"cannot write the contact sheet {self.path}: {reason}")
            self._failed = True
            return
        spent = time.monotonic() - started
        self._due = time.monotonic() + max(UPDATE_SECONDS, spent / UPDATE_SHARE)

    def update(self) -> None:
        """Write the sheet of the batch running now, if it is due."""
        if not self._failed and time.monotonic() >= self._due:
            self._write("running")

    def finish(self, completed: bool | None) -> None:
        """The last write, with what is left to run: `finished` (the run ended), `interrupted`
        (Ctrl-C), or `stopped` (None: it ended on an error)."""
        status = "stopped" if completed is None else "finished" if completed else "interrupted"
        try:
            counts = self.journal.counts()
        except Exception:
            counts = {}
        notes = leftover_notes(
            counts,
            resume_command(self.run),
            resume_note(self.run),
            interrupted=status == "interrupted",
        )
        self._write(status, notes)
