"""The `liangxin_client` logger, `LIANGXIN_LOG`, and secret redaction.

Secrets are scrubbed once, where log records are made: `RedactingFilter` (installed on the
library's logger, as openai-python's `SensitiveHeadersFilter`) replaces credential headers in a
record's arguments by `***`, and the secrets of the call at work (`use_secret`: the client's API
key and any callBackUrl it sends, `_secrets.Hidden`) wherever they appear in the formatted
message, in any form a server may echo them back in. Errors made during a call scrub the same
secrets (`scrub_secrets`).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from contextvars import ContextVar, Token

import httpx

from liangxin_client._secrets import REDACTED, Hidden

logger = logging.getLogger("liangxin_client")

#: The secrets of the call that runs in this thread or task (None: none).
_SECRET: ContextVar[Hidden | None] = ContextVar("liangxin_client_secret", default=None)

_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_LOG_BODY_LIMIT = 1000
#: How far past the limit a body is read, so a secret straddling the cut is scrubbed whole.
_SCRUB_MARGIN = 4000


def configure_from_env() -> None:
    """Honour `LIANGXIN_LOG=debug|info|warning|error`: add a stderr handler at that level, once."""
    level_name = os.environ.get("LIANGXIN_LOG", "").strip().upper()
    if not level_name:
        return
    level = logging.getLevelName(level_name)
    if not isinstance(level, int):
        return
    logger.setLevel(level)
    if not any(getattr(h, "_liangxin", False) for h in logger.handlers):
        handler = logging.StreamHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        handler._liangxin = True  # type: ignore[attr-defined]
        logger.addHandler(handler)


def redact_headers(headers: Iterable[tuple[str, str]]) -> dict[str, str]:
    """Headers as a dict with credentials (by name) replaced by `***`."""
    return {name: REDACTED if name.lower() in _SECRET_HEADERS else value for name, value in headers}


def use_secret(hidden: Hidden | None) -> Token[Hidden | None]:
    """Scrub `hidden` from log records and errors made in this context until `drop_secret`."""
    return _SECRET.set(hidden)


def drop_secret(token: Token[Hidden | None]) -> None:
    _SECRET.reset(token)


def secrets_in_use() -> Hidden | None:
    return _SECRET.get()


def hide_url(url: object) -> None:
    """Scrub the callBackUrl `url` too (shown as scheme and host) for the rest of the call."""
    hidden = _SECRET.get()
    if hidden is not None:
        hidden.add_url(url)


def scrub_secrets(text: str) -> str:
    """`text` with the secrets in use (see `use_secret`), in any echo form, replaced."""
    hidden = _SECRET.get()
    return text if hidden is None else hidden.scrub(text)


class RedactingFilter(logging.Filter):
    """Credential headers → `***` in a record's arguments; remembered secrets out of its text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple) and record.args:
            record.args = tuple(_redacted(arg) for arg in record.args)
        message = record.getMessage()
        clean = scrub_secrets(message)
        if clean != message or record.args:
            record.msg, record.args = clean, ()
        return True


def _redacted(arg: object) -> object:
    if isinstance(arg, httpx.Headers):
        return redact_headers(arg.multi_items())
    if isinstance(arg, Mapping):
        return redact_headers((str(k), str(v)) for k, v in arg.items())
    return arg


logger.addFilter(RedactingFilter())


def _body_text(content: bytes) -> str:
    """The body's head for a debug line; scrubbed before it is cut, so no secret is cut in half
    (a half no longer matches)."""
    text = scrub_secrets(content[: _LOG_BODY_LIMIT + _SCRUB_MARGIN].decode("utf-8", "replace"))
    return text[:_LOG_BODY_LIMIT] + ("…" if len(text) > _LOG_BODY_LIMIT else "")


def log_request(request: httpx.Request) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        body = _body_text(request.content) if request.method != "GET" else ""
        logger.debug("request: %s %s headers=%s body=%s", *_shown(request, request.headers, body))


def log_response(response: httpx.Response, *, streamed: bool = False) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        text = "<streamed>" if streamed else _body_text(response.content)
        method, url, headers, body = _shown(response.request, response.headers, text)
        logger.debug(
            "response: %s %s -> %s headers=%s body=%s",
            method,
            url,
            response.status_code,
            headers,
            body,
        )


def _shown(request: httpx.Request, headers: httpx.Headers, body: str) -> tuple[object, ...]:
    """What a debug line shows of an exchange (RedactingFilter redacts it)."""
    return request.method, request.url, headers, body
