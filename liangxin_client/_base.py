"""What the sync and async clients share: configuration, request building, error mapping.

Only the I/O differs between `LiangXin` and `AsyncLiangXin`; everything decided about a request or
a response lives here or in the modules this one imports.
"""

from __future__ import annotations

import functools
import os
import random
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import stamina

import liangxin_contract
from liangxin_client._errors import (
    AmbiguousSubmitError,
    APIConnectionError,
    APIError,
    APIStatusError,
    APITimeoutError,
    InternalServerError,
    LiangXinError,
)
from liangxin_client._inputs import request_summary
from liangxin_client._logging import configure_from_env, log_request, log_response
from liangxin_client._retry import RetryPolicy, retry_decision, was_sent
from liangxin_client._version import user_agent

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
WAIT_EXP_BASE = 2.0
# Methods and paths come from the contract, so a path change there reaches the client.
CREATE_METHOD, CREATE_PATH = liangxin_contract.operation("createTask")
RECORD_METHOD, RECORD_PATH = liangxin_contract.operation("getTaskDetails")

_HOW_TO_CHECK = (
    "It was NOT resent, to avoid paying twice. Before retrying, check whether the task exists: "
    "look at the recent tasks in your LiangXin console, wait for your callBackUrl if you set one, "
    "or, against liangxin-mock, read GET /__mock__/stats."
)


class _Unset:
    """Marks an option not given to with_options()."""


UNSET: Any = _Unset()


def _resolve(value: str | None, env: str, what: str, hint: str) -> str:
    resolved = value if value is not None else os.environ.get(env)
    if not resolved:
        raise LiangXinError(f"no {what}: pass {hint} or set the {env} environment variable")
    return resolved


