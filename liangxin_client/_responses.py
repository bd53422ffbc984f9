"""Turn HTTP responses into payloads, tasks and records, or into the matching error.

Handles both envelopes — task layer `{code, msg|message, data}` and platform
`{error: {message, type, code}}` — HTTP 200 bodies whose `code` is not 200, and non-JSON bodies
(an HTML 502 from a proxy).
"""

from __future__ import annotations

import email.utils
import json
import time
from collections.abc import Callable
from datetime import UTC
from typing import Any

import httpx

from liangxin_client._errors import APIError, APIStatusError, RateLimitError, status_error_class
from liangxin_client._records import Task, TaskRecord, record_from_data

BODY_LIMIT = 2000
_REQUEST_ID_HEADERS = ("x-request-id", "x-oneapi-request-id")


def parse_retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP-date); None if absent/invalid."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now()
    if seconds != seconds or seconds in (float("inf"), float("-inf")):  # NaN / inf
        return None
    return max(0.0, seconds)


def request_id(response: httpx.Response) -> str | None:
    for name in _REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return value
    return None


def body_text(response: httpx.Response) -> str:
    """The response text, truncated to `BODY_LIMIT` characters (errors scrub the keys from it)."""
    text = response.content[: BODY_LIMIT * 4].decode(response.encoding or "utf-8", "replace")
    if len(text) > BODY_LIMIT:
        text = text[:BODY_LIMIT] + "…[truncated]"
    return text


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
    response: httpx.Response, payload: Any = None, *, decoded: bool = False
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
        "body": body_text(response),
    }
    if cls is RateLimitError:
        kwargs["retry_after"] = parse_retry_after(response.headers.get("retry-after"))
    return cls(message, **kwargs)


def success_payload(response: httpx.Response, what: str) -> dict[str, Any]:
    """The JSON object of a successful call, or raise the matching APIError.

    A non-JSON or non-object 2xx body is an `APIError` carrying the raw body.
    """
    if response.status_code >= 400:
        raise status_error(response)
    payload = _decode(response)
    if not isinstance(payload, dict):
        raise APIError(
            f"{what}: the response body is not a JSON object",
            status_code=response.status_code,
            request_id=request_id(response),
            body=body_text(response),
            request=response.request,
        )
    layer, _, code, _ = _envelope(payload)
    if layer == "platform" or (layer == "task" and _as_code(code) != 200):
        raise status_error(response, payload, decoded=True)
    return payload


def malformed(response: httpx.Response, message: str) -> APIError:
    """An APIError for a 2xx body that does not have the documented shape."""
    return APIError(
        message,
        status_code=response.status_code,
        request_id=request_id(response),
        body=body_text(response),
        request=response.request,
    )


def parse_record_response(response: httpx.Response, task_id: str) -> TaskRecord:
    """recordInfo's response → TaskRecord, or the matching APIError."""
    payload = success_payload(response, "recordInfo")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise malformed(response, "recordInfo: the response has no `data` object")
    try:
        return record_from_data(data, task_id)
    except (KeyError, TypeError, ValueError) as exc:
        raise malformed(response, f"recordInfo: unreadable task record ({exc})") from exc


def parse_create_response(response: httpx.Response, model: str) -> Task:
    """createTask's response → Task, or the matching APIError."""
    payload = success_payload(response, "createTask")
    data = payload.get("data")
    task_id = data.get("taskId") if isinstance(data, dict) else None
    if isinstance(task_id, str) and task_id:
        return Task(task_id=task_id, model=model)
    if not isinstance(data, dict):
        problem = f"has no `data` object (data: {_shown(data)})"
    elif "taskId" not in data:
        problem = f"has no `data.taskId` (data: {_shown(data)})"
    else:  # keep what was sent: it may well be the id of a task that now exists
        problem = f"has `data.taskId` = {_shown(task_id)}, not a non-empty string"
    raise malformed(response, f"createTask: the response {problem}")


def _shown(value: Any, limit: int = 300) -> str:
    """`value` for an error message: its JSON (else repr) and type, truncated."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    if len(text) > limit:
        text = text[:limit] + "…"
    return f"{text} ({type(value).__name__})"
