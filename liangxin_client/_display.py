"""How records, results and outcomes show themselves in Jupyter: a little HTML, no I/O.

An image is shown from bytes already on disk (a `data:` URI) or, failing that, from its result
URL — which the *browser* then fetches (free, but the URL expires about 24 h after the task
completed). Nothing here calls the service.
"""

from __future__ import annotations

import base64
import html
import json
import mimetypes
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

#: A saved file larger than this is linked to, not embedded, in a notebook.
MAX_EMBEDDED = 20 * 1024 * 1024

_IMAGE_TYPES = {".png", ".jpg", ".jpeg", ".webp", ".gif"}
_VIDEO_TYPES = {".mp4", ".webm"}


def iso(millis: int | None) -> str | None:
    """Epoch milliseconds as an ISO 8601 time (UTC); None stays None."""
    if millis is None:
        return None
    return datetime.fromtimestamp(millis / 1000, UTC).isoformat(timespec="seconds")


def _value(value: Any) -> str:
    if isinstance(value, str):
        return html.escape(value)
    return html.escape(json.dumps(value, ensure_ascii=False))


def table(rows: Iterable[tuple[str, Any]]) -> str:
    """A two-column table of the rows whose value is not None."""
    cells = "".join(
        f'<tr><th style="text-align:left;padding-right:1em">{html.escape(name)}</th>'
        f'<td style="text-align:left">{_value(value)}</td></tr>'
        for name, value in rows
        if value is not None
    )
    return f"<table>{cells}</table>"


def data_uri(path: Path) -> str | None:
    """`path`'s content as a `data:` URI, or None (not an image we show, unreadable, too big)."""
    kind = mimetypes.guess_type(path.name)[0]
    if kind is None or path.suffix.lower() not in _IMAGE_TYPES | _VIDEO_TYPES:
        return None
    try:
        if path.stat().st_size > MAX_EMBEDDED:
            return None
        data = path.read_bytes()
    except OSError:
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode('ascii')}"


def media(src: str, title: str) -> str:
    """An <img> (or <video> for a video file) showing `src`, at most 512 px wide."""
    name = src.split("?", 1)[0].lower()
    style = 'style="max-width:512px;max-height:512px;margin:2px"'
    if name.startswith("data:video/") or name.endswith(tuple(_VIDEO_TYPES)):
        return f'<video src="{html.escape(src)}" controls {style}></video>'
    return f'<img src="{html.escape(src)}" alt="{html.escape(title)}" {style}/>'


def images(paths: Iterable[Path], urls: Iterable[str]) -> str:
    """The results: the saved files when there are any (embedded), else the result URLs."""
    shown = []
    for path in paths:
        src = data_uri(path)
        shown.append(media(src, path.name) if src else f"<div>{html.escape(str(path))}</div>")
    if not shown:
        shown = [media(url, url) for url in urls]
    return f"<div>{''.join(shown)}</div>" if shown else ""


def first_png(paths: Iterable[Path]) -> bytes | None:
    """The first saved PNG's bytes (for `_repr_png_`), or None."""
    for path in paths:
        if path.suffix.lower() == ".png":
            try:
                if path.stat().st_size <= MAX_EMBEDDED:
                    return path.read_bytes()
            except OSError:
                return None
    return None
