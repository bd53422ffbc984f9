"""Billing-safe retry rules, and the one pure function that decides each retry (`plan_retry`).

- Reads (recordInfo, downloads) retry on connection errors, timeouts, 429 and 5xx.
- createTask retries only on 429 and on failures before the request left the machine
  (connect error, connect timeout, pool timeout); any other doubt is an `AmbiguousSubmitError`,
  raised by the caller and never retried.
- A request httpx refuses to send (an illegal header value, a URL without http(s)://) is never
  retried by either: it would fail the same way again. It is a plain `APIConnectionError`.
- Waits are jittered exponential; a Retry-After is honoured up to `RETRY_AFTER_CAP` seconds.
- No retry is made whose wait would reach the caller's deadline.

The clients run one plain loop over the attempts, asking `plan_retry` after each failure. stamina's
switches are honoured (`stamina.set_active(False)`: no retries; `stamina.set_testing(True)`: no
waits) and its retry hooks are told of each retry (stamina's logger logs it at warning level).
"""

from __future__ import annotations

import random
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import attrs
import httpx
import stamina

from liangxin_client._errors import (
    APIConnectionError,
    InternalServerError,
    RateLimitError,
)

RETRY_AFTER_CAP = 60.0
WAIT_EXP_BASE = 2.0

#: Transport failures that prove the request was never sent (so no task can have been created).
NOT_SENT: tuple[type[httpx.TransportError], ...] = (
    httpx.ConnectError,
    httpx.ConnectTimeout,
    httpx.PoolTimeout,
    httpx.LocalProtocolError,  # e.g. h11's "Illegal header value", raised before sending
    httpx.UnsupportedProtocol,  # a URL without http:// or https://
)
#: Of those, the ones a resend would only repeat: the request itself cannot be sent.
UNSENDABLE: tuple[type[httpx.TransportError], ...] = (
    httpx.LocalProtocolError,
    httpx.UnsupportedProtocol,
)


@attrs.frozen
class RetryPolicy:
    """How many attempts and how long between them (seconds)."""

    max_retries: int = 2
    wait_initial: float = 0.5
    wait_max: float = 8.0
    wait_jitter: float = 0.5
    retry_after_cap: float = RETRY_AFTER_CAP


def _cause(exc: BaseException) -> BaseException | None:
    return exc.__cause__ if isinstance(exc, APIConnectionError) else exc


def was_sent(exc: BaseException) -> bool:
    """False only when the transport error proves the request never left."""
    return not isinstance(_cause(exc), NOT_SENT)


def unsendable(exc: BaseException) -> bool:
    """True when httpx refused to send the request at all (resending cannot help)."""
    return isinstance(_cause(exc), UNSENDABLE)


def retry_decision(
    exc: Exception, *, submit: bool, retry_after_cap: float = RETRY_AFTER_CAP
) -> bool | float:
    """Should `exc` be retried? A float is the wait to use (from Retry-After), True means backoff.

    `submit` marks createTask: it is retried only when the service cannot have accepted it.
    """
    if isinstance(exc, RateLimitError):
        if exc.retry_after is not None:
            return min(exc.retry_after, retry_after_cap)
        return True
    if isinstance(exc, APIConnectionError):
        if unsendable(exc):
            return False
        return not submit or not was_sent(exc)
    if isinstance(exc, InternalServerError):
        return not submit
    return False


@attrs.frozen
class RetryVerdict:
    """What to do after a failed attempt: retry after `wait` seconds, or give up (`wait` None)."""

    wait: float | None
    reason: str

    @property
    def retry(self) -> bool:
        return self.wait is not None


def backoff_wait(
    policy: RetryPolicy, retry: int, *, rand: Callable[[], float] = random.random
) -> float:
    """The jittered exponential wait before retry number `retry` (1-based)."""
    jitter = policy.wait_jitter * rand()
    try:
        return min(policy.wait_max, policy.wait_initial * WAIT_EXP_BASE ** (retry - 1) + jitter)
    except OverflowError:
        return policy.wait_max


def plan_retry(
    attempt: int,
    error: Exception,
    *,
    submit: bool,
    time_left: float | None,
    policy: RetryPolicy,
    waits: bool = True,
    rand: Callable[[], float] = random.random,
) -> RetryVerdict:
    """Retry after attempt number `attempt` (1-based) failed with `error`, or give up?

    `submit` marks createTask (billing-safe rules); `time_left` is the seconds before the
    caller's deadline (None: no deadline): a retry whose wait would reach it is not made.
    `waits=False` (stamina's test mode) retries without waiting.
    """
    if attempt > policy.max_retries:
        return RetryVerdict(None, f"no retries left ({policy.max_retries} allowed)")
    decision = retry_decision(error, submit=submit, retry_after_cap=policy.retry_after_cap)
    if decision is False:
        return RetryVerdict(None, f"{type(error).__name__} is not retried")
    if not waits:
        wait, why = 0.0, "test mode: no wait"
    elif decision is True:
        wait, why = backoff_wait(policy, attempt, rand=rand), "backoff"
    else:
        wait, why = float(decision), "Retry-After"
    if time_left is not None and wait >= time_left:
        return RetryVerdict(None, f"the deadline comes before the wait ({wait:.2f} s) ends")
    return RetryVerdict(wait, why)


def announce_retry(
    number: int, wait: float, waited: float, error: Exception
) -> list[AbstractContextManager[Any]]:
    """Tell stamina's retry hooks (its logger, Prometheus, structlog) that retry `number` is
    scheduled; return the context managers hooks gave, to exit when the retries end."""
    details = stamina.instrumentation.RetryDetails(
        name="liangxin_client",
        args=(),
        kwargs={},
        retry_num=number,
        wait_for=wait,
        waited_so_far=waited,
        caused_by=error,
    )
    entered: list[AbstractContextManager[Any]] = []
    for hook in stamina.instrumentation.get_on_retry_hooks():
        maybe_cm = hook(details)
        if isinstance(maybe_cm, AbstractContextManager):
            maybe_cm.__enter__()
            entered.append(maybe_cm)
    return entered
