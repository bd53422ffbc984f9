"""What the sync and async clients share: configuration, request building, error mapping.

Only the I/O differs between `LiangXin` and `AsyncLiangXin`; everything decided about a request or
a response lives here or in the modules this one imports.
"""

from __future__ import annotations

import functools
import itertools
import os
import random
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import contextmanager
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
    ConfigurationError,
    InternalServerError,
    InvalidRequestError,
    LiangXinError,
    RateLimitError,
)
from liangxin_client._inputs import request_summary
from liangxin_client._limits import (
    DEFAULT_MAX_IN_FLIGHT,
    AsyncSubmitWindow,
    SubmitWindow,
    check_max_in_flight,
)
from liangxin_client._logging import configure_from_env, log_request, log_response, scrub
from liangxin_client._polling import DurationStats, ServerClock
from liangxin_client._redact import scrub_error
from liangxin_client._responses import body_text, request_id
from liangxin_client._retry import RetryPolicy, retry_decision, unsendable, was_sent
from liangxin_client._version import user_agent

T = TypeVar("T")

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
DEFAULT_MAX_RETRIES = 2
#: The shortest per-request timeout a poll gets near wait()'s deadline (the last look at the task).
MIN_POLL_TIMEOUT = 0.5
WAIT_EXP_BASE = 2.0


#: The contract's operations this client calls (operationId); method and path come from the
#: contract through `liangxin_contract`, read once per process at the first client's construction.
CREATE_TASK = "createTask"
GET_TASK = "getTaskDetails"


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
        raise ConfigurationError(f"no {what}: pass {hint} or set the {env} environment variable")
    return resolved


