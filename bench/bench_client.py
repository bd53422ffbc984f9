"""Client benchmarks against one liangxin-mock process on loopback.

1. `tasks.get` overhead: per-call time of `client.tasks.get(id)` vs a raw `httpx.Client.get` +
   `.json()` of the same recordInfo URL; interleaved batches, medians compared (goal ≤ 1.05×).
2. `wait()` detection lag and request count: tasks of several durations, each watched at the same
   time by adaptive `wait()` and by fixed 2 s and 5 s polling; lag = return time − `completeTime`.

Run: `python -m bench client [--iterations N] [--rounds N]`. Prints a Markdown section for
bench/RESULTS.md (the mock runs in a subprocess so it does not share the GIL with the client).
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import httpx

from liangxin_client import LiangXin, TaskRecord, TaskState
from liangxin_client._base import RECORD_PATH

STRATEGIES = ("adaptive", "fixed-2s", "fixed-5s")
DURATIONS = (1.0, 2.5, 4.0, 7.0, 11.0, 16.0)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def mock_process() -> Iterator[str]:
    """A liangxin-mock subprocess with one key per measurement; yields its base URL."""
    port = _free_port()
    keys = ["bench-overhead", *STRATEGIES]
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


def overhead(base_url: str, iterations: int, batch: int = 50) -> dict[str, float]:
    """Median per-call µs of tasks.get vs raw httpx, interleaved in batches."""
    key = "bench-overhead"
    timings: dict[str, list[float]] = {"client": [], "raw": []}
    with LiangXin(key, base_url) as client, httpx.Client() as raw:
        task_id = client.tasks.create("z-image", "overhead probe").task_id
        url = base_url + RECORD_PATH
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


def detection(
    base_url: str, rounds: int
) -> tuple[dict[str, dict[str, float]], dict[tuple[str, float], list[float]]]:
    """Lag (ms) and recordInfo calls per task for each strategy, over rounds × DURATIONS tasks.

    Also returns every lag by (strategy, duration).
    """
    lags: dict[str, list[float]] = {s: [] for s in STRATEGIES}
    by_duration: dict[tuple[str, float], list[float]] = {}
    polls: dict[str, int] = {}
    errors: list[BaseException] = []

    def watch(strategy: str, seconds: float) -> None:
        try:
            with LiangXin(strategy, base_url) as base:
                client = base.with_options(default_headers={"X-Mock-Task-Seconds": str(seconds)})
                task_id = client.tasks.create("z-image", f"{strategy} {seconds}").task_id
                if strategy == "adaptive":
                    record = client.tasks.wait(task_id, timeout=120)
                else:
                    record = _fixed_poll(client, task_id, 2.0 if strategy == "fixed-2s" else 5.0)
                done_ms = time.time() * 1000
                assert record.complete_time is not None
                lags[strategy].append(done_ms - record.complete_time)
                by_duration.setdefault((strategy, seconds), []).append(
                    done_ms - record.complete_time
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for _ in range(rounds):
        threads = [
            threading.Thread(target=watch, args=(strategy, seconds))
            for seconds in DURATIONS
            for strategy in STRATEGIES
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    if errors:
        raise errors[0]
    stats = httpx.get(base_url + "/__mock__/stats", timeout=10).json()["keys"]
    polls = {s: stats[s]["recordInfo"] for s in STRATEGIES}
    tasks = rounds * len(DURATIONS)
    summary = {
        s: {
            "tasks": float(tasks),
            "lag_median_ms": statistics.median(lags[s]),
            "lag_mean_ms": statistics.fmean(lags[s]),
            "lag_max_ms": max(lags[s]),
            "requests_per_task": polls[s] / tasks,
        }
        for s in STRATEGIES
    }
    return summary, by_duration


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    return (
        f"{platform.system()} {platform.release()}, {cpu}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, httpx {httpx.__version__}"
    )


def report(
    over: dict[str, float],
    detect: dict[str, dict[str, float]],
    by_duration: dict[tuple[str, float], list[float]],
) -> str:
    lines = [
        "## Client",
        "",
        f"`python -m bench client` on {machine()}; {time.strftime('%Y-%m-%d')}.",
        "The mock runs in a subprocess on loopback (in-memory store).",
        "",
        "### tasks.get overhead vs raw httpx",
        "",
        f"{int(over['calls'])} calls each, interleaved batches of 50 (alternating order), "
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
        f"Task durations {', '.join(f'{d:g}' for d in DURATIONS)} s, "
        f"{int(next(iter(detect.values()))['tasks'])} tasks per strategy, all strategies watching "
        "concurrently; lag = return time − the task's `completeTime`.",
        "",
        "| strategy | median lag ms | mean lag ms | max lag ms | recordInfo calls / task |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, row in detect.items():
        lines.append(
            f"| {name} | {row['lag_median_ms']:.0f} | {row['lag_mean_ms']:.0f} | "
            f"{row['lag_max_ms']:.0f} | {row['requests_per_task']:.1f} |"
        )
    lines += [
        "",
        "Median lag (ms) by task duration:",
        "",
        "| strategy | " + " | ".join(f"{d:g} s" for d in DURATIONS) + " |",
        "|---|" + "---:|" * len(DURATIONS),
    ]
    for name in STRATEGIES:
        cells = [f"{statistics.median(by_duration[(name, d)]):.0f}" for d in DURATIONS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench client", description=__doc__)
    parser.add_argument("--iterations", type=int, default=3000, help="tasks.get calls per path")
    parser.add_argument("--rounds", type=int, default=2, help="rounds of the detection tasks")
    args = parser.parse_args(argv)
    with mock_process() as base_url:
        over = overhead(base_url, args.iterations)
        detect, by_duration = detection(base_url, args.rounds)
    print(report(over, detect, by_duration))
    return 0


if __name__ == "__main__":
    sys.exit(main())
