"""pytest options, the session's target, test ordering and the violation report.

`liangxin-conformance` loads it with `-p liangxin_conformance.plugin`; in the repository,
`contract_tests/conftest.py` names it in `pytest_plugins`, so `pytest contract_tests` (the suite
and its self-tests) shares it.
"""

from __future__ import annotations

import ipaddress
import json
from collections.abc import Generator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from liangxin_conformance import preflight
from liangxin_conformance import target as targets
from liangxin_conformance.guesses import LOG
from liangxin_conformance.report import (
    Outcome,
    key_refused,
    violations_from,
    write_json,
    write_markdown,
)
from liangxin_conformance.target import Target

_TARGET: Target | None = None
_OUTCOMES: dict[str, Outcome] = {}
#: Run order: free checks first, paid ones by value; self-tests last.
ORDER = (
    "test_docs_errors",
    "test_operations.py::test_negative",
    "test_stateful",
    "test_callbacks",
    "test_client_contract",
    "test_docs_requests",
    "test_guesses",
    "test_operations.py::test_positive",
    "selftest/",
)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("liangxin", "LiangXin conformance")
    group.addoption(
        "--base-url", help="service to test (env LIANGXIN_BASE_URL); default: the mock, in-process"
    )
    group.addoption("--api-key", help="API key for --base-url (env LIANGXIN_API_KEY)")
    group.addoption(
        "--max-examples",
        type=int,
        default=None,
        help="generated cases per operation and mode (default 25; live 10)",
    )
    group.addoption(
        "--max-paid-tasks",
        type=int,
        default=None,
        help="accepted createTask calls allowed (default 5 live, unlimited in-process)",
    )
    group.addoption(
        "--target-app",
        help="in-process ASGI app factory `module:function(MockConfig)` instead of the mock",
    )
    group.addoption(
        "--local-mock",
        action="store_true",
        help="the --base-url service is a liangxin-mock on this machine started with"
        " --allow-http-callbacks: also run the loopback-callback and X-Mock-Fail tests",
    )
    group.addoption(
        "--include-inferred",
        action="store_true",
        help="against a live service, also pay for requests whose outcome rests only on guesses:"
        " our own examples, guessed models and fields, probes of inferred constraints",
    )
    group.addoption("--conformance-report", help="write the Markdown violation report here")
    group.addoption("--conformance-json", help="write the machine-readable report here")


def _option(config: pytest.Config, name: str, env: str | None = None) -> Any:
    value = config.getoption(name)
    if value is None and env is not None:
        value = targets.env(env)
    return value


def _is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def build_target(config: pytest.Config) -> Target:
    base_url = _option(config, "base_url", "LIANGXIN_BASE_URL")
    api_key = _option(config, "api_key", "LIANGXIN_API_KEY")
    max_examples = config.getoption("max_examples")
    max_paid = config.getoption("max_paid_tasks")
    if base_url:
        if not api_key:
            raise pytest.UsageError("--base-url needs --api-key (or LIANGXIN_API_KEY)")
        return targets.live(
            base_url=base_url,
            api_key=api_key,
            max_examples=10 if max_examples is None else max_examples,
            max_paid_tasks=max_paid,
            local_mock=bool(config.getoption("local_mock")) and _is_loopback(base_url),
            include_inferred=bool(config.getoption("include_inferred")),
        )
    return targets.in_process(
        api_key=api_key,
        app_factory=config.getoption("target_app"),
        max_examples=25 if max_examples is None else max_examples,
        max_paid_tasks=max_paid,
    )


def session_target() -> Target:
    """The target of this pytest session (built when pytest is configured)."""
    if _TARGET is None:
        raise RuntimeError("liangxin_conformance.plugin is not configured")
    return _TARGET


def check_outputs(config: pytest.Config) -> None:
    """The report paths can be written (before anything is sent), else a usage error."""
    made: list[Path] = []
    try:
        for option in ("conformance_report", "conformance_json"):
            if value := config.getoption(option):
                path = preflight.resolve(value, config.invocation_params.dir)
                if problem := preflight.check_writable(path, made):
                    flag = "--" + option.replace("_", "-")
                    raise pytest.UsageError(f"{flag} {problem}")
    finally:
        preflight.remove_made(made)  # made again when the report is written


