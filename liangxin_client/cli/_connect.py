"""Which service a command talks to, and the client for it.

Flags win over the environment, which wins over the config file's profile; the environment is
the client's to read (`environment_settings()` says which settings it holds, so a profile only
fills the others). `--mock` starts the embedded mock instead. Learned task durations are loaded
into the client and saved again at the end (`_durations_file.py`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TypeVar

import attrs

from liangxin_client import AsyncLiangXin, LiangXin, LiangXinError, environment_settings
from liangxin_client.cli._config import ConfigError, load_profile
from liangxin_client.cli._durations_file import remembered_durations
from liangxin_client.cli._exits import UsageError
from liangxin_client.cli._mock_launcher import MockUnavailableError, embedded_mock
from liangxin_client.cli._run import Run

#: Where the embedded mock's durations go: it gets a new port (base URL) on every run.
MOCK_DURATIONS_KEY = "liangxin --mock"

Client = TypeVar("Client", LiangXin, AsyncLiangXin)


@attrs.frozen
class Service:
    """The settings for a client; None leaves a setting to the client (the environment)."""

    api_key: str | None = attrs.field(repr=False)
    base_url: str | None
    mock: bool = False

    def client(self, run: Run, cls: type[Client]) -> Client:
        """A client; a configuration it rejects is a usage error (nothing was sent)."""
        try:
            client = cls(self.api_key, self.base_url)
        except LiangXinError as exc:
            raise UsageError(f"{exc}; nothing was sent") from None
        run.base_url = client.base_url
        _quiet_retries()
        return client

    def durations_key(self, client: LiangXin | AsyncLiangXin) -> str:
        """The service as the durations file names it."""
        return MOCK_DURATIONS_KEY if self.mock else client.base_url


def _quiet_retries() -> None:
    """Retries are the library's business; the final outcome is what the user sees — unless the
    library's own logging is on (`LIANGXIN_LOG`), which shows them."""
    stamina = logging.getLogger("stamina")
    if not logging.getLogger("liangxin_client").handlers and not any(
        isinstance(h, logging.NullHandler) for h in stamina.handlers
    ):
        stamina.addHandler(logging.NullHandler())


@contextmanager
def service(run: Run) -> Iterator[Service]:
    """The configured service, or a freshly started embedded mock (stopped at the end)."""
    args = run.args
    if args.mock:
        if args.base_url or args.api_key:
            raise UsageError("--mock runs its own service: drop --base-url and --api-key")
        try:
            with embedded_mock() as (mock_url, mock_key):
                yield Service(mock_key, mock_url, mock=True)
        except MockUnavailableError as exc:
            raise UsageError(f"{exc}; nothing was sent") from None
        return
    yield _configured(run)


def _configured(run: Run) -> Service:
    args = run.args
    try:
        profile = load_profile(args.profile)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    in_env = environment_settings()
    from_profile = f" or in profile {profile.name!r}" if profile else " or in a config profile"
    base_url = args.base_url or None
    if base_url is None and "base_url" not in in_env and profile is not None:
        base_url = profile.base_url
    api_key = args.api_key or None
    if api_key is None and "api_key" not in in_env and profile is not None:
        try:
            api_key = profile.api_key()
        except ConfigError as exc:
            raise UsageError(str(exc)) from None
    if not api_key and "api_key" not in in_env:
        raise UsageError(
            f"no API key: pass --api-key or set LIANGXIN_API_KEY{from_profile} "
            "(api_key_command / api_key_file), or use --mock"
        )
    if not base_url and "base_url" not in in_env:
        raise UsageError(
            f"no base URL: pass --base-url or set LIANGXIN_BASE_URL{from_profile} (base_url), "
            "or use --mock"
        )
    return Service(api_key or None, base_url or None)


@contextmanager
def connect(run: Run) -> Iterator[LiangXin]:
    """A client for the service this run talks to, with the durations learned earlier."""
    with (
        service(run) as where,
        where.client(run, LiangXin) as client,
        remembered_durations(client.durations, where.durations_key(client)),
    ):
        yield client
