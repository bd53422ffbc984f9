"""Every pytest run from this repository is hermetic (`tests/` and `contract_tests/` alike).

No test may read the user's own config, cache or environment, nor reach a service it did not
start: a default profile in `~/.config/liangxin/config.toml` (the README recommends one) or an
exported `LIANGXIN_BASE_URL` / `LIANGXIN_API_KEY` would otherwise send the tests' tasks to the
user's live service. So, in one place:

- when pytest is configured (before any fixture, so session fixtures and the subprocesses they
  start inherit it), `HOME` and the XDG base directories point into a private temporary
  directory, and every `LIANGXIN_*` and other `XDG_*` variable is removed; the real environment
  comes back when pytest ends;
- each test then gets fresh, empty directories of its own (`_private_home`), so what one test
  writes there no other test sees.

The conformance plugin reads its target (`--base-url`, or `LIANGXIN_BASE_URL`) when pytest is
configured; this hook runs after it (`trylast`), so `pytest contract_tests` pointed at a service
on purpose still tests that service. `./scripts/test` (nox) clears those variables first.
`tests/test_hermetic.py` proves all of it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

#: Environment variables that name where a program keeps the user's own files, and the private
#: directory each points to instead.
PRIVATE_DIRS = {
    "HOME": "home",
    "XDG_CONFIG_HOME": "config",
    "XDG_CACHE_HOME": "cache",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",
    "LIANGXIN_CACHE_DIR": "liangxin-cache",
}

_SAVED: dict[str, str] = {}
_BASE: list[Path] = []
#: `LIANGXIN_TEST_ARTIFACTS`: a folder where tests leave what a person or CI looks at afterwards
#: (screenshots). An output, not a setting: read here, then gone from the environment like the
#: rest; tests get it from the `test_artifacts` fixture.
ARTIFACTS_VARIABLE = "LIANGXIN_TEST_ARTIFACTS"
_ARTIFACTS: list[Path] = []


def private_environment(base: Path, environ: dict[str, str]) -> dict[str, str]:
    """`environ` without the user's settings, its private directories made under `base`."""
    kept = {k: v for k, v in environ.items() if not k.startswith(("LIANGXIN_", "XDG_"))}
    for name, folder in PRIVATE_DIRS.items():
        (base / folder).mkdir(parents=True, exist_ok=True)
        kept[name] = str(base / folder)
    return kept


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    base = Path(tempfile.mkdtemp(prefix="liangxin-tests-env-"))
    _BASE.append(base)
    _SAVED.update(os.environ)
    if os.environ.get(ARTIFACTS_VARIABLE):
        _ARTIFACTS.append(Path(os.environ[ARTIFACTS_VARIABLE]).resolve())
    private = private_environment(base, dict(os.environ))
    os.environ.clear()
    os.environ.update(private)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _SAVED:
        os.environ.clear()
        os.environ.update(_SAVED)
        _SAVED.clear()
    while _BASE:
        shutil.rmtree(_BASE.pop(), ignore_errors=True)


@pytest.fixture
def test_artifacts() -> Path | None:
    """The folder `LIANGXIN_TEST_ARTIFACTS` named when pytest started (created), or None."""
    if not _ARTIFACTS:
        return None
    _ARTIFACTS[0].mkdir(parents=True, exist_ok=True)
    return _ARTIFACTS[0]


@pytest.fixture(autouse=True)
def _private_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = tmp_path_factory.mktemp("env")
    for name, folder in PRIVATE_DIRS.items():
        (base / folder).mkdir()
        monkeypatch.setenv(name, str(base / folder))
