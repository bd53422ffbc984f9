"""Keep the API key out of exception objects: what an error reporter, `pickle` or `repr` sees.

Two layers, neither needing the key passed through the decoders. Where an `APIError` is made,
its message and body lose the secrets of the call at work (`_logging.use_secret`: the key and
any callBackUrl sent, in every echo form), and
`safe_request` / `safe_response` copy its exchange with credential headers replaced by `***` (by
header name) and that key scrubbed from URL, headers and content. Where an error leaves the
client (its `_edge`), `scrub_error` replaces the key wherever else the service echoed it back —
`.code`, `.request_id`, `fail_msg`, an unknown state — and in the httpx exceptions chained as the
cause. The body kept in `exc.request` is what was sent, with the callBackUrl cut to its host.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import suppress
from typing import Any

import attrs
import httpx

from liangxin_client._logging import (
    drop_secret,
    redact_headers,
    scrub_secrets,
    secrets_in_use,
    use_secret,
)
from liangxin_client._secrets import APIKey, Hidden

#: How deep `scrub_error` follows containers inside an exception's attributes.
_MAX_DEPTH = 6


def _scrub_headers(headers: httpx.Headers) -> dict[str, str]:
    return {
        name: scrub_secrets(value) for name, value in redact_headers(headers.multi_items()).items()
    }


def _scrub_bytes(content: bytes) -> bytes:
    text = content.decode("utf-8", "replace")
    clean = scrub_secrets(text)
    return content if clean == text else clean.encode()


def safe_request(request: httpx.Request | None) -> httpx.Request | None:
    """A copy of `request` without credentials (the body is kept: it is what was sent)."""
    if request is None:
        return None
    try:
        content = request.content
    except httpx.RequestNotRead:
        content = b""
    return httpx.Request(
        request.method,
        scrub_secrets(str(request.url)),
        headers=_scrub_headers(request.headers),
        content=_scrub_bytes(content),
    )


def safe_response(response: httpx.Response, request: httpx.Request | None = None) -> httpx.Response:
    """A copy of `response` without credentials, tied to a credential-free copy of its request."""
    try:
        content = response.content
    except httpx.ResponseNotRead:
        content = b""
    content = _scrub_bytes(content)
    if request is None:
        try:
            request = safe_request(response.request)
        except RuntimeError:  # a response built by hand, without its request
            request = None
    extensions = {
        k: v for k, v in response.extensions.items() if k in ("http_version", "reason_phrase")
    }
    return httpx.Response(
        response.status_code,
        headers=_scrub_headers(response.headers),
        content=content,
        request=request,
        extensions=extensions,
    )


def _clean(value: Any, depth: int) -> Any:
    if depth > _MAX_DEPTH:
        return value
    if isinstance(value, str):
        return scrub_secrets(value)
    if isinstance(value, httpx.Request):
        return safe_request(value)
    if isinstance(value, httpx.Response):
        return safe_response(value)
    if isinstance(value, Mapping):
        return {_clean(k, depth + 1): _clean(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(_clean(v, depth + 1) for v in value)
    if attrs.has(type(value)):
        changes = {
            field.alias: _clean(getattr(value, field.name), depth + 1)
            for field in attrs.fields(type(value))
            if field.init
        }
        try:
            return attrs.evolve(value, **changes)
        except (TypeError, ValueError):
            return value
    return value


def scrub_error(exc: BaseException, key: APIKey | None) -> None:
    """Replace the secrets of the call at work (or `key`, outside a call) in `exc`'s message and
    attributes, and strip credentials from its chain."""
    hidden = secrets_in_use()
    if hidden is None or hidden.key is not key:
        hidden = Hidden(key)
    token = use_secret(hidden)
    try:
        _scrub_chain(exc)
    finally:
        drop_secret(token)


def _scrub_chain(exc: BaseException) -> None:
    _scrub_in_place(exc)
    for name, value in list(vars(exc).items()):
        cleaned = _clean(value, 0)
        if cleaned is not value:
            setattr(exc, name, cleaned)
    seen = {id(exc)}
    link = exc.__cause__ or exc.__context__
    while link is not None and id(link) not in seen:
        seen.add(id(link))
        if isinstance(link, httpx.RequestError | httpx.HTTPStatusError):
            with suppress(RuntimeError):  # an httpx error raised without a request
                link.request = safe_request(link.request)  # type: ignore[assignment]
            _scrub_in_place(link)
        link = link.__cause__ or link.__context__


def _scrub_in_place(exc: BaseException) -> None:
    exc.args = tuple(_clean(arg, 0) for arg in exc.args)
