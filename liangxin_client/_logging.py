"""The `liangxin_client` logger, `LIANGXIN_LOG`, and secret redaction."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable

import httpx

logger = logging.getLogger("liangxin_client")

REDACTED = "***"
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key"}
)
_LOG_BODY_LIMIT = 1000


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


def redact_headers(headers: Iterable[tuple[str, str]], secret: str | None = None) -> dict[str, str]:
    """Headers as a dict with credentials replaced by `***` (and `secret` in any other value)."""
    return {
        name: (REDACTED if name.lower() in _SECRET_HEADERS else scrub(value, secret))
        for name, value in headers
    }


def scrub(text: str, secret: str | None) -> str:
    """`text` with every occurrence of `secret` replaced (servers sometimes echo tokens back)."""
    if secret and secret in text:
        return text.replace(secret, REDACTED)
    return text


def _body_text(content: bytes) -> str:
    text = content[:_LOG_BODY_LIMIT].decode("utf-8", "replace")
    return text + ("…" if len(content) > _LOG_BODY_LIMIT else "")


def log_request(request: httpx.Request, secret: str | None) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        body = _body_text(request.content) if request.method != "GET" else ""
        logger.debug(
            "request: %s %s headers=%s body=%s",
            request.method,
            scrub(str(request.url), secret),
            redact_headers(request.headers.multi_items(), secret),
            scrub(body, secret),
        )


def log_response(response: httpx.Response, secret: str | None, *, streamed: bool = False) -> None:
    if logger.isEnabledFor(logging.DEBUG):
        body = "<streamed>" if streamed else _body_text(response.content)
        logger.debug(
            "response: %s %s -> %s headers=%s body=%s",
            response.request.method,
            scrub(str(response.request.url), secret),
            response.status_code,
            redact_headers(response.headers.multi_items(), secret),
            scrub(body, secret),
        )
