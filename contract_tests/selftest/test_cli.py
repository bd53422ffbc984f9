"""`liangxin-conformance` itself: the key never leaks, the budget holds, usage errors are errors."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from liangxin_mock import MockServer
from selftest.conftest import BUDGET
from selftest.runs import CANARY, Run

#: The first self-test waits for every suite run (`conftest.runs`), two at a time.
pytestmark = pytest.mark.timeout(1200)


def test_key_never_leaks(runs: dict[str, Run]) -> None:
    """Every run used the canary key; failing runs print requests, bodies and reproductions."""
    for name, run in runs.items():
        for where, text in {"stdout": run.stdout, "stderr": run.stderr, **run.files}.items():
            assert CANARY not in text, f"the key leaked into {where} of the {name} run"
    reports = [
        text for run in runs.values() for name, text in run.files.items() if name.endswith(".md")
    ]
    # Reproductions send the key as "Authorization: Bearer ${LIANGXIN_API_KEY}".
    assert any("${LIANGXIN_API_KEY}" in text for text in reports)
    assert "<testcase" in runs["no_auth_check"].files["no_auth_check.xml"]


def test_budget_caps_accepted_tasks(runs: dict[str, Run], budget_mock: MockServer) -> None:
    """Over HTTP, no more createTask calls are accepted than --max-paid-tasks allows."""
    run = runs["budget"]
    assert run.code == 0, run.tail
    accepted = budget_mock.stats()["createTask"]
    assert 0 < accepted <= BUDGET, f"{accepted} tasks accepted with --max-paid-tasks {BUDGET}"
    assert "paid-task budget spent" in run.stdout


def test_base_url_needs_a_key() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "liangxin_conformance", "--base-url", "http://127.0.0.1:9"],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert done.returncode == 2
    assert "--api-key" in done.stderr


# ------------------------------------------------------------------ set-up checks (exit 3)
#: `contract_tests/`, so the runs import `selftest.mutants` whether or not the project is
#: installed in editable mode.
FOLDER = Path(__file__).resolve().parent.parent


def cli(
    cwd: Path, *args: str, key: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`python -m liangxin_conformance ARGS` from `cwd`, with no LIANGXIN_* of the caller's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env["HOME"] = str(cwd)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FOLDER), env.get("PYTHONPATH")]))
    if key is not None:
        env["LIANGXIN_API_KEY"] = key
    return subprocess.run(
        [sys.executable, "-m", "liangxin_conformance", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timeout,
        check=False,
    )


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The one line a set-up failure prints (stdout and stderr together), checked as such."""
    lines = (done.stdout + done.stderr).strip().splitlines()
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    assert len(lines) == 1, done.stdout[-3000:] + done.stderr[-2000:]
    assert lines[0].startswith("liangxin-conformance: could not run: "), lines[0]
    assert "Traceback" not in lines[0]
    return lines[0]


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


@pytest.fixture
def mock() -> Iterator[MockServer]:
    with MockServer(task_seconds=0.2, allow_http_callbacks=True) as server:
        yield server


def test_closed_port_could_not_run(tmp_path: Path) -> None:
    port = closed_port()
    done = cli(tmp_path, "--base-url", f"http://127.0.0.1:{port}", key=CANARY)
    line = one_line(done)
    assert f"127.0.0.1:{port}" in line and "connection refused" in line, line
    assert "NOT CONFORMANT" not in line and CANARY not in line


def test_wrong_key_could_not_run_before_any_request_is_paid(
    tmp_path: Path, mock: MockServer
) -> None:
    done = cli(tmp_path, "--base-url", mock.base_url, "--local-mock", key=CANARY)
    line = one_line(done)
    assert "the service refused the key (HTTP 401" in line, line
    assert "LIANGXIN_API_KEY" in line and "--api-key" in line, line
    assert CANARY not in done.stdout + done.stderr
    stats = mock.stats()
    assert stats["createTask"] == 0 and stats["recordInfo"] == 0, stats


