"""Billing-safe retry rules, expressed as a stamina backoff hook.

- Reads (recordInfo, downloads) retry on connection errors, timeouts, 429 and 5xx.
- createTask retries only on 429 and on failures before the request left the machine
  (connect error, connect timeout, pool timeout); any other doubt is an `AmbiguousSubmitError`,
  raised by the caller and never retried.
- A request httpx refuses to send (an illegal header value, a URL without http(s)://) is never
  retried by either: it would fail the same way again. It is a plain `APIConnectionError`.
- Waits are jittered exponential; a Retry-After is honoured up to `RETRY_AFTER_CAP` seconds.
"""

from __future__ import annotations

import attrs
import httpx

from liangxin_client._errors import (
    APIConnectionError,
    InternalServerError,
    RateLimitError,
)

RETRY_AFTER_CAP = 60.0

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
