"""Client benchmarks against one liangxin-mock process on loopback.

1. `tasks.get` overhead: per-call time of `client.tasks.get(id)` vs a raw `httpx.Client.get` +
   `.json()` of the same recordInfo URL; the two alternate call by call (ABBA order), medians
   compared (goal ≤ 1.05×). Call-by-call alternation gives both paths the same moments of a
   shared, noisy machine: with batches of 50, 17 runs of the same code spread 0.95–1.09×;
   alternating, eight runs spread 0.98–1.01× (bench/RESULTS.md).
2. `wait()` detection lag and request count: two models with realistic, consistent durations (a
   typical value per model ± a uniform spread, set per task with `X-Mock-Task-Seconds`); every
   task duration is run once per strategy, all strategies watching at the same time:
   `wait()` on a fresh client (cold: nothing learned), `wait()` on a client that first waited
   for a few warm-up tasks of each model (warm: it learned their durations), and fixed 2 s and
   5 s polling. Lag = return time − `completeTime`; calls = recordInfo requests the mock counted
   under each strategy's API key.

Run: `python -m bench client [--iterations N] [--rounds N] [--per-model N] [--warmup N]`. Prints a Markdown section for
bench/RESULTS.md (the mock runs in a subprocess so it does not share the GIL with the client).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial

import httpx

import liangxin_contract
from liangxin_client import LiangXin, TaskRecord, TaskState

STRATEGIES = ("adaptive-cold", "adaptive-warm", "fixed-2s", "fixed-5s")
#: Typical task duration (s) per model; each task's is uniform within ± SPREAD of it.
MODELS = {"seedream-v4-5": 8.0, "z-image": 3.0}
SPREAD = 0.15
WARMUP_KEY = "warmup"
SEED = 20261125


def _key(strategy: str, model: str) -> str:
    return f"{strategy}-{model}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def mock_process() -> Iterator[str]:
    """A liangxin-mock subprocess with one key per measurement; yields its base URL."""
    port = _free_port()
    keys = ["bench-overhead", WARMUP_KEY, *(_key(s, m) for s in STRATEGIES for m in MODELS)]
    cmd = [sys.executable, "-m", "liangxin_mock", "--port", str(port), "--task-seconds", "1"]
    for key in keys:
        cmd += ["--api-key", key]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(base_url + "/__mock__/stats", timeout=1).raise_for_status()
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise RuntimeError("liangxin-mock did not start") from None
                time.sleep(0.1)
        yield base_url
    finally:
        proc.terminate()
        proc.wait(10)


def overhead(base_url: str, iterations: int, batch: int = 1) -> dict[str, float]:
    """Median per-call µs of tasks.get vs raw httpx, interleaved in batches of `batch` calls
    (the order of the two paths swapped every round)."""
    key = "bench-overhead"
    timings: dict[str, list[float]] = {"client": [], "raw": []}
    with LiangXin(key, base_url) as client, httpx.Client() as raw:
        task_id = client.tasks.create("z-image", "overhead probe").task_id
        url = base_url + liangxin_contract.operation("getTaskDetails")[1]
        headers = {"Authorization": f"Bearer {key}"}

        def via_client() -> None:
            client.tasks.get(task_id)

        def via_raw() -> None:
            response = raw.get(url, params={"taskId": task_id}, headers=headers)
            response.raise_for_status()
            response.json()

        calls: dict[str, Callable[[], None]] = {"client": via_client, "raw": via_raw}
        for _ in range(100):  # warm up both paths and the connection
            via_client()
            via_raw()
        for round_ in range(max(1, iterations // batch)):
            order = ("client", "raw") if round_ % 2 == 0 else ("raw", "client")
            for name in order:
                call = calls[name]
                for _ in range(batch):
                    start = time.perf_counter_ns()
                    call()
                    timings[name].append((time.perf_counter_ns() - start) / 1000)
    client_us = statistics.median(timings["client"])
    raw_us = statistics.median(timings["raw"])
    return {
        "calls": float(len(timings["client"])),
        "client_us": client_us,
        "raw_us": raw_us,
        "ratio": client_us / raw_us,
        "client_mean_us": statistics.fmean(timings["client"]),
        "raw_mean_us": statistics.fmean(timings["raw"]),
    }


def _fixed_poll(client: LiangXin, task_id: str, interval: float) -> TaskRecord:
    while True:
        record = client.tasks.get(task_id)
        if record.state is TaskState.SUCCESS:
            return record
        time.sleep(interval)


def _timed(client: LiangXin, seconds: float) -> LiangXin:
    return client.with_options(default_headers={"X-Mock-Task-Seconds": f"{seconds:.3f}"})


def _run_all(jobs: list[Callable[[], None]]) -> None:
    errors: list[BaseException] = []

    def run(job: Callable[[], None]) -> None:
        try:
            job()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]


Lags = dict[tuple[str, str], list[float]]


def detection(
    base_url: str, rounds: int, per_model: int, warmup: int
) -> tuple[Lags, dict[tuple[str, str], int], int]:
    """Lags (ms) and recordInfo calls by (strategy, model); also the warm client's sample count."""
    rng = random.Random(SEED)

    def duration(model: str) -> float:
        return MODELS[model] * rng.uniform(1 - SPREAD, 1 + SPREAD)

    lags: Lags = {(s, m): [] for s in STRATEGIES for m in MODELS}
    warm = LiangXin(WARMUP_KEY, base_url)  # learns from its warm-up and from every measured task

    def warm_up(model: str, seconds: float) -> None:
        client = _timed(warm, seconds)
        client.tasks.wait(client.tasks.create(model, "warm-up").task_id, timeout=120)

    _run_all([partial(warm_up, m, duration(m)) for m in MODELS for _ in range(warmup)])
    samples = sum(len(warm.durations.samples(m)) for m in MODELS)

    def watch(strategy: str, model: str, seconds: float) -> None:
        key = _key(strategy, model)
        # adaptive-warm: a copy of `warm`, sharing its pool and its learned durations;
        # the others: a fresh client, nothing learned.
        base = (
            warm.with_options(api_key=key)
            if strategy == "adaptive-warm"
            else LiangXin(key, base_url)
        )
        client = _timed(base, seconds)
        try:
            task_id = client.tasks.create(model, f"{strategy} {seconds:.2f}").task_id
            if strategy.startswith("adaptive"):
                record = client.tasks.wait(task_id, timeout=120)
            else:
                record = _fixed_poll(client, task_id, 2.0 if strategy == "fixed-2s" else 5.0)
            done_ms = time.time() * 1000
        finally:
            base.close()  # closes only a pool it owns
        assert record.complete_time is not None
        lags[(strategy, model)].append(done_ms - record.complete_time)

    for _ in range(rounds):
        tasks = [(model, duration(model)) for model in MODELS for _ in range(per_model)]
        _run_all([partial(watch, s, m, d) for m, d in tasks for s in STRATEGIES])

    warm.close()
    stats = httpx.get(base_url + "/__mock__/stats", timeout=10).json()["keys"]
    calls = {(s, m): int(stats[_key(s, m)]["recordInfo"]) for s in STRATEGIES for m in MODELS}
    return lags, calls, samples


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, httpx {httpx.__version__}"
    )


