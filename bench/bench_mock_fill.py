"""Does the mock keep its rate as it fills? createTask and recordInfo req/s at N stored tasks.

For each N the database file is prefilled by bulk-inserting N finished tasks straight into
SQLite (the mock's own schema, via `Store`), then the mock is started on it in a subprocess
(`--db FILE --task-seconds 0`) and measured as in `python -m bench mock`: sequential requests on
one keep-alive connection, then C concurrent asyncio tasks.
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.bench_mock import KEY, machine, measure
from liangxin_mock.store import Store

_INSERT = (
    "INSERT INTO tasks (seq, task_id, api_key, model, param, create_ms, id_ms, duration_ms, "
    "complete_ms, fail_code, fail_msg, callback_url, callback_state, base_url) "
    "VALUES (?, ?, ?, 'z-image', ?, ?, ?, 1000, ?, '', '', NULL, NULL, 'http://127.0.0.1')"
)
_PARAM = '{"model":"z-image","input":{"prompt":"prefilled"}}'


def prefill(path: str, count: int) -> float:
    """Store `count` finished tasks in the database at `path`; return the seconds it took."""
    start = time.perf_counter()
    store = Store(path)  # creates the schema and its indexes
    store.close()
    db = sqlite3.connect(path)
    base = int(time.time() * 1000) - 10 * count - 86_400_000
    with db:
        db.executemany(
            _INSERT,
            (
                (i, f"task_z-image_{base + i}", KEY, _PARAM, base + i, base + i, base + i + 1000)
                for i in range(1, count + 1)
            ),
        )
    db.close()
    return time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench mock-fill", description=__doc__)
    parser.add_argument(
        "--sizes", default="0,10000,100000,500000", help="stored tasks, comma-separated"
    )
    parser.add_argument("-n", "--requests", type=int, default=1000)
    parser.add_argument("-c", "--concurrency", type=int, default=16)
    args = parser.parse_args(argv)
    print(f"machine: {machine()}")
    print(f"requests per phase: {args.requests}; concurrency: {args.concurrency}; file database")
    header = f"{'stored':<10} {'mode':<14} {'createTask/s':>13} {'recordInfo/s':>13}"
    print(header)
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            db = str(Path(tmp) / "fill.db")
            prefill(db, size)
            measure(f"{size:>8}", db, args.requests, args.concurrency)
    return 0
