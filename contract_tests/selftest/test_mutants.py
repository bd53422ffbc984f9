"""The suite can fail: it is red on every mutant, naming the broken rule, and green on the mock.

Each run is `liangxin-conformance` on the in-process target with small max-examples, stopping at
the first failing test (see `runs.py`).
"""

from __future__ import annotations

import pytest

from selftest.mutants import MUTANTS, VARIANTS
from selftest.runs import Run

#: The first self-test waits for every suite run (`conftest.runs`), two at a time.
pytestmark = pytest.mark.timeout(1200)


def test_real_mock_conforms(runs: dict[str, Run]) -> None:
    run = runs["mock"]
    assert run.code == 0 and not run.rules, run.tail


@pytest.mark.parametrize("name", sorted(VARIANTS))
def test_guesses_refuted_are_not_violations(runs: dict[str, Run], name: str) -> None:
    """A service that keeps every documented fact conforms, whatever it does to our guesses;
    what contradicts a guess is in the guess log (and the report's own section)."""
    run, variant = runs[name], VARIANTS[name]
    assert run.code == 0 and not run.rules, run.tail
    refuted = run.guesses["refuted"]
    kinds = {r["rule"] for r in refuted}
    assert set(variant.refuted) <= kinds, f"{name}: refuted {sorted(kinds)}"
    assert not kinds & set(variant.not_refuted), f"{name}: refuted {sorted(kinds)}"
    for text in variant.guesses:
        assert any(text in r["guess"] for r in refuted), (text, refuted[:5])
    assert run.guesses["resting"] > 0
    report = run.files[f"{name}.md"]
    assert "checks resting on guesses" in report
    assert ("## Guesses refuted — update the contract" in report) == bool(refuted)
    assert "checks rest on guesses" in run.stdout


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_caught(runs: dict[str, Run], name: str) -> None:
    run = runs[name]
    assert run.code == 1, f"the suite did not fail on mutant {name}:\n{run.tail}"
    expected = set(MUTANTS[name].rules)
    assert run.rules & expected, (
        f"{name}: expected one of {sorted(expected)}, got {sorted(run.rules)} {run.errors}"
    )
