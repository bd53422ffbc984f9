"""Is a `CallbackReceiver` still reachable while many senders stall mid-body?

The receiver runs under uvicorn in a subprocess whose open-file limit is `--fd-limit` (1024, a
common default), from `--source` (a checkout; default: this one, so an older commit can be
measured the same way). This process opens `--connections` connections that each send headers
and a few bytes of a 4,000-byte body, then stall. Meanwhile it times one genuine callback POST
(timeout 30 s) right away and again after `--settle` seconds, and at the end counts the
tracebacks the receiver wrote to its log.
`python -m bench callback-flood [--connections N] [--fd-limit N] [--source DIR]`.
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
uvicorn.run(CallbackReceiver(), host="127.0.0.1", port={port}, log_level="warning")
"""


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


def stall(port: int) -> socket.socket | None:
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        head = "POST /cb HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4000\r\n\r\n"
        sock.sendall(head.encode() + b'{"code":')
    except OSError:
        return None
    return sock


def run(connections: int, fd_limit: int, source: Path, settle: float) -> dict[str, object]:
    port = free_port()
    url = f"http://127.0.0.1:{port}/cb"
    env = {**os.environ, "PYTHONPATH": str(source)}
    with tempfile.TemporaryFile("w+") as log:
        receiver = subprocess.Popen(
            [sys.executable, "-c", RECEIVER.format(limit=fd_limit, port=port)],
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
            socks = [stall(port) for _ in range(connections)]
            opened = sum(s is not None for s in socks)
            during = genuine(url)
            time.sleep(settle)
            after = genuine(url)
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
        "log_bytes": len(text.encode()),
    }


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench callback-flood")
    parser.add_argument("--connections", type=int, default=1100)
    parser.add_argument("--fd-limit", type=int, default=1024)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds before the 2nd POST")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="checkout to run the receiver from"
    )
    args = parser.parse_args(argv)
    result = run(args.connections, args.fd_limit, args.source.resolve(), args.settle)
    print(json.dumps(result))
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    )
    return 0
