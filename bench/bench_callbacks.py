"""Detection lag of the hybrid wait (callback + slow polling) beside plain polling.

Lag = the moment the wait returns minus the task's `completeTime` (both read from this machine's
clock, the mock runs in-process). Polling is the client's default `tasks.wait`; the hybrid wait is
`liangxin_client.callbacks.wait_for_task` with a 30 s poll interval. All tasks of one method run
concurrently against one mock. `python -m bench.bench_callbacks [--tasks N] [--task-seconds S]`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import platform
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import uvicorn

from liangxin_client import LiangXin, PollSchedule, TaskRecord
from liangxin_client.callbacks import (
    DEFAULT_CALLBACK_POLL_INTERVAL,
    CallbackReceiver,
    wait_for_task,
)
from liangxin_mock import MockServer

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADING = "## Callbacks"


def serve(receiver: CallbackReceiver) -> tuple[uvicorn.Server, str]:
    """The receiver under uvicorn on loopback, in a daemon thread; returns its URL."""
    server = uvicorn.Server(uvicorn.Config(receiver, host="127.0.0.1", port=0, log_level="warning"))
    threading.Thread(target=server.run, daemon=True).start()
    while not server.started:
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}/callback"


def run_method(
    mock: MockServer,
    client: LiangXin,
    tasks: int,
    callback_url: str | None,
    wait: Callable[[str], TaskRecord],
) -> tuple[list[float], float]:
    """Lags (s) of `tasks` concurrent waits, and recordInfo calls per task."""
    before = mock.stats()["recordInfo"]

    def one(_: int) -> float:
        task = client.tasks.create(
            "seedream-v4-5", "a tea bottle", callback_url=callback_url, validate=False
        )
        record = wait(task.task_id)
        returned_ms = time.time() * 1000
        assert record.complete_time is not None
        return (returned_ms - record.complete_time) / 1000

    with ThreadPoolExecutor(tasks) as pool:
        lags = list(pool.map(one, range(tasks)))
    polls = (mock.stats()["recordInfo"] - before) / tasks
    return lags, polls


def row(name: str, lags: list[float], polls: float) -> str:
    ordered = sorted(lags)
    p90 = ordered[max(0, round(0.9 * len(ordered)) - 1)]
    return (
        f"| {name} | {len(lags)} | {statistics.median(lags) * 1000:.0f} | {p90 * 1000:.0f} "
        f"| {max(lags) * 1000:.0f} | {polls:.1f} |"
    )


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return (
        f"{platform.system()} {platform.release()}, {os.cpu_count()} × {cpu}, "
        f"Python {platform.python_version()}"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--tasks", type=int, default=10, help="tasks per method")
    parser.add_argument("--task-seconds", type=float, default=8.0, help="mock task duration")
    parser.add_argument("--no-record", action="store_true", help=f"do not append to {RESULTS.name}")
    args = parser.parse_args(argv)

    receiver = CallbackReceiver()
    server, url = serve(receiver)
    mock = MockServer(task_seconds=args.task_seconds, allow_http_callbacks=True)
    try:
        with mock, LiangXin(mock.api_key, mock.base_url) as client:
            polling = run_method(
                mock, client, args.tasks, None, lambda t: client.tasks.wait(t, timeout=120)
            )
            hybrid = run_method(
                mock,
                client,
                args.tasks,
                url,
                lambda t: wait_for_task(client, t, callbacks=receiver, timeout=120),
            )
    finally:
        server.should_exit = True

    sched = PollSchedule()
    polling_name = (
        f"polling: `tasks.wait()` ({sched.initial:g} s ×{sched.factor:g}, cap {sched.cap:g} s)"
    )
    table = "\n".join(
        [
            "| method | tasks | median lag (ms) | p90 lag (ms) | max lag (ms) | recordInfo calls per task |",
            "|---|---|---|---|---|---|",
            row(polling_name, *polling),
            row(
                f"hybrid: `wait_for_task()` (callback + {DEFAULT_CALLBACK_POLL_INTERVAL:g} s polls)",
                *hybrid,
            ),
        ]
    )
    print(table)
    if not args.no_record:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        entry = (
            f"\n### {stamp}\n\n"
            f"Method: {args.tasks} concurrent tasks per method against one in-process liangxin-mock "
            f"(task duration {args.task_seconds:g} s, callbacks to a `CallbackReceiver` under "
            "uvicorn on loopback); lag = wait() return time − the task's completeTime. "
            "`python -m bench.bench_callbacks`.\n"
            f"Machine: {machine()}.\n\n{table}\n"
        )
        text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
        if HEADING not in text:
            text = text.rstrip("\n") + f"\n\n{HEADING}\n"
            text += "\nHow soon a finished task is noticed: the hybrid wait vs polling.\n"
        head, _, tail = text.partition(HEADING)
        # Insert at the end of the Callbacks section (before the next `## ` heading, if any).
        section, sep, rest = tail.partition("\n## ")
        RESULTS.write_text(head + HEADING + section.rstrip("\n") + "\n" + entry + sep + rest)
        print(f"\nappended to {RESULTS}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