def _output(config: pytest.Config, option: str) -> Path | None:
    value = config.getoption(option)
    if not value:
        return None
    path = preflight.resolve(value, config.invocation_params.dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


def pytest_configure(config: pytest.Config) -> None:
    global _TARGET
    check_outputs(config)
    _TARGET = build_target(config)
    _OUTCOMES.clear()
    LOG.clear()
    config.addinivalue_line("markers", "paid: sends createTask requests meant to be accepted")


def pytest_report_header(config: pytest.Config) -> str:
    target = session_target()
    budget = "unlimited" if target.budget.limit is None else str(target.budget.limit)
    return f"liangxin target: {target.label} (paid-task budget {budget}, max-examples {target.max_examples})"


def _rank(item: pytest.Item) -> int:
    node = item.nodeid
    for rank, key in enumerate(ORDER):
        if key in node:
            return rank
    return len(ORDER)


def _rename(item: pytest.Item, nodeid: str) -> None:
    try:  # pytest 9 keeps a parsed node id
        from _pytest.nodeid import coerce_node_id

        item._id = coerce_node_id(nodeid)
    except ImportError:  # pragma: no cover - pytest < 9
        item._nodeid = nodeid  # type: ignore[attr-defined]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        # schemathesis gives every operation of one test the same node id; name the operation.
        label = getattr(item, "operation_label", None)
        if label and not item.nodeid.endswith("]"):
            _rename(item, f"{item.nodeid}[{label}]")
    items.sort(key=_rank)  # stable: keeps the order within a group


@pytest.fixture(scope="session")
def target() -> Target:
    return session_target()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.when == "call" or (report.when == "setup" and not report.passed):
        outcome = "failed" if report.failed else ("skipped" if report.skipped else "passed")
        violations = (
            list(violations_from(call.excinfo.value)) if report.failed and call.excinfo else []
        )
        detail = ""
        if report.skipped and isinstance(report.longrepr, tuple):
            detail = str(report.longrepr[2]).removeprefix("Skipped: ")
        _OUTCOMES[item.nodeid] = Outcome(item.nodeid, outcome, violations, detail)
        for violation in violations:  # JUnit reads them from the item (teardown report)
            item.user_properties.append(("violation", f"[{violation.rule}] {violation.message}"))
    return report


def pytest_sessionfinish(session: pytest.Session) -> None:
    target = _TARGET
    if target is None:
        return
    outcomes = [o for o in _OUTCOMES.values() if "selftest/" not in o.test]
    secrets = [target.api_key]
    label = target.label
    guessed = LOG.as_dict()
    answers = target.key_answers()
    if path := _output(session.config, "conformance_report"):
        write_markdown(path, label, outcomes, secrets, guessed, answers)
    if path := _output(session.config, "conformance_json"):
        write_json(path, label, outcomes, secrets, guessed, answers)
    budget = target.budget
    session.config.stash[_SUMMARY] = json.dumps(
        {
            "paid_tasks": budget.spent,
            "limit": budget.limit,
            "unsent": budget.unsent,
            "guesses": {k: guessed[k] for k in ("resting", "unsent")},
            "refuted": len(guessed["refuted"]),
            "key_refused": key_refused(answers),
        }
    )
    target.close()


_SUMMARY = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    if _SUMMARY in config.stash:
        summary = json.loads(config.stash[_SUMMARY])
        limit = "unlimited" if summary["limit"] is None else summary["limit"]
        terminalreporter.write_line(
            f"liangxin: accepted createTask calls {summary['paid_tasks']} (budget {limit}),"
            f" {summary['unsent']} left unsent for lack of budget"
        )
        terminalreporter.write_line(
            f"liangxin: {summary['guesses']['resting']} checks rest on guesses,"
            f" {summary['refuted']} guesses refuted (not violations),"
            f" {summary['guesses']['unsent']} guess-only requests left unsent"
        )
        if summary["key_refused"]:
            terminalreporter.write_line(f"liangxin: {summary['key_refused']}")
