"""Requests per second of the mock on loopback: createTask and recordInfo.

The mock runs in a subprocess (`python -m liangxin_mock --port 0 --task-seconds 0`), in memory
and with a file database (WAL, one commit per createTask). The client is httpx with keep-alive:
first N sequential requests on one connection, then N requests from C concurrent asyncio tasks.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

KEY = "bench-key"
BODY = {"model": "seedream-v4-5", "input": {"prompt": "A premium tea bottle on a stone table"}}


@contextmanager
def mock_process(*options: str, key: str = KEY) -> Iterator[str]:
    """Start liangxin-mock in a subprocess with `key` and `options`; yield its base URL."""
    command = [sys.executable, "-m", "liangxin_mock", "--port", "0", "--api-key", key, *options]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            match = re.search(r"listening on (http://\S+)", line)
            if match:
                yield match[1]
                break
        else:
            raise RuntimeError("the mock did not start")
    finally:
        proc.terminate()
        proc.wait(30)


def _sequential(url: str, n: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    with httpx.Client(base_url=url, headers=headers, timeout=60) as c:
        start = time.perf_counter()
        ids = [
            c.post("/api/v1/jobs/createTask", json=BODY).json()["data"]["taskId"] for _ in range(n)
        ]
        created = time.perf_counter()
        for task_id in ids:
            c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id}).raise_for_status()
        read = time.perf_counter()
    return n / (created - start), n / (read - created)


async def _concurrent(url: str, n: int, concurrency: int) -> tuple[float, float]:
    headers = {"Authorization": f"Bearer {KEY}"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=60, limits=limits) as c:
        ids: list[str] = []

        async def create(count: int) -> None:
            for _ in range(count):
                response = await c.post("/api/v1/jobs/createTask", json=BODY)
                ids.append(response.json()["data"]["taskId"])

        async def read(chunk: list[str]) -> None:
            for task_id in chunk:
                (
                    await c.get("/api/v1/jobs/recordInfo", params={"taskId": task_id})
                ).raise_for_status()

        share = [n // concurrency + (i < n % concurrency) for i in range(concurrency)]
        start = time.perf_counter()
        await asyncio.gather(*(create(k) for k in share))
        created = time.perf_counter()
        await asyncio.gather(*(read(ids[i::concurrency]) for i in range(concurrency)))
        done = time.perf_counter()
    return n / (created - start), n / (done - created)


def measure(label: str, db: str | None, requests: int, concurrency: int) -> None:
    """Start a mock on `db` (None: in memory), measure it and print two result lines."""
    options = ["--task-seconds", "0", *(["--db", db] if db else [])]
    with mock_process(*options) as url:
        _sequential(url, 50)  # warm up
        seq = _sequential(url, requests)
        conc = asyncio.run(_concurrent(url, requests, concurrency))
    print(f"{label:<10} {'sequential':<14} {seq[0]:>13.0f} {seq[1]:>13.0f}")
    print(f"{label:<10} {f'concurrent x{concurrency}':<14} {conc[0]:>13.0f} {conc[1]:>13.0f}")


def machine() -> str:
    cpu = "unknown CPU"
    with Path("/proc/cpuinfo").open() as info:
        for line in info:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} CPUs (nproc), {cpu}, Python {platform.python_version()}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mock", description=__doc__)
    parser.add_argument("-n", "--requests", type=int, default=1000)
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"requests per phase: {args.requests}; concurrency: {args.concurrency}")
    print(f"{'database':<10} {'mode':<14} {'createTask/s':>13} {'recordInfo/s':>13}")
    with tempfile.TemporaryDirectory() as tmp:
        for label, db in (("memory", None), ("file", str(Path(tmp) / "bench.db"))):
            measure(label, db, args.requests, args.concurrency)
    return 0
