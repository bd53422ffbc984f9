"""wait(): the schedule and the loop, with an injected clock — nothing here really sleeps."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest
from client_support import (
    TASK_ID,
    FakeClock,
    Recorder,
    async_client_for,
    client_for,
    envelope,
    no_retry_waits,
    record_data,
)

from liangxin_client import (
    PollSchedule,
    RateLimitError,
    TaskFailedError,
    TaskRecord,
    TaskState,
    TaskTimeoutError,
    UnexpectedTaskStateError,
)
from liangxin_client._polling import WaitLoop
from liangxin_client._records import record_from_data

__all__ = ["no_retry_waits"]


def rec(state: str, **overrides: object) -> TaskRecord:
    return record_from_data(record_data(state, **overrides))


def answer(state: str, **overrides: object) -> httpx.Response:
    return httpx.Response(200, json=envelope(record_data(state, **overrides)))


# -- the schedule ---------------------------------------------------------------------------------


def test_schedule_starts_fast_and_backs_off_to_the_cap() -> None:
    schedule = PollSchedule(initial=0.5, factor=1.5, cap=5.0, jitter=0.0)
    delays = [schedule.delay(n) for n in range(1, 10)]
    assert delays[:3] == [0.5, 0.75, 1.125]
    assert delays == sorted(delays) and delays[-1] == 5.0


def test_schedule_jitter_stays_within_bounds() -> None:
    schedule = PollSchedule(initial=1.0, cap=1.0, jitter=0.2)
    assert schedule.delay(1, rand=lambda: 0.0) == pytest.approx(0.8)
    assert schedule.delay(1, rand=lambda: 0.999999) == pytest.approx(1.2, abs=1e-5)
    assert schedule.delay(1, rand=lambda: 0.5) == pytest.approx(1.0)


# -- the loop -------------------------------------------------------------------------------------


def test_loop_reports_each_state_change_once() -> None:
    seen: list[str] = []
    loop = WaitLoop(
        TASK_ID, timeout=60, clock=FakeClock(), on_update=lambda r: seen.append(r.raw_state)
    )
    for state in ["waiting", "waiting", "queuing", "generating", "generating"]:
        assert loop.observe(rec(state)) is False
    assert loop.observe(rec("success")) is True
    assert seen == ["waiting", "queuing", "generating", "success"]
    assert loop.polls == 6


def test_loop_raises_on_fail_with_the_reason() -> None:
    loop = WaitLoop(TASK_ID, timeout=60, clock=FakeClock())
    with pytest.raises(TaskFailedError) as info:
        loop.observe(rec("fail", failCode="CONTENT_POLICY", failMsg="blocked"))
    assert (info.value.task_id, info.value.fail_code, info.value.fail_msg) == (
        TASK_ID,
        "CONTENT_POLICY",
        "blocked",
    )
    assert "CONTENT_POLICY: blocked" in str(info.value)


def test_loop_raises_on_an_unknown_state_instead_of_polling_forever() -> None:
    loop = WaitLoop(TASK_ID, timeout=None, clock=FakeClock())
    with pytest.raises(UnexpectedTaskStateError) as info:
        loop.observe(rec("upscaling"))
    assert info.value.state == "upscaling"


def test_loop_deadline_clamps_the_last_sleep_then_times_out() -> None:
    clock = FakeClock()
    loop = WaitLoop(TASK_ID, timeout=2.0, clock=clock, schedule=PollSchedule(initial=1.5, jitter=0))
    loop.observe(rec("generating"))
    clock.sleep(loop.next_delay())
    loop.observe(rec("generating"))
    assert loop.next_delay() == pytest.approx(0.5)  # only what is left
    clock.sleep(0.5)
    with pytest.raises(TaskTimeoutError) as info:
        loop.next_delay()
    assert info.value.last_state == "generating" and info.value.timeout == 2.0


def test_loop_honours_retry_after() -> None:
    loop = WaitLoop(TASK_ID, timeout=None, clock=FakeClock(), schedule=PollSchedule(jitter=0))
    loop.failed_poll()
    busy = RateLimitError("busy", response=httpx.Response(429), retry_after=7.0)
    assert loop.next_delay(busy) == 7.0
    capped = RateLimitError("busy", response=httpx.Response(429), retry_after=10_000.0)
    assert loop.next_delay(capped) == 60.0


# -- wait() through MockTransport, with a fake clock ----------------------------------------------


def test_wait_returns_the_success_record_and_reports_changes() -> None:
    seen = Recorder(
        answer("waiting"),
        answer("queuing"),
        answer("generating"),
        answer("generating"),
        answer("success"),
    )
    clock = FakeClock()
    updates: list[TaskState] = []
    with client_for(seen) as client:
        client._clock, client._sleep = clock, clock.sleep
        record = client.tasks.wait(TASK_ID, on_update=lambda r: updates.append(r.state))
    assert record.state is TaskState.SUCCESS and record.result_urls
    assert updates == [
        TaskState.WAITING,
        TaskState.QUEUING,
        TaskState.GENERATING,
        TaskState.SUCCESS,
    ]
    assert len(seen.requests) == 5 and len(clock.sleeps) == 4
    assert clock.sleeps[0] < 1.0  # fast at first


def test_wait_has_a_deadline_by_default() -> None:
    seen = Recorder(answer("generating"))
    clock = FakeClock()
    with client_for(seen) as client:
        client._clock, client._sleep = clock, clock.sleep
        with pytest.raises(TaskTimeoutError) as info:
            client.tasks.wait(TASK_ID)
    assert info.value.timeout == 600 and info.value.last_state == "generating"
    assert sum(clock.sleeps) == pytest.approx(600)
    cap = client.tasks.schedule.cap * (1 + client.tasks.schedule.jitter)
    assert max(clock.sleeps) <= cap + 1e-9
    assert len(seen.requests) <= 600 / (cap * 0.8) + 10  # capped backoff, not a hot loop


def test_wait_raises_task_failed() -> None:
    seen = Recorder(answer("generating"), answer("fail", failCode="500", failMsg="upstream error"))
    clock = FakeClock()
    with client_for(seen) as client:
        client._clock, client._sleep = clock, clock.sleep
        with pytest.raises(TaskFailedError, match="upstream error"):
            client.tasks.wait(TASK_ID)


def test_wait_rides_out_transient_errors_until_the_deadline(no_retry_waits: None) -> None:
    seen = Recorder(
        httpx.Response(502, text="bad gateway"),
        httpx.ConnectError("refused"),
        httpx.Response(429, json={"code": 429, "msg": "busy"}, headers={"Retry-After": "3"}),
        answer("success"),
    )
    clock = FakeClock()
    with client_for(seen, max_retries=0) as client:
        client._clock, client._sleep = clock, clock.sleep
        assert client.tasks.wait(TASK_ID).state is TaskState.SUCCESS
    assert clock.sleeps[2] >= 3.0  # Retry-After honoured


def test_wait_stops_on_an_unknown_state() -> None:
    seen = Recorder(answer("generating"), answer("upscaling"))
    clock = FakeClock()
    with client_for(seen) as client:
        client._clock, client._sleep = clock, clock.sleep
        with pytest.raises(UnexpectedTaskStateError):
            client.tasks.wait(TASK_ID)
    assert len(seen.requests) == 2


def test_wake_event_cuts_the_pause_short() -> None:
    seen = Recorder(answer("generating"), answer("success"))
    clock = FakeClock()
    wake = threading.Event()
    wake.set()  # e.g. a callback arrived
    with client_for(seen) as client:
        client._clock, client._sleep = clock, clock.sleep
        client.tasks.wait(TASK_ID, wake=wake)
    assert clock.sleeps == [] and not wake.is_set()


def test_async_wait() -> None:
    seen = Recorder(answer("waiting"), answer("generating"), answer("success"))
    clock = FakeClock()

    async def fake_sleep(seconds: float) -> None:
        clock.sleep(seconds)

    async def run() -> tuple[TaskRecord, list[str]]:
        updates: list[str] = []
        async with async_client_for(seen) as client:
            client._clock, client._sleep = clock, fake_sleep
            record = await client.tasks.wait(
                TASK_ID, on_update=lambda r: updates.append(r.raw_state)
            )
        return record, updates

    record, updates = asyncio.run(run())
    assert record.state is TaskState.SUCCESS
    assert updates == ["waiting", "generating", "success"] and len(clock.sleeps) == 2


def test_async_wait_times_out() -> None:
    seen = Recorder(answer("queuing"))
    clock = FakeClock()

    async def fake_sleep(seconds: float) -> None:
        clock.sleep(seconds)

    async def run() -> None:
        async with async_client_for(seen) as client:
            client._clock, client._sleep = clock, fake_sleep
            await client.tasks.wait(TASK_ID, timeout=5)

    with pytest.raises(TaskTimeoutError):
        asyncio.run(run())
    assert sum(clock.sleeps) == pytest.approx(5)
