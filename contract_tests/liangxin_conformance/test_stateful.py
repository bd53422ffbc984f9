"""Stateful tests: the createTask → getTaskDetails link, followed until tasks are terminal."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, assume, settings
from hypothesis.errors import Flaky, Unsatisfiable

from liangxin_conformance import guesses, schemas
from liangxin_conformance.cases import check_answer, plan
from liangxin_conformance.lifecycle import follow
from liangxin_conformance.plugin import session_target
from liangxin_conformance.rules import history_violations, record_violations
from liangxin_conformance.schemas import AnyCase
from liangxin_conformance.target import Target
from liangxin_conformance.violations import ContractError, fail_if

TARGET = session_target()
SEEDREAM = {"model": "seedream-v4-5", "input": {"prompt": "A paper boat on a quiet lake, dawn"}}


class LinkMachine(schemas.load(TARGET, "positive").as_state_machine()):  # type: ignore[misc]
    """schemathesis' link-following machine plus our records, lifecycle and budget rules."""

    target: Target = TARGET
    #: Tasks followed to a terminal state, over all scenarios (the test is not vacuous).
    followed = 0
    #: The first violation seen: the service's state changes between runs, so hypothesis' replay
    #: of a failing scenario may generate other steps (`Flaky`); the violation stands.
    found: ContractError | None = None

    @classmethod
    def keep(cls, error: ContractError) -> ContractError:
        if cls.found is None:
            cls.found = error
        return error

    def setup(self) -> None:
        self.created: dict[str, Any] = {}  # taskId → createTask body
        self.states: dict[str, list[str]] = {}

    def call(self, case: AnyCase, **kwargs: Any) -> Any:
        how = plan(self.target, case)
        if not how.send:
            guesses.LOG.skip_one()
            assume(False)  # its outcome rests only on guesses: not paid for on a live service
        if how.paid and not self.target.budget.reserve():
            self.target.budget.skip_one()
            assume(False)  # this scenario would cost a task the budget no longer has
        status = None
        try:
            response = case.call(**kwargs)
            status = response.status_code
        finally:
            if how.operation == "createTask":
                self.target.budget.settle(status, reserved=how.paid)
        self.target.note(response)
        return response

    def validate_response(self, response: Any, case: AnyCase, **kwargs: Any) -> None:
        try:
            self._validate(response, case)
        except ContractError as error:
            raise self.keep(error) from None

    def _validate(self, response: Any, case: AnyCase) -> None:
        fail_if(check_answer(self.target, case, plan(self.target, case), response))
        curl = schemas.curl_for(self.target, case, response)
        op = schemas.operation_id(case)
        if response.status_code != 200:
            return
        body = response.json()
        if op == "createTask":
            self.created[body["data"]["taskId"]] = case.body
        elif op == "getTaskDetails":
            task_id = str(case.query.get("taskId"))
            sent = self.created.get(task_id)
            fail_if(record_violations(body.get("data"), task_id=task_id, sent=sent, curl=curl))
            self.states.setdefault(task_id, []).append(body["data"]["state"])
            fail_if(history_violations(self.states[task_id], curl, from_creation=False))

    def teardown(self) -> None:
        # Follow every task this scenario created to its terminal state.
        with self.target.client() as client:
            for task_id, sent in self.created.items():
                seen = follow(self.target, client, task_id, sent, from_creation=False)
                history = self.states.get(task_id, []) + seen.states
                try:
                    fail_if(seen.violations + history_violations(history, from_creation=False))
                except ContractError as error:
                    raise self.keep(error) from None
                LinkMachine.followed += 1
        super().teardown()


def test_links_until_terminal() -> None:
    """schemathesis follows createTask → getTaskDetails; every created task must finish cleanly.

    On a budget, scenarios are sized so that even all-createTask scenarios fit in it.
    """
    remaining = TARGET.budget.remaining
    if remaining is None:
        examples, steps = min(TARGET.max_examples, 10), 6
    elif remaining < 2:
        pytest.skip(f"paid-task budget: the stateful scenario needs 2 tasks, {remaining} left")
    else:
        steps = min(6, remaining)
        examples = max(1, min(TARGET.max_examples, remaining // steps))
    try:
        LinkMachine.run(
            settings=settings(
                max_examples=examples,
                stateful_step_count=steps,
                deadline=None,
                database=None,
                suppress_health_check=list(HealthCheck),
                # Each scenario waits for its tasks to finish: report the first failure unshrunk.
                phases=[Phase.explicit, Phase.generate],
                report_multiple_bugs=False,
            )
        )
    except Unsatisfiable:
        pytest.skip("paid-task budget spent before a scenario could complete")
    except Flaky:
        if LinkMachine.found is not None:  # replay differed; report what was seen
            raise LinkMachine.found from None
        raise
    assert LinkMachine.followed > 0, "no scenario created a task to follow"


def test_lifecycle_from_creation(target: Target) -> None:
    """A fresh task is seen non-terminal, moves forward only, and ends in success or fail."""
    target.budget.require("lifecycle task")
    from liangxin_conformance.lifecycle import create

    client = target.client()
    response, violations = create(target, client, SEEDREAM)
    fail_if(violations)
    seen = follow(target, client, response.json()["data"]["taskId"], SEEDREAM)
    fail_if(seen.violations)


@pytest.mark.parametrize("code", ["500", "422"])
def test_lifecycle_forced_failure(target: Target, code: str) -> None:
    """Mock only (X-Mock-Fail): a failed task names failCode/failMsg and has no result."""
    if not target.mock_headers:
        pytest.skip("needs the mock's X-Mock-Fail header")
    target.budget.require("forced-failure task")
    from liangxin_conformance.lifecycle import create

    client = target.client()
    response, violations = create(target, client, SEEDREAM, headers={"X-Mock-Fail": code})
    fail_if(violations)
    seen = follow(target, client, response.json()["data"]["taskId"], SEEDREAM)
    fail_if(seen.violations)
    assert seen.terminal is not None and seen.terminal["data"]["state"] == "fail"
