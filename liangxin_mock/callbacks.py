"""Callback delivery: POST the final record to `callBackUrl`, retrying briefly.

Attempts are recorded in the store. A delivery succeeds on any 2xx; a non-2xx answer, a timeout
or a connection error is retried after each of `callback_retry_delays`. Plain-HTTP URLs are only
contacted with `allow_http_callbacks` (the contract only allows `https://`).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from liangxin_mock.config import MockConfig
from liangxin_mock.lifecycle import now_ms
from liangxin_mock.store import Store


class CallbackSender:
    """Delivers callbacks in background tasks; `aclose()` cancels what is still in flight."""

    def __init__(self, config: MockConfig, store: Store) -> None:
        self._config = config
        self._store = store
        self._client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        self._tasks: set[asyncio.Task[None]] = set()

    def send(self, task_id: str, url: str, payload: dict[str, Any]) -> None:
        """Start delivering `payload` to `url` in the background."""
        task = asyncio.get_running_loop().create_task(self._deliver(task_id, url, payload))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _attempt(self, url: str, payload: dict[str, Any]) -> tuple[int | None, str | None]:
        if url.lower().startswith("http://") and not self._config.allow_http_callbacks:
            return None, "plain-HTTP callbacks are disabled (--allow-http-callbacks)"
        try:
            response = await self._client.post(
                url, json=payload, timeout=self._config.callback_timeout
            )
        except Exception as exc:  # any failure to deliver is recorded, never raised
            return None, f"{type(exc).__name__}: {exc}"
        return response.status_code, None

    async def _deliver(self, task_id: str, url: str, payload: dict[str, Any]) -> None:
        delays = self._config.callback_retry_delays
        for attempt in range(1, len(delays) + 2):
            status, error = await self._attempt(url, payload)
            self._store.record_attempt(task_id, url, attempt, now_ms(), status, error)
            if status is not None and 200 <= status < 300:
                self._store.set_callback_state(task_id, "delivered")
                return
            if attempt <= len(delays):
                await asyncio.sleep(delays[attempt - 1])
        self._store.set_callback_state(task_id, "failed")

    async def aclose(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._client.aclose()
