"""Task lifecycle: `waiting → queuing → generating → success | fail`, computed from timestamps.

A task's state is a pure function of its stored row and the clock, so progress survives restarts
and nothing needs to tick for a poll to see the right state. Planned failures are decided at
creation: forced with the `X-Mock-Fail` header, or drawn from `--fail-rate` by hashing the seed
and the task's sequence number (the n-th task of a fresh mock fails the same way every run).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from typing import Any

from liangxin_contract import task_states, terminal_states
from liangxin_mock.store import TaskRow

#: Fractions of the task duration at which each non-terminal state begins.
PHASES: tuple[tuple[str, float], ...] = tuple(
    zip((s for s in task_states() if s not in terminal_states()), (0.0, 0.2, 0.4), strict=True)
)
TERMINAL = terminal_states()

#: Failures drawn by `--fail-rate`, as (failCode, failMsg).
RANDOM_FAILURES: tuple[tuple[str, str], ...] = (
    ("500", "upstream task error"),
    ("422", "upstream validation failed"),
    ("400", "content moderation rejected the prompt"),
)
FORCED_FAIL_MESSAGE = "forced failure"


def now_ms() -> int:
    return time.time_ns() // 1_000_000


def unit_hash(*parts: object) -> float:
    """A reproducible number in [0, 1) from the parts (stable across processes)."""
    digest = hashlib.sha256(":".join(str(p) for p in parts).encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def planned_failure(seed: int, seq: int, rate: float) -> tuple[str, str] | None:
    """The failure `--fail-rate` assigns to the seq-th task, or None for success."""
    if rate <= 0 or unit_hash(seed, "fail", seq) >= rate:
        return None
    pick = int(unit_hash(seed, "fail-kind", seq) * len(RANDOM_FAILURES))
    return RANDOM_FAILURES[pick]


def parse_fail_header(value: str) -> tuple[str, str]:
    """`X-Mock-Fail: CODE[:MESSAGE]` → (failCode, failMsg)."""
    code, _, message = value.strip().partition(":")
    return (code.strip() or "500"), (message.strip() or FORCED_FAIL_MESSAGE)


@dataclass(frozen=True)
class Progress:
    state: str
    update_ms: int
    complete_ms: int | None


def progress(row: TaskRow, at_ms: int) -> Progress:
    """Where the task stands at `at_ms`."""
    if at_ms >= row.complete_ms:
        state = "fail" if row.fail_code else "success"
        return Progress(state, row.complete_ms, row.complete_ms)
    state, start = PHASES[0][0], row.create_ms
    for name, fraction in PHASES:
        begins = row.create_ms + int(row.duration_ms * fraction)
        if at_ms >= begins:
            state, start = name, begins
    return Progress(state, start, None)


def file_token(row: TaskRow) -> str:
    """The unguessable part of the task's result URLs: an HMAC of the taskId under its key.

    taskIds are guessable (`task_<model>_<epoch ms>`, the documented shape), and result files are
    served without a key like a CDN's, so the URL itself must carry what only the owner knows.
    """
    return hmac.new(row.api_key.encode(), row.task_id.encode(), hashlib.sha256).hexdigest()[:32]


def result_urls(row: TaskRow, base_url: str) -> list[str]:
    return [f"{base_url.rstrip('/')}/files/{row.task_id}/{file_token(row)}/0.png"]


def record(row: TaskRow, at_ms: int, base_url: str) -> dict[str, Any]:
    """The task as recordInfo's `data` (and the callback's `data`) shows it."""
    p = progress(row, at_ms)
    result = ""
    if p.state == "success":
        result = json.dumps({"resultUrls": result_urls(row, base_url)}, separators=(",", ":"))
    failed = p.state == "fail"
    return {
        "taskId": row.task_id,
        "model": row.model,
        "state": p.state,
        "param": row.param,
        "resultJson": result,
        "failCode": row.fail_code if failed else "",
        "failMsg": row.fail_msg if failed else "",
        "createTime": row.create_ms,
        "updateTime": p.update_ms,
        "completeTime": p.complete_ms,
        "costTime": row.duration_ms if p.complete_ms is not None else None,
    }
