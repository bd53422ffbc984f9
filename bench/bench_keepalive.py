"""createTasks after idle gaps around the keep-alive limits: how many come back ambiguous?

`python -m bench keepalive [--creates N] [--lanes L] [--around S,...] [--spread W]
[--server-keep-alive S] [--client-expiry S]` starts `liangxin-mock` in a subprocess and runs L
lanes at once, each its own `AsyncLiangXin` (its own pool, `max_in_flight=1`: one connection, so
a lane's gap is exactly its connection's idle time). A lane sends a createTask, sleeps a gap, and
again, until N createTasks have been sent in all. Each gap is one of the `--around` limits
(default 1.5, 4 and 5 s: the client's two expiries and the common server keep-alive) plus a
uniform offset in ±W (default 0.3 s), so gaps land on both sides of every limit.

`--server-keep-alive S` runs the mock with `--keep-alive S` (5: a common server, as uvicorn's
default; without it, the mock's own default). `--client-expiry S` gives each lane an httpx pool
with that `keepalive_expiry` instead of the client's own pools (5: httpx's default, the client
before issue 19).

It reports every outcome (an `AmbiguousSubmitError` is the failure this measures), how many
createTasks went on a reused connection, and checks the mock: accepted createTasks = successes
(an ambiguous submit that the mock never received shows as a missing task).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import time
from typing import Any

import attrs
import httpx

from bench.bench_mock import machine, mock_process
from liangxin_client import AsyncLiangXin

KEY = "bench-key"


@attrs.define
class Tally:
    outcomes: collections.Counter[str] = attrs.Factory(collections.Counter)
    reused: int = 0  # createTasks sent on a connection an earlier one used


def _connections(client: AsyncLiangXin) -> set[object]:
    """The connections the client's pools hold now (private attributes, read for the trace)."""
    transport: Any = client._http._transport
    pools = [transport.submits, transport.reads] if hasattr(transport, "submits") else [transport]
    return {c for pool in pools for c in pool._pool.connections}


async def _lane(
    url: str,
    creates: list[int],
    gaps: list[float],
    spread: float,
    expiry: float | None,
    tally: Tally,
) -> None:
    http = None
    if expiry is not None:
        limits = httpx.Limits(
            max_connections=1, max_keepalive_connections=1, keepalive_expiry=expiry
        )
        http = httpx.AsyncClient(limits=limits)
    async with AsyncLiangXin(KEY, url, max_in_flight=1, http_client=http) as client:
        await asyncio.sleep(random.uniform(0, max(gaps)))  # lanes out of step
        before: set[object] = set()
        while creates:
            n = creates.pop()
            try:
                await client.tasks.create("z-image", f"keep-alive {n}")
                tally.outcomes["ok"] += 1
            except Exception as exc:
                tally.outcomes[type(exc).__name__] += 1
            now = _connections(client)
            tally.reused += bool(before & now)
            before = now
            await asyncio.sleep(random.choice(gaps) + random.uniform(-spread, spread))
    if http is not None:
        await http.aclose()


async def _run(
    url: str, creates: int, lanes: int, gaps: list[float], spread: float, expiry: float | None
) -> tuple[Tally, float]:
    queue = list(range(creates))
    tally = Tally()
    start = time.perf_counter()
    await asyncio.gather(*(_lane(url, queue, gaps, spread, expiry, tally) for _ in range(lanes)))
    return tally, time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench keepalive", description=__doc__)
    parser.add_argument("--creates", type=int, default=10_000)
    parser.add_argument("--lanes", type=int, default=200)
    parser.add_argument(
        "--around", default="1.5,4,5", help="gap centres, seconds (comma-separated)"
    )
    parser.add_argument("--spread", type=float, default=0.3, help="± seconds around each centre")
    parser.add_argument("--server-keep-alive", type=float, default=None)
    parser.add_argument("--client-expiry", type=float, default=None)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    random.seed(args.seed)
    gaps = [float(g) for g in args.around.split(",")]
    options = ["--task-seconds", "1"]
    if args.server_keep_alive is not None:
        options += ["--keep-alive", str(args.server_keep_alive)]
    print(f"machine: {machine()}; load average {os.getloadavg()[0]:.2f}")
    with mock_process(*options, key=KEY) as url:
        tally, wall = asyncio.run(
            _run(url, args.creates, args.lanes, gaps, args.spread, args.client_expiry)
        )
        stats: dict[str, Any] = httpx.get(url + "/__mock__/stats", timeout=30).json()
    server = "mock default" if args.server_keep_alive is None else f"{args.server_keep_alive:g} s"
    client = "client default" if args.client_expiry is None else f"{args.client_expiry:g} s"
    print(
        f"{args.creates} createTasks in {args.lanes} lanes, gaps {args.around} s ± "
        f"{args.spread:g} s; server keep-alive {server}, client expiry {client}"
    )
    outcomes = tally.outcomes
    print(f"outcomes: {dict(outcomes)}")
    ambiguous = outcomes["AmbiguousSubmitError"]
    print(
        f"ambiguous: {ambiguous} ({ambiguous / max(1, args.creates):.2e} per createTask); "
        f"{tally.reused} createTasks on a reused connection; wall {wall:.0f} s"
    )
    print(
        f"mock: {stats['createTask']} accepted createTask for {outcomes['ok']} successes; "
        f"load average after {os.getloadavg()[0]:.2f}"
    )
    return 0 if ambiguous == 0 and stats["createTask"] == outcomes["ok"] else 1
