"""pytest fixtures (registered through the `pytest11` entry point).

- `liangxin_mock`: a running `MockServer` with short tasks (0.5 s), one per test.
- `liangxin_mock_factory`: `factory(**MockConfig fields)` → a started `MockServer`, stopped at
  teardown.

The mock is imported only when a fixture is used, so installing the package without the `mock`
extra never breaks an unrelated pytest run; using a fixture without it fails with a clear message.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from liangxin_mock.server import MockServer

TEST_TASK_SECONDS = 0.5


def _server_class() -> type[MockServer]:
    try:
        from liangxin_mock.server import MockServer
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        pytest.fail(
            f"the liangxin_mock fixtures need the mock extra: pip install 'liangxin-client[mock]' ({exc})",
            pytrace=False,
        )
    return MockServer


@pytest.fixture
def liangxin_mock_factory() -> Iterator[Callable[..., MockServer]]:
    server_class = _server_class()
    started: list[MockServer] = []

    def factory(**overrides: Any) -> MockServer:
        overrides.setdefault("task_seconds", TEST_TASK_SECONDS)
        server = server_class(**overrides).start()
        started.append(server)
        return server

    yield factory
    for server in reversed(started):
        server.stop()


@pytest.fixture
def liangxin_mock() -> Iterator[MockServer]:
    with _server_class()(task_seconds=TEST_TASK_SECONDS) as server:
        yield server
