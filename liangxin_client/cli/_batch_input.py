"""The rows of `liangxin batch`: JSONL, CSV or stdin, each turned into a checked createTask body."""

from __future__ import annotations

import argparse
import csv
import io
import json
import shlex
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from liangxin_client import InvalidRequestError, request_body
from liangxin_client.cli._batch_names import refuse_rows, where
from liangxin_client.cli._exits import UsageError

_TEXT_COLUMNS = frozenset({"prompt", "model"})
#: Columns (fields) that are a row's key unless `--key-column` names another; never sent.
KEY_COLUMNS = ("key", "id")


def _cell(column: str, text: str, text_columns: frozenset[str] = _TEXT_COLUMNS) -> Any:
    if column in text_columns:
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


def read_rows(
    text: str, fmt: str, keys: Iterable[str] = KEY_COLUMNS
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, row) for each request in `text` (JSONL or CSV with a header); CSV cells
    of the `keys` columns stay text (`0042` is not 42)."""
    text_columns = _TEXT_COLUMNS | frozenset(keys)
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
            key.strip(): _cell(key.strip(), value, text_columns)
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


_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


def _how_to_fix(name: str, encoding: str) -> str:
    source = (
        "IN > OUT"
        if name == "stdin"
        else shlex.quote(name)
        + " > "
        + shlex.quote(str(Path(name).with_stem(Path(name).stem + "-utf8")))
    )
    return (
        'save it as "CSV UTF-8" (Excel: Save As, "CSV UTF-8 (Comma delimited)") or convert it '
        f"(`iconv -f {encoding} -t utf-8 {source}`); nothing was sent"
    )


def decode_input(data: bytes, name: str) -> str:
    """The input as text: UTF-8, with or without a byte-order mark (Excel's "CSV UTF-8" has one).

    Anything else is a usage error naming the first byte that is not UTF-8 and how to fix the
    file: guessing another encoding could send a mangled prompt, and every row may cost money.
    """
    if data.startswith(_UTF16_BOMS):
        raise UsageError(
            f'{name} is UTF-16 (Excel\'s "Unicode Text"), not UTF-8: {_how_to_fix(name, "utf-16")}'
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start]
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        latin = bytes([bad]).decode("cp1252", errors="replace")
        seen = f", {latin!r} in Latin-1/cp1252" if latin.isprintable() and latin != "\ufffd" else ""
        raise UsageError(
            f"{name} is not UTF-8: line {line}, byte {column} (0x{bad:02x}{seen}); "
            + _how_to_fix(name, "cp1252")
        ) from None


def _read(args: argparse.Namespace) -> str:
    if args.file == "-":
        stream = sys.stdin
        buffer = getattr(stream, "buffer", None)
        if buffer is None:  # a text stream without bytes under it (tests, embedding)
            return stream.read().removeprefix("\ufeff")
        return decode_input(buffer.read(), "stdin")
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read {args.file}: {exc}") from None
    return decode_input(data, str(args.file))


def _take_key(row: dict[str, Any], column: str | None) -> tuple[str | None, str | None]:
    """(the row's key, what is wrong with it), the key column(s) taken out of `row`."""
    columns = (column,) if column else KEY_COLUMNS
    found = {c: row.pop(c) for c in columns if c in row}
    if column and column not in found:
        return None, f"no {column!r} (--key-column)"
    if len(found) > 1:
        return None, "both a 'key' and an 'id': give --key-column to say which is the key"
    if not found:
        return None, None
    ((name, value),) = found.items()
    if isinstance(value, bool) or not isinstance(value, str | int) or not str(value).strip():
        return None, f"the key {name!r} must be text or a whole number, not {value!r}"
    return str(value), None


def load_rows(args: argparse.Namespace) -> list[tuple[int, dict[str, Any], str | None]]:
    """Every row as (line number, createTask body, key); an invalid row is a usage error
    (nothing sent), as is a key missing (with `--key-column`), malformed or used twice."""
    text = _read(args)
    rows: list[tuple[int, dict[str, Any], str | None]] = []
    problems: list[str] = []
    key_problems: list[str] = []
    seen: dict[str, int] = {}
    keys = (args.key_column,) if args.key_column else KEY_COLUMNS
    for number, row in read_rows(text, _format(args, text), keys):
        key, wrong = _take_key(row, args.key_column)
        index = len(rows)
        if wrong is not None:
            key_problems.append(f"{where(number, index, None)}: {wrong}")
        elif key is not None and key in seen:
            key_problems.append(
                f"{where(number, index, key)}: the key is also row {seen[key] + 1}'s; keys name "
                "one row each"
            )
        elif key is not None:
            seen[key] = index
        if args.model and "model" not in row:
            row["model"] = args.model
        try:
            rows.append((number, request_body(row), key))
        except InvalidRequestError as exc:
            problems.append(f"line {number}: {exc}")
            rows.append((number, {}, key))
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise UsageError("; ".join(problems[:5]) + more + "; nothing was sent")
    refuse_rows(key_problems)
    if not rows:
        raise UsageError(f"{args.file} has no rows")
    return rows
