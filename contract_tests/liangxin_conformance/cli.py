"""`liangxin-conformance`: run the conformance suite against a service; exit 0 iff it conforms.

Before anything is sent, every output path (resolved against the caller's working directory) is
checked writable and the service is asked one free question (`preflight`); a set-up problem is
one line and exit 3. The suite then runs in a pytest subprocess (in a scratch directory, so no
config or cache of the caller's working directory is read or written) and writes its files
there; they are copied where the user asked. The API key travels by environment only, and is
replaced by `***` in everything printed and in the JUnit, Markdown and JSON files.
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

from liangxin_conformance import preflight
from liangxin_conformance.report import key_refused, load_json, no_guesses, redact

PACKAGE = Path(__file__).resolve().parent
#: Exit statuses (docs/conformance.md).
CONFORMANT, NOT_CONFORMANT, USAGE, COULD_NOT_RUN, INTERRUPTED = 0, 1, 2, 3, 130
EXIT_STATUSES = (
    "exit status: 0 conformant, 1 not conformant (violations found), 2 usage error, "
    "3 could not run (the service was not judged: an output cannot be written, the service "
    "cannot be reached or refuses the key, the contract extra is missing), 130 interrupted"
)
#: The files the suite writes in its scratch directory, and the options that ask for a copy:
#: the CLI's own, and the pytest options of the same files given after `--`.
PRODUCTS = {
    "junit.xml": ("--junit", "--junitxml", "--junit-xml"),
    "report.md": ("--report", "--conformance-report"),
    "outcomes.json": ("--json", "--conformance-json"),
}
#: Other pytest options after `--` that name a path: made absolute against the caller's
#: working directory (pytest runs in the scratch directory).
PYTEST_PATH_OPTIONS = ("--basetemp", "--log-file", "--report-log")
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
        "--json", type=Path, help="write the machine-readable outcomes (and the guess log) here"
    )
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


def pytest_command(
    args: argparse.Namespace, scratch: Path, pytest_args: Sequence[str] | None = None
) -> list[str]:
    cmd = [
        sys.executable, "-m", "pytest", str(PACKAGE),
        "-c", str(scratch / "pytest.ini"), "--rootdir", str(scratch),
        # The suite's plugin; no conftest.py above the package (a project's own) is read.
        "-p", "liangxin_conformance.plugin", "--confcutdir", str(PACKAGE),
        # No cache; no hypothesis statistics (base64 blobs) in the JUnit file.
        "-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-q", "-rfEs", "--tb=line",
        "--junitxml", str(scratch / "junit.xml"),
        "--conformance-report", str(scratch / "report.md"),
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
    return cmd + list(args.pytest_args if pytest_args is None else pytest_args)


#: Where the user wants each product: `{product: [(option, absolute path), ...]}`.
Wanted = dict[str, list[tuple[str, Path]]]


def wanted_outputs(args: argparse.Namespace, cwd: Path) -> tuple[Wanted, list[str]]:
    """Every output the user asked for, resolved against `cwd`, and the pytest arguments
    without the output options (which the CLI handles) and with other paths made absolute."""
    wanted: Wanted = {product: [] for product in PRODUCTS}
    owner = {option: product for product, options in PRODUCTS.items() for option in options}
    for option, value in (
        ("--junit", args.junit),
        ("--report", args.report),
        ("--json", args.json),
    ):
        if value is not None:
            wanted[owner[option]].append((option, preflight.resolve(value, cwd)))
    rest: list[str] = []
    tokens = list(args.pytest_args)
    while tokens:
        token = tokens.pop(0)
        name, eq, inline = token.partition("=")
        if name in owner or name in PYTEST_PATH_OPTIONS:
            if not eq and not tokens:
                raise UsageProblem(f"{name} needs a path")
            value = inline if eq else tokens.pop(0)
            path = preflight.resolve(value, cwd)
            if name in owner:
                wanted[owner[name]].append((name, path))
            else:
                rest += [name, str(path)]
        else:
            rest.append(token)
    return wanted, rest


class UsageProblem(Exception):
    """A mistake in the command line (exit 2)."""


def same_file_twice(wanted: Wanted) -> str | None:
    """A usage problem: two different products asked into one file."""
    seen: dict[Path, tuple[str, str]] = {}
    for product, destinations in wanted.items():
        for option, path in destinations:
            other = seen.setdefault(path, (product, option))
            if other[0] != product:
                return f"{other[1]} and {option} name the same file {path}"
    return None


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
        return usage("--base-url needs --api-key or LIANGXIN_API_KEY")
    problem = args.base_url and preflight.check_base_url(args.base_url)
    try:
        wanted, pytest_args = wanted_outputs(args, Path.cwd())
    except UsageProblem as exc:
        return usage(str(exc))
    problem = problem or same_file_twice(wanted)
    if problem:
        return usage(redact(problem, [key]))
    missing = missing_modules()
    if missing:
        return could_not_run(
            f"{', '.join(missing)} not installed (the contract extra):"
            " pip install 'liangxin-client[contract]'"
        )
    made: list[Path] = []
    try:
        for destinations in wanted.values():
            for option, path in destinations:
                problem = preflight.check_writable(path, made)
                if problem:
                    return could_not_run(f"{option} {problem}")
        if args.base_url:
            problem = preflight.probe_service(args.base_url, key)
            if problem:
                return could_not_run(redact(problem, [key]))
        return _run(args, key, wanted, pytest_args)
    except KeyboardInterrupt:
        print("liangxin-conformance: interrupted (no verdict)", file=sys.stderr)
        return INTERRUPTED
    finally:
        preflight.remove_made(made)  # those still empty: nothing was written there


def usage(problem: str) -> int:
    print(f"liangxin-conformance: error: {problem}", file=sys.stderr)
    return USAGE


def could_not_run(problem: str) -> int:
    """A set-up problem: one line, exit 3 (the service was not judged)."""
    print(f"liangxin-conformance: could not run: {problem}", file=sys.stderr)
    return COULD_NOT_RUN


def _run(args: argparse.Namespace, key: str, wanted: Wanted, pytest_args: list[str]) -> int:
    secrets = [key]
    with tempfile.TemporaryDirectory(prefix="liangxin-conformance-") as tmp:
        scratch = Path(tmp)
        (scratch / "pytest.ini").write_text(PYTEST_INI)
        env = {**os.environ, "HYPOTHESIS_STORAGE_DIRECTORY": str(scratch / ".hypothesis")}
        env.pop("LIANGXIN_API_KEY", None)
        if key:
            env["LIANGXIN_API_KEY"] = key
        if not args.base_url:
            env.pop("LIANGXIN_BASE_URL", None)
        with subprocess.Popen(
            pytest_command(args, scratch, pytest_args),
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
        for product, destinations in wanted.items():
            if destinations and not _copy(scratch / product, destinations, secrets):
                code = code or COULD_NOT_RUN
        shutil.rmtree(scratch / ".hypothesis", ignore_errors=True)
        not_run, guessed, refused = _summary(scratch / "outcomes.json")
    if refused and code in (CONFORMANT, NOT_CONFORMANT):
        # Every answer to the key was a refusal: nothing about the service was judged.
        print(f"liangxin-conformance: COULD NOT RUN: {refused}")
        return COULD_NOT_RUN
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


def _copy(produced: Path, destinations: list[tuple[str, Path]], secrets: list[str]) -> bool:
    """Copy a file the suite wrote (redacted) to each destination; False if any is missing."""
    if not produced.exists():
        names = ", ".join(f"{option} {path}" for option, path in destinations)
        print(f"liangxin-conformance: {produced.name} was not produced ({names})", file=sys.stderr)
        return False
    text = redact(produced.read_text(errors="replace"), secrets)
    written = True
    for option, path in destinations:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            print(
                f"liangxin-conformance: could not write {option} {path}: {reason}", file=sys.stderr
            )
            written = False
    return written


def _summary(path: Path) -> tuple[int, dict[str, Any], str | None]:
    """How many tests the run skipped, its guess log (empty when it wrote no outcomes), and
    whether the service refused the key on every request sent with it (what to say)."""
    if not path.exists():
        return 0, no_guesses(), None
    data = load_json(path)
    skipped = sum(o["outcome"] == "skipped" for o in data["outcomes"])
    return skipped, data.get("guesses") or no_guesses(), key_refused(data.get("requests"))
