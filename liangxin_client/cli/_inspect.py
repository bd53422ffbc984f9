"""`liangxin inspect FILE...`: the request saved in images (a PNG's text chunk, or FILE.json).

Text by default, `--json` (a list, one entry a file), or `--as-row`: one `liangxin batch` row
(JSONL) per image that sends the same request again. A file without metadata is one `error:` line
and exit 1; a file that is no image, or cannot be read, one line and exit 2; the other files are
still shown.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NamedTuple

from liangxin_client import read_image_metadata
from liangxin_client.cli._exits import EXIT_API_ERROR, EXIT_OK, EXIT_USAGE, UsageError
from liangxin_client.cli._output import _iso, emit, os_error
from liangxin_client.cli._run import Run


class Problem(NamedTuple):
    code: int
    message: str


def _kind(path: Path) -> str | None:
    """The image (or video) format `path` starts with, or None."""
    try:
        with path.open("rb") as file:
            head = file.read(16)
    except OSError:
        return None
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "GIF"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WebP"
    if head[4:8] == b"ftyp":
        return "MP4"
    return None


def _look(text: str) -> dict[str, Any] | Problem:
    path = Path(text)
    try:
        meta = read_image_metadata(path)
    except OSError as exc:
        return Problem(EXIT_USAGE, f"{text}: cannot read it ({os_error(exc)})")
    if meta is not None:
        return meta
    kind = _kind(path)
    if kind is None:
        return Problem(
            EXIT_USAGE,
            f"{text}: not an image (PNG, JPEG, WebP, GIF) nor a liangxin FILE.json sidecar",
        )
    return Problem(
        EXIT_API_ERROR,
        f"{text}: no liangxin metadata in this {kind} (saved with --metadata none, or not by "
        "liangxin)",
    )


def row(meta: dict[str, Any]) -> dict[str, Any] | None:
    """The `liangxin batch` row (a createTask body) that sends the request again; None when the
    request is not known."""
    payload = meta.get("input")
    if not isinstance(payload, dict) or not meta.get("model"):
        return None
    return {"model": meta["model"], "input": payload}


def _source(meta: dict[str, Any]) -> str:
    software = meta.get("software") or "an unknown version"
    where = meta.get("requestFrom")
    if where == "sent":
        return f"as sent by {software}"
    if where == "record":
        return f"from the task's record (the service's copy; saved by {software})"
    return f"not known (the task's record carried none; saved by {software})"


def render(text: str, meta: dict[str, Any]) -> str:
    """One image's metadata as `name: value` lines."""
    payload = meta.get("input")
    if not isinstance(payload, dict):
        payload = {}
    others = " ".join(
        f"{key}={json.dumps(value, ensure_ascii=False)}"
        for key, value in payload.items()
        if key != "prompt"
    )
    cost = meta.get("costTime")
    rows: list[tuple[str, Any]] = [
        ("file", text),
        ("task", meta.get("taskId")),
        ("model", meta.get("model")),
        ("prompt", meta.get("prompt")),
        ("input", others or None),
        ("image", f"{meta.get('image', '?')} of {meta.get('images', '?')}"),
        ("created", _iso(meta.get("createTime"))),
        ("completed", _iso(meta.get("completeTime"))),
        ("took", f"{cost / 1000:g} s" if isinstance(cost, int | float) else None),
        ("callback", f"{meta['callBackHost']} (host only)" if meta.get("callBackHost") else None),
        ("request", _source(meta)),
    ]
    return "\n".join(f"{name + ':':<10} {value}" for name, value in rows if value is not None)


def cmd_inspect(run: Run) -> int:
    args = run.args
    if args.as_row and run.json:
        raise UsageError("--as-row prints JSONL rows (one JSON object a line); leave out --json")
    code = EXIT_OK
    shown: list[dict[str, Any]] = []
    texts: list[str] = []
    for text in args.files:
        found = _look(text)
        again = row(found) if isinstance(found, dict) and args.as_row else None
        if isinstance(found, dict) and args.as_row and again is None:
            found = Problem(
                EXIT_API_ERROR,
                f"{text}: its request is not known (the task's record carried none): no row",
            )
        if isinstance(found, Problem):
            code = max(code, found.code)
            print(f"error: {found.message}", file=sys.stderr)
            shown.append({"file": text, "error": found.message})
            continue
        shown.append({"file": text, "metadata": found})
        if args.as_row:
            print(json.dumps(again, ensure_ascii=False))
        else:
            texts.append(render(text, found))
    if run.json:
        emit(shown)
    elif texts:
        print("\n\n".join(texts))
    return code
