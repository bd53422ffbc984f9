"""`liangxin-mock`: run the mock on loopback and print its base URL and key(s)."""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import socket
import sqlite3
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from liangxin_mock.config import (
    DEFAULT_KEEP_ALIVE,
    DEFAULT_MAX_BODY_BYTES,
    MockConfig,
    parse_key_list,
    parse_key_spec,
)

if TYPE_CHECKING:  # the mock extra is imported only to serve, so --help works without it
    import uvicorn

ENV_KEYS = "LIANGXIN_MOCK_API_KEYS"


def _key(text: str) -> tuple[str, int | None]:
    try:
        return parse_key_spec(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(
    kind: Callable[[str], float], low: float, high: float = math.inf
) -> Callable[[str], float]:
    """An argparse type: a finite `kind` number within [low, high]."""

    def parse(text: str) -> float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            bounds = f"at least {low:g}" if high == math.inf else f"from {low:g} to {high:g}"
            raise argparse.ArgumentTypeError(f"{text!r} is out of range ({bounds})")
        return value

    return parse


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="liangxin-mock",
        description="A local simulator of the LiangXin Market image API (validates against the contract).",
        epilog=(
            "Outside the contract: send `X-Mock-Fail: CODE[:MESSAGE]` with a createTask to make that "
            "task fail, `X-Mock-Task-Seconds: S` to set its duration; inspect /__mock__/tasks, "
            "/__mock__/stats, /__mock__/callbacks; POST /__mock__/reset."
        ),
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: loopback)")
    p.add_argument(
        "--port", type=_number(int, 0, 65535), default=8000, help="port; 0 picks a free one"
    )
    p.add_argument(
        "--api-key",
        action="append",
        type=_key,
        default=[],
        metavar="KEY[:CREDITS]",
        help=f"accepted key, optionally with a credit budget (repeatable; also ${ENV_KEYS})",
    )
    p.add_argument("--db", default=None, metavar="PATH", help="SQLite file (default: in memory)")
    p.add_argument(
        "--task-seconds", type=_number(float, 0), default=3.0, help="task duration (0: immediate)"
    )
    p.add_argument(
        "--fail-rate", type=_number(float, 0, 1), default=0.0, help="share of tasks that fail"
    )
    p.add_argument(
        "--fault-rate", type=_number(float, 0, 1), default=0.0, help="share of requests that fault"
    )
    p.add_argument("--seed", type=int, default=0, help="makes failures and faults reproducible")
    p.add_argument("--max-body-bytes", type=_number(int, 1), default=DEFAULT_MAX_BODY_BYTES)
    p.add_argument(
        "--max-concurrent", type=_number(int, 1), default=None, help="running tasks per key"
    )
    p.add_argument("--allow-http-callbacks", action="store_true", help="accept http:// callBackUrl")
    p.add_argument(
        "--strict",
        action="store_true",
        help="also refuse bodies that break an inferred (undocumented) rule; by default they are "
        "accepted and listed under inferredViolations in /__mock__/stats",
    )
    p.add_argument("--public-base-url", default=None, help="base of result URLs (default: request)")
    p.add_argument(
        "--keep-alive",
        type=_number(float, 0.1),
        default=DEFAULT_KEEP_ALIVE,
        metavar="SECONDS",
        help=f"close a keep-alive connection idle this long (default {DEFAULT_KEEP_ALIVE:g}: "
        "above common clients' own idle expiry)",
    )
    return p


def config_from_args(args: argparse.Namespace, environ: dict[str, str]) -> MockConfig:
    keys: dict[str, int | None] = parse_key_list(environ.get(ENV_KEYS, ""))
    keys.update(dict(args.api_key))
    return MockConfig(
        api_keys=keys,
        db_path=args.db,
        task_seconds=args.task_seconds,
        fail_rate=args.fail_rate,
        fault_rate=args.fault_rate,
        seed=args.seed,
        max_body_bytes=args.max_body_bytes,
        allow_http_callbacks=args.allow_http_callbacks,
        strict=args.strict,
        max_concurrent=args.max_concurrent,
        public_base_url=args.public_base_url,
        keep_alive=args.keep_alive,
        # /__mock__/ answers requests addressed to the host it was asked to bind (besides loopback).
        trusted_hosts=() if args.host in ("", "0.0.0.0", "::") else (args.host,),
    ).with_default_key()


def _banner(server: uvicorn.Server, config: MockConfig, host: str) -> str:
    port = server.servers[0].sockets[0].getsockname()[1]
    shown = f"[{host}]" if ":" in host else host
    lines = [f"liangxin-mock listening on http://{shown}:{port}"]
    for key, credits in config.api_keys.items():
        budget = "unlimited" if credits is None else f"{credits} credits"
        lines.append(f"api key: {key} ({budget})")
    lines.append(f"database: {config.db_path or 'in memory'}")
    return "\n".join(lines)


def _bind(host: str, port: int) -> socket.socket:
    """Bind here, so an address in use or a bad host is one clear error, not a traceback."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


async def _serve(
    server: uvicorn.Server, sock: socket.socket, config: MockConfig, host: str
) -> None:
    serving = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started and not serving.done():
        await asyncio.sleep(0.01)
    if server.started:
        print(_banner(server, config, host), flush=True)
    await serving


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        import uvicorn

        from liangxin_mock.app import create_app
        from liangxin_mock.server import uvicorn_config
    except ImportError as exc:
        print(
            f"liangxin-mock: needs the mock extra ({exc.name} is missing): "
            "pip install 'liangxin-client[mock]'",
            file=sys.stderr,
        )
        return 2
    try:
        config = config_from_args(args, dict(os.environ))
    except ValueError as exc:
        print(f"liangxin-mock: {exc}", file=sys.stderr)
        return 2
    try:
        sock = _bind(args.host, args.port)
    except OSError as exc:
        print(f"liangxin-mock: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    try:
        app = create_app(config)
    except sqlite3.Error as exc:
        sock.close()
        print(f"liangxin-mock: cannot open the database {args.db!r}: {exc}", file=sys.stderr)
        return 2
    server = uvicorn.Server(uvicorn_config(app, config, args.host, args.port))
    asyncio.run(_serve(server, sock, config, args.host))
    return 0 if server.started else 1
