"""schemathesis glue: the config the suite runs with, schema loading, failures → violations."""

from __future__ import annotations

import shlex
from typing import Any

import schemathesis
from schemathesis import Case
from schemathesis.config import SchemathesisConfig
from schemathesis.core.failures import Failure, FailureGroup

from liangxin_conformance.target import Target
from liangxin_conformance.violations import ContractError, Violation
from liangxin_contract import load_spec
from liangxin_contract.provenance import Resolver, view

#: A schemathesis case of any operation.
AnyCase = Case[Any]
#: What the contract documents for a rejected request (429 and 5xx are never a rejection).
REJECTION_STATUSES = ["400", "401", "403", "404", "413", "422"]


def config_dict(target: Target, mode: str) -> dict[str, Any]:
    """The schemathesis configuration (the same keys as a `schemathesis.toml`)."""
    return {
        "base-url": target.base_url,
        "generation": {
            "mode": mode,
            "max-examples": target.max_examples,
            "database": "none",
        },
        "phases": {
            # Documented examples are positive data: they run with the positive cases.
            "examples": {"enabled": mode != "negative"},
            "coverage": {"enabled": True},
            "fuzzing": {"enabled": True},
            "stateful": {"enabled": True, "max-steps": 6},
        },
        "checks": {
            "enabled": True,
            # A wrong key turns every answer into 401: valid data must be accepted with a 2xx.
            "positive_data_acceptance": {"expected-statuses": ["2XX"]},
            "negative_data_rejection": {"expected-statuses": REJECTION_STATUSES},
        },
        "operations": [
            {
                # A generated taskId names no task: the docs do not say what answers that (404
                # is inferred, from kie.ai), so either documented rejection is fine.
                "include-operation-id": "getTaskDetails",
                "checks": {
                    "positive_data_acceptance": {"expected-statuses": ["2XX", "400", "404"]}
                },
            }
        ],
        "auth": {"openapi": {"bearerAuth": {"bearer": target.api_key}}},
        "output": {"sanitization": {"enabled": True}},
    }


def contract_for(target: Target) -> dict[str, Any]:
    """The contract schemathesis runs with: requests are generated from the whole contract
    (negative bodies that break only guesses are sorted out case by case, `cases.plan`);
    responses are checked by schemathesis against their documented view only (the inferred
    rest is checked by `cases.guess_findings`, which logs a guess refuted, never a violation).
    Against a paid target, the examples phase replays only the docs' own request examples."""
    from liangxin_conformance.spec import is_ours, response_components

    contract = load_spec()
    resolver = Resolver(load_spec())
    components = contract["components"]["schemas"]
    for name in response_components():
        ref = {"$ref": f"#/components/schemas/{name}"}
        components[name] = view(resolver, ref, documented_only=True)
    if not target.tests_guesses:
        media = contract["paths"]["/api/v1/jobs/createTask"]["post"]["requestBody"]["content"]
        examples = media["application/json"]["examples"]
        media["application/json"]["examples"] = {
            name: ex for name, ex in examples.items() if not is_ours(ex)
        }
    return contract


def load(target: Target, mode: str = "all") -> Any:
    """The contract as a schemathesis schema aimed at `target` (never reads a schemathesis.toml)."""
    config = SchemathesisConfig.from_dict(config_dict(target, mode))
    schema = schemathesis.openapi.from_dict(contract_for(target), config=config)
    if target.app is not None:
        schema.app = target.app
    return schema


def rule_of(failure: Failure) -> str:
    checks = type(failure).checks
    return f"schemathesis.{checks[0] if checks else type(failure).__name__}"


def curl_for(target: Target, case: AnyCase, response: Any) -> str:
    """schemathesis' reproduction with the Authorization actually sent restored; the target's
    key reads `$LIANGXIN_API_KEY` (schemathesis filters the header)."""
    sent = dict(response.request.headers)
    command: str = case.as_curl_command(headers=sent)
    auth = next((v for k, v in sent.items() if k.lower() == "authorization"), None)
    if auth is not None:
        command = command.replace(
            "'Authorization: [Filtered]'", shlex.quote(f"Authorization: {auth}")
        )
    return target.env_key(command)


def as_violations(
    target: Target, group: FailureGroup, case: AnyCase, response: Any
) -> list[Violation]:
    try:
        curl: str | None = curl_for(target, case, response)
    except Exception:  # a reproduction is a convenience; never hide the failure behind it
        curl = None
    return [
        Violation(rule_of(f), f"{f.title}: {f.message}".strip().rstrip(":"), curl)
        for f in group.exceptions
    ]


def validate(target: Target, case: AnyCase, response: Any, **kwargs: Any) -> None:
    """Every enabled schemathesis check; failures become a `ContractError` naming each check."""
    __tracebackhide__ = True
    try:
        case.validate_response(response, **kwargs)
    except FailureGroup as group:
        raise ContractError(as_violations(target, group, case, response)) from None
    except Failure as failure:
        single = FailureGroup([failure])
        raise ContractError(as_violations(target, single, case, response)) from None


def operation_id(case: AnyCase) -> str:
    return str(case.operation.definition.raw.get("operationId", case.operation.label))


def is_positive(case: AnyCase) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode.is_positive
