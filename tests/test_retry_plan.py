"""`plan_retry`: the one pure function behind every retry (attempts, backoff, Retry-After, deadline)."""

from __future__ import annotations

import httpx
import pytest

from liangxin_client import (
    AmbiguousSubmitError,
    APIConnectionError,
    APITimeoutError,
    InternalServerError,
    NotFoundError,
    RateLimitError,
)
from liangxin_client._retry import RETRY_AFTER_CAP, RetryPolicy, backoff_wait, plan_retry

POLICY = RetryPolicy(max_retries=3, wait_initial=0.5, wait_max=8.0, wait_jitter=0.5)


def _rate_limited(retry_after: float | None) -> RateLimitError:
    return RateLimitError("busy", response=httpx.Response(429), retry_after=retry_after)


def _timed_out(cause: httpx.TransportError) -> APITimeoutError:
    error = APITimeoutError("t")
    error.__cause__ = cause
    return error


def _plan(
    error: Exception,
    attempt: int = 1,
    *,
    submit: bool = False,
    time_left: float | None = None,
    policy: RetryPolicy = POLICY,
    waits: bool = True,
) -> float | None:
    verdict = plan_retry(
        attempt,
        error,
        submit=submit,
        time_left=time_left,
        policy=policy,
        waits=waits,
        rand=lambda: 0.5,
    )
    assert verdict.retry is (verdict.wait is not None) and verdict.reason
    return verdict.wait


def test_backoff_doubles_with_jitter_up_to_the_maximum() -> None:
    assert [backoff_wait(POLICY, n, rand=lambda: 0.0) for n in (1, 2, 3, 4, 5, 6)] == [
        0.5,
        1.0,
        2.0,
        4.0,
        8.0,
        8.0,
    ]
    assert backoff_wait(POLICY, 1, rand=lambda: 1.0) == 1.0  # + up to wait_jitter
    assert backoff_wait(POLICY, 10_000, rand=lambda: 0.0) == 8.0  # no overflow


def test_reads_retry_transient_errors_with_backoff() -> None:
    server = InternalServerError("x", response=httpx.Response(502))
    assert _plan(server) == 0.75
    assert _plan(server, attempt=2) == 1.25
    assert _plan(_timed_out(httpx.ReadTimeout("x"))) == 0.75


def test_attempts_are_bounded_by_max_retries() -> None:
    server = InternalServerError("x", response=httpx.Response(500))
    assert _plan(server, attempt=3) is not None
    assert _plan(server, attempt=4) is None
    assert _plan(server, policy=RetryPolicy(max_retries=0)) is None


def test_retry_after_is_honoured_and_capped() -> None:
    assert _plan(_rate_limited(7.0)) == 7.0
    assert _plan(_rate_limited(3600.0)) == RETRY_AFTER_CAP
    assert _plan(_rate_limited(None)) == 0.75  # no header: backoff


def test_create_is_retried_only_when_it_cannot_have_been_sent() -> None:
    assert _plan(_rate_limited(2.0), submit=True) == 2.0
    refused = APIConnectionError("c")
    refused.__cause__ = httpx.ConnectError("refused")
    assert _plan(refused, submit=True) == 0.75
    assert _plan(_timed_out(httpx.ReadTimeout("x")), submit=True) is None
    assert _plan(InternalServerError("x", response=httpx.Response(500)), submit=True) is None
    assert _plan(AmbiguousSubmitError("x", {}), submit=True) is None


def test_definite_errors_are_not_retried() -> None:
    assert _plan(NotFoundError("gone", response=httpx.Response(404))) is None
    unsendable = APIConnectionError("c")
    unsendable.__cause__ = httpx.LocalProtocolError("Illegal header value")
    assert _plan(unsendable) is None


def test_no_retry_whose_wait_reaches_the_deadline() -> None:
    assert _plan(_rate_limited(5.0), time_left=5.0) is None
    assert _plan(_rate_limited(5.0), time_left=5.1) == 5.0
    assert _plan(_rate_limited(None), time_left=0.5) is None  # backoff 0.75 > 0.5


@pytest.mark.parametrize("retry_after", [None, 30.0])
def test_test_mode_retries_at_once(retry_after: float | None) -> None:
    assert _plan(_rate_limited(retry_after), waits=False) == 0.0
    assert _plan(_rate_limited(retry_after), waits=False, time_left=0.1) == 0.0
