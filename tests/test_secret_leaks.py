"""The API key and the callBackUrl leave the client only in the request actually sent.

Not in an exception (its message, attributes, pickle), not in a log line, not in the local
variables of a traceback's frames — what error reporters that record locals (Sentry's
`include_local_variables`, `traceback`'s `capture_locals`) send away — and not in any form a
server may echo them back in (URL-encoded, JSON-escaped, HTML entities, base64). Every path is
run against real servers on loopback: the mock (with faults), a silent socket, a closed port,
and a small server that echoes credentials back in every form.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import pickle
import re
import socket
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import httpx
import pytest

try:  # the dev extra has it; without it the same frames are still walked below
    import sentry_sdk
except ImportError:  # pragma: no cover - depends on the installed extras
    sentry_sdk = None  # type: ignore[assignment]

from liangxin_client import (
    AsyncLiangXin,
    LiangXin,
    LiangXinError,
    parse_callback,
    verify_callback,
)
from liangxin_mock import MockServer

#: A key with the characters that encodings change: `/`, `+`, `=`.
KEY = "sk-LEAKED/canary+key=="
OTHER_KEY = "sk-the-mock-accepts-this-one"
#: A callBackUrl whose path is a secret token.
HOOK_TOKEN = "hook-token-9f8e7d6c5b4a"
CALLBACK = f"https://hooks.example.com/cb/{HOOK_TOKEN}?sig=abc+def/ghi"


def echo_forms(secret: str) -> set[str]:
    """Every form a server may echo `secret` in (written here, independently of the client)."""
    forms = {
        secret,
        quote(secret, safe=""),
        re.sub("%[0-9A-F]{2}", lambda m: m.group().lower(), quote(secret, safe="")),
        quote(secret),
        quote_plus(secret),
        json.dumps(secret)[1:-1].replace("/", "\\/"),
        "".join(f"\\u{ord(c):04x}" if c in "/+=" else c for c in secret),
        "".join(f"\\u{ord(c):04X}" if c in "/+=" else c for c in secret),
        "".join(f"&#{ord(c)};" if c in "/+=" else c for c in secret),
        "".join(f"&#x{ord(c):x};" if c in "/+=" else c for c in secret),
        secret.replace("+", " "),  # a form decoder's reading of `+`
    }
    for raw in (secret, f"Bearer {secret}"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            text = encode(raw.encode()).decode()
            forms |= {text, text.rstrip("=")}
    return forms


KEY_FORMS = echo_forms(KEY)
HOOK_FORMS = {HOOK_TOKEN}  # the token in any form contains it as is (it has no special chars)
ALL_FORMS = KEY_FORMS | HOOK_FORMS


def leaks(text: str, forms: set[str] = ALL_FORMS) -> list[str]:
    return sorted(form for form in forms if form in text)


def key_leaks(text: str) -> list[str]:
    """The key in any form (the callBackUrl is the caller's own argument, so it is in frames
    that hold the request body, as the body itself is the request)."""
    return leaks(text, KEY_FORMS)


# -- reporters that record locals ------------------------------------------------------------


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """`exc` and every exception chained to it, as cause or context (suppressed or not)."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo += [e for e in (current.__cause__, current.__context__) if e is not None]


def _texts(value: Any, depth: int = 0) -> Iterator[str]:
    """What a locals-recording reporter keeps of a value: mappings and sequences walked (as
    Sentry's serializer does), anything else by its repr."""
    if depth > 8:
        return
    try:
        yield repr(value)
    except Exception:
        return
    if isinstance(value, str | bytes):
        yield value if isinstance(value, str) else value.decode("utf-8", "replace")
    elif isinstance(value, Mapping):
        for key, item in list(value.items()):
            yield from _texts(key, depth + 1)
            yield from _texts(item, depth + 1)
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            yield from _texts(item, depth + 1)


def frame_leaks(exc: BaseException) -> list[str]:
    """`file:function:variable` of every traceback frame local that holds a secret."""
    found = []
    for link in _chain(exc):
        tb = link.__traceback__
        while tb is not None:
            frame = tb.tb_frame
            if frame.f_code.co_filename != __file__:  # the test's own frames hold KEY itself
                for name, value in frame.f_locals.items():
                    if any(key_leaks(text) for text in _texts(value)):
                        where = frame.f_code.co_filename.rsplit("/", 2)[-2:]
                        found.append(f"{'/'.join(where)}:{frame.f_code.co_name}:{name}")
            tb = tb.tb_next
    return found


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield str(key)
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


