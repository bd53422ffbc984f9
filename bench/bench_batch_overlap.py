"""Stress: two `liangxin batch` runs on one journal, started together or seconds apart, N times.

Each repetition writes R rows with prompts of its own, starts two identical `liangxin batch`
processes against one `liangxin-mock` subprocess on 127.0.0.1 (the second at once, or once the
first has a taskId in its journal), and counts what the mock accepted: every row must be paid
for once (`/__mock__/stats` createTask == R, no prompt twice), one run must succeed and the other
refuse (exit 2) naming the first's pid. Exit 1 when any repetition pays a row twice.

    python -m bench batch-overlap [--repeat 20] [--rows 30] [--task-seconds 1.5]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import httpx

from bench.bench_mock import mock_process

KEY = "bench-overlap-key"


def _journal_has_task(journal: Path) -> bool:
    import sqlite3

    if not journal.exists():
        return False
    db = sqlite3.connect(journal, timeout=30)
    try:
        return bool(db.execute("SELECT 1 FROM rows WHERE task_id IS NOT NULL LIMIT 1").fetchone())
    except sqlite3.Error:
        return False
    finally:
        db.close()


def one(url: str, here: Path, rows: int, stagger: bool, tag: str) -> dict[str, object]:
    here.mkdir()
    source = here / "rows.jsonl"
    source.write_text("".join(json.dumps({"prompt": f"{tag} {i}"}) + "\n" for i in range(rows)))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LIANGXIN_")}
    env["LIANGXIN_CACHE_DIR"] = str(here / "cache")
    command = [sys.executable, "-m", "liangxin_client", "--base-url", url, "--api-key", KEY]
    command += ["batch", str(source), "-m", "z-image", "--concurrency", "8"]
    pipes = {"stdout": subprocess.DEVNULL, "stderr": subprocess.PIPE, "text": True}
    started = time.monotonic()
    first = subprocess.Popen(command, cwd=here, env=env, **pipes)  # type: ignore[call-overload]
    if stagger:
        journal = here / "liangxin-output" / "rows.journal.sqlite"
        while not _journal_has_task(journal) and time.monotonic() - started < 60:
            time.sleep(0.02)
    gap = time.monotonic() - started
    second = subprocess.Popen(command, cwd=here, env=env, **pipes)  # type: ignore[call-overload]
    errors = [p.communicate(timeout=300)[1] for p in (first, second)]
    tasks = httpx.get(url + "/__mock__/tasks", timeout=30).json()["tasks"]
    prompts = Counter(
        json.loads(t["param"])["input"]["prompt"]
        for t in tasks
        if json.loads(t["param"])["input"]["prompt"].startswith(f"{tag} ")
    )
    refused = [e for e in errors if "is running on the journal" in e]
    winner = next((p for p in (first, second) if p.returncode == 0), first)
    return {
        "gap": round(gap, 2),
        "codes": sorted(p.returncode for p in (first, second)),
        "paid": sum(prompts.values()),
        "twice": sum(1 for n in prompts.values() if n > 1),
        "refusal names the winner's pid": bool(refused) and f"pid {winner.pid}" in refused[0],
    }


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench batch-overlap")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--rows", type=int, default=30)
    parser.add_argument("--task-seconds", default="1.5")
    args = parser.parse_args(argv)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, load {os.getloadavg()}")
    bad = 0
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock_process("--task-seconds", args.task_seconds, key=KEY) as url,
    ):
        for n in range(args.repeat):
            stagger = bool(n % 2)
            result = one(url, Path(tmp) / f"run{n}", args.rows, stagger, f"run{n}")
            ok = result["paid"] == args.rows and result["twice"] == 0
            bad += not ok
            kind = "staggered" if stagger else "together"
            print(f"{n + 1:>2} {kind:<9} {result}{'' if ok else '  <-- PAID TWICE'}", flush=True)
    print(f"{args.repeat - bad}/{args.repeat} repetitions paid each row once")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
