"""How a request's values are echoed in messages: shortened, and `callBackUrl` redacted.

A 400 that repeats a 1 MB value sends 1 MB back (and into logs); a `callBackUrl` is a secret the
docs say to keep unguessable, so messages show only its scheme and host.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

#: The most characters of one echoed value a message shows.
SHOWN_CHARS = 100


def shorten(text: str, limit: int = SHOWN_CHARS) -> str:
    """`text`, cut to `limit` characters with a note of its full length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def redact_url(url: str) -> str:
    """`https://hooks.example.com/secret/path?x=1` → `https://hooks.example.com/***`.

    Keeps scheme, host and port (what a reader needs to know where it points); drops any
    user info, path, query and fragment. Text that is not an absolute URL becomes `***`.
    """
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname, parts.port
    except ValueError:
        return "***"
    if not parts.scheme or not host:
        return "***"
    shown = f"[{host}]" if ":" in host else host
    if port is not None:
        shown += f":{port}"
    hidden = "/***" if (parts.path not in ("", "/") or parts.query or parts.fragment) else ""
    return f"{parts.scheme}://{shown}{hidden}"


def shown_value(value: Any, field: str | None = None) -> str:
    """`value` as JSON for a message: shortened, or redacted when it is the `callBackUrl`."""
    if field == "callBackUrl" and isinstance(value, str):
        value = redact_url(value)
    try:
        text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    except (TypeError, ValueError, RecursionError):
        text = repr(value)
    return shorten(text)
