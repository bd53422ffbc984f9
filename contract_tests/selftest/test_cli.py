"""`liangxin-conformance` itself: the key never leaks, the budget holds, usage errors are errors."""

from __future__ import annotations

import subprocess
import sys

import pytest

from liangxin_mock import MockServer
from selftest.conftest import BUDGET
from selftest.runs import CANARY, Run

#: The first self-test waits for every suite run (`conftest.runs`), two at a time.
pytestmark = pytest.mark.timeout(1200)


def test_key_never_leaks(runs: dict[str, Run]) -> None:
    """Every run used the canary key; failing runs print requests, bodies and reproductions."""
    for name, run in runs.items():
        for where, text in {"stdout": run.stdout, "stderr": run.stderr, **run.files}.items():
            assert CANARY not in text, f"the key leaked into {where} of the {name} run"
    reports = [
        text for run in runs.values() for name, text in run.files.items() if name.endswith(".md")
    ]
    # Reproductions send the key as "Authorization: Bearer ${LIANGXIN_API_KEY}".
    assert any("${LIANGXIN_API_KEY}" in text for text in reports)
    assert "<testcase" in runs["no_auth_check"].files["no_auth_check.xml"]


def test_budget_caps_accepted_tasks(runs: dict[str, Run], budget_mock: MockServer) -> None:
    """Over HTTP, no more createTask calls are accepted than --max-paid-tasks allows."""
    run = runs["budget"]
    assert run.code == 0, run.tail
    accepted = budget_mock.stats()["createTask"]
    assert 0 < accepted <= BUDGET, f"{accepted} tasks accepted with --max-paid-tasks {BUDGET}"
    assert "paid-task budget spent" in run.stdout


def test_base_url_needs_a_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "liangxin_conformance", "--base-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2
    assert "--api-key" in done.stderr
