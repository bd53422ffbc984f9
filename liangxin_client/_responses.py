"""Turn HTTP responses into payloads or into the matching error from the one table.

Handles both envelopes — task layer `{code, msg|message, data}` and platform
`{error: {message, type, code}}` — HTTP 200 bodies whose `code` is not 200, and non-JSON bodies
(an HTML 502 from a proxy).
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from liangxin_client._errors import APIError, APIStatusError, RateLimitError, status_error_class
from liangxin_client._logging import scrub
from liangxin_client._retry import parse_retry_after

BODY_LIMIT = 2000
_REQUEST_ID_HEADERS = ("x-request-id", "x-oneapi-request-id")


def request_id(response: httpx.Response) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def body_text(response: httpx.Response, secret: str | None) -> str:
    """The response text, truncated to `BODY_LIMIT` characters, with the secret scrubbed."""
    text = response.content[: BODY_LIMIT * 4].decode(response.encoding or "utf-8", "replace")
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + "…[truncated]"
    return scrub(text, secret)


def _as_code(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _envelope(payload: Any) -> tuple[str | None, str | None, int | str | None, str | None]:
    """(layer, message, code, type) of an error envelope; all None when it is not one."""
    if isinstance(payload, dict):
        error = payload.get("error")
        if isinstance(error, dict):
            code = error.get("code")
            return (
                "platform",
                str(error.get("message") or "") or None,
                code if code not in ("", None) else None,
                str(error.get("type") or "") or None,
            )
        if "code" in payload:
            message = payload.get("msg", payload.get("message"))
            return (
                "task",
                str(message) if message not in (None, "") else None,
                payload["code"],
                None,
            )
    return None, None, None, None


def _decode(response: httpx.Response) -> Any:
    try:
        return json.loads(response.content)
    except ValueError:
        return None


def status_error(
    response: httpx.Response, secret: str | None, payload: Any = None, *, decoded: bool = False
) -> APIStatusError:
    """The APIStatusError for an error response (status ≥ 400, or an error envelope on 200)."""
    if not decoded:
        payload = _decode(response)
    layer, message, code, err_type = _envelope(payload)
    effective = response.status_code
    if effective < 400:
        effective = _as_code(code) or 0  # unknown code → plain APIStatusError
    if message is None:
        reason = response.reason_phrase or "error"
        kind = "" if layer else " (no JSON error envelope in the body)"
        message = f"HTTP {response.status_code} {reason}{kind}"
    cls = status_error_class(effective)
    kwargs: dict[str, Any] = {
        "response": response,
        "layer": layer,
        "code": code,
        "type": err_type,
        "request_id": request_id(response),
        "body": body_text(response, secret),
    }
    if cls is RateLimitError:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    return cls(scrub(message, secret), **kwargs)


def success_payload(response: httpx.Response, secret: str | None, what: str) -> dict[str, Any]:
    """The JSON object of a successful call, or raise the matching APIError.

    A non-JSON or non-object 2xx body is an `APIError` carrying the raw body.
    """
    if response.status_code >= 400:
        raise status_error(response, secret)
    payload = _decode(response)
    if not isinstance(payload, dict):
        raise APIError(
            f"{what}: the response body is not a JSON object",
            status_code=response.status_code,
            request_id=request_id(response),
            body=body_text(response, secret),
            request=response.request,
        )
    layer, _, code, _ = _envelope(payload)
    if layer == "platform" or (layer == "task" and _as_code(code) != 200):
        raise status_error(response, secret, payload, decoded=True)
    return payload


def malformed(response: httpx.Response, secret: str | None, message: str) -> APIError:
    """An APIError for a 2xx body that does not have the documented shape."""
    return APIError(
        message,
        status_code=response.status_code,
        request_id=request_id(response),
        body=body_text(response, secret),
        request=response.request,
    )
