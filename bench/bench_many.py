"""Many images at once: N concurrent `generate()` calls on one client, against a mock subprocess.

`python -m bench many [--calls N] [--task-seconds S] [--max-concurrent C (default 50; 0: none)]
[--mode async|threads|many] [--warm K]` starts `liangxin-mock` (in memory) in a subprocess and
runs N `generate()` calls at once on one `AsyncLiangXin` (asyncio.gather), on one `LiangXin` (a
thread pool of N threads), or N requests through `AsyncLiangXin.generate_many` (`many`). `--warm
K` first runs K tasks on the same client, so it has learned how long tasks take; `--save` saves
each image (in a temporary folder) as `liangxin batch` does. It reports the
errors by type, the wall time against the ideal (S when the mock admits every task at once;
N / C × S under `--max-concurrent C`), the mock's request counts, and under a cap how full its
slots were (bench/occupancy.py).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import logging
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.bench_mock import machine, mock_process
from bench.occupancy import mock_tasks, occupancy
from liangxin_client import AsyncLiangXin, LiangXin

KEY = "bench-key"
WARM = "warm-up"


def mock_stats(url: str) -> dict[str, Any]:
    stats: dict[str, Any] = httpx.get(url + "/__mock__/stats", timeout=30).json()
    return stats


def _options(max_in_flight: int | None) -> dict[str, Any]:
    return {} if max_in_flight is None else {"max_in_flight": max_in_flight}


async def _warm_async(client: AsyncLiangXin, warm: int) -> None:
    requests = [{"model": "z-image", "prompt": f"{WARM} {i}"} for i in range(warm)]
    async for _ in client.generate_many(requests, timeout=None):
        pass


async def _run_async(
    url: str, calls: int, max_in_flight: int | None, mode: str, warm: int, save: str | None
) -> tuple[collections.Counter[str], float, int]:
    async with AsyncLiangXin(KEY, url, **_options(max_in_flight)) as client:
        if warm:
            await _warm_async(client, warm)
        polled = mock_stats(url)["recordInfo"]
        start = time.perf_counter()
        outcomes: collections.Counter[str] = collections.Counter()
        if mode == "many":
            requests = [{"model": "z-image", "prompt": f"image {i}"} for i in range(calls)]
            async for outcome in client.generate_many(requests, timeout=None, download_to=save):
                outcomes["ok" if outcome.ok else type(outcome.error).__name__] += 1
        else:
            results = await asyncio.gather(
                *(
                    client.generate("z-image", f"image {i}", timeout=None, download_to=save)
                    for i in range(calls)
                ),
                return_exceptions=True,
            )
            outcomes.update(
                "ok" if not isinstance(r, BaseException) else type(r).__name__ for r in results
            )
        return outcomes, time.perf_counter() - start, polled


def _run_threads(
    url: str, calls: int, max_in_flight: int | None, warm: int, save: str | None
) -> tuple[collections.Counter[str], float, int]:
    outcomes: collections.Counter[str] = collections.Counter()

    def one(i: int) -> str:
        try:
            client.generate("z-image", f"image {i}", timeout=None, download_to=save)
        except Exception as exc:
            return type(exc).__name__
        return "ok"

    with (
        LiangXin(KEY, url, **_options(max_in_flight)) as client,
        ThreadPoolExecutor(calls) as pool,
    ):
        if warm:
            requests = [{"model": "z-image", "prompt": f"{WARM} {i}"} for i in range(warm)]
            for _ in client.generate_many(requests, timeout=None):
                pass
        polled = mock_stats(url)["recordInfo"]
        start = time.perf_counter()
        outcomes.update(pool.map(one, range(calls)))
        return outcomes, time.perf_counter() - start, polled


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench many", description=__doc__)
    parser.add_argument("--calls", type=int, default=1000)
    parser.add_argument("--task-seconds", type=float, default=2.0)
    parser.add_argument(
        "--max-concurrent", type=int, default=50, help="the mock's cap (0: none; default 50)"
    )
    parser.add_argument(
        "--max-in-flight", type=int, default=None, help="the client's max_in_flight"
    )
    parser.add_argument("--mode", choices=("async", "threads", "many"), default="async")
    parser.add_argument("--warm", type=int, default=0, help="warm-up tasks first (0: none)")
    parser.add_argument("--save", action="store_true", help="save every image (a temp folder)")
    args = parser.parse_args(argv)
    logging.getLogger("stamina").addHandler(logging.NullHandler())  # 429 retries are expected
    options = ["--task-seconds", str(args.task_seconds)]
    if args.max_concurrent:
        options += ["--max-concurrent", str(args.max_concurrent)]
        ideal = args.calls / args.max_concurrent * args.task_seconds
    else:
        ideal = args.task_seconds
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with mock_process(*options, key=KEY) as url, tempfile.TemporaryDirectory() as tmp:
        save = tmp if args.save else None
        if args.mode == "threads":
            outcomes, wall, polled = _run_threads(
                url, args.calls, args.max_in_flight, args.warm, save
            )
        else:
            outcomes, wall, polled = asyncio.run(
                _run_async(url, args.calls, args.max_in_flight, args.mode, args.warm, save)
            )
        stats = mock_stats(url)
        tasks = mock_tasks(url) if args.max_concurrent else []
    created = stats["createTask"] - args.warm
    print(
        f"{args.mode}: {args.calls} calls, {args.task_seconds:g} s tasks, "
        f"max-concurrent {args.max_concurrent or 'none'}, warm-up {args.warm}"
        f"{', images saved' if args.save else ''}"
    )
    print(f"outcomes: {dict(outcomes)}")
    print(f"wall {wall:.1f} s, ideal {ideal:.1f} s, ratio {wall / ideal:.3f}")
    print(
        f"mock: {created} accepted createTask, {stats['recordInfo'] - polled} recordInfo "
        f"({(stats['recordInfo'] - polled) / max(1, created):.2f} per task); "
        f"load average after {os.getloadavg()[0]:.2f}"
    )
    if args.max_concurrent:
        seen = occupancy(tasks, args.max_concurrent, lambda t: WARM not in t["param"])
        print(seen or "mock slots: too few tasks to say")
    return 0 if set(outcomes) == {"ok"} else 1
