"""`liangxin batch` rows' keys and file names (`--key-column`, `--name`), checked before anything
is sent: one `error:` line per offending row (the first `SHOWN`, then how many more)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from liangxin_client import InvalidNameError, NameTemplate
from liangxin_client.cli._exits import UsageError
from liangxin_client.cli._journal import JournalRow

#: Error lines printed at most (the last one says how many more rows are affected).
SHOWN = 20
_IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".mp4")


def refuse_rows(problems: Sequence[str]) -> None:
    """One `error:` line per problem (at most `SHOWN`), the last raised as the `UsageError`."""
    if not problems:
        return
    shown = list(problems[:SHOWN])
    for line in shown[:-1]:
        print(f"error: {line}", file=sys.stderr)
    more = len(problems) - len(shown)
    tail = f" (and {more} more rows like these)" if more else ""
    raise UsageError(f"{shown[-1]}{tail}; nothing was sent")


def where(line: int, index: int, key: str | None) -> str:
    """`row 3 (line 4, key 'sku-9')`: a row as the user finds it."""
    return f"row {index + 1} (line {line}" + (f", key {key!r})" if key is not None else ")")


def name_values(body: dict[str, Any], key: str | None, index: int) -> dict[str, Any]:
    """What a template's placeholders mean for one row (as the library's `generate_many`)."""
    payload = body.get("input") or {}
    values = {**payload, "model": body.get("model"), "key": key, "row": index + 1}
    values["prompt"] = payload.get("prompt")
    return values


def check_names(
    args: argparse.Namespace, rows: Sequence[tuple[int, dict[str, Any], str | None]]
) -> NameTemplate | None:
    """`--name` as a template, once every row's name is safe and its own (else `UsageError`)."""
    if args.name is None:
        return None
    aliases = {args.key_column: "key"} if args.key_column else None
    try:
        template = NameTemplate(args.name, aliases=aliases)
    except InvalidNameError as exc:
        raise UsageError(f"--name: {exc}; nothing was sent") from None
    problems: list[str] = []
    claimed: dict[str, int] = {}
    for index, (line, body, key) in enumerate(rows):
        try:
            claim = template.plan(name_values(body, key, index)).claim()
        except InvalidNameError as exc:
            problems.append(f"{where(line, index, key)}: --name: {exc}")
            continue
        if claim is None:
            continue
        if claim in claimed:
            first = claimed[claim]
            problems.append(
                f"{where(line, index, key)}: --name {args.name!r} gives it the same file name as "
                f"row {first + 1} (names differ only by case or extension count as the same); "
                "add {key}, {row} or {task_id}"
            )
        else:
            claimed[claim] = index
    refuse_rows(problems)
    return template


def check_not_there(
    template: NameTemplate | None, rows: Iterable[JournalRow], out: Path, lines: Sequence[int]
) -> None:
    """A row never sent must not overwrite a file already at its name (another batch's image,
    or anything else): refused before anything is sent. Rows of this batch that were sent may
    replace their own files (a resume)."""
    if template is None or template.per_task:
        return
    problems = []
    for row in rows:
        if row.task_id is not None or row.state != "pending" or row.submits:
            continue
        plan = template.plan(name_values(row.body, row.key, row.index))
        first = plan.first()
        names = [first] if plan.suffixed else [first + s for s in _IMAGE_SUFFIXES]
        found = next((out / n for n in names if (out / n).exists()), None)
        if found is not None:
            problems.append(
                f"{where(lines[row.index], row.index, row.key)}: {found} already exists; move it "
                "away, or choose another --name or --out (an image is never overwritten by a new "
                "row)"
            )
    refuse_rows(problems)
