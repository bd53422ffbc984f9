"""Set-up checks made before a run spends anything: every output can be written, the service
answers, and it accepts the key.

Each check returns None or one line that names the problem and what to do; `liangxin-conformance`
prints it and exits 3 (could not run: the service was not judged).
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from liangxin_conformance.report import redact

#: The probe: recordInfo of a task nobody made. It is free (a GET), and it needs the key.
PROBE_TASK_ID = "task_liangxin-conformance-probe_0000000000000"
#: Seconds the probe may take to connect, and again to be answered.
PROBE_TIMEOUT = 10.0
#: What answers the probe with no verdict possible: the service is saturated or down.
UNAVAILABLE = {429: "refusing requests for load", 502: "unavailable (bad gateway)"}
UNAVAILABLE |= {503: "unavailable", 504: "unavailable (gateway timeout)"}


def resolve(path: str | os.PathLike[str], cwd: Path) -> Path:
    """`path` as the user meant it: `~` expanded, relative to `cwd` (their working directory)."""
    return Path(os.path.normpath(cwd / Path(path).expanduser()))


def check_writable(path: Path, made: list[Path]) -> str | None:
    """Can `path` be written? Missing parent directories are made (appended to `made`, so a
    run that stops can remove them again); an existing file is opened for appending and left
    as it was; a new one is created and removed at once."""
    if path.is_dir():
        return f"{path} is a directory"
    problem = _make_directory(path.parent, made)
    if problem:
        return f"{path} cannot be written: {problem}"
    try:
        if path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_APPEND | os.O_NONBLOCK))
        else:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
            path.unlink()
    except OSError as exc:
        return f"{path} cannot be written: {_reason(exc)}"
    return None


def check_directory(path: Path, made: list[Path]) -> str | None:
    """Can files be written in the directory `path` (made, with its parents, if missing)?"""
    if path.exists() and not path.is_dir():
        return f"{path} is not a directory"
    problem = _make_directory(path, made)
    if problem:
        return f"{path} cannot be made: {problem}"
    try:
        fd, name = tempfile.mkstemp(dir=path, prefix=".liangxin-conformance-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        return f"{path} cannot be written in: {_reason(exc)}"
    return None


def _make_directory(directory: Path, made: list[Path]) -> str | None:
    """Make `directory` and its missing parents (each appended to `made`); or what stops it."""
    missing: list[Path] = []
    existing = directory
    while not existing.exists() and existing != existing.parent:
        missing.append(existing)
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    for each in reversed(missing):
        try:
            each.mkdir()
        except FileExistsError:
            continue
        except OSError as exc:
            return f"cannot create {each}: {_reason(exc)}"
        made.append(each)
    return None


def remove_made(made: list[Path]) -> None:
    """Remove the directories `check_writable` made that are still empty (deepest first)."""
    for directory in sorted(made, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):  # something was written there after all: keep it
            directory.rmdir()
    made.clear()


def check_base_url(base_url: str) -> str | None:
    """A usage problem with `--base-url` (exit 2), or None."""
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "--base-url must be an http:// or https:// URL with a host"
    try:
        parts.port  # noqa: B018 - raises on a port that is not a number
    except ValueError:
        return "--base-url has an invalid port"
    return None


def probe_service(base_url: str, api_key: str, timeout: float = PROBE_TIMEOUT) -> str | None:
    """Ask the service for a task nobody made (free) and judge only the set-up: does it answer
    over HTTP, and does it accept the key? Any other answer is the suite's to judge (None).
    The key is never in the line (a service may echo it)."""
    problem = _probe(base_url, api_key, timeout)
    return None if problem is None else redact(problem, [api_key])


def _probe(base_url: str, api_key: str, timeout: float) -> str | None:
    import httpx

    from liangxin_contract import operation

    _, path = operation("getTaskDetails")
    url = base_url.rstrip("/") + path
    where = _origin(base_url)
    try:
        with httpx.Client(timeout=httpx.Timeout(timeout), trust_env=False) as client:
            response = client.get(
                url,
                params={"taskId": PROBE_TASK_ID},
                headers={"Authorization": f"Bearer {api_key}"},
            )
    except httpx.ConnectTimeout:
        return f"no connection to {where} within {timeout:g} s: is the host right and reachable?"
    except httpx.ConnectError as exc:
        return _connect_problem(where, exc)
    except httpx.TimeoutException:
        return f"{where} took the connection but sent no answer within {timeout:g} s"
    except (httpx.RemoteProtocolError, httpx.LocalProtocolError) as exc:
        return (
            f"{where} did not answer in HTTP ({_first_line(exc)}): is the scheme"
            f" ({urlsplit(base_url).scheme}://) right?"
        )
    except httpx.HTTPError as exc:
        return f"the request to {where} failed: {type(exc).__name__}: {_first_line(exc)}"
    return _answer_problem(url, response.status_code, response.headers, response.content)


def _answer_problem(url: str, status: int, headers: Any, content: bytes) -> str | None:
    said = _service_message(content)
    detail = f' "{said}"' if said else ""
    if status in (401, 403):
        return (
            f"the service refused the key (HTTP {status}{detail}):"
            " check LIANGXIN_API_KEY / --api-key"
        )
    if status in UNAVAILABLE:
        after = headers.get("retry-after")
        wait = f", Retry-After {after}" if after else ""
        return f"the service is {UNAVAILABLE[status]} (HTTP {status}{wait}): try again later"
    if 300 <= status < 400:
        location = headers.get("location", "?")
        return (
            f"{url} redirects (HTTP {status}) to {location}:"
            " give the address it redirects to as --base-url"
        )
    if status == 404 and said is None:
        return (
            f"{url} answered HTTP 404 without a LiangXin JSON body: is --base-url the API's"
            " base address (without /api/v1/...)?"
        )
    return None


def _service_message(content: bytes) -> str | None:
    """The message of a JSON error envelope (either documented shape; "" when it has none),
    or None when the body is not a JSON object."""
    import json

    try:
        body = json.loads(content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    error = body.get("error")
    message = error.get("message") if isinstance(error, dict) else body.get("msg")
    if not isinstance(message, str):
        return ""
    flat = " ".join(message.split())
    return flat if len(flat) <= 80 else flat[:79] + "…"


def _connect_problem(where: str, exc: BaseException) -> str:
    for cause in _causes(exc):
        if isinstance(cause, ssl.SSLCertVerificationError):
            reason = cause.verify_message or cause.reason or "certificate not trusted"
            return f"the TLS certificate of {where} was refused ({reason})"
        if isinstance(cause, ssl.SSLError):
            return (
                f"the TLS handshake with {where} failed ({cause.reason or _first_line(cause)}):"
                " is it an https:// service?"
            )
        if isinstance(cause, socket.gaierror):
            return f"cannot resolve the host of {where} ({cause.strerror or cause})"
        if isinstance(cause, ConnectionRefusedError):
            return (
                f"cannot connect to {where} (connection refused): is the service running,"
                " and is --base-url right?"
            )
    return f"cannot connect to {where} ({_first_line(exc)})"


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def _origin(base_url: str) -> str:
    """scheme://host[:port] of `base_url` (no user info, no path)."""
    parts = urlsplit(base_url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}"


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
