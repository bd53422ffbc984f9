"""Is a `CallbackReceiver` still reachable while many senders stall mid-body or mid-headers?

The receiver runs under uvicorn in a subprocess whose open-file limit is `--fd-limit` (1024, a
common default), from `--source` (a checkout; default: this one, so an older commit can be
measured the same way): served by `receiver.uvicorn_config()` where the checkout has it (unless
`--plain`), else by `uvicorn.run` (with `--limit-concurrency N`, the mitigation the docs used to
suggest). This process opens `--connections` connections that each stall: `--stall body` sends
headers and a few bytes of a 4,000-byte body, `--stall headers` half of the headers. Meanwhile
it sends `--genuine` callback POSTs at once (timeout 30 s each, in parallel) and again after
`--settle` seconds, and at the end counts the receiver's log lines and tracebacks.
`python -m bench callback-flood [--connections N] [--stall headers|body] [--genuine N]
[--fd-limit N] [--source DIR] [--plain] [--limit-concurrency N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from tests.test_callbacks import body

ROOT = Path(__file__).resolve().parent.parent
GOOD = body()  # a well-formed callback (the tests' sample payload)
RECEIVER = """
import resource, sys, uvicorn
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, hard))
from liangxin_client.callbacks import CallbackReceiver
receiver = CallbackReceiver()
if {guarded} and hasattr(receiver, "uvicorn_config"):
    uvicorn.Server(receiver.uvicorn_config("127.0.0.1", {port})).run()
else:
    uvicorn.run(receiver, host="127.0.0.1", port={port}, log_level="warning",
                limit_concurrency={limit_concurrency})
"""
STALLS = {
    "body": b"POST /cb HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000\r\n\r\n" + b'{"code":',
    "headers": b"POST /cb HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def genuine(url: str) -> tuple[str, float]:
    """One genuine callback: its outcome (status or error) and how long it took, in seconds."""
    started = time.perf_counter()
    try:
        status = str(httpx.post(url, content=GOOD, timeout=30, trust_env=False).status_code)
    except httpx.HTTPError as exc:
        status = type(exc).__name__
    return status, time.perf_counter() - started


def stall(port: int, kind: str) -> socket.socket | None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(STALLS[kind])
    except OSError:
        return None
    return sock


def genuine_many(url: str, count: int) -> dict[str, object]:
    """`count` genuine callbacks at once: how many got 200, and the slowest one's seconds."""
    with ThreadPoolExecutor(count) as pool:
        results = list(pool.map(lambda _: genuine(url), range(count)))
    return {
        "ok": sum(status == "200" for status, _ in results),
        "of": count,
        "outcomes": sorted({status for status, _ in results}),
        "slowest_s": round(max(seconds for _, seconds in results), 2),
    }


def run(
    connections: int,
    fd_limit: int,
    source: Path,
    settle: float,
    *,
    kind: str = "body",
    count: int = 1,
    guarded: bool = True,
    limit_concurrency: int | None = None,
) -> dict[str, object]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/cb"
    env = {**os.environ, "PYTHONPATH": str(source)}
    script = RECEIVER.format(
        limit=fd_limit, port=port, guarded=guarded, limit_concurrency=limit_concurrency
    )
    with tempfile.TemporaryFile("w+") as log:
        receiver = subprocess.Popen(
            [sys.executable, "-c", script],
            env=env,
            stdout=log,
            stderr=log,
            cwd=source,
        )
        try:
            deadline = time.monotonic() + 30
            while genuine(url)[0] != "200":
                if time.monotonic() > deadline:
                    raise RuntimeError("the receiver did not start")
                time.sleep(0.1)
            socks = [stall(port, kind) for _ in range(connections)]
            opened = sum(s is not None for s in socks)
            during = genuine_many(url, count)
            time.sleep(settle)
            after = genuine_many(url, count)
            for sock in socks:
                if sock is not None:
                    sock.close()
        finally:
            receiver.terminate()
            receiver.wait(30)
        log.seek(0)
        text = log.read()
    return {
        "connections": connections,
        "opened": opened,
        "during": during,
        "after": after,
        "tracebacks": text.count("Traceback"),
        "log_lines": text.count("\n"),
        "log_bytes": len(text.encode()),
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench callback-flood")
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--stall", choices=sorted(STALLS), default="body")
    parser.add_argument("--genuine", type=int, default=1, help="genuine POSTs sent at once")
    parser.add_argument("--plain", action="store_true", help="uvicorn.run, not uvicorn_config()")
    parser.add_argument("--limit-concurrency", type=int, default=None)
    parser.add_argument("--fd-limit", type=int, default=1024)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds before the 2nd POST")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="checkout to run the receiver from"
    )
    args = parser.parse_args(argv)
    result = run(
        args.connections,
        args.fd_limit,
        args.source.resolve(),
        args.settle,
        kind=args.stall,
        count=args.genuine,
        guarded=not args.plain,
        limit_concurrency=args.limit_concurrency,
    )
    print(json.dumps(result))
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    return 0
