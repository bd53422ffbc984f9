"""Probes of guesses: bodies that break only an inferred constraint of the contract.

The contract guesses that the service refuses them; the docs do not say so. A refusal agrees
with the guess, an acceptance refutes it: logged under "Guesses refuted — update the contract",
never a violation. Each probe may be accepted (and cost a task), so against a live service the
probes run only with `--include-inferred`.
"""

from __future__ import annotations

from typing import Any

import pytest

from liangxin_conformance.guesses import ACCEPTED, LOG, describe
from liangxin_conformance.lifecycle import json_violations
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if
from liangxin_contract import check_create_task

PROBES: dict[str, dict[str, Any]] = {
    "imagen4-fast-seed-0": {"model": "imagen4-fast", "input": {"prompt": "A red kite", "seed": 0}},
    "gemini-4-images": {
        "model": "gemini-2.5-flash-image-preview",
        "input": {"prompt": "A red kite", "reference_images": ["https://e.com/a.png"] * 4},
    },
    "z-image-size-outside-list": {
        "model": "z-image",
        "input": {"prompt": "A red kite", "image_size": "square_xl"},
    },
    "seedream-blank-prompt": {"model": "seedream-v4-5", "input": {"prompt": "   "}},
    "nano-banana-url-without-extension": {
        "model": "nano-banana-pro",
        "input": {"prompt": "A red kite", "image_input": ["https://e.com/render?id=1"]},
    },
}


@pytest.mark.parametrize("name", sorted(PROBES))
def test_guess_probe(target: Target, name: str) -> None:
    body = PROBES[name]
    verdict = check_create_task(body)
    if verdict.documented or not verdict.inferred:
        # The contract changed: the probe no longer breaks exactly guesses.
        fail_if([Violation("suite.stale-probe", f"{name}: {verdict.violations!r}")])
    if not target.tests_guesses:
        pytest.skip(f"probe {name} may cost a task and tests only a guess (--include-inferred)")
    target.budget.require(f"guess probe {name}")
    status: int | None = None
    try:
        response = target.client().post("/api/v1/jobs/createTask", json=body)
        status = response.status_code
    finally:
        target.budget.settle(status)
    LOG.rests()
    curl = target.curl(response.request)
    if 200 <= response.status_code < 300:
        guess, detail = describe(verdict)
        message = f"HTTP {response.status_code} for {detail}: accepted, the contract guesses a 400"
        LOG.refute(ACCEPTED, guess, message, curl)
    fail_if(json_violations(target, "createTask", response, "liangxin.create"))