class BaseClient:
    """Configuration and pure request/response logic shared by both clients."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        *,
        timeout: float | httpx.Timeout,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
    ) -> None:
        configure_from_env()
        self._api_key = _resolve(api_key, "LIANGXIN_API_KEY", "API key", "api_key=...")
        self.base_url = _resolve(
            base_url,
            "LIANGXIN_BASE_URL",
            "base URL",
            "base_url=... (the host from your LiangXin console; http://127.0.0.1:8000 for liangxin-mock)",
        ).rstrip("/")
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.max_retries = max_retries
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        self._origin = urlsplit(self.base_url)[:2]
        self._headers = {
            "Authorization": f"Bearer {self._api_key}",
            "User-Agent": user_agent(),
            "Accept": "application/json",
        }
        self.default_headers = dict(default_headers or {})
        self._headers.update(self.default_headers)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries})"

    def _options(self, **changes: Any) -> dict[str, Any]:
        """Current settings overlaid with the given (non-UNSET) changes, for with_options()."""
        options: dict[str, Any] = {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
        }
        options.update({k: v for k, v in changes.items() if v is not UNSET})
        return options

    # -- requests ---------------------------------------------------------------------------

    def _build(
        self,
        http: httpx.Client | httpx.AsyncClient,
        method: str,
        url: str,
        *,
        json: Any = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Request:
        """A request to a path under base_url, or to an absolute URL (a result file).

        Credentials go only to base_url's origin, never to a third-party result host.
        """
        headers = self._headers  # httpx copies it
        if "://" in url:  # a result file
            absolute = url
            headers = {**headers, "Accept": "*/*"}
            if urlsplit(url)[:2] != self._origin:
                del headers["Authorization"]
        else:
            absolute = self.base_url + url
        return http.build_request(
            method, absolute, json=json, params=params, headers=headers, timeout=self.timeout
        )

    # The first attempt runs bare, outside stamina (whose setup costs ~25 µs per call, a few
    # percent of a loopback round trip); stamina runs attempts 2..max_retries+1, its backoff
    # shifted one step so the schedule is the same as one stamina loop over every attempt.

    def _first_retry_wait(self, exc: APIError, *, submit: bool) -> float | None:
        """Seconds to wait after a failed first attempt before the retries; None: give up."""
        policy = self.retry_policy
        if policy.max_retries == 0 or not stamina.is_active():
            return None
        decision = retry_decision(exc, submit=submit, retry_after_cap=policy.retry_after_cap)
        if decision is False:
            return None
        if stamina.is_testing():
            return 0.0
        if decision is True:
            jitter = random.uniform(0, policy.wait_jitter)
            return min(policy.wait_max, policy.wait_initial + jitter)
        return float(decision)

    def _retry_context(self, *, submit: bool) -> Any:
        """stamina's retry_context for the retries; iterate it with `for` or `async for`."""
        policy = self.retry_policy
        return stamina.retry_context(
            on=functools.partial(
                retry_decision, submit=submit, retry_after_cap=policy.retry_after_cap
            ),
            attempts=policy.max_retries,
            timeout=None,
            wait_initial=policy.wait_initial * WAIT_EXP_BASE,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
            wait_exp_base=WAIT_EXP_BASE,
        )

    def _retrying(self, *, submit: bool) -> Iterator[stamina.Attempt]:
        return iter(self._retry_context(submit=submit))

    def _aretrying(self, *, submit: bool) -> AsyncIterator[stamina.Attempt]:
        return aiter(self._retry_context(submit=submit))

    # -- errors -----------------------------------------------------------------------------

    def _transport_error(
        self, exc: httpx.RequestError, submit_body: Mapping[str, Any] | None
    ) -> APIError:
        """The APIError for an exchange that produced no usable response."""
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:
            request = None
        if submit_body is not None and was_sent(exc):
            return AmbiguousSubmitError(
                f"createTask got no complete answer ({type(exc).__name__}) after the request was "
                f"sent, so the task may have been created. {_HOW_TO_CHECK} "
                f"Request: {request_summary(submit_body)}",
                request_summary(submit_body),
                request=request,
            )
        if isinstance(exc, httpx.TimeoutException):
            return APITimeoutError(f"request timed out ({type(exc).__name__})", request=request)
        return APIConnectionError(
            f"connection error ({type(exc).__name__}: {exc})", request=request
        )

    def _submit_error(self, exc: APIError, submit_body: Mapping[str, Any]) -> APIError:
        """createTask's answer was an error: is it definite, or might a task exist anyway?

        Definite: any 4xx, and a 5xx carried in the task layer's own envelope. Ambiguous: a 5xx
        without it (a gateway or proxy page) and a 2xx whose body cannot be read.
        """
        if isinstance(exc, APIStatusError):
            if not (isinstance(exc, InternalServerError) and exc.layer != "task"):
                return exc
            reason = f"HTTP {exc.status_code} without the task layer's error envelope"
        else:
            reason = f"an unreadable success response ({exc.message})"
        return AmbiguousSubmitError(
            f"createTask got {reason}, so the task may have been created. {_HOW_TO_CHECK} "
            f"Request: {request_summary(submit_body)}",
            request_summary(submit_body),
            status_code=exc.status_code,
            request_id=exc.request_id,
            body=exc.body,
            request=exc.request,
        )

    def _handle(
        self,
        response: httpx.Response,
        parse: Callable[[httpx.Response], T],
        submit_body: Mapping[str, Any] | None,
    ) -> T:
        """Log the response and parse it; for createTask, turn doubtful errors into ambiguity."""
        log_response(response, self._api_key)
        try:
            return parse(response)
        except APIError as exc:
            if submit_body is None:
                raise
            error = self._submit_error(exc, submit_body)
            if error is exc:
                raise
            raise error from exc

    def _log_request(self, request: httpx.Request) -> None:
        log_request(request, self._api_key)

    def _log_response(self, response: httpx.Response, *, streamed: bool = False) -> None:
        log_response(response, self._api_key, streamed=streamed)
