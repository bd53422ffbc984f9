"""Run one schemathesis case against the target: budget, every check, the semantic rules."""

from __future__ import annotations

from typing import Any

from schemathesis.specs.openapi.checks import positive_data_acceptance

from contract_tests import schemas, spec
from contract_tests.rules import record_violations
from contract_tests.schemas import AnyCase
from contract_tests.target import Target
from contract_tests.violations import Violation, fail_if
from liangxin_contract import ContractViolation, input_schema
from liangxin_contract.validation import check_rules


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


def _is_json(value: Any) -> bool:
    return isinstance(value, dict | list | str | int | float | bool | None)


def body_problem(body: Any) -> str | None:
    """Why a createTask body breaks the contract (or None): its JSON Schema, checked here with
    jsonschema_rs straight from the spec, or an `x-liangxin-rules` rule. Deliberately not the
    service's own validator, so a service that is stricter than the contract is caught."""
    if not _is_json(body):
        return "no JSON body"  # e.g. schemathesis' NotSet
    errors = spec.schema_errors("CreateTaskRequest", body)
    if errors:
        return errors[0]
    try:
        check_rules(input_schema(body["model"]), body["input"])
    except ContractViolation as violation:
        return violation.message
    return None


def cross_field_problem(case: AnyCase) -> str | None:
    """`body_problem` of a createTask case."""
    return body_problem(case.body)


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


def envelope_violations(response: Any, curl: str) -> list[Violation]:
    """An error answer must be one of the two documented envelopes. The contract's
    `ErrorEnvelope` also admits any object (so generated parsers survive a proxy's body); the
    service itself is held to the documented shapes here."""
    if response.status_code < 400:
        return []
    try:
        body = response.json()
    except ValueError:
        return []  # schemathesis' content-type and schema checks report non-JSON bodies
    if not spec.schema_errors("TaskLayerError", body) or not spec.schema_errors(
        "PlatformError", body
    ):
        return []
    text = str(body)[:200]
    message = f"HTTP {response.status_code} body is in neither documented envelope: {text}"
    return [Violation("liangxin.error.envelope", message, curl)]


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
    violations += envelope_violations(response, curl)
    if op == "getTaskDetails" and response.status_code == 200:
        violations += record_violations(response.json().get("data"), curl=curl)
    fail_if(violations)
    return response
