"""The suite can fail: it is red on every mutant, naming the broken rule, and green on the mock.

Each run is `liangxin-conformance` on the in-process target with small max-examples, stopping at
the first failing test (see `runs.py`).
"""

from __future__ import annotations

import pytest

from contract_tests.mutants import MUTANTS
from contract_tests.selftest.runs import Run


def test_real_mock_conforms(runs: dict[str, Run]) -> None:
    run = runs["mock"]
    assert run.code == 0 and not run.rules, run.tail


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.code == 1, f"the suite did not fail on mutant {name}:\n{run.tail}"
    expected = set(MUTANTS[name].rules)
    assert run.rules & expected, (
        f"{name}: expected one of {sorted(expected)}, got {sorted(run.rules)}"
    )
