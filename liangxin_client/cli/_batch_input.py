"""The rows of `liangxin batch`: JSONL, CSV or stdin, each turned into a checked createTask body."""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from liangxin_client import InvalidRequestError, request_body
from liangxin_client.cli._exits import UsageError

_TEXT_COLUMNS = frozenset({"prompt", "model"})


def _cell(column: str, text: str) -> Any:
    if column in _TEXT_COLUMNS:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_rows(text: str, fmt: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for each request in `text` (JSONL or CSV with a header)."""
    if fmt == "jsonl":
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except ValueError as exc:
                raise UsageError(f"line {number}: not JSON ({exc})") from None
            if not isinstance(row, dict):
                raise UsageError(f"line {number}: a row must be a JSON object")
            yield number, row
        return
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        if None in row:
            raise UsageError(f"line {reader.line_num}: more cells than header columns")
        cells = {
            key.strip(): _cell(key.strip(), value)
            for key, value in row.items()
            if key and value not in (None, "")
        }
        if cells:
            yield reader.line_num, cells


def _format(args: argparse.Namespace, text: str) -> str:
    if args.format:
        return str(args.format)
    suffix = Path(args.file).suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    return "jsonl" if text.lstrip().startswith("{") else "csv"


def load_bodies(args: argparse.Namespace) -> list[dict[str, Any]]:
    """Every row as a createTask body; any invalid row is a usage error (nothing sent)."""
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {args.file}: {exc}") from None
    bodies: list[dict[str, Any]] = []
    problems: list[str] = []
    for number, row in read_rows(text, _format(args, text)):
        if args.model and "model" not in row:
            row["model"] = args.model
        try:
            bodies.append(request_body(row))
        except InvalidRequestError as exc:
            problems.append(f"line {number}: {exc}")
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise UsageError("; ".join(problems[:5]) + more + "; nothing was sent")
    if not bodies:
        raise UsageError(f"{args.file} has no rows")
    return bodies
