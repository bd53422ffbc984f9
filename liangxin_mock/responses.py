"""The two error envelopes the contract declares, and the other canned responses."""

from __future__ import annotations

from typing import Any

from starlette.responses import JSONResponse, Response


def task_error(status: int, msg: str, headers: dict[str, str] | None = None) -> JSONResponse:
    """Task-layer envelope: `{"code": status, "msg": msg, "data": null}`."""
    return JSONResponse({"code": status, "msg": msg, "data": None}, status, headers=headers)


def platform_error(status: int, message: str, code: str = "") -> JSONResponse:
    """Platform (new-api gateway) envelope: `{"error": {"message", "type", "code"}}`."""
    body = {"error": {"message": message, "type": "new_api_error", "code": code}}
    return JSONResponse(body, status)


def success(data: Any) -> JSONResponse:
    return JSONResponse({"code": 200, "msg": "success", "data": data})


def invalid_token() -> JSONResponse:
    return platform_error(401, "invalid token")


def insufficient_quota() -> JSONResponse:
    return platform_error(403, "insufficient quota", "insufficient_user_quota")


def too_large() -> JSONResponse:
    return task_error(413, "request body too large")


def saturated(retry_after: int) -> JSONResponse:
    return task_error(
        429,
        "current group load is saturated, please try again later",
        headers={"Retry-After": str(retry_after)},
    )


def method_not_allowed(allow: list[str]) -> JSONResponse:
    return task_error(405, "method not allowed", headers={"Allow": ", ".join(allow)})


def not_found(msg: str = "not found") -> JSONResponse:
    return task_error(404, msg)


def html(status: int, page: str) -> Response:
    return Response(page, status, media_type="text/html")
