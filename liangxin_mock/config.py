"""The mock's settings: one dataclass shared by the app, the CLI, `MockServer` and the pytest plugin."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
#: Seconds an idle keep-alive connection stays open: above common clients' own idle expiry
#: (httpx 5 s, Node 4-5 s, aiohttp 15 s, Go 90 s, curl 118 s, OkHttp 300 s), so a client never
#: sends a request on a connection the mock is closing. (uvicorn's default is 5 s: with httpx's
#: 5 s, about one createTask in 3,000 was lost in that race and looked ambiguous.)
DEFAULT_KEEP_ALIVE = 600.0


@dataclass(frozen=True)
class MockConfig:
    """How one mock instance behaves.

    `api_keys` maps each accepted key to its credit budget (`None` = unlimited); each accepted
    createTask costs one credit. `db_path=None` keeps everything in memory. `task_seconds` is how
    long a task takes from creation to its terminal state (0: terminal at the first read).
    `fail_rate` and `fault_rate` are probabilities made reproducible by `seed`.
    """

    api_keys: dict[str, int | None] = field(default_factory=dict)
    db_path: str | None = None
    task_seconds: float = 3.0
    fail_rate: float = 0.0
    fault_rate: float = 0.0
    seed: int = 0
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    allow_http_callbacks: bool = False
    #: Refuse (400) bodies that break an inferred rule too, not only the documented ones.
    strict: bool = False
    max_concurrent: int | None = None
    public_base_url: str | None = None
    #: Delay of the "slow response" fault, in seconds.
    fault_slow_seconds: float = 2.0
    #: Fault kinds to draw from (`None`: all of `faults.FAULT_KINDS`).
    fault_kinds: tuple[str, ...] | None = None
    #: Waits between callback attempts; attempts = len(delays) + 1.
    callback_retry_delays: tuple[float, ...] = (0.5, 1.0)
    #: Timeout of one callback attempt, in seconds.
    callback_timeout: float = 5.0
    #: Host names (besides loopback ones and `public_base_url`'s) that `/__mock__/` answers.
    trusted_hosts: tuple[str, ...] = ()
    #: Seconds a request body may take to arrive in full (then 408 and the connection closes).
    body_timeout: float = 10.0
    #: Seconds an idle keep-alive connection stays open (under uvicorn).
    keep_alive: float = DEFAULT_KEEP_ALIVE

    def with_default_key(self) -> MockConfig:
        """This config, with a random unlimited key added when it has none."""
        if self.api_keys:
            return self
        return replace(self, api_keys={new_api_key(): None})

    @property
    def first_key(self) -> str:
        return next(iter(self.api_keys))


def new_api_key() -> str:
    return "sk-mock-" + secrets.token_hex(12)


def parse_key_spec(spec: str) -> tuple[str, int | None]:
    """Parse `KEY[:CREDITS]` (credits a non-negative integer)."""
    spec = spec.strip()
    key, sep, credits = spec.rpartition(":")
    if sep and credits.lstrip("+-").isdigit() and not credits.isdigit():
        raise ValueError(f"credits must be a non-negative integer in {spec!r}")
    if not sep or not credits.isdigit():
        if not spec:
            raise ValueError("empty API key")
        return spec, None
    if not key:
        raise ValueError(f"empty API key in {spec!r}")
    return key, int(credits)


def parse_key_list(text: str) -> dict[str, int | None]:
    """Parse a comma-separated `KEY[:CREDITS]` list (as in `LIANGXIN_MOCK_API_KEYS`)."""
    return dict(parse_key_spec(part) for part in text.split(",") if part.strip())
