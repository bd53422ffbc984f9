"""Many images at once: N concurrent `generate()` calls on one client, against a mock subprocess.

`python -m bench many [--calls N] [--task-seconds S] [--max-concurrent C] [--mode async|threads]`
starts `liangxin-mock` (in memory) in a subprocess and runs N `generate()` calls at once on one
`AsyncLiangXin` (asyncio.gather) or one `LiangXin` (a thread pool of N threads). It reports the
errors by type, the wall time against the ideal (S when the mock admits every task at once;
N / C × S under `--max-concurrent C`), and the mock's own request counts.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.bench_mock import machine, mock_process
from liangxin_client import AsyncLiangXin, LiangXin
from liangxin_client._limits import DEFAULT_MAX_IN_FLIGHT

KEY = "bench-key"


def mock_stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(url + "/__mock__/stats", timeout=30).json()
    return stats


async def _run_async(url: str, calls: int, max_in_flight: int) -> collections.Counter[str]:
    async with AsyncLiangXin(KEY, url, max_in_flight=max_in_flight) as client:
        results = await asyncio.gather(
            *(client.generate("z-image", f"image {i}", timeout=None) for i in range(calls)),
            return_exceptions=True,
        )
    return collections.Counter(
        "ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results
    )


def _run_threads(url: str, calls: int, max_in_flight: int) -> collections.Counter[str]:
    outcomes: collections.Counter[str] = collections.Counter()

    def one(i: int) -> str:
        try:
            client.generate("z-image", f"image {i}", timeout=None)
        except Exception as exc:
            return type(exc).__name__
        return "ok"

    with (
        LiangXin(KEY, url, max_in_flight=max_in_flight) as client,
        ThreadPoolExecutor(calls) as pool,
    ):
        outcomes.update(pool.map(one, range(calls)))
    return outcomes


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench many", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--task-seconds", type=float, default=2.0)
    parser.add_argument("--max-concurrent", type=int, default=None)
    parser.add_argument("--max-in-flight", type=int, default=DEFAULT_MAX_IN_FLIGHT)
    parser.add_argument("--mode", choices=("async", "threads"), default="async")
    args = parser.parse_args(argv)
    logging.getLogger("stamina").addHandler(logging.NullHandler())  # 429 retries are expected
    options = ["--task-seconds", str(args.task_seconds)]
    if args.max_concurrent:
        options += ["--max-concurrent", str(args.max_concurrent)]
        ideal = args.calls / args.max_concurrent * args.task_seconds
    else:
        ideal = args.task_seconds
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with mock_process(*options, key=KEY) as url:
        start = time.perf_counter()
        if args.mode == "async":
            outcomes = asyncio.run(_run_async(url, args.calls, args.max_in_flight))
        else:
            outcomes = _run_threads(url, args.calls, args.max_in_flight)
        wall = time.perf_counter() - start
        stats = mock_stats(url)
    print(
        f"{args.mode}: {args.calls} generate() calls, {args.task_seconds:g} s tasks, "
        f"max-concurrent {args.max_concurrent or 'none'}"
    )
    print(f"outcomes: {dict(outcomes)}")
    print(f"wall {wall:.1f} s, ideal {ideal:.1f} s, ratio {wall / ideal:.2f}")
    print(
        f"mock: {stats['createTask']} accepted createTask, {stats['recordInfo']} recordInfo "
        f"({stats['recordInfo'] / max(1, stats['createTask']):.1f} per task); "
        f"load average after {os.getloadavg()[0]:.2f}"
    )
    return 0 if set(outcomes) == {"ok"} else 1
