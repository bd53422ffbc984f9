"""CI over real HTTP (`python -m liangxin_conformance.ci_http_run`, run by `nox -s contract`).

Starts `liangxin-mock` on 127.0.0.1 (free port, fresh temp database, short tasks, a known key),
then (a) `schemathesis run` on the contract with every phase and check and a config file that
makes positive data expect 2xx, and (b) `liangxin-conformance` over HTTP, checking its JUnit and
report files exist. The mock is stopped whatever happens; exit non-zero if anything failed.
"""

from __future__ import annotations

import argparse
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path

from liangxin_conformance import preflight
from liangxin_conformance.schemas import REJECTION_STATUSES

SCHEMATHESIS_TOML = """\
# Written by liangxin_conformance.ci_http_run; passed with --config-file (never read from the CWD).
hooks = "liangxin_conformance.st_hooks"

[generation]
database = "none"

[checks.positive_data_acceptance]
# A wrong key makes every answer 401: schema-valid data must get a 2xx.
expected-statuses = ["2XX"]

[checks.negative_data_rejection]
expected-statuses = {rejections}

[[operations]]
# A generated taskId names no task: 404 is the documented answer there.
include-operation-id = "getTaskDetails"
checks.positive_data_acceptance.expected-statuses = ["2XX", "404"]
"""


def _tool(name: str, module: str) -> list[str]:
    """The console script next to this interpreter, else `python -m module`."""
    script = Path(sys.executable).with_name(name)
    return [str(script)] if script.exists() else [sys.executable, "-m", module]


@contextmanager
def running_mock(workdir: Path, key: str) -> Iterator[str]:
    """Start liangxin-mock on a free loopback port; yield its base URL; always stop it."""
    cmd = [*_tool("liangxin-mock", "liangxin_mock"), "--host", "127.0.0.1", "--port", "0"]
    cmd += ["--db", str(workdir / "mock.db"), "--task-seconds", "0.5", "--seed", "1"]
    cmd += ["--api-key", key, "--allow-http-callbacks"]
    log_path = workdir / "mock.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, text=True)
    try:
        url = _wait_ready(proc, log_path)
        print(f"ci_http_run: liangxin-mock at {url} (pid {proc.pid})", flush=True)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        print(f"ci_http_run: liangxin-mock stopped (exit {proc.returncode})", flush=True)


def _wait_ready(proc: subprocess.Popen[str], log: Path, timeout: float = 30.0) -> str:
    """The base URL the mock prints, once it answers HTTP."""
    deadline = time.monotonic() + timeout
    url = None
    while url is None:
        match = re.search(r"listening on (http://\S+)", log.read_text())
        if match:
            url = match.group(1).rstrip("/")
        elif proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(
                f"liangxin-mock did not start (exit {proc.poll()}): {log.read_text()}"
            )
        else:
            time.sleep(0.05)
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/openapi.json", timeout=2):
                return url
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"liangxin-mock at {url} did not answer")


def run(cmd: Sequence[str], *, cwd: Path, key: str) -> int:
    """Run a step, echoing its command with the key as `***`."""
    print(f"ci_http_run: $ {' '.join(cmd).replace(key, '***')}", flush=True)
    return subprocess.run(list(cmd), cwd=cwd, check=False).returncode


def schemathesis_run(url: str, key: str, workdir: Path, max_examples: int) -> int:
    config = workdir / "schemathesis.toml"
    config.write_text(
        SCHEMATHESIS_TOML.format(rejections=str(REJECTION_STATUSES).replace("'", '"'))
    )
    with resources.as_file(resources.files("liangxin_contract") / "liangxin.yaml") as spec:
        cmd = [*_tool("schemathesis", "schemathesis.cli"), "--config-file", str(config)]
        cmd += ["run", str(spec), "--url", url, "--phases", "examples,coverage,fuzzing,stateful"]
        cmd += ["--checks", "all", "--max-examples", str(max_examples), "--seed", "1"]
        cmd += ["-H", f"Authorization: Bearer {key}"]
        cmd += ["--report", "junit", "--report-dir", str(workdir / "schemathesis")]
        return run(cmd, cwd=workdir, key=key)


def conformance_run(url: str, key: str, workdir: Path, out: Path) -> int:
    junit, report = out / "junit.xml", out / "report.md"
    for stale in (junit, report):
        stale.unlink(missing_ok=True)
    cmd = [*_tool("liangxin-conformance", "liangxin_conformance"), "--base-url", url]
    cmd += ["--api-key", key]
    cmd += ["--junit", str(junit), "--report", str(report), "--local-mock"]
    cmd += ["--max-paid-tasks", "100000"]  # the mock is free
    code = run(cmd, cwd=workdir, key=key)
    missing = [p.name for p in (junit, report) if not p.is_file()]
    if missing:
        print(f"ci_http_run: liangxin-conformance wrote no {', '.join(missing)}", flush=True)
        return code or 1
    print(
        f"ci_http_run: wrote {junit.name} and {report.name} (keep them with --out DIR)", flush=True
    )
    return code


def main(argv: Sequence[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        prog="python -m liangxin_conformance.ci_http_run", description=__doc__
    )
    p.add_argument("--out", type=Path, help="keep the JUnit XML and report here (default: temp)")
    p.add_argument("--max-examples", type=int, default=100)
    args = p.parse_args(argv)
    if args.out is not None:
        out = preflight.resolve(args.out, Path.cwd())
        problem = preflight.check_directory(out, [])
        if problem:  # before the mock starts: one line, no traceback
            print(f"ci_http_run: could not run: --out {problem}", file=sys.stderr, flush=True)
            return 3
    key = "sk-ci-" + secrets.token_hex(12)
    workdir = Path(tempfile.mkdtemp(prefix="liangxin-ci-http-"))
    out = preflight.resolve(args.out, Path.cwd()) if args.out else workdir / "reports"
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, int] = {}
    started = time.monotonic()
    try:
        with running_mock(workdir, key) as url:
            results["schemathesis run"] = schemathesis_run(url, key, workdir, args.max_examples)
            results["liangxin-conformance"] = conformance_run(url, key, workdir, out)
    except Exception as exc:  # the mock failed to start: report it as a failure
        print(f"ci_http_run: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
        results["liangxin-mock"] = 1
    finally:
        if args.out is None and not any(results.values()):
            shutil.rmtree(workdir, ignore_errors=True)
    for step, code in results.items():
        print(f"ci_http_run: {step}: {'ok' if code == 0 else f'FAILED (exit {code})'}", flush=True)
    print(f"ci_http_run: {time.monotonic() - started:.1f} s", flush=True)
    if any(results.values()) and args.out is None:
        print(f"ci_http_run: artifacts kept in {workdir}", flush=True)
    return 0 if results and not any(results.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