@pytest.fixture
def sentry_events() -> Iterator[list[dict[str, Any]]]:
    """Sentry's SDK recording locals; events are kept here, never sent (before_send drops them)."""
    events: list[dict[str, Any]] = []
    if sentry_sdk is None:  # pragma: no cover
        yield events
        return

    def keep(event: dict[str, Any], hint: Any) -> None:
        events.append(event)

    sentry_sdk.init(
        dsn="http://public@127.0.0.1:9/1",
        before_send=keep,  # type: ignore[arg-type]
        data_collection={"stack_frame_variables": True},  # the default, said out loud
        max_value_length=100_000,
        default_integrations=False,
        auto_enabling_integrations=False,
    )
    yield events
    sentry_sdk.init(dsn=None)


def assert_nothing_leaks(exc: BaseException, events: list[dict[str, Any]]) -> None:
    # What a reporter records: Sentry's event, and the standard library's formatted locals.
    if sentry_sdk is not None:
        _assert_sentry_records_no_key(exc, events)
    stdlib = traceback.TracebackException.from_exception(exc, capture_locals=True)
    assert not key_leaks("".join(_without_test_frames(stdlib))), "capture_locals shows it"
    # Every frame's locals, the whole chain (suppressed contexts included), walked deeper.
    assert frame_leaks(exc) == []
    # The exception itself (message, repr, pickle, what it says was sent): neither key nor hook.
    assert leaks(str(exc)) == [] and leaks(repr(exc)) == []
    assert leaks(pickle.dumps(exc).decode("latin-1")) == []
    if isinstance(exc, LiangXinError) and getattr(exc, "request", None) is not None:
        request = exc.request  # type: ignore[attr-defined]
        assert leaks(request.content.decode()) == [] and leaks(str(request.url)) == []
        assert leaks(str(request.headers.multi_items())) == []


def _assert_sentry_records_no_key(exc: BaseException, events: list[dict[str, Any]]) -> None:
    sentry_sdk.capture_exception(exc)
    assert events, "Sentry recorded no event"
    event = events.pop()
    frames = [
        frame
        for entry in event["exception"]["values"]
        for frame in (entry.get("stacktrace") or {}).get("frames", [])
    ]
    assert any(frame.get("vars") for frame in frames), "Sentry recorded no locals"
    recorded = [
        s
        for frame in frames
        if frame.get("abs_path") != __file__
        for s in _strings(frame.get("vars", {}))
    ]
    sentry_leaks = sorted({form for s in recorded for form in key_leaks(s)})
    assert not sentry_leaks, f"Sentry recorded {sentry_leaks}"


def _without_test_frames(stdlib: traceback.TracebackException) -> Iterator[str]:
    """The formatted traceback with the test's own frames (whose locals hold KEY) left out."""
    current: traceback.TracebackException | None = stdlib
    while current is not None:
        for frame in current.stack:
            if frame.filename != __file__:
                yield f"{frame.name} {frame.locals}"
        current = current.__cause__ or current.__context__


# -- servers on loopback ------------------------------------------------------------------------


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A port that accepts connections and never answers (every read times out)."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(64)
    yield sock.getsockname()[1]
    sock.close()


def _closed_port() -> int:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    sock.close()
    return port


def _echo_everything(auth: str, body: bytes) -> str:
    """A JSON text that echoes the credential (and the callBackUrl sent) in every form."""
    key = auth.removeprefix("Bearer ")
    hook = ""
    if body:
        with_url = json.loads(body).get("callBackUrl", "")
        hook = " ".join(echo_forms(with_url)) if with_url else ""
    forms = " ".join(echo_forms(key)) + " " + hook
    # Written by hand, as PHP's json_encode does: `/` escaped.
    return '{"code": 500, "msg": "bad key ' + forms.replace("\\", "\\\\").replace('"', "'") + '"}'


