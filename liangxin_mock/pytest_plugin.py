"""pytest fixtures (registered through the `pytest11` entry point).

- `liangxin_mock`: a running `MockServer` with short tasks (0.5 s), one per test.
- `liangxin_mock_factory`: `factory(**MockConfig fields)` → a started `MockServer`, stopped at
  teardown.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from liangxin_mock.server import MockServer

TEST_TASK_SECONDS = 0.5


@pytest.fixture
def liangxin_mock_factory() -> Iterator[Callable[..., MockServer]]:
    started: list[MockServer] = []

    def factory(**overrides: Any) -> MockServer:
        overrides.setdefault("task_seconds", TEST_TASK_SECONDS)
        server = MockServer(**overrides).start()
        started.append(server)
        return server

    yield factory
    for server in reversed(started):
        server.stop()


@pytest.fixture
def liangxin_mock() -> Iterator[MockServer]:
    with MockServer(task_seconds=TEST_TASK_SECONDS) as server:
        yield server
