"""Run `liangxin-conformance` in subprocesses (two at a time) for the self-tests."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liangxin_conformance.report import load_json, no_guesses
from selftest.mutants import MUTANTS, VARIANTS

#: A key that must never appear in any output.
CANARY = "sk-CANARY-7d1f0e9a3b5c"
MAX_EXAMPLES = 5
#: `contract_tests/`: the suite (`liangxin_conformance`) and `selftest.mutants`, importable in
#: the runs whether or not the project is installed in editable mode.
FOLDER = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Run:
    """One finished run: exit code, violated rules, and every text it produced."""

    code: int
    rules: frozenset[str]
    stdout: str
    stderr: str
    files: dict[str, str]
    #: The guess log (`liangxin_conformance.guesses.GuessLog.as_dict`).
    guesses: dict[str, Any]
    #: What went wrong in the suite itself (`suite.error` messages), for diagnosis.
    errors: tuple[str, ...] = ()

    @property
    def tail(self) -> str:
        return self.stdout[-4000:] + self.stderr[-2000:]


def conformance(
    args: Sequence[str], workdir: Path, name: str, env: dict[str, str] | None = None
) -> Run:
    """`python -m liangxin_conformance ARGS` with JUnit, Markdown and JSON reports in `workdir`."""
    junit, report, data = (workdir / f"{name}.{ext}" for ext in ("xml", "md", "json"))
    cmd = [sys.executable, "-m", "liangxin_conformance"]
    cmd += ["--junit", str(junit), "--report", str(report)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    clean["PYTHONPATH"] = os.pathsep.join(filter(None, [str(FOLDER), clean.get("PYTHONPATH")]))
    passthrough = [] if "--" in args else ["--"]
    done = subprocess.run(
        [*cmd, *args, *passthrough, "--conformance-json", str(data)],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=600,
        check=False,
    )
    loaded = load_json(data) if data.exists() else {}
    outcomes = loaded.get("outcomes", [])
    files = {p.name: p.read_text() for p in (junit, report, data) if p.exists()}
    return Run(
        code=done.returncode,
        rules=frozenset(v["rule"] for o in outcomes for v in o["violations"]),
        stdout=done.stdout,
        stderr=done.stderr,
        files=files,
        guesses=loaded.get("guesses") or no_guesses(),
        errors=tuple(
            f"{o['test']}: {v['message']}"
            for o in outcomes
            for v in o["violations"]
            if v["rule"] == "suite.error"
        ),
    )


def mutant_args(name: str) -> list[str]:
    """The suite on one mutant or variant (or on the mock: `name == "mock"`), the canary as
    its key."""
    args = ["--api-key", CANARY, "--max-examples", str(MAX_EXAMPLES)]
    if name == "mock":
        return [*args, "--"]
    if name in VARIANTS:
        select = VARIANTS[name].select
        args += ["--target-app", f"selftest.mutants:{name}", "--"]
        return [*args, "-k", select] if select else args
    args += ["--target-app", f"selftest.mutants:{name}", "--", "-x"]
    select = MUTANTS[name].select
    return [*args, "-k", select] if select else args


def run_all(
    jobs: dict[str, tuple[list[str], dict[str, str] | None]], workdir: Path
) -> dict[str, Run]:
    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = {
            name: pool.submit(conformance, args, workdir, name, env)
            for name, (args, env) in jobs.items()
        }
        return {name: future.result() for name, future in futures.items()}