class _Echo(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        body = self.rfile.read(length) if length else b""
        text = _echo_everything(self.headers.get("authorization", ""), body)
        payload = text.encode()
        self.send_response(500 if "createTask" in self.path else 401)
        self.send_header("content-type", "application/json")
        self.send_header("x-echo", quote(self.headers.get("authorization", ""), safe=""))
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def echo_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _raised(call: Callable[[], object]) -> BaseException:
    try:
        call()
    except BaseException as exc:
        return exc
    raise AssertionError("no error was raised")


INFINITY = {"x": float("inf")}


def callback_body(task_id: str) -> dict[str, Any]:
    record = {
        "taskId": task_id,
        "model": "z-image",
        "state": "success",
        "param": '{"model":"z-image","input":{"prompt":"fox"}}',
        "resultJson": '{"resultUrls":["https://example.com/result.png"]}',
        "failCode": "",
        "failMsg": "",
        "createTime": 1777600000000,
        "completeTime": 1777600012000,
    }
    return {"code": 200, "msg": "success", "data": record}


# -- the paths ------------------------------------------------------------------------------------


@pytest.mark.parametrize("direct", [True, False], ids=["own pool", "given http_client"])
def test_invalid_input_traceback(
    liangxin_mock_factory: Callable[..., MockServer],
    sentry_events: list[dict[str, Any]],
    direct: bool,
) -> None:
    mock = liangxin_mock_factory(api_keys={KEY: None})
    http = None if direct else httpx.Client()
    with LiangXin(KEY, mock.base_url, http_client=http) as client:
        for call in (
            lambda: client.tasks.create("z-image", "fox", extra_input=INFINITY),
            lambda: client.generate("z-image", "fox", extra_input=INFINITY, callback_url=CALLBACK),
        ):
            exc = _raised(call)
            assert type(exc).__name__ == "InvalidRequestError"
            assert_nothing_leaks(exc, sentry_events)
    assert mock.tasks() == []  # nothing was sent


@pytest.mark.parametrize(
    "fault", ["server_error", "html", "drop", "accepted_drop", "slow", "rate_limited"]
)
def test_faults_of_the_service(
    liangxin_mock_factory: Callable[..., MockServer],
    sentry_events: list[dict[str, Any]],
    fault: str,
) -> None:
    mock = liangxin_mock_factory(
        api_keys={KEY: None}, fault_rate=1.0, fault_kinds=(fault,), fault_slow_seconds=1.0
    )
    with LiangXin(KEY, mock.base_url, max_retries=0, timeout=0.3) as client:
        exc = _raised(lambda: client.tasks.create("z-image", "fox", callback_url=CALLBACK))
        assert isinstance(exc, LiangXinError), exc
        assert_nothing_leaks(exc, sentry_events)
        exc = _raised(lambda: client.tasks.get("task_z-image_1777600000000"))
        assert isinstance(exc, LiangXinError), exc
        assert_nothing_leaks(exc, sentry_events)


def test_wrong_key_and_unknown_task(
    liangxin_mock_factory: Callable[..., MockServer], sentry_events: list[dict[str, Any]]
) -> None:
    mock = liangxin_mock_factory(api_keys={OTHER_KEY: None})
    with LiangXin(KEY, mock.base_url, max_retries=0) as client:
        for call in (
            lambda: client.tasks.create("z-image", "fox", callback_url=CALLBACK),
            lambda: client.generate("z-image", "fox", callback_url=CALLBACK),
            lambda: client.tasks.get("task_z-image_1777600000000"),
        ):
            exc = _raised(call)
            assert type(exc).__name__ == "AuthenticationError"
            assert_nothing_leaks(exc, sentry_events)
        outcomes = list(client.generate_many([{"model": "z-image", "prompt": "fox"}]))
        assert outcomes[0].error is not None
        assert_nothing_leaks(outcomes[0].error, sentry_events)
    with LiangXin(OTHER_KEY, mock.base_url) as good:
        task = good.tasks.create("z-image", "fox")
    with LiangXin(KEY, mock.base_url, max_retries=0) as client:
        record = parse_callback(json.dumps(callback_body(task.task_id)))
        exc = _raised(lambda: verify_callback(record, client))
        assert_nothing_leaks(exc, sentry_events)


def test_timeouts_and_refused_connections(
    silent_port: int, sentry_events: list[dict[str, Any]]
) -> None:
    with LiangXin(KEY, f"http://127.0.0.1:{silent_port}", max_retries=0, timeout=0.3) as client:
        ambiguous = _raised(lambda: client.tasks.create("z-image", "fox", callback_url=CALLBACK))
        assert type(ambiguous).__name__ == "AmbiguousSubmitError"
        assert_nothing_leaks(ambiguous, sentry_events)
        timeout = _raised(lambda: client.tasks.get("task_z-image_1777600000000"))
        assert type(timeout).__name__ == "APITimeoutError"
        assert_nothing_leaks(timeout, sentry_events)
    with LiangXin(KEY, f"http://127.0.0.1:{_closed_port()}", max_retries=0) as client:
        refused = _raised(lambda: client.tasks.create("z-image", "fox", callback_url=CALLBACK))
        assert type(refused).__name__ == "APIConnectionError"
        assert_nothing_leaks(refused, sentry_events)


def test_configuration_errors(sentry_events: list[dict[str, Any]]) -> None:
    for call in (
        lambda: LiangXin(KEY, "ftp://example.com"),
        lambda: LiangXin(KEY + "\n", "https://example.com"),
        lambda: LiangXin(KEY, "https://example.com").with_options(base_url="nope"),
        lambda: LiangXin(OTHER_KEY, "https://example.com").with_options(
            api_key=KEY, base_url="nope"
        ),
    ):
        exc = _raised(call)
        assert type(exc).__name__ == "ConfigurationError"
        assert_nothing_leaks(exc, sentry_events)


def test_async_paths(
    liangxin_mock_factory: Callable[..., MockServer],
    silent_port: int,
    sentry_events: list[dict[str, Any]],
) -> None:
    mock = liangxin_mock_factory(api_keys={OTHER_KEY: None})

    async def run() -> list[BaseException]:
        errors: list[BaseException] = []
        async with AsyncLiangXin(KEY, mock.base_url, max_retries=0) as client:
            for make in (
                lambda: client.tasks.create("z-image", "fox", extra_input=INFINITY),
                lambda: client.generate("z-image", "fox", callback_url=CALLBACK),
            ):
                try:
                    await make()
                except LiangXinError as exc:
                    errors.append(exc)
        silent = f"http://127.0.0.1:{silent_port}"
        async with AsyncLiangXin(KEY, silent, max_retries=0, timeout=0.3) as client:
            try:
                await client.tasks.create("z-image", "fox", callback_url=CALLBACK)
            except LiangXinError as exc:
                errors.append(exc)
        return errors

    errors = asyncio.run(run())
    assert [type(e).__name__ for e in errors] == [
        "InvalidRequestError",
        "AuthenticationError",
        "AmbiguousSubmitError",
    ]
    for exc in errors:
        assert_nothing_leaks(exc, sentry_events)


# -- echoes --------------------------------------------------------------------------------------


def test_every_echo_form_is_scrubbed(
    echo_server: str,
    sentry_events: list[dict[str, Any]],
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
) -> None:
    caplog.set_level(logging.DEBUG, logger="liangxin_client")
    with LiangXin(KEY, echo_server, max_retries=0) as client:
        created = _raised(lambda: client.tasks.create("z-image", "fox", callback_url=CALLBACK))
        polled = _raised(lambda: client.tasks.get("task_z-image_1777600000000"))
    for exc in (created, polled):
        assert isinstance(exc, LiangXinError), exc
        assert_nothing_leaks(exc, sentry_events)
    assert "bad key" in str(polled) and "***" in str(polled)  # the message is kept, scrubbed
    assert leaks(caplog.text) == [], [line for line in caplog.text.splitlines() if leaks(line)]
    assert "hooks.example.com" in caplog.text  # where the callback goes is still shown


def test_the_request_sent_carries_the_callback_url(
    liangxin_mock_factory: Callable[..., MockServer], caplog: pytest.LogCaptureFixture
) -> None:
    """The redaction is of what is kept and logged, never of what is sent."""
    mock = liangxin_mock_factory(api_keys={KEY: None}, allow_http_callbacks=True)
    caplog.set_level(logging.DEBUG, logger="liangxin_client")
    with LiangXin(KEY, mock.base_url) as client:
        task = client.tasks.create("z-image", "fox", callback_url=CALLBACK)
    (stored,) = [t for t in mock.tasks() if t["taskId"] == task.task_id]
    assert CALLBACK in json.dumps(stored)
    assert HOOK_TOKEN not in caplog.text and "createTask" in caplog.text
