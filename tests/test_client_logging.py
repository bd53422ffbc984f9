"""Logging, and the API key never showing in messages, reprs or logs (a canary key)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import httpx
import pytest
from client_support import TASK_ID, AfterSend, Recorder, client_for, no_retry_waits

from liangxin_client import AmbiguousSubmitError, APIError, AuthenticationError, LiangXin
from liangxin_client._logging import REDACTED, redact_headers
from liangxin_client._secrets import APIKey
from liangxin_mock import MockServer

__all__ = ["no_retry_waits"]

CANARY = "sk-canary-7f3a9c1e5b2d4e6f"
ROOT = Path(__file__).resolve().parents[1]


def test_redact_headers() -> None:
    headers = [("Authorization", f"Bearer {CANARY}"), ("User-Agent", "x"), ("cookie", "a=b")]
    assert redact_headers(headers) == {
        "Authorization": REDACTED,
        "User-Agent": "x",
        "cookie": REDACTED,
    }


def test_scrub() -> None:
    key = APIKey(CANARY)
    assert key.scrub(f"invalid token {CANARY}!") == "invalid token ***!"
    assert key.scrub("nothing here") == "nothing here"
    assert APIKey("").scrub("x") == "x"


def test_canary_key_never_leaks_against_the_mock(
    liangxin_mock: MockServer, caplog: pytest.LogCaptureFixture, no_retry_waits: None
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: ours, httpx, httpcore, stamina
    texts: list[str] = []
    with LiangXin(CANARY, liangxin_mock.base_url) as client:
        texts += [repr(client), repr(client.with_options(max_retries=0)), repr(client.tasks)]
        with pytest.raises(AuthenticationError) as info:
            client.tasks.create("seedream-v4-5", "x")
        texts += [
            str(info.value),
            repr(info.value),
            str(info.value.body),
            repr(info.value.__dict__),
        ]
    transport = AfterSend({"/api/v1/jobs/createTask": 1})
    with LiangXin(
        CANARY, liangxin_mock.base_url, http_client=httpx.Client(transport=transport)
    ) as client:
        with pytest.raises(AmbiguousSubmitError) as ambiguous:
            client.tasks.create("seedream-v4-5", "x")
        texts += [
            str(ambiguous.value),
            repr(ambiguous.value),
            repr(ambiguous.value.request_summary),
        ]
    assert "'authorization': '***'" in caplog.text  # debug logs did run
    for text in [*texts, caplog.text]:
        assert CANARY not in text


def test_echoed_key_is_scrubbed_from_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="liangxin_client")
    echo = httpx.Response(
        401,
        json={"error": {"message": f"invalid token {CANARY}", "type": "new_api_error", "code": ""}},
    )
    with client_for(Recorder(echo), api_key=CANARY) as client, pytest.raises(APIError) as info:
        client.tasks.get(TASK_ID)
    assert CANARY not in str(info.value) and CANARY not in (info.value.body or "")
    assert CANARY not in caplog.text and "invalid token ***" in str(info.value)


def test_liangxin_log_debug_shows_requests_with_authorization_redacted() -> None:
    script = textwrap.dedent(
        f"""
        import httpx
        from liangxin_client import LiangXin
        def handler(request):
            return httpx.Response(200, json={{"code": 200, "msg": "success", "data": {{"taskId": "t1"}}}})
        http = httpx.Client(transport=httpx.MockTransport(handler))
        with LiangXin({CANARY!r}, "https://api.example", http_client=http) as client:
            client.tasks.create("z-image", "a fox")
        """
    )
    env = {**os.environ, "LIANGXIN_LOG": "debug"}
    done = subprocess.run(
        [sys.executable, "-c", script],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert "request: POST https://api.example/api/v1/jobs/createTask" in done.stderr
    assert "'authorization': '***'" in done.stderr
    assert "response: POST https://api.example/api/v1/jobs/createTask -> 200" in done.stderr
    assert '"taskId":"t1"' in done.stderr
    assert CANARY not in done.stderr + done.stdout