def _row(name: str, what: str, lags: list[float], calls: int) -> str:
    return (
        f"| {name} | {what} | {len(lags)} | {statistics.fmean(lags):.0f} | "
        f"{statistics.median(lags):.0f} | {max(lags):.0f} | {calls / len(lags):.1f} |"
    )


def report(
    over: dict[str, float],
    lags: Lags,
    calls: dict[tuple[str, str], int],
    *,
    rounds: int,
    per_model: int,
    warmup: int,
    samples: int,
) -> str:
    models = ", ".join(f"`{m}` {t:g} s" for m, t in MODELS.items())
    lines = [
        "## Client",
        "",
        f"`python -m bench client` on {machine()}; {time.strftime('%Y-%m-%d')}.",
        "The mock runs in a subprocess on loopback (in-memory store).",
        "",
        "### tasks.get overhead vs raw httpx",
        "",
        f"{int(over['calls'])} calls each, alternating call by call (ABBA order), "
        "one keep-alive connection each; raw = `httpx.Client.get` + `raise_for_status` + `.json()`.",
        "",
        "| path | median µs/call | mean µs/call |",
        "|---|---:|---:|",
        f"| raw httpx | {over['raw_us']:.0f} | {over['raw_mean_us']:.0f} |",
        f"| `client.tasks.get` | {over['client_us']:.0f} | {over['client_mean_us']:.0f} |",
        "",
        f"Ratio of medians: **{over['ratio']:.3f}×** (goal ≤ 1.05×).",
        "",
        "### wait() detection lag and requests vs fixed polling",
        "",
        f"Two models with typical durations {models}; each task's duration is uniform within "
        f"±{SPREAD:.0%} of its model's (seeded), set with `X-Mock-Task-Seconds`. {rounds} rounds × "
        f"{per_model} tasks per model; in each round every task duration is run once per strategy, "
        "all strategies watching concurrently. adaptive-cold: `tasks.wait()` on a fresh client per "
        "task (nothing learned: the age-based backoff). adaptive-warm: `tasks.wait()` on copies of "
        f"one client that first waited for {warmup} warm-up tasks per model ({samples} durations "
        "learned) and keeps learning from the measured tasks. fixed-Ns: `tasks.get` every N s. "
        "Lag = return time − the task's `completeTime`; calls = recordInfo requests the mock "
        "counted per task (the first, immediate poll included).",
        "",
        "| strategy | model | tasks | mean lag ms | median lag ms | max lag ms | recordInfo calls / task |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for name in STRATEGIES:
        every: list[float] = []
        total = 0
        for model, typical in MODELS.items():
            lines.append(
                _row(name, f"{model} (~{typical:g} s)", lags[(name, model)], calls[(name, model)])
            )
            every += lags[(name, model)]
            total += calls[(name, model)]
        lines.append(_row(f"**{name}**", "**both**", every, total))
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench client", description=__doc__)
    parser.add_argument("--iterations", type=int, default=3000, help="tasks.get calls per path")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the detection tasks")
    parser.add_argument("--per-model", type=int, default=4, help="tasks per model and round")
    parser.add_argument("--warmup", type=int, default=4, help="warm-up tasks per model")
    args = parser.parse_args(argv)
    with mock_process() as base_url:
        over = overhead(base_url, args.iterations)
        lags, calls, samples = detection(base_url, args.rounds, args.per_model, args.warmup)
    print(
        report(
            over,
            lags,
            calls,
            rounds=args.rounds,
            per_model=args.per_model,
            warmup=args.warmup,
            samples=samples,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
