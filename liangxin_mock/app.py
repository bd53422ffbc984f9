"""The Starlette application, assembled: which path each handler answers, and the app's lifespan.

This module owns only the assembly — the route table (the contract's operations from `routes`,
at the method and path `liangxin_contract.operation` reads from the contract; the result files and
the served spec from `routes`; the `/__mock__/` endpoints from `introspection`; each behind
`plumbing.route`'s 405), the error handlers, the `MockState` one app owns, and the lifespan's
background loop that fires callbacks on time when nobody polls. What a request means is decided in
`routes` and `introspection`; how it is read, refused or answered in `plumbing`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Route

from liangxin_contract import operation
from liangxin_mock.config import MockConfig
from liangxin_mock.faults import FAULT_KINDS, FaultPlan
from liangxin_mock.introspection import (
    local_only,
    mock_callbacks,
    mock_reset,
    mock_stats,
    mock_tasks,
)
from liangxin_mock.plumbing import Handler, MockApp, MockState, http_error, route, server_error
from liangxin_mock.routes import create_task, openapi_json, openapi_yaml, record_info, result_file
from liangxin_mock.store import Store

#: How often the background loop looks for callbacks that are due, in seconds.
TICK_SECONDS = 0.05


def _operation_route(operation_id: str, handler: Handler) -> Route:
    """The route of a contract operation, at the method and path the contract gives it."""
    method, path = operation(operation_id)
    return route(path, {method: handler})


async def _advance(state: MockState) -> None:
    """Fire callbacks on time even when nobody polls (state itself needs no ticking)."""
    while True:
        state.fire_due_callbacks()
        await asyncio.sleep(TICK_SECONDS)


def create_app(config: MockConfig) -> Starlette:
    """Build the mock for `config` (a random key is added when it has none)."""
    config = config.with_default_key()
    state = MockState(
        config=config,
        store=Store(config.db_path),
        faults=FaultPlan(config.seed, config.fault_rate, config.fault_kinds or FAULT_KINDS),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        ticker = asyncio.create_task(_advance(state))
        try:
            yield
        finally:
            ticker.cancel()
            with suppress(asyncio.CancelledError):
                await ticker
            await state.close_sender()
            # The store outlives the lifespan: an ASGI host may run it again (schemathesis and
            # TestClient do), and an in-memory database would be lost. Committed writes are
            # durable already; the connection closes with the app.

    routes = [
        _operation_route("createTask", create_task),
        _operation_route("getTaskDetails", record_info),
        route("/files/{task_id}/{token}/{name}", {"GET": result_file, "HEAD": result_file}),
        route("/openapi.json", {"GET": openapi_json}),
        route("/openapi.yaml", {"GET": openapi_yaml}),
        route("/__mock__/tasks", {"GET": local_only(mock_tasks)}),
        route("/__mock__/stats", {"GET": local_only(mock_stats)}),
        route("/__mock__/callbacks", {"GET": local_only(mock_callbacks)}),
        route("/__mock__/reset", {"POST": local_only(mock_reset)}),
    ]
    app = MockApp(
        routes=routes,
        lifespan=lifespan,
        exception_handlers={HTTPException: http_error, Exception: server_error},
    )
    app.state.mock = state
    return app
