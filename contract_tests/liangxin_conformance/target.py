"""What the suite tests: the in-process mock (default), another in-process app, or a live URL."""

from __future__ import annotations

import importlib
import json
import os
import secrets
import shlex
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from liangxin_conformance.asgi_bridge import ASGIBridge, SessionLifespan
from liangxin_conformance.budget import PaidTaskBudget

_UNSHOWN_HEADERS = {
    "host",
    "content-length",
    "accept",
    "accept-encoding",
    "connection",
    "user-agent",
}
#: Base URL shown in reproductions for in-process targets (where `liangxin-mock` listens by default).
IN_PROCESS_URL = "http://127.0.0.1:8000"
DEFAULT_LIVE_BUDGET = 5
#: A callback sink for mocks: an address literal (RFC 5737 TEST-NET-1) needs no DNS lookup.
LITERAL_SINK = "https://192.0.2.1/liangxin-conformance/callback"


@dataclass
class Target:
    """A service under test. `app` is set for in-process targets (no socket)."""

    base_url: str
    api_key: str
    budget: PaidTaskBudget
    max_examples: int
    app: Any = None
    #: The target is a liangxin-mock that can POST callbacks to a loopback http:// receiver.
    loopback_callbacks: bool = False
    #: The target honours the mock's X-Mock-* test headers (forced failures).
    mock_headers: bool = False
    label: str = ""
    #: How long a task may take to reach a terminal state, and the polling interval.
    task_timeout: float = 30.0
    poll_interval: float = 0.05
    #: callBackUrl given to generated positive createTask cases (a documentation-only address).
    callback_sink: str = "https://example.com/liangxin-conformance/callback"
    #: Spend paid tasks on guesses too (our own examples, guessed models and fields, probes of
    #: inferred constraints); `--include-inferred`. Free targets (mocks) always do.
    include_inferred: bool = False
    #: Statuses of the answers to requests sent with this target's key (`note`).
    key_statuses: Counter[int] = field(default_factory=Counter)
    _clients: list[httpx.Client] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def in_process(self) -> bool:
        return self.app is not None

    @property
    def free(self) -> bool:
        """A mock (in-process or a local liangxin-mock): accepted tasks cost nothing."""
        return self.in_process or self.mock_headers

    @property
    def tests_guesses(self) -> bool:
        """May requests whose outcome rests only on guesses be sent (they may cost a task)?"""
        return self.free or self.include_inferred

    def auth_headers(self, key: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key if key is None else key}"}

    def transport(self) -> httpx.BaseTransport | None:
        return ASGIBridge(self.app) if self.app is not None else None

    def note(self, response: Any) -> None:
        """Count the answer to a request sent with this target's key (an httpx or schemathesis
        response), so that a run where the service refused the key says so."""
        headers = getattr(getattr(response, "request", None), "headers", None) or {}
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), None)
        if auth == f"Bearer {self.api_key}":
            with self._lock:
                self.key_statuses[int(response.status_code)] += 1

    def key_answers(self) -> dict[str, Any]:
        """`{"with_key": n, "statuses": {"401": n, ...}}`, for the JSON report."""
        with self._lock:
            counts = dict(self.key_statuses)
        return {
            "with_key": sum(counts.values()),
            "statuses": {str(status): n for status, n in sorted(counts.items())},
        }

    def client(self, *, authenticated: bool = True, **kwargs: Any) -> httpx.Client:
        """An httpx client for this target (closed at the end of the session); every answer
        it gets is `note`d."""
        headers = self.auth_headers() if authenticated else {}
        hooks = dict(kwargs.pop("event_hooks", None) or {})
        hooks["response"] = [*hooks.get("response", []), self.note]
        client = httpx.Client(
            base_url=self.base_url,
            headers=headers,
            transport=self.transport(),
            timeout=httpx.Timeout(60.0),
            trust_env=False,
            event_hooks=hooks,
            **kwargs,
        )
        self._clients.append(client)
        return client

    def curl(self, request: httpx.Request) -> str:
        """A curl command that replays `request`; this target's key reads `$LIANGXIN_API_KEY`."""
        parts = ["curl", "-X", request.method]
        for name, value in request.headers.items():
            if name.lower() not in _UNSHOWN_HEADERS:
                parts += ["-H", f"{name}: {value}"]
        body = request.read()
        if body:
            try:
                text = json.dumps(json.loads(body), ensure_ascii=False, separators=(",", ":"))
            except ValueError:
                text = body.decode("utf-8", "replace")
            parts += ["-d", text]
        parts.append(str(request.url))
        return self.env_key(" ".join(shlex.quote(p) for p in parts))

    def env_key(self, command: str) -> str:
        """`command` with this target's Authorization header read from `$LIANGXIN_API_KEY`."""
        quoted = shlex.quote(f"authorization: Bearer {self.api_key}")
        for form in (quoted, quoted.replace("authorization", "Authorization")):
            command = command.replace(form, '"Authorization: Bearer ${LIANGXIN_API_KEY}"')
        return command

    def close(self) -> None:
        for client in self._clients:
            client.close()
        self._clients.clear()
        if isinstance(self.app, SessionLifespan):
            self.app.close()


def load_factory(spec: str) -> Callable[..., Any]:
    """`module:function` → the function."""
    module, _, name = spec.partition(":")
    factory: Callable[..., Any] = getattr(importlib.import_module(module), name or "create_app")
    return factory


def in_process(
    *,
    api_key: str | None,
    app_factory: str | None,
    max_examples: int,
    max_paid_tasks: int | None,
    task_seconds: float = 0.3,
) -> Target:
    """The mock (or an app built by `app_factory(MockConfig)`) in this process."""
    from liangxin_mock import MockConfig

    key = api_key or "sk-conformance-" + secrets.token_hex(8)
    config = MockConfig(
        api_keys={key: None},
        task_seconds=task_seconds,
        fail_rate=0.25,
        seed=7,
        allow_http_callbacks=True,
        callback_retry_delays=(0.2, 0.5),
        callback_timeout=2.0,
    )
    factory = load_factory(app_factory or "liangxin_mock:create_app")
    return Target(
        base_url=IN_PROCESS_URL,
        api_key=key,
        budget=PaidTaskBudget(max_paid_tasks),
        max_examples=max_examples,
        app=SessionLifespan(factory(config)),
        loopback_callbacks=True,
        mock_headers=True,
        label=f"in-process {app_factory or 'liangxin-mock'}",
        callback_sink=LITERAL_SINK,
    )


def live(
    *,
    base_url: str,
    api_key: str,
    max_examples: int,
    max_paid_tasks: int | None,
    local_mock: bool,
    include_inferred: bool = False,
) -> Target:
    """A service reached over the network; `local_mock`: it is a liangxin-mock on this machine
    (started with --allow-http-callbacks), so loopback callbacks and X-Mock-* headers work."""
    return Target(
        base_url=base_url.rstrip("/"),
        api_key=api_key,
        budget=PaidTaskBudget(DEFAULT_LIVE_BUDGET if max_paid_tasks is None else max_paid_tasks),
        max_examples=max_examples,
        loopback_callbacks=local_mock,
        mock_headers=local_mock,
        label=base_url + (" (local liangxin-mock)" if local_mock else ""),
        task_timeout=60.0 if local_mock else 300.0,
        poll_interval=0.05 if local_mock else 2.0,
        callback_sink=LITERAL_SINK if local_mock else Target.callback_sink,
        include_inferred=include_inferred,
    )


def env(name: str) -> str | None:
    return os.environ.get(name) or None
