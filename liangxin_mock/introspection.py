"""The `/__mock__/` introspection endpoints: what tests and people learn about the mock itself.

Outside the contract. This module owns what those endpoints show — every task with its key,
callback URL and sequence number (`/__mock__/tasks`), per-key counters, faults and the accepted
guesses (`/__mock__/stats`), callback deliveries (`/__mock__/callbacks`) — the reset that
forgets them (`POST /__mock__/reset`), and the guard that keeps all of them local
(`local_only`: loopback or configured hosts, no foreign `Origin`, JSON-only POSTs), since they are
unauthenticated and list every key. The contract's own operations are `routes`'s.
"""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from liangxin_mock import responses
from liangxin_mock.lifecycle import now_ms, record
from liangxin_mock.plumbing import Handler, MockState, is_json_media_type, mock_state
from liangxin_mock.store import TaskRow


def _introspect_row(row: TaskRow, at: int, base: str) -> dict[str, Any]:
    return {
        **record(row, at, base),
        "apiKey": row.api_key,
        "callBackUrl": row.callback_url,
        "seq": row.seq,
    }


async def mock_tasks(request: Request) -> Response:
    state = mock_state(request)
    at, base = now_ms(), state.base_url(request)
    return JSONResponse({"tasks": [_introspect_row(r, at, base) for r in state.store.all_tasks()]})


def stats(state: MockState) -> dict[str, Any]:
    """Per-key counters (accepted createTask calls, recordInfo calls, credits left) and faults."""
    counters = state.store.counters()
    keys: dict[str, Any] = {}
    for key in {**state.config.api_keys, **counters}:
        created, polled = counters.get(key, (0, 0))
        budget = state.config.api_keys.get(key)
        keys[key] = {
            "createTask": created,
            "recordInfo": polled,
            "credits": budget,
            "creditsLeft": None if budget is None else max(0, budget - created),
        }
    return {
        "keys": keys,
        "createTask": sum(k["createTask"] for k in keys.values()),
        "recordInfo": sum(k["recordInfo"] for k in keys.values()),
        "faults": {**state.faults.summary(), "log": list(state.faults.log)},
        "inferredViolations": {"count": state.guess_count, "log": list(state.guesses)},
    }


async def mock_stats(request: Request) -> Response:
    return JSONResponse(stats(mock_state(request)))


async def mock_callbacks(request: Request) -> Response:
    return JSONResponse({"callbacks": mock_state(request).store.callbacks()})


async def mock_reset(request: Request) -> Response:
    state = mock_state(request)
    state.store.reset()
    state.faults.reset()
    state.guesses.clear()
    state.guess_count = 0
    return JSONResponse({"reset": True})


_LOOPBACK_NAMES = frozenset({"localhost", "localhost.", "ip6-localhost"})


def _host_name(value: str) -> str | None:
    """The host of a `Host` header (`name[:port]`, `[v6]:port`) or of an `Origin` URL, lowercased."""
    try:
        host = urlsplit(value if "//" in value else f"//{value}").hostname
    except ValueError:
        return None
    return host.lower() if host else None


def _is_local_host(host: str | None, trusted: frozenset[str]) -> bool:
    if host is None:
        return False
    if host in _LOOPBACK_NAMES or host in trusted:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def local_only(handler: Handler) -> Handler:
    """`/__mock__/` lists every key's tasks and can wipe them: answer only requests addressed to
    a loopback (or the configured) host — so a DNS-rebinding page cannot read it — from no
    foreign `Origin`, and POSTs only with a JSON body — so a cross-origin form cannot send one."""

    async def guarded(request: Request) -> Response:
        config = mock_state(request).config
        trusted = frozenset(
            h.lower()
            for h in (*config.trusted_hosts, _host_name(config.public_base_url or ""))
            if h
        )
        if not _is_local_host(_host_name(request.headers.get("host", "")), trusted):
            return responses.task_error(403, "/__mock__/ answers loopback hosts only")
        origin = request.headers.get("origin")
        if origin is not None and not _is_local_host(_host_name(origin), trusted):
            return responses.task_error(403, "/__mock__/ refuses cross-origin requests")
        if request.method == "POST" and not is_json_media_type(request.headers.get("content-type")):
            return responses.task_error(415, "Content-Type must be application/json")
        return await handler(request)

    return guarded
