"""`liangxin-conformance`: run the conformance suite against a service; exit 0 iff it conforms.

The suite runs in a pytest subprocess (in a scratch directory, so no config or cache of the
caller's working directory is read or written); the API key travels by environment only, and is
replaced by `***` in everything printed and in the JUnit and Markdown files.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from liangxin_conformance.report import load_json, no_guesses, redact

PACKAGE = Path(__file__).resolve().parent
#: Exit statuses (docs/conformance.md).
CONFORMANT, NOT_CONFORMANT, USAGE, COULD_NOT_RUN, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_STATUSES = (
    "exit status: 0 conformant, 1 not conformant (violations found), 2 usage error, "
    "3 could not run (e.g. the contract extra is missing; the service was not judged), "
    "130 interrupted"
)
#: What the suite imports beyond the base install: the `contract` extra (and `mock` within it).
SUITE_MODULES = ("pytest", "schemathesis", "hypothesis", "starlette", "uvicorn", "PIL")
PYTEST_INI = """[pytest]
addopts =
junit_family = xunit2
junit_suite_name = liangxin-conformance
junit_logging = no
"""


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="liangxin-conformance",
        description="Check that a LiangXin Market API service behaves as the contract says.",
        epilog="Without --base-url the suite targets the mock, in-process. " + EXIT_STATUSES + ".",
    )
    p.add_argument(
        "--base-url",
        default=os.environ.get("LIANGXIN_BASE_URL"),
        help="service to test (env LIANGXIN_BASE_URL)",
    )
    p.add_argument(
        "--api-key",
        default=None,
        help="API key (prefer env LIANGXIN_API_KEY: argv is visible to other users)",
    )
    p.add_argument(
        "--max-examples",
        type=int,
        help="generated cases per operation and mode (default 10 live, 25 mock)",
    )
    p.add_argument(
        "--max-paid-tasks", type=int, help="accepted createTask calls allowed (default 5 live)"
    )
    p.add_argument("--junit", type=Path, help="write JUnit XML here")
    p.add_argument("--report", type=Path, help="write the Markdown report here")
    p.add_argument(
        "--local-mock",
        action="store_true",
        help="the service is a liangxin-mock on this machine (--allow-http-callbacks):"
        " also run the loopback-callback and X-Mock-Fail tests",
    )
    p.add_argument(
        "--include-inferred",
        action="store_true",
        help="also pay for requests whose outcome rests only on guesses (our own examples,"
        " guessed models and fields, probes of inferred constraints); mocks always get them",
    )
    p.add_argument("--target-app", help=argparse.SUPPRESS)
    p.add_argument("pytest_args", nargs="*", help="extra pytest arguments (after --)")
    return p.parse_args(argv)


def pytest_command(args: argparse.Namespace, scratch: Path, junit: Path, report: Path) -> list[str]:
    cmd = [
        sys.executable, "-m", "pytest", str(PACKAGE),
        "-c", str(scratch / "pytest.ini"), "--rootdir", str(scratch),
        # The suite's plugin; no conftest.py above the package (a project's own) is read.
        "-p", "liangxin_conformance.plugin", "--confcutdir", str(PACKAGE),
        # No cache; no hypothesis statistics (base64 blobs) in the JUnit file.
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q", "-rfEs", "--tb=line",
        "--junitxml", str(junit), "--conformance-report", str(report),
        "--conformance-json", str(scratch / "outcomes.json"),
    ]  # fmt: skip
    if args.base_url:
        cmd += ["--base-url", args.base_url]
    for flag, value in (
        ("--max-examples", args.max_examples),
        ("--max-paid-tasks", args.max_paid_tasks),
        ("--target-app", args.target_app),
    ):
        if value is not None:
            cmd += [flag, str(value)]
    if args.local_mock:
        cmd.append("--local-mock")
    if args.include_inferred:
        cmd.append("--include-inferred")
    return cmd + list(args.pytest_args)


def missing_modules() -> list[str]:
    """The suite's modules that cannot be imported here."""
    missing = []
    for name in SUITE_MODULES:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    return missing


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    key = args.api_key or os.environ.get("LIANGXIN_API_KEY") or ""
    if args.base_url and not key:
        print(
            "liangxin-conformance: --base-url needs --api-key or LIANGXIN_API_KEY", file=sys.stderr
        )
        return USAGE
    missing = missing_modules()
    if missing:
        print(
            f"liangxin-conformance: could not run: {', '.join(missing)} not installed "
            "(the contract extra): pip install 'liangxin-client[contract]'",
            file=sys.stderr,
        )
        print("liangxin-conformance: COULD NOT RUN (the service was not checked)")
        return COULD_NOT_RUN
    try:
        return _run(args, key)
    except KeyboardInterrupt:
        print("liangxin-conformance: interrupted (no verdict)", file=sys.stderr)
        return INTERRUPTED


def _run(args: argparse.Namespace, key: str) -> int:
    secrets = [key]
    with tempfile.TemporaryDirectory(prefix="liangxin-conformance-") as tmp:
        scratch = Path(tmp)
        (scratch / "pytest.ini").write_text(PYTEST_INI)
        junit, report = scratch / "junit.xml", scratch / "report.md"
        env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(scratch / ".hypothesis")}
        env.pop("LIANGXIN_API_KEY", None)
        if key:
            env["LIANGXIN_API_KEY"] = key
        if not args.base_url:
            env.pop("LIANGXIN_BASE_URL", None)
        with subprocess.Popen(
            pytest_command(args, scratch, junit, report),
            cwd=scratch,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
        ) as proc:
            assert proc.stdout is not None
            for line in proc.stdout:
                sys.stdout.write(redact(line, secrets))
                sys.stdout.flush()
            code = proc.wait()
        for produced, wanted in ((junit, args.junit), (report, args.report)):
            if wanted is not None and produced.exists():
                wanted.parent.mkdir(parents=True, exist_ok=True)
                wanted.write_text(redact(produced.read_text(errors="replace"), secrets))
            elif wanted is not None:
                print(f"liangxin-conformance: {produced.name} was not produced", file=sys.stderr)
                code = code or COULD_NOT_RUN
        shutil.rmtree(scratch / ".hypothesis", ignore_errors=True)
        not_run, guessed = _summary(scratch / "outcomes.json")
    if code == CONFORMANT:
        verdict = "CONFORMANT"
    elif code == NOT_CONFORMANT:
        verdict = "NOT CONFORMANT"
    else:  # pytest was interrupted, hit an internal or usage error, or collected nothing
        verdict, code = (
            f"COULD NOT RUN (pytest exit {code}; the service was not judged)",
            COULD_NOT_RUN,
        )
    if not_run and code in (CONFORMANT, NOT_CONFORMANT):
        verdict += f" ({not_run} checks not run, e.g. paid-task budget: see the report)"
    print(f"liangxin-conformance: {verdict}")
    if code in (CONFORMANT, NOT_CONFORMANT):
        refuted = len(guessed["refuted"])
        print(
            f"liangxin-conformance: {guessed['resting']} checks rest on guesses"
            f" ({guessed['unsent']} guess-only requests not sent);"
            f" {refuted} guesses refuted{' (update the contract: see the report)' if refuted else ''}"
        )
    return code


def _summary(path: Path) -> tuple[int, dict[str, Any]]:
    """How many tests the run skipped, and its guess log (empty when it wrote no outcomes)."""
    if not path.exists():
        return 0, no_guesses()
    data = load_json(path)
    skipped = sum(o["outcome"] == "skipped" for o in data["outcomes"])
    return skipped, data.get("guesses") or no_guesses()