def _check_base_url(url: str) -> str:
    """`url` without a trailing slash if a request can be built on it; else a LiangXinError.

    Refused here, at construction, so a typo never surfaces as an httpx or urllib exception.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"base URL must be a string, got {type(url).__name__}")
    url = url.rstrip("/")
    try:
        parsed = httpx.URL(url)
        port = parsed.port
        urlsplit(url)
    except (httpx.InvalidURL, ValueError) as exc:
        raise ConfigurationError(f"invalid base URL {url!r}: {exc}") from None
    if parsed.scheme not in ("http", "https"):
        raise ConfigurationError(f"base URL must start with http:// or https://, got {url!r}")
    if not parsed.host:
        raise ConfigurationError(f"base URL {url!r} has no host")
    if port is not None and not 0 < port < 65536:
        raise ConfigurationError(f"invalid base URL {url!r}: port {port} is out of range")
    return url


def _check_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """`default_headers` as a dict, if httpx can encode them (ASCII names and values)."""
    result = dict(headers or {})
    for name, value in result.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise ConfigurationError(
                f"default_headers: names and values must be strings, got {name!r}: "
                f"{type(value).__name__}"
            )
    try:
        httpx.Headers(result)
    except (UnicodeEncodeError, TypeError, ValueError) as exc:
        raise ConfigurationError(
            f"default_headers: {exc} (header names and values must be ASCII; "
            "percent-encode or base64 other text)"
        ) from None
    return result


def _check_api_key(key: str) -> str:
    """The key if it can go in a header as is; never quotes it in the error."""
    if not all("!" <= ch <= "~" for ch in key):
        raise ConfigurationError(
            "the API key contains whitespace, control or non-ASCII characters "
            "(check for a trailing newline or space, e.g. from a file or a copy-paste)"
        )
    return key


class BaseClient:
    """Configuration and pure request/response logic shared by both clients."""

    _clock: Callable[[], float]  # monotonic seconds; set by the subclasses (tests replace it)
    _window: SubmitWindow | AsyncSubmitWindow  # the createTask window; set by the subclasses

    def __init__(
        self,
        api_key: str | None,
        base_url: str | None,
        *,
        timeout: float | httpx.Timeout,
        max_retries: int,
        default_headers: Mapping[str, str] | None,
        strict: bool = False,
        max_in_flight: int = DEFAULT_MAX_IN_FLIGHT,
    ) -> None:
        configure_from_env()
        #: Treat guesses (inferred rules, unknown models and fields) as errors, not warnings.
        self.strict = strict
        self.max_in_flight = check_max_in_flight(max_in_flight)
        self._api_key = _check_api_key(
            _resolve(api_key, "LIANGXIN_API_KEY", "API key", "api_key=...")
        )
        self.base_url = _check_base_url(
            _resolve(
                base_url,
                "LIANGXIN_BASE_URL",
                "base URL",
                "base_url=... (the host from your LiangXin console; http://127.0.0.1:8000 for "
                "liangxin-mock)",
            )
        )
        self.timeout = timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout)
        if not isinstance(max_retries, int) or max_retries < 0:
            raise ConfigurationError(f"max_retries must be an int >= 0, got {max_retries!r}")
        self.max_retries = max_retries
        self.retry_policy = RetryPolicy(max_retries=max_retries)
        self._origin = urlsplit(self.base_url)[:2]
        self._headers = {
            "Authorization": f"Bearer {self._api_key}",
            "User-Agent": user_agent(),
            "Accept": "application/json",
        }
        self.default_headers = _check_headers(default_headers)
        self._headers.update(self.default_headers)
        self._clock: Callable[[], float] = time.monotonic
        self._wall: Callable[[], float] = time.time
        self.durations = DurationStats()
        self._server_clock = ServerClock()
        self._create_op = liangxin_contract.operation(CREATE_TASK)
        self._record_op = liangxin_contract.operation(GET_TASK)

    def _http_limits(self) -> httpx.Limits:
        """The pool of a client this client makes: one connection per request in flight."""
        return httpx.Limits(
            max_connections=self.max_in_flight, max_keepalive_connections=self.max_in_flight
        )

    def _slot_timeout(self, deadline: float | None) -> float | None:
        """How long a request may queue for a free slot: as long as it takes, or until `deadline`."""
        return None if deadline is None else max(MIN_POLL_TIMEOUT, deadline - self._clock())

    def _no_slot(self) -> APITimeoutError:
        return APITimeoutError(
            f"no free connection before the deadline ({self.max_in_flight} requests in flight, "
            "max_in_flight); nothing was sent"
        )

    def _rate_limit_wait(self, exc: RateLimitError, attempt: int) -> float:
        """How long a rate-limited submit waits before it queues again (Retry-After, or backoff)."""
        if exc.retry_after is not None:
            return min(exc.retry_after, self.retry_policy.retry_after_cap)
        return self._backoff(attempt)

    def _share_learning(self, copy: BaseClient) -> None:
        """Let a with_options() copy share what this client learned about task durations."""
        copy.max_in_flight = self.max_in_flight
        copy.durations = self.durations
        if copy.base_url == self.base_url:  # another server keeps a clock of its own
            copy._server_clock = self._server_clock

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(base_url={self.base_url!r}, max_retries={self.max_retries}, "
            f"max_in_flight={self.max_in_flight})"
        )

    def _options(self, **changes: Any) -> dict[str, Any]:
        """Current settings overlaid with the given (non-UNSET) changes, for with_options()."""
        options: dict[str, Any] = {
            "api_key": self._api_key,
            "base_url": self.base_url,
            "timeout": self.timeout,
            "max_retries": self.max_retries,
            "default_headers": self.default_headers,
            "strict": self.strict,
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
        timeout: httpx.Timeout | None = None,
    ) -> httpx.Request:
        """A request to a path under base_url, or to an absolute URL (a result file).

        Credentials go only to base_url's origin, never to a third-party result host.
        `timeout` overrides the client's (see `_request_timeout`).
        """
        headers = self._headers  # httpx copies it
        if "://" in url:  # a result file
            absolute = url
            headers = {**headers, "Accept": "*/*"}
            if urlsplit(url)[:2] != self._origin:
                del headers["Authorization"]
        else:
            absolute = self.base_url + url
        try:
            return http.build_request(
                method,
                absolute,
                json=json,
                params=params,
                headers=headers,
                timeout=self.timeout if timeout is None else timeout,
            )
        except (TypeError, ValueError) as exc:  # NaN, infinity, or an object JSON cannot hold
            raise InvalidRequestError(
                f"the request cannot be encoded as JSON ({scrub(str(exc), self._api_key)}); "
                "nothing was sent"
            ) from None

    def _request_timeout(self, deadline: float | None) -> httpx.Timeout:
        """The client's timeout, each phase cut to the time left before `deadline` (on _clock).

        Near the deadline a request still gets `MIN_POLL_TIMEOUT`, for one last look.
        """
        if deadline is None:
            return self.timeout
        left = max(MIN_POLL_TIMEOUT, deadline - self._clock())

        def cap(value: float | None) -> float:
            return left if value is None else min(value, left)

        t = self.timeout
        return httpx.Timeout(
            connect=cap(t.connect), read=cap(t.read), write=cap(t.write), pool=cap(t.pool)
        )

    # The first attempt runs bare, outside stamina (whose setup costs ~25 µs per call, a few
    # percent of a loopback round trip); stamina runs attempts 2..max_retries+1, its backoff
    # shifted one step so the schedule is the same as one stamina loop over every attempt.

    def _backoff(self, retry: int) -> float:
        """The jittered wait before retry number `retry` (1-based); 0 in stamina's test mode."""
        if stamina.is_testing():
            return 0.0
        policy = self.retry_policy
        jitter = random.uniform(0, policy.wait_jitter)
        return min(policy.wait_max, policy.wait_initial * WAIT_EXP_BASE ** (retry - 1) + jitter)

    def _past(self, deadline: float | None, wait: float) -> bool:
        """Would waiting `wait` seconds reach `deadline`? (Then do not retry: wait() decides.)"""
        return deadline is not None and self._clock() + wait >= deadline

    def _first_retry_wait(
        self, exc: APIError, *, submit: bool, deadline: float | None = None
    ) -> float | None:
        """Seconds to wait after a failed first attempt before the retries; None: give up."""
        policy = self.retry_policy
        if policy.max_retries == 0 or not stamina.is_active():
            return None
        decision = retry_decision(exc, submit=submit, retry_after_cap=policy.retry_after_cap)
        if decision is False:
            return None
        if stamina.is_testing():
            wait = 0.0
        elif decision is True:
            wait = self._backoff(1)
        else:
            wait = float(decision)
        return None if self._past(deadline, wait) else wait

    def _retry_context(self, *, submit: bool, deadline: float | None = None) -> Any:
        """stamina's retry_context for the retries; iterate it with `for` or `async for`.

        With a `deadline` (on `_clock`), no retry is made whose wait would reach it.
        """
        policy = self.retry_policy
        decide: Callable[[Exception], bool | float] = functools.partial(
            retry_decision, submit=submit, retry_after_cap=policy.retry_after_cap
        )
        if deadline is not None:
            decide = self._before(deadline, decide)
        return stamina.retry_context(
            on=decide,
            attempts=policy.max_retries,
            timeout=None,
            wait_initial=policy.wait_initial * WAIT_EXP_BASE,
            wait_max=policy.wait_max,
            wait_jitter=policy.wait_jitter,
            wait_exp_base=WAIT_EXP_BASE,
        )

    def _before(
        self, deadline: float, decide: Callable[[Exception], bool | float]
    ) -> Callable[[Exception], bool | float]:
        """`decide`, with each backoff made explicit and any retry past `deadline` refused."""
        retries = itertools.count(2)  # the first retry's wait is _first_retry_wait's

        def on(exc: Exception) -> bool | float:
            decision = decide(exc)
            if decision is False:
                return False
            wait = self._backoff(next(retries)) if decision is True else float(decision)
            return False if self._past(deadline, wait) else wait

        return on

    def _retrying(
        self, *, submit: bool, deadline: float | None = None
    ) -> Iterator[stamina.Attempt]:
        return iter(self._retry_context(submit=submit, deadline=deadline))

    def _aretrying(
        self, *, submit: bool, deadline: float | None = None
    ) -> AsyncIterator[stamina.Attempt]:
        return aiter(self._retry_context(submit=submit, deadline=deadline))

    # -- errors -----------------------------------------------------------------------------

    @contextmanager
    def _edge(self, task_id: str | None = None, *, note: bool = False) -> Iterator[None]:
        """Where an error leaves the client: scrub the API key from it and name its task.

        With `note`, any other exception after the task was created (Ctrl-C, asyncio
        cancellation, an error raised by the caller's `on_update`) gets a note naming the task,
        and still propagates as what it is.
        """
        try:
            yield
        except LiangXinError as exc:
            scrub_error(exc, self._api_key)
            if task_id and exc.task_id is None:
                exc.task_id = task_id
            raise
        except BaseException as exc:  # Ctrl-C, cancellation, an error in the caller's on_update
            if note and task_id and not isinstance(exc, GeneratorExit):
                exc.add_note(f"liangxin: task {task_id} was created and goes on")
            raise

    def _interrupted_submit(
        self, exc: BaseException, submit_body: Mapping[str, Any] | None
    ) -> BaseException:
        """A createTask interrupted in flight: `exc` itself, its cause the AmbiguousSubmitError.

        The interruption (KeyboardInterrupt, asyncio.CancelledError) keeps propagating as what it
        is, so asyncio's timeouts, task groups and cancellation work as usual; what was sent is
        reachable with `find_ambiguous_submit(exc)` (and shows in the traceback).
        """
        if submit_body is not None:
            summary = request_summary(submit_body)
            ambiguous = AmbiguousSubmitError(
                f"createTask was interrupted ({type(exc).__name__}) while its request was in "
                f"flight, so the task may have been created. {_HOW_TO_CHECK} Request: {summary}",
                summary,
            )
            exc.__cause__ = ambiguous
            exc.add_note(str(ambiguous))
        return exc

    def _transport_error(
        self, exc: httpx.RequestError, submit_body: Mapping[str, Any] | None
    ) -> APIError:
        """The APIError for an exchange that produced no usable response.

        The transport's text goes through `scrub`: h11 quotes the header it refuses.
        """
        try:
            request: httpx.Request | None = exc.request
        except RuntimeError:
            request = None
        detail = f"{type(exc).__name__}: {scrub(str(exc), self._api_key)}"
        if unsendable(exc):
            created = "; no task was created" if submit_body is not None else ""
            return APIConnectionError(
                f"the request could not be sent ({detail}); nothing was sent{created}, and it "
                "was not retried (it would fail the same way: check base_url and default_headers)",
                request=request,
            )
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
        return APIConnectionError(f"connection error ({detail})", request=request)

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
        if 300 <= response.status_code < 400:
            raise self._redirect_error(response)
        try:
            return parse(response)
        except APIError as exc:
            if submit_body is None:
                raise
            if isinstance(exc, RateLimitError):
                self._window.rate_limited()
            error = self._submit_error(exc, submit_body)
            if error is exc:
                raise
            raise error from exc

    def _redirect_error(self, response: httpx.Response) -> APIStatusError:
        """A 3xx to an API call: definite (nothing was done), and names where base_url should go.

        Redirects are not followed: a POST would be replayed as a GET, or resent to another host.
        """
        location = response.headers.get("location")
        if not location:
            where = "without a Location header"
            hint = "check base_url"
        else:
            target = str(response.request.url.join(location).copy_with(query=None, fragment=None))
            sent = str(response.request.url.copy_with(query=None, fragment=None))
            path = sent[len(self.base_url) :] if sent.startswith(self.base_url) else ""
            where = f"to {scrub(location, self._api_key)}"
            if path and target.endswith(path) and len(target) > len(path):
                hint = f"set base_url to {scrub(target[: -len(path)], self._api_key)}"
            else:
                hint = "set base_url to the service's final address"
        return APIStatusError(
            f"the service redirected (HTTP {response.status_code}) {where}; {hint} "
            "(redirects are not followed)",
            response=response,
            request_id=request_id(response),
            body=body_text(response, self._api_key),
        )

    def _log_request(self, request: httpx.Request) -> None:
        log_request(request, self._api_key)

    def _log_response(self, response: httpx.Response, *, streamed: bool = False) -> None:
        log_response(response, self._api_key, streamed=streamed)