@pytest.mark.parametrize(
    "option", ["--report", "--junit", "--json", "--conformance-json", "--conformance-report"]
)
@pytest.mark.parametrize("where", ["under a file", "a directory"])
def test_unwritable_output_could_not_run_before_any_request(
    tmp_path: Path, mock: MockServer, option: str, where: str
) -> None:
    """Checked first: the service is not even asked (nothing spent, nothing probed)."""
    (tmp_path / "afile").write_text("keep me\n")
    (tmp_path / "adir").mkdir()
    path = "afile/out.txt" if where == "under a file" else "adir"
    args = ["--base-url", mock.base_url, "--local-mock", "--max-paid-tasks", "100"]
    args += [option, path] if option in ("--report", "--junit", "--json") else ["--", option, path]
    done = cli(tmp_path, *args, key=mock.api_key)
    line = one_line(done)
    assert str(tmp_path / path) in line, line
    stats = mock.stats()
    assert stats["createTask"] == 0 and stats["recordInfo"] == 0, stats
    assert (tmp_path / "afile").read_text() == "keep me\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["adir", "afile"]
    assert not any((tmp_path / "adir").iterdir())


def test_a_failed_check_leaves_no_directory_it_made(tmp_path: Path) -> None:
    """Missing parents of an output are made (as before), and removed again if the run stops."""
    port = closed_port()
    done = cli(
        tmp_path,
        "--base-url", f"http://127.0.0.1:{port}",
        "--report", "reports/deep/report.md", "--junit", "reports/junit.xml",
        key=CANARY,
    )  # fmt: skip
    one_line(done)
    assert list(tmp_path.iterdir()) == []


def test_relative_outputs_land_where_the_user_said(tmp_path: Path) -> None:
    done = cli(
        tmp_path,
        "--report", "out/report.md", "--junit", "out/junit.xml", "--json", "out/outcomes.json",
        "--", "--conformance-json", "raw/outcomes.json", "-k", "test_docs_errors",
        key=CANARY,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "liangxin-conformance: CONFORMANT" in done.stdout
    assert "checks rest on guesses" in done.stdout
    for name in ("out/report.md", "out/junit.xml", "out/outcomes.json", "raw/outcomes.json"):
        assert (tmp_path / name).is_file(), name
    outcomes = json.loads((tmp_path / "raw/outcomes.json").read_text())["outcomes"]
    assert outcomes and all("test_docs_errors" in o["test"] for o in outcomes)
    assert (tmp_path / "raw/outcomes.json").read_text() == (
        tmp_path / "out/outcomes.json"
    ).read_text()
    assert CANARY not in "".join(p.read_text() for p in tmp_path.rglob("*") if p.is_file())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "raw"]


def test_a_key_refused_on_every_request_is_said_at_the_end(tmp_path: Path) -> None:
    """A service that refuses the key the whole run long (here in-process, where no probe runs
    first) gets no verdict: exit 3 and one closing line that says why, in the report too."""
    done = cli(
        tmp_path,
        "--api-key", CANARY, "--max-examples", "3", "--report", "report.md",
        "--target-app", "selftest.mutants:wrong_key", "--", "-k", "test_docs_errors",
    )  # fmt: skip
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    assert last.startswith("liangxin-conformance: COULD NOT RUN: the service refused the key"), last
    assert "got HTTP 401" in last and "LIANGXIN_API_KEY" in last, last
    assert "NOT CONFORMANT" not in done.stdout.replace("**NOT CONFORMANT**", "")
    assert "**COULD NOT RUN**: the service refused the key" in (tmp_path / "report.md").read_text()
    assert CANARY not in done.stdout + done.stderr


def test_under_pytest_an_unwritable_report_stops_before_the_run(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "liangxin_conformance.plugin", "-p",
         "no:cacheprovider", "--pyargs", "liangxin_conformance",
         "--conformance-json", "afile/outcomes.json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 4, done.stdout[-3000:] + done.stderr[-2000:]
    assert (
        f"ERROR: --conformance-json {tmp_path / 'afile/outcomes.json'} cannot be written:"
        f" {tmp_path / 'afile'} is not a directory"
    ) in done.stderr
    assert "passed" not in done.stdout and "failed" not in done.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]


def test_ci_http_run_checks_its_out_directory_before_starting_the_mock(tmp_path: Path) -> None:
    (tmp_path / "afile").write_text("x")
    done = subprocess.run(
        [sys.executable, "-m", "liangxin_conformance.ci_http_run", "--out", "afile/reports"],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 3, done.stdout + done.stderr
    assert (done.stdout + done.stderr).strip() == (
        f"ci_http_run: could not run: --out {tmp_path / 'afile/reports'} cannot be made:"
        f" {tmp_path / 'afile'} is not a directory"
    )
