"""Keep the API key out of exception objects: what an error reporter, `pickle` or `repr` sees.

Two layers. `safe_request` / `safe_response` copy an exchange with its credential headers replaced
by `***` (by header name, so no secret is needed): every `APIError` keeps only such copies. At the
client's edge `scrub_error` then replaces the key itself wherever the service echoed it back — in
the message, `.code`, `.request_id`, `.body`, `fail_msg`, an unknown state, the response's headers
and content — and in the httpx exceptions chained as the cause.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

import attrs
import httpx

from liangxin_client._logging import redact_headers, scrub

#: How deep `scrub_error` follows containers inside an exception's attributes.
_MAX_DEPTH = 6


def _scrub_headers(headers: httpx.Headers, secret: str | None) -> dict[str, str]:
    return {
        name: scrub(value, secret) for name, value in redact_headers(headers.multi_items()).items()
    }


def safe_request(request: httpx.Request | None, secret: str | None = None) -> httpx.Request | None:
    """A copy of `request` without credentials (the body is kept: it is what was sent)."""
    if request is None:
        return None
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    return httpx.Request(
        request.method,
        scrub(str(request.url), secret),
        headers=_scrub_headers(request.headers, secret),
        content=scrub(content.decode("utf-8", "replace"), secret).encode() if secret else content,
    )


def safe_response(
    response: httpx.Response, secret: str | None = None, request: httpx.Request | None = None
) -> httpx.Response:
    """A copy of `response` without credentials, tied to a credential-free copy of its request."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    if secret and secret.encode() in content:
        content = content.replace(secret.encode(), b"***")
    if request is None:
        try:
            request = safe_request(response.request, secret)
        except RuntimeError:  # a response built by hand, without its request
            request = None
    extensions = {
        k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
    }
    return httpx.Response(
        response.status_code,
        headers=_scrub_headers(response.headers, secret),
        content=content,
        request=request,
        extensions=extensions,
    )


def _clean(value: Any, secret: str, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        return scrub(value, secret)
    if isinstance(value, httpx.Request):
        return safe_request(value, secret)
    if isinstance(value, httpx.Response):
        return safe_response(value, secret)
    if isinstance(value, Mapping):
        return {
            _clean(k, secret, depth + 1): _clean(v, secret, depth + 1) for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(_clean(v, secret, depth + 1) for v in value)
    if attrs.has(type(value)):
        changes = {
            field.alias: _clean(getattr(value, field.name), secret, depth + 1)
            for field in attrs.fields(type(value))
            if field.init
        }
        try:
            return attrs.evolve(value, **changes)
        except (TypeError, ValueError):
            return value
    return value


def scrub_error(exc: BaseException, secret: str | None) -> None:
    """Replace `secret` in `exc`'s message and attributes, and strip credentials from its chain."""
    if secret:
        exc.args = tuple(_clean(arg, secret, 0) for arg in exc.args)
        for name, value in list(vars(exc).items()):
            cleaned = _clean(value, secret, 0)
            if cleaned is not value:
                setattr(exc, name, cleaned)
    seen = {id(exc)}
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, httpx.RequestError | httpx.HTTPStatusError):
            with suppress(RuntimeError):  # an httpx error raised without a request
                link.request = safe_request(link.request, secret)  # type: ignore[assignment]
            if secret:
                link.args = tuple(_clean(arg, secret, 0) for arg in link.args)
        link = link.__cause__ or link.__context__
