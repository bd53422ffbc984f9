"""Every test keeps the CLI's learned-durations file in a temporary directory, not in ~/.cache."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _private_cache_dir(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIANGXIN_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
