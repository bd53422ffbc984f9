"""Checks, one session per thing checked. `nox` runs every default session.

Sessions run in the current environment (`python=False`): the README's set-up command installs
`.[dev]` once, which pins the toolchain that shapes generated code (openapi-python-client, ruff).
"""

from __future__ import annotations

import os

import nox

# The checks never use the user's own service: `pytest contract_tests` would test whatever
# LIANGXIN_BASE_URL names (on purpose, when run by hand), so the sessions run without any
# LIANGXIN_* variable. HOME and the XDG directories are made private for every pytest run by
# the repository's conftest.py. LIANGXIN_TEST_ARTIFACTS (where tests leave screenshots) is an
# output, not a setting: it goes through, and conftest.py takes it out of the tests' environment.
for _name in [
    n for n in os.environ if n.startswith("LIANGXIN_") and n != "LIANGXIN_TEST_ARTIFACTS"
]:
    del os.environ[_name]

nox.options.sessions = ["spec", "lint", "drift", "tests", "contract"]
nox.options.error_on_missing_interpreters = True

HAND_WRITTEN = [
    "_liangxin_entry",
    "liangxin_contract",
    "liangxin_client",
    "liangxin_mock",
    "contract_tests",
    "generator",
    "tests",
    "bench",
    "examples",
    "noxfile.py",
    "conftest.py",
]


@nox.session(python=False)
def spec(session: nox.Session) -> None:
    """The contract is valid OpenAPI 3.1, passes the house lint, and says what the docs say;
    the docs snapshot and its importer are tested."""
    session.run("python", "-m", "openapi_spec_validator", "openapi/liangxin.yaml")
    session.run("python", "-m", "generator", "lint")
    session.run("python", "-m", "generator", "docs-check")
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "tests/test_spec.py",
        "tests/test_docs_check.py",
        "tests/test_docs_import.py",
    )


@nox.session(python=False)
def lint(session: nox.Session) -> None:
    """Hand-written code is formatted, lint-clean and strictly typed."""
    session.run("ruff", "check", *HAND_WRITTEN)
    session.run("ruff", "format", "--check", *HAND_WRITTEN)
    session.run(
        "mypy",
        "--strict",
        "_liangxin_entry",
        "generator",
        "liangxin_contract",
        "liangxin_client",
        "liangxin_mock",
        "contract_tests",
        "bench",
        "examples",
    )


@nox.session(python=False)
def generate(session: nox.Session) -> None:
    """Regenerate liangxin_client/_generated from the contract (not part of the default run)."""
    session.run("python", "-m", "generator", "generate")


@nox.session(python=False)
def drift(session: nox.Session) -> None:
    """The committed generated client is exactly what the pinned generator makes from the spec."""
    session.run("python", "-m", "generator", "check")
    session.run("mypy", "--strict", "liangxin_client/_generated")


@nox.session(python=False)
def tests(session: nox.Session) -> None:
    """Unit and integration tests of the hand-written code, against the mock on loopback."""
    session.run("python", "-m", "pytest", "-q", *session.posargs)


@nox.session(python=False)
def contract(session: nox.Session) -> None:
    """Conformance: schemathesis against the mock (in-process, then over HTTP), mutants red."""
    session.run("python", "-m", "pytest", "-q", "contract_tests", *session.posargs)
    session.run("python", "-m", "liangxin_conformance.ci_http_run")


@nox.session(python=False)
def bench(session: nox.Session) -> None:
    """Benchmarks; results are recorded by hand in bench/RESULTS.md."""
    session.run("python", "-m", "bench", *session.posargs)
