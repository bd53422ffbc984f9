"""Facts block, guesses do not: how the suite judges bodies, paid targets and the report."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from liangxin_conformance import st_hooks
from liangxin_conformance.budget import PaidTaskBudget
from liangxin_conformance.cases import judge
from liangxin_conformance.guesses import basis
from liangxin_conformance.report import Outcome, render_markdown
from liangxin_conformance.schemas import contract_for
from liangxin_conformance.target import Target
from liangxin_conformance.test_guesses import PROBES

SEEDREAM_5_4 = {"model": "seedream-v4-5", "input": {"prompt": "A red kite", "aspect_ratio": "5:4"}}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_a_body_breaking_only_guesses_is_not_a_negative_case(name: str) -> None:
    got = judge(PROBES[name])
    assert got.documented is None and got.inferred and got.rests_on_guesses


def test_a_documented_violation_is_a_negative_case() -> None:
    got = judge(SEEDREAM_5_4)
    assert got.documented is not None and "aspect_ratio" in got.documented
    assert not got.rests_on_guesses
    assert judge({"model": "no-such-model", "input": {"prompt": "x"}}).documented


@pytest.mark.parametrize(
    "body, expected",
    [
        ({"model": "seedream-v4-5", "input": {"prompt": "x", "aspect_ratio": "1:1"}}, None),
        ({"model": "imagen4-fast", "input": {"prompt": "x"}}, "model imagen4-fast"),
        ({"model": "seedream-v4-5-edit", "input": {"prompt": "x"}}, "input schema is inferred"),
        ({"model": "kling-v3-pro", "input": {"prompt": "x"}}, "partly known"),
        ({"model": "z-image", "input": {"prompt": "x", "image_size": "square"}}, "image_size"),
        ({"model": "seedream-v4-5", "input": {"prompt": "x", "foo": 1}}, "not in the contract"),
    ],
)
def test_what_acceptance_rests_on(body: dict[str, Any], expected: str | None) -> None:
    got = basis(body)
    if expected is None:
        assert got == []
    else:
        assert any(expected in reason for reason in got), got


def _case(body: Any) -> Any:
    raw = {"operationId": "createTask"}
    return SimpleNamespace(
        body=body, operation=SimpleNamespace(definition=SimpleNamespace(raw=raw))
    )


def _failure(check: str) -> Any:
    return type("F", (), {"checks": (check,)})()


def test_schemathesis_cli_hook_keeps_only_documented_failures() -> None:
    accepted = SimpleNamespace(status_code=200)
    refused = SimpleNamespace(status_code=400)
    negative = _failure("negative_data_rejection")
    positive = _failure("positive_data_acceptance")
    seed_0 = PROBES["imagen4-fast-seed-0"]
    assert st_hooks.filter_failure(None, negative, _case(seed_0), accepted) is False
    assert st_hooks.filter_failure(None, negative, _case(SEEDREAM_5_4), accepted) is True
    guessed = {"model": "imagen4-fast", "input": {"prompt": "x"}}
    assert st_hooks.filter_failure(None, positive, _case(guessed), refused) is False
    documented = {"model": "seedream-v4-5", "input": {"prompt": "x"}}
    assert st_hooks.filter_failure(None, positive, _case(documented), refused) is True


def _target(*, include_inferred: bool) -> Target:
    return Target(
        base_url="https://liangxin.example",
        api_key="sk-x",
        budget=PaidTaskBudget(5),
        max_examples=1,
        include_inferred=include_inferred,
    )


def test_paid_examples_phase_replays_only_the_docs_examples() -> None:
    def examples(target: Target) -> set[str]:
        post = contract_for(target)["paths"]["/api/v1/jobs/createTask"]["post"]
        return set(post["requestBody"]["content"]["application/json"]["examples"])

    assert examples(_target(include_inferred=False)) == {"seedream-minimal", "seedream-callback"}
    assert "imagen4-fast" in examples(_target(include_inferred=True))


def test_schemathesis_checks_responses_against_the_documented_view() -> None:
    record = contract_for(_target(include_inferred=False))["components"]["schemas"]
    created = record["RecordInfoResponse"]["properties"]["data"]["properties"]["createTime"]
    assert "type" not in created  # inferred: checked by the suite as a guess, not by schemathesis


def test_refuted_guesses_have_their_own_section_and_keep_the_verdict() -> None:
    refuted = {
        "rule": "guess.accepted",
        "guess": "imagen4-fast: input.seed (minimum), inferred",
        "message": "HTTP 200",
        "curl": None,
        "test": "t",
    }
    text = render_markdown(
        "https://liangxin.example",
        [Outcome("t", "passed", [])],
        {"resting": 3, "unsent": 1, "refuted": [refuted]},
    )
    assert "**CONFORMANT**" in text
    assert "## Guesses refuted — update the contract" in text
    assert "checks resting on guesses (inferred parts of the contract): 3" in text
