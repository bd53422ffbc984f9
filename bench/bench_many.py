"""Many images at once: N concurrent `generate()` calls on one client, against a mock subprocess.

`python -m bench many [--calls N] [--task-seconds S] [--max-concurrent C (default 50; 0: none)]
[--mode async|threads|many] [--warm K] [--fault-rate F --seed N]` starts `liangxin-mock` (in
memory) in a subprocess and
runs N `generate()` calls at once on one `AsyncLiangXin` (asyncio.gather), on one `LiangXin` (a
thread pool of N threads), or N requests through `AsyncLiangXin.generate_many` (`many`). `--warm
K` first runs K tasks on the same client, so it has learned how long tasks take; `--save` saves
each image (in a temporary folder) as `liangxin batch` does. It reports the
errors by type, the wall time against the ideal (S when the mock admits every task at once;
N / C × S under `--max-concurrent C`), the mock's request counts, and under a cap how full its
slots were (bench/occupancy.py).

`--fault-rate F` passes the mock's gateway faults on (429s, 500s, drops, accepted-then-dropped
creates, ...): some calls then fail, as they must, and the run is judged by its accounting instead
— each call's prompt is unique, so the mock's tasks say which call paid for what: *duplicates*
(a call that paid for two tasks) and *lost* tasks (a task the mock made that its call neither
returned nor named, and did not report as an ambiguous submit) must both be 0. In `async` mode
the submit window's limit is sampled every 0.1 s (its minimum and mean are printed).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import logging
import math
import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from bench.bench_mock import machine, mock_process
from bench.occupancy import mock_tasks, occupancy
from liangxin_client import AmbiguousSubmitError, AsyncLiangXin, LiangXin

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


#: What one call left: the taskId it returned or named, "ambiguous", or None (nothing named).
Named = str | None


def _named(outcome: object) -> Named:
    if isinstance(outcome, AmbiguousSubmitError):
        return "ambiguous"
    task_id = getattr(outcome, "task_id", None)
    return task_id if isinstance(task_id, str) else None


async def _sample_window(client: AsyncLiangXin, samples: list[float]) -> None:
    window = client._window.window  # a private attribute, read for the trace only
    while True:
        samples.append(window.limit)
        await asyncio.sleep(0.1)


async def _run_async(
    url: str, calls: int, max_in_flight: int | None, mode: str, warm: int, save: str | None
) -> tuple[collections.Counter[str], float, int, dict[str, Named], list[float]]:
    named: dict[str, Named] = {}
    samples: list[float] = []
    async with AsyncLiangXin(KEY, url, **_options(max_in_flight)) as client:
        if warm:
            await _warm_async(client, warm)
        polled = mock_stats(url)["recordInfo"]
        sampler = asyncio.create_task(_sample_window(client, samples))
        start = time.perf_counter()
        outcomes: collections.Counter[str] = collections.Counter()
        if mode == "many":
            requests = [{"model": "z-image", "prompt": f"image {i}"} for i in range(calls)]
            async for outcome in client.generate_many(requests, timeout=None, download_to=save):
                outcomes["ok" if outcome.ok else type(outcome.error).__name__] += 1
                named[f"image {outcome.index}"] = outcome.task_id or _named(outcome.error)
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
            named.update((f"image {i}", _named(r)) for i, r in enumerate(results))
        wall = time.perf_counter() - start
        sampler.cancel()
        return outcomes, wall, polled, named, samples


def accounting(tasks: list[dict[str, Any]], named: dict[str, Named]) -> tuple[int, int]:
    """(duplicates, lost): calls that paid for more than one task, and tasks the mock made that
    their call neither returned nor named nor reported as an ambiguous submit."""
    made: collections.defaultdict[str, list[str]] = collections.defaultdict(list)
    for task in tasks:
        prompt = json.loads(task["param"]).get("input", {}).get("prompt", "")
        if prompt in named:
            made[prompt].append(task["taskId"])
    duplicates = sum(1 for ids in made.values() if len(ids) > 1)
    lost = sum(
        1
        for prompt, ids in made.items()
        for task_id in ids
        if named[prompt] not in (task_id, "ambiguous")
    )
    return duplicates, lost


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
    parser.add_argument(
        "--fault-rate", type=float, default=0.0, help="the mock's --fault-rate (default 0)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the mock's --seed (default 0)")
    args = parser.parse_args(argv)
    logging.getLogger("stamina").addHandler(logging.NullHandler())  # 429 retries are expected
    options = ["--task-seconds", str(args.task_seconds)]
    if args.fault_rate:
        options += ["--fault-rate", str(args.fault_rate), "--seed", str(args.seed)]
    if args.max_concurrent:
        options += ["--max-concurrent", str(args.max_concurrent)]
        ideal = args.calls / args.max_concurrent * args.task_seconds
    else:
        ideal = args.task_seconds
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with mock_process(*options, key=KEY) as url, tempfile.TemporaryDirectory() as tmp:
        save = tmp if args.save else None
        named: dict[str, Named] = {}
        samples: list[float] = []
        if args.mode == "threads":
            outcomes, wall, polled = _run_threads(
                url, args.calls, args.max_in_flight, args.warm, save
            )
        else:
            outcomes, wall, polled, named, samples = asyncio.run(
                _run_async(url, args.calls, args.max_in_flight, args.mode, args.warm, save)
            )
        stats = mock_stats(url)
        tasks = mock_tasks(url) if args.max_concurrent or named else []
    created = stats["createTask"] - args.warm
    print(
        f"{args.mode}: {args.calls} calls, {args.task_seconds:g} s tasks, "
        f"max-concurrent {args.max_concurrent or 'none'}, warm-up {args.warm}"
        f"{', images saved' if args.save else ''}"
    )
    print(f"outcomes: {dict(outcomes)}")
    if args.fault_rate:
        print(f"mock faults: {stats['faults']['byKind']} in {stats['faults']['requests']} requests")
    if named:
        duplicates, lost = accounting(tasks, named)
        print(f"accounting: {duplicates} calls paid twice, {lost} tasks lost")
    closed = [limit for limit in samples if not math.isinf(limit)]
    if closed:
        print(
            f"submit window: min {min(closed):.1f}, mean {sum(closed) / len(closed):.1f} "
            f"(over the {len(closed) / 10:.1f} s it was closed)"
        )
    print(f"wall {wall:.1f} s, ideal {ideal:.1f} s, ratio {wall / ideal:.3f}")
    print(
        f"mock: {created} accepted createTask, {stats['recordInfo'] - polled} recordInfo "
        f"({(stats['recordInfo'] - polled) / max(1, created):.2f} per task); "
        f"load average after {os.getloadavg()[0]:.2f}"
    )
    if args.max_concurrent:
        seen = occupancy(tasks, args.max_concurrent, lambda t: WARM not in t["param"])
        print(seen or "mock slots: too few tasks to say")
    if named and accounting(tasks, named) != (0, 0):
        return 1
    return 0 if args.fault_rate or set(outcomes) == {"ok"} else 1
