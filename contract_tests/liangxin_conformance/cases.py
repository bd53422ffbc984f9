"""Run one schemathesis case against the target: budget, every check, the semantic rules."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from schemathesis.core.parameters import ParameterLocation
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from liangxin_conformance import guesses, schemas, spec
from liangxin_conformance.rules import record_violations
from liangxin_conformance.schemas import AnyCase
from liangxin_conformance.target import Target
from liangxin_conformance.violations import Violation, fail_if
from liangxin_contract import check_create_task


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


@dataclass(frozen=True)
class Judgement:
    """What the contract says of a createTask body, fact by fact (`check_create_task`)."""

    #: The first documented reason the service must refuse it (a 400), else None.
    documented: str | None = None
    #: The guessed constraints it breaks when it breaks no documented one, else None.
    inferred: str | None = None
    #: How it breaks them (the engine's messages).
    detail: str = ""
    #: The guesses that accepting it rests on (a guessed model or field), for a valid body.
    basis: tuple[str, ...] = ()

    @property
    def rests_on_guesses(self) -> bool:
        """Whether the expected answer (refused, or accepted) is only a guess."""
        return self.documented is None and (self.inferred is not None or bool(self.basis))


def judge(body: Any) -> Judgement:
    """Judge a createTask body with the one rule engine. Deliberately not the service's own
    validator: a service stricter than the documented contract is caught."""
    if not _is_json(body):
        return Judgement(documented="no JSON body")  # e.g. schemathesis' NotSet
    verdict = check_create_task(body)
    if verdict.documented:
        return Judgement(documented=verdict.documented[0].message)
    if verdict.knowledge == "unknown":
        return Judgement(documented=f"unsupported model: {verdict.model}")
    if verdict.inferred:
        guess, detail = guesses.describe(verdict)
        return Judgement(inferred=guess, detail=detail)
    return Judgement(basis=tuple(guesses.basis(body, verdict)))


def body_problem(body: Any) -> str | None:
    """The documented reason a createTask body must be refused (None: the docs accept it)."""
    return judge(body).documented


def _key_is_ours(target: Target, case: AnyCase) -> bool:
    auth = case.headers.get("Authorization") if case.headers else None
    return auth is None or auth == f"Bearer {target.api_key}"


def _only_body_negative(case: AnyCase) -> bool:
    """A negative case whose only mutated component is the body."""
    meta = case.meta
    if meta is None or meta.generation.mode.is_positive:
        return False
    negative = [loc for loc, info in meta.components.items() if info.mode.is_negative]
    return negative == [ParameterLocation.BODY]


@dataclass(frozen=True)
class Plan:
    """How to send one case: may it cost a task, may it be sent, which checks do not apply."""

    operation: str
    judgement: Judgement | None = None
    paid: bool = False
    send: bool = True
    excluded: tuple[Any, ...] = ()


def plan(target: Target, case: AnyCase) -> Plan:
    """Decide, before sending, what a case's answer is held to.

    Only documented facts are held: a negative body that breaks only guesses is not a negative
    case, and a valid body resting on guesses need not be accepted (the answer is logged as a
    guess refuted when it contradicts the guess). Paid requests whose outcome rests only on
    guesses are sent only to free targets, or with `--include-inferred` for positive cases.
    """
    op = schemas.operation_id(case)
    if op != "createTask":
        return Plan(op)
    use_callback_sink(target, case)
    judgement = judge(case.body)
    excluded: list[Any] = []
    if judgement.documented is not None:
        if schemas.is_positive(case):  # valid JSON Schema, broken cross-field rule: a 400
            excluded.append(positive_data_acceptance)
    elif judgement.rests_on_guesses:
        excluded += [positive_data_acceptance, negative_data_rejection]
    elif _only_body_negative(case):  # the engine finds nothing wrong: not a negative case
        excluded.append(negative_data_rejection)
    paid = _key_is_ours(target, case) and judgement.documented is None
    # Live, negative fuzzing stays free: its guess-only bodies are never paid for (the probes of
    # `test_guesses` test the guessed limits, a few tasks, with --include-inferred).
    guesses_paid = target.free or (target.include_inferred and schemas.is_positive(case))
    send = not (paid and judgement.rests_on_guesses and not guesses_paid)
    return Plan(op, judgement, paid, send, tuple(excluded))


def guess_findings(plan: Plan, response: Any, curl: str) -> None:
    """Log the answers that contradict a guess of the contract (never a violation)."""
    judgement = plan.judgement
    status = response.status_code
    if judgement is not None and judgement.rests_on_guesses:
        guesses.LOG.rests()
        if judgement.inferred is not None and 200 <= status < 300:
            message = f"HTTP {status} for {judgement.detail}: accepted, the contract guesses a 400"
            guesses.LOG.refute(guesses.ACCEPTED, judgement.inferred, message, curl)
        elif judgement.inferred is None and status in (400, 422):
            message = f"HTTP {status} for a body valid under the contract: {response.text[:300]}"
            guesses.LOG.refute(guesses.REFUSED, "; ".join(judgement.basis), message, curl)
    try:
        body = response.json()
    except ValueError:
        return
    for error in spec.response_errors(plan.operation, status, body)[1]:
        guesses.LOG.refute_response(plan.operation, status, error, curl)


def cross_field_violations(plan: Plan, case: AnyCase, response: Any, curl: str) -> list[Violation]:
    """A positive body (valid JSON Schema) that breaks a documented cross-field rule: a 400."""
    problem = plan.judgement.documented if plan.judgement else None
    if problem is None or not schemas.is_positive(case) or response.status_code == 400:
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


def check_answer(target: Target, case: AnyCase, plan: Plan, response: Any) -> list[Violation]:
    """Every schemathesis check that applies, then ours; guesses refuted are logged."""
    __tracebackhide__ = True
    schemas.validate(target, case, response, excluded_checks=list(plan.excluded))
    curl = schemas.curl_for(target, case, response)
    guess_findings(plan, response, curl)
    return cross_field_violations(plan, case, response, curl) + envelope_violations(response, curl)


def run_case(target: Target, case: AnyCase) -> Any:
    """Send `case` and validate the response; raise `ContractError` naming each broken rule.

    A createTask that may be accepted is sent only while the paid-task budget lasts (and, when
    its outcome rests only on guesses, only to a free target or with `--include-inferred`);
    otherwise it is counted as unsent and passes without a request (returns None).
    """
    __tracebackhide__ = True
    how = plan(target, case)
    if not how.send:
        guesses.LOG.skip_one()
        return None
    if how.paid and not target.budget.reserve():
        target.budget.skip_one()
        return None
    status: int | None = None
    try:
        response = case.call()
        status = response.status_code
    finally:
        if how.operation == "createTask":
            target.budget.settle(status, reserved=how.paid)
    target.note(response)
    violations = check_answer(target, case, how, response)
    if how.operation == "getTaskDetails" and response.status_code == 200:
        curl = schemas.curl_for(target, case, response)
        violations += record_violations(response.json().get("data"), curl=curl)
    fail_if(violations)
    return response
