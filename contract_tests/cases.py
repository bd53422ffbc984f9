"""Run one schemathesis case against the target: budget, every check, the semantic rules."""

from __future__ import annotations

from typing import Any

from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract_tests import schemas
from contract_tests.rules import record_violations
from contract_tests.schemas import AnyCase
from contract_tests.target import Target
from contract_tests.violations import Violation, fail_if
from liangxin_contract import ContractViolation, validate_create_task


def use_callback_sink(target: Target, case: AnyCase) -> None:
    """Point a positive createTask case's `callBackUrl` at the target's sink (still valid), so
    no service POSTs to the random hosts generation invents."""
    body = case.body
    if (
        schemas.operation_id(case) == "createTask"
        and schemas.is_positive(case)
        and isinstance(body, dict)
        and isinstance(body.get("callBackUrl"), str)
    ):
        body["callBackUrl"] = target.callback_sink


def cross_field_problem(case: AnyCase) -> str | None:
    """Why a createTask body breaks the contract's rules, schema or `x-liangxin-rules` (or None)."""
    try:
        validate_create_task(case.body)
    except ContractViolation as violation:
        return violation.message
    return None


def may_be_accepted(target: Target, case: AnyCase) -> bool:
    """Could this createTask cost a task? Its body is valid and it carries the target's key."""
    auth = case.headers.get("Authorization") if case.headers else None
    if auth is not None and auth != f"Bearer {target.api_key}":
        return False
    return cross_field_problem(case) is None


def rule_exemption(case: AnyCase) -> tuple[str | None, list[Any]]:
    """(problem, checks to skip) for a positive createTask that breaks an `x-liangxin-rules` rule.

    Such a body is valid for JSON Schema but documented as a 400, so `positive_data_acceptance`
    does not apply and `cross_field_violations` checks the 400 instead.
    """
    if schemas.operation_id(case) != "createTask" or not schemas.is_positive(case):
        return None, []
    problem = cross_field_problem(case)
    return problem, ([positive_data_acceptance] if problem else [])


def cross_field_violations(problem: str | None, response: Any, curl: str) -> list[Violation]:
    if problem is None or response.status_code == 400:
        return []
    message = (
        f"body breaks a documented rule ({problem}) but got HTTP {response.status_code}, not 400"
    )
    return [Violation("liangxin.rules.cross-field", message, curl)]


def run_case(target: Target, case: AnyCase) -> Any:
    """Send `case` and validate the response; raise `ContractError` naming each broken rule.

    A createTask that may be accepted is sent only while the paid-task budget lasts; otherwise
    it is counted as unsent and passes without a request (returns None).
    """
    __tracebackhide__ = True
    op = schemas.operation_id(case)
    use_callback_sink(target, case)
    problem, excluded = rule_exemption(case)
    paid = op == "createTask" and may_be_accepted(target, case)
    if paid and not target.budget.reserve():
        target.budget.skip_one()
        return None
    status: int | None = None
    try:
        response = case.call()
        status = response.status_code
    finally:
        if op == "createTask":
            target.budget.settle(status, reserved=paid)
    schemas.validate(target, case, response, excluded_checks=excluded)
    curl = schemas.curl_for(target, case, response)
    violations = cross_field_violations(problem, response, curl)
    if op == "getTaskDetails" and response.status_code == 200:
        violations += record_violations(response.json().get("data"), curl=curl)
    fail_if(violations)
    return response
