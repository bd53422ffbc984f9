"""`liangxin batch` end to end: N rows against a mock that admits C running tasks of S seconds.

`python -m bench batch [--rows N] [--max-concurrent C] [--task-seconds S] [--warm K]` starts
`liangxin-mock --db FILE --max-concurrent C --task-seconds S` in a subprocess, runs a warm-up
batch of K rows (so task durations are learned and saved, as after any earlier run), then the
N-row batch as its own `liangxin batch` process. It reports the row states, wall time against
the ideal (N / C × S), the batch process's peak RSS (from wait4), and recordInfo and createTask
requests per row (from the mock's /__mock__/stats, warm-up excluded), and how full the mock's
slots were (bench/occupancy.py).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench.bench_mock import KEY, machine, mock_process
from bench.occupancy import mock_tasks, occupancy


def _stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(url + "/__mock__/stats", timeout=60).json()
    return stats


def _batch(
    url: str, work: Path, name: str, rows: int, extra: list[str]
) -> tuple[float, int, float, str]:
    """Run one `liangxin batch` of `rows` rows; (wall s, peak RSS KiB, CPU s, stdout)."""
    source = work / f"{name}.jsonl"
    source.write_text("".join(json.dumps({"prompt": f"{name} {i}"}) + "\n" for i in range(rows)))
    command = [sys.executable, "-m", "liangxin_client", "--base-url", url, "--api-key", KEY]
    command += ["batch", str(source), "-m", "z-image", "-o", str(work / "out"), *extra]
    env = {**os.environ, "LIANGXIN_CACHE_DIR": str(work / "cache")}
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert proc.stdout is not None
    out = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return time.perf_counter() - start, usage.ru_maxrss, cpu, out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench batch", description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--max-concurrent", type=int, default=50)
    parser.add_argument("--task-seconds", type=float, default=2.0)
    parser.add_argument("--warm", type=int, default=100, help="warm-up rows (0: none)")
    parser.add_argument(
        "--concurrency", type=int, default=None, help="liangxin batch --concurrency"
    )
    parser.add_argument("--callbacks", action="store_true", help="--callback-url/--listen mode")
    args = parser.parse_args(argv)
    extra = [] if args.concurrency is None else ["--concurrency", str(args.concurrency)]
    options = [
        "--task-seconds",
        str(args.task_seconds),
        "--max-concurrent",
        str(args.max_concurrent),
    ]
    if args.callbacks:
        options.append("--allow-http-callbacks")
        extra += ["--callback-url", "http://127.0.0.1:18777/cb", "--listen", "127.0.0.1:18777"]
    ideal = args.rows / args.max_concurrent * args.task_seconds
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f} at start")
    with (
        tempfile.TemporaryDirectory() as tmp,
        mock_process("--db", str(Path(tmp) / "mock.db"), *options) as url,
    ):
        work = Path(tmp)
        if args.warm:
            _batch(url, work, "warm", args.warm, extra)
        before = _stats(url)
        wall, rss, cpu, out = _batch(url, work, "rows", args.rows, extra)
        after = _stats(url)
        load = os.getloadavg()
        seen = occupancy(mock_tasks(url), args.max_concurrent, lambda t: '"rows ' in t["param"])
    created = after["createTask"] - before["createTask"]
    polled = after["recordInfo"] - before["recordInfo"]
    print(
        f"batch of {args.rows} rows, mock --max-concurrent {args.max_concurrent}, "
        f"{args.task_seconds:g} s tasks{', callbacks' if args.callbacks else ''}"
    )
    print(out.strip().splitlines()[0] if out.strip() else "(no summary)")
    print(f"wall {wall:.1f} s, ideal {ideal:.1f} s, ratio {wall / ideal:.3f}")
    print(f"batch process: peak RSS {rss / 1024:.1f} MiB, CPU {cpu:.1f} s")
    print(
        f"accepted createTask {created} ({created / args.rows:.3f} per row), recordInfo "
        f"{polled} ({polled / args.rows:.2f} per row)"
    )
    print(seen or "mock slots: too few tasks to say")
    print(f"load average at the end: {load[0]:.2f} / {load[1]:.2f} / {load[2]:.2f}")
    return 0
