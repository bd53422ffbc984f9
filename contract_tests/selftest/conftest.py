"""Self-test fixtures: every suite run the self-tests need, started together."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from liangxin_conformance.plugin import session_target
from liangxin_mock import MockServer
from selftest.mutants import MUTANTS, VARIANTS
from selftest.runs import Run, mutant_args, run_all

BUDGET = 3


@pytest.fixture(scope="session")
def budget_mock() -> Iterator[MockServer]:
    with MockServer(task_seconds=0.2, allow_http_callbacks=True) as server:
        yield server


@pytest.fixture(scope="session")
def runs(tmp_path_factory: pytest.TempPathFactory, budget_mock: MockServer) -> dict[str, Run]:
    """The suite on the mock, on each faithful variant and each mutant (canary key), and on a
    mock over HTTP with a budget."""
    if not session_target().in_process:
        pytest.skip("self-tests run against the in-process mock only")
    jobs: dict[str, tuple[list[str], dict[str, str] | None]] = {
        name: (mutant_args(name), None) for name in [*VARIANTS, *MUTANTS]
    }
    budget = ["--base-url", budget_mock.base_url, "--local-mock", "--max-paid-tasks", str(BUDGET)]
    jobs["budget"] = ([*budget, "--max-examples", "3"], {"LIANGXIN_API_KEY": budget_mock.api_key})
    return run_all(jobs, tmp_path_factory.mktemp("suite-runs"))
