"""Fixtures shared by the test modules (the environment is made private by the root conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from liangxin_mock import MockServer
from tests.test_cli_batch import InProcess


@pytest.fixture
def batch(
    liangxin_mock_factory: Callable[..., MockServer],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> InProcess:
    """`liangxin batch ARGS` run in process (in `tmp_path`, durations remembered in
    `tmp_path / "cache"`) against a mock of 0.2 s tasks."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("LIANGXIN_CACHE_DIR", str(tmp_path / "cache"))
    return InProcess(liangxin_mock_factory(task_seconds=0.2), capsys)
