"""liangxin-mock: a local simulator of the LiangXin Market image API.

An independent implementation of the contract (`openapi/liangxin.yaml`, shipped in
`liangxin_contract`): it validates each createTask body against the contract, simulates the task
lifecycle from stored timestamps, serves real PNG results, delivers callbacks, persists to SQLite
and can inject reproducible gateway faults. Outside the contract: the `X-Mock-Fail` and
`X-Mock-Task-Seconds` request headers and the `/__mock__/` introspection endpoints.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from liangxin_mock.app import create_app
    from liangxin_mock.config import MockConfig
    from liangxin_mock.receiver import CallbackReceiver
    from liangxin_mock.server import MockServer

__all__ = ["CallbackReceiver", "MockConfig", "MockServer", "create_app"]

# Imported on first use (PEP 562), so the pytest plugin this package registers costs nothing —
# and needs no starlette — until a test asks for the mock.
_HOMES = {
    "CallbackReceiver": "receiver",
    "MockConfig": "config",
    "MockServer": "server",
    "create_app": "app",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(f"liangxin_mock.{_HOMES[name]}"), name)
    raise AttributeError(f"module 'liangxin_mock' has no attribute {name!r}")
