"""The contract's routes: what the LiangXin API itself answers.

This module owns the two operations the contract defines — `createTask` (authenticate, inject a
gateway fault, read and validate the body against the contract, enforce credits and the running
task limit, store the task with its planned outcome) and `recordInfo` (the task's record as of
now, firing its callback lazily once terminal) — plus the result files their records point to
(`/files/<taskId>/<token>/0.png`) and the contract itself, served at `/openapi.json` and
`/openapi.yaml`. How a request is read, refused or routed is `plumbing`'s; the mock's own
`/__mock__/` endpoints are `introspection`'s.
"""

from __future__ import annotations

import hmac
import json
import math
from contextlib import suppress
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from liangxin_contract import (
    ContractViolation,
    Verdict,
    load_spec,
    spec_bytes,
    validate_create_task,
)
from liangxin_mock import responses
from liangxin_mock.config import MockConfig
from liangxin_mock.images import render_for
from liangxin_mock.lifecycle import (
    TERMINAL,
    file_token,
    now_ms,
    parse_fail_header,
    planned_failure,
    progress,
    record,
)
from liangxin_mock.plumbing import (
    DropConnection,
    api_key,
    fault_response,
    is_json_media_type,
    mock_state,
    parse_body,
    read_body,
)
from liangxin_mock.store import NewTask


def _validate(body: Any, config: MockConfig) -> Verdict:
    """Validate against the contract; `allow_http_callbacks` relaxes only callBackUrl's scheme.

    Documented violations are refused; inferred ones are refused only with `strict`.
    """
    url = body.get("callBackUrl") if isinstance(body, dict) else None
    if config.allow_http_callbacks and isinstance(url, str) and url.startswith("http://"):
        body = {**body, "callBackUrl": "https://" + url[len("http://") :]}
    return validate_create_task(body, strict=config.strict)


def _task_seconds(request: Request, default: float) -> float | None:
    """Duration from `X-Mock-Task-Seconds` (outside the contract), else the default."""
    value = request.headers.get("x-mock-task-seconds")
    if value is None:
        return default
    with suppress(ValueError):
        seconds = float(value)
        if math.isfinite(seconds) and seconds >= 0:
            return seconds
    return None


async def create_task(request: Request) -> Response:
    state = mock_state(request)
    config = state.config
    key = api_key(request, config.api_keys)
    if key is None:
        return responses.invalid_token()
    fault, replaced = await fault_response(state, request, "createTask")
    if replaced is not None:
        return replaced
    raw = await read_body(request, config)
    if isinstance(raw, Response):
        return raw
    if not is_json_media_type(request.headers.get("content-type")):
        return responses.task_error(400, "Content-Type must be application/json")
    parsed = parse_body(raw)
    if isinstance(parsed, str):
        return responses.task_error(400, parsed)
    body, param = parsed
    try:
        verdict = _validate(body, config)
    except ContractViolation as violation:
        return responses.task_error(400, violation.message)
    model = verdict.model or ""
    seconds = _task_seconds(request, config.task_seconds)
    if seconds is None:
        return responses.task_error(400, "invalid X-Mock-Task-Seconds header")
    budget = config.api_keys[key]
    if budget is not None and state.store.accepted(key) >= budget:
        return responses.insufficient_quota()
    created = now_ms()
    if config.max_concurrent is not None:
        running, first_done = state.store.running(key, created)
        if running >= config.max_concurrent:
            wait = math.ceil(((first_done or created) - created) / 1000)
            return responses.saturated(max(1, wait))
    forced = request.headers.get("x-mock-fail")

    def outcome(seq: int) -> tuple[str, str] | None:
        if forced is not None:
            return parse_fail_header(forced)
        return planned_failure(config.seed, seq, config.fail_rate)

    url = body.get("callBackUrl") or None
    row = state.store.insert_task(
        NewTask(
            api_key=key,
            model=model,
            param=param,
            create_ms=created,
            duration_ms=round(seconds * 1000),
            callback_url=url if isinstance(url, str) else None,
            base_url=state.base_url(request),
        ),
        outcome,
    )
    state.note_guesses(row.task_id, verdict)
    if fault == "accepted_drop":
        return DropConnection()
    return responses.success({"taskId": row.task_id})


async def record_info(request: Request) -> Response:
    state = mock_state(request)
    key = api_key(request, state.config.api_keys)
    if key is None:
        return responses.invalid_token()
    _, replaced = await fault_response(state, request, "recordInfo")
    if replaced is not None:
        return replaced
    state.store.count_record_info(key)
    task_id = request.query_params.get("taskId", "")
    if not task_id:
        return responses.task_error(400, "taskId is required")
    row = state.store.get_task(task_id)
    if row is None or row.api_key != key:
        return responses.task_error(404, "task not found")
    data = record(row, now_ms(), state.base_url(request))
    if data["state"] in TERMINAL and row.callback_state == "pending":
        state.fire_due_callbacks()  # lazily, without waiting for the background loop
    return responses.success(data)


async def result_file(request: Request) -> Response:
    """`GET /files/<taskId>/<token>/0.png`: the result image, unauthenticated like a CDN URL
    (the token, which only the task's owner learns, is what keeps it private)."""
    state = mock_state(request)
    task_id, name = request.path_params["task_id"], request.path_params["name"]
    row = state.store.get_task(task_id)
    if name != "0.png" or row is None or progress(row, now_ms()).state != "success":
        return responses.not_found()
    if not hmac.compare_digest(request.path_params["token"], file_token(row)):
        return responses.not_found()
    data = state.store.get_file(task_id, name)
    if data is None:
        data = await run_in_threadpool(render_for, row.model, json.loads(row.param), row.task_id)
        state.store.put_file(task_id, name, data)
    return Response(data, media_type="image/png", headers={"Cache-Control": "max-age=86400"})


async def openapi_json(request: Request) -> Response:
    spec = load_spec()
    spec["servers"] = [{"url": mock_state(request).base_url(request)}]
    return JSONResponse(spec)


async def openapi_yaml(request: Request) -> Response:
    return Response(spec_bytes(), media_type="application/yaml")
