"""wait(): the schedule and the loop, with an injected clock — nothing here really sleeps."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
import pytest
from client_support import (
    KEY,
    TASK_ID,
    FakeClock,
    Recorder,
    async_client_for,
    client_for,
    envelope,
    no_retry_waits,
    record_data,
    silent_server,
)

from liangxin_client import (
    AsyncLiangXin,
    DurationStats,
    LiangXin,
    PollSchedule,
    RateLimitError,
    TaskFailedError,
    TaskRecord,
    TaskState,
    TaskTimeoutError,
    UnexpectedTaskStateError,
)
from liangxin_client._polling import ServerClock, WaitLoop
from liangxin_client._records import record_from_data

__all__ = ["no_retry_waits", "silent_server"]

if TYPE_CHECKING:
    from client_support import SilentServer


MODEL = "seedream-v4-5"
#: The fake wall clock (epoch s) when FakeClock reads 1000: one second after record_data()'s
#: createTime, i.e. a fresh task.
WALL_AT_START = 1777600001.0


def wall_of(clock: FakeClock) -> Callable[[], float]:
    return lambda: clock() - 1000.0 + WALL_AT_START


def use_fake_time(client: LiangXin, clock: FakeClock) -> None:
    client._clock, client._sleep, client._wall = clock, clock.sleep, wall_of(clock)


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
        use_fake_time(client, clock)
        record = client.tasks.wait(TASK_ID, on_update=lambda r: updates.append(r.state))
    assert record.state is TaskState.SUCCESS and record.result_urls
    assert updates == [
        TaskState.WAITING,
        TaskState.QUEUING,
        TaskState.GENERATING,
        TaskState.SUCCESS,
    ]
    assert len(seen.requests) == 5 and len(clock.sleeps) == 4
    assert clock.sleeps[0] < 1.2  # fast at first: 0.5 s + 0.5 × the task's age (1 s) ± 10 %


def test_wait_has_a_deadline_by_default() -> None:
    seen = Recorder(answer("generating"))
    clock = FakeClock()
    with client_for(seen) as client:
        use_fake_time(client, clock)
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
        use_fake_time(client, clock)
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
        use_fake_time(client, clock)
        assert client.tasks.wait(TASK_ID).state is TaskState.SUCCESS
    assert clock.sleeps[2] >= 3.0  # Retry-After honoured


def test_wait_stops_on_an_unknown_state() -> None:
    seen = Recorder(answer("generating"), answer("upscaling"))
    clock = FakeClock()
    with client_for(seen) as client:
        use_fake_time(client, clock)
        with pytest.raises(UnexpectedTaskStateError):
            client.tasks.wait(TASK_ID)
    assert len(seen.requests) == 2


def test_wake_event_cuts_the_pause_short() -> None:
    seen = Recorder(answer("generating"), answer("success"))
    clock = FakeClock()
    wake = threading.Event()
    wake.set()  # e.g. a callback arrived
    with client_for(seen) as client:
        use_fake_time(client, clock)
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
            client._clock, client._sleep, client._wall = clock, fake_sleep, wall_of(clock)
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
            client._clock, client._sleep, client._wall = clock, fake_sleep, wall_of(clock)
            await client.tasks.wait(TASK_ID, timeout=5)

    with pytest.raises(TaskTimeoutError):
        asyncio.run(run())
    assert sum(clock.sleeps) == pytest.approx(5)


def test_each_poll_times_out_within_the_time_left() -> None:
    read_timeouts: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        read_timeouts.append(request.extensions["timeout"]["read"])
        return answer("generating")

    clock = FakeClock()
    with client_for(handler, timeout=30.0) as client:
        use_fake_time(client, clock)
        with pytest.raises(TaskTimeoutError):
            client.tasks.wait(TASK_ID, timeout=10)
        client.tasks.get(TASK_ID)  # outside wait(): the client's own timeout
    assert read_timeouts[0] == 10 and read_timeouts[-1] == 30
    assert all(t <= 10 for t in read_timeouts[:-1]) and min(read_timeouts) < 1


def test_wait_against_a_hung_server_stops_at_its_deadline(silent_server: SilentServer) -> None:
    started = time.monotonic()
    with LiangXin(KEY, silent_server.url) as client, pytest.raises(TaskTimeoutError) as info:
        client.tasks.wait(TASK_ID, timeout=2)
    assert time.monotonic() - started < 10  # generous: it used to take 92 s
    assert info.value.task_id == TASK_ID and info.value.last_state is None


def test_async_wait_against_a_hung_server_stops_at_its_deadline(
    silent_server: SilentServer,
) -> None:
    async def run() -> None:
        async with AsyncLiangXin(KEY, silent_server.url) as client:
            await client.tasks.wait(TASK_ID, timeout=2)

    started = time.monotonic()
    with pytest.raises(TaskTimeoutError) as info:
        asyncio.run(run())
    assert time.monotonic() - started < 10
    assert info.value.task_id == TASK_ID and info.value.last_state is None


# -- age-based and learned schedules --------------------------------------------------------------

FIXED = PollSchedule(jitter=0.0)  # the default schedule without jitter, for exact pauses


class TimedTask:
    """recordInfo for one task that runs `seconds` on the fake clock, created `ago` s before now."""

    def __init__(self, clock: FakeClock, seconds: float, *, ago: float = 0.0) -> None:
        self.clock = clock
        self.created_ms = round((wall_of(clock)() - ago) * 1000)
        self.done_ms = self.created_ms + round(seconds * 1000)
        self.requests: list[float] = []  # fake-clock time of each poll

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(self.clock())
        now_ms = round(wall_of(self.clock)() * 1000)
        if now_ms < self.done_ms:
            return answer("generating", createTime=self.created_ms, updateTime=self.created_ms)
        return answer(
            "success",
            createTime=self.created_ms,
            updateTime=self.done_ms,
            completeTime=self.done_ms,
            costTime=self.done_ms - self.created_ms,
        )


def learned(seconds: float, count: int = 5) -> DurationStats:
    stats = DurationStats()
    for n in range(count):
        stats.add(MODEL, seconds, key=f"t{n}")
    return stats


def loop_for(
    clock: FakeClock,
    *,
    wall: Callable[[], float] | None = None,
    durations: DurationStats | None = None,
) -> WaitLoop:
    return WaitLoop(
        TASK_ID,
        timeout=None,
        clock=clock,
        schedule=FIXED,
        wall=wall or wall_of(clock),
        durations=durations,
        server_clock=ServerClock(),
    )


def test_delay_at_age_is_the_same_backoff_as_by_poll_count() -> None:
    age, by_age = 0.0, []
    for _ in range(8):
        by_age.append(FIXED.delay_at(age))
        age += by_age[-1]
    assert by_age == pytest.approx([FIXED.delay(n) for n in range(1, 9)])


def test_pause_sleeps_long_until_the_wake_age_then_backs_off_from_initial() -> None:
    assert FIXED.pause(0.0, wake_age=25.0) == 10.0  # long steps, at most long_cap
    assert FIXED.pause(20.0, wake_age=25.0) == 5.0  # lands on the wake age
    assert FIXED.pause(25.0, wake_age=25.0) == 0.5
    assert FIXED.pause(26.25, wake_age=25.0) == pytest.approx(1.125)
    assert FIXED.pause(25.0, wake_age=None) == 3.0  # no estimate: the cap, for an old task
    assert PollSchedule(jitter=0, learn=False).pause(0.0, wake_age=25.0) == 0.5


def test_duration_stats_estimate() -> None:
    stats = DurationStats(keep=20)
    assert stats.wake_age(MODEL) is None
    stats.add(MODEL, 10.0, key="a")
    stats.add(MODEL, 10.0, key="a")  # the same task read twice counts once
    stats.add(MODEL, 12.0, key="b")
    assert stats.samples(MODEL) == [10.0, 12.0]
    assert stats.wake_age(MODEL) == pytest.approx(8.0)  # few samples: 0.8 × the shortest
    for n, seconds in enumerate([7.0, 8.0, 8.0, 8.5, 9.0, 9.0, 9.5, 10.0]):
        stats.add(MODEL, seconds, key=f"n{n}")
    # 10 samples: the 20th percentile (2nd smallest, 8.0) vs 0.9 × the median (0.9 × 9.0)
    assert stats.wake_age(MODEL) == pytest.approx(8.0)
    for n in range(30):
        stats.add(MODEL, 4.0, key=f"fast{n}")
    assert stats.samples(MODEL) == [4.0] * 20  # bounded: the last 20
    assert stats.wake_age(MODEL) == pytest.approx(3.6)  # 0.9 × the median wins
    assert stats.wake_age("z-image") is None  # per model


def test_duration_stats_learns_from_finished_records_only() -> None:
    stats = DurationStats()
    stats.observe(rec("generating"))
    stats.observe(rec("success", taskId="a"))  # completeTime − createTime = 12 s
    stats.observe(rec("fail", taskId="b", completeTime=None, costTime=3000))
    stats.observe(rec("success", taskId="c", createTime=None, completeTime=None, costTime=None))
    assert stats.samples(MODEL) == [12.0, 3.0]


def test_an_old_task_is_not_polled_fast() -> None:
    clock = FakeClock()
    loop = loop_for(clock)
    two_minutes_ago = 1777600001000 - 120_000
    loop.observe(rec("generating", createTime=two_minutes_ago, updateTime=two_minutes_ago))
    assert loop.age() == pytest.approx(120.0)
    assert loop.next_delay() == 3.0  # the cap at once, not 0.5 s

    fresh = loop_for(clock)
    fresh.observe(rec("generating"))  # created 1 s ago
    assert fresh.next_delay() == pytest.approx(1.0)  # 0.5 + 0.5 × 1 s


def test_age_counts_from_the_first_poll_without_a_create_time() -> None:
    clock = FakeClock()
    loop = loop_for(clock)
    loop.sending()
    loop.observe(rec("generating", createTime=None, updateTime=None))
    assert loop.next_delay() == 0.5
    clock.sleep(4.0)
    assert loop.age() == pytest.approx(4.0)


def test_a_client_clock_behind_the_server_does_not_make_the_task_young() -> None:
    clock = FakeClock()
    behind = wall_of(clock)
    loop = loop_for(clock, wall=lambda: behind() - 100.0)  # our clock is 100 s slow
    # Created 40 s ago by the server's clock; generating since 10 s ago.
    created = 1777600001000 - 40_000
    loop.observe(rec("generating", createTime=created, updateTime=created + 30_000))
    assert loop.age() >= 30.0  # at least what the server's own timestamps prove
    assert loop.next_delay() == 3.0


def test_server_clock_bounds_clamp_the_wall_clock_guess() -> None:
    server = ServerClock()
    # Our wall clock is 50 s ahead: a guess from it alone puts the server's instants 50 s early.
    mono, wall = 1000.0, 1777600050.0
    assert server.offset(mono, wall) == mono - wall
    server.after(1777600000000, local=999.5)  # the server changed state after we sent at 999.5
    assert server.offset(mono, wall) == pytest.approx(999.5 - 1777600000.0)
    server.seen_by(1777600000000, local=1000.0)
    assert server.offset(mono, 1777599000.0) == pytest.approx(1000.0 - 1777600000.0)


def test_learned_estimate_sleeps_long_then_polls_fast() -> None:
    clock = FakeClock()
    task = TimedTask(clock, 21.2)
    with client_for(task) as client:
        use_fake_time(client, clock)
        client.durations = learned(20.0)  # wake age 18 s
        client.tasks.schedule = FIXED
        record = client.tasks.wait(TASK_ID)
    assert record.state is TaskState.SUCCESS
    # polls at ages 0, 10 (a long step), 18 (the wake age), then 18.5, 19.25, 20.375, 22.06
    assert clock.sleeps[:3] == pytest.approx([10.0, 8.0, 0.5])
    assert max(clock.sleeps[2:]) < 2.0
    assert len(task.requests) == 7


def test_without_an_estimate_the_default_backoff_is_used() -> None:
    clock = FakeClock()
    task = TimedTask(clock, 21.2)
    with client_for(task) as client:
        use_fake_time(client, clock)
        client.tasks.schedule = FIXED
        client.tasks.wait(TASK_ID)
        no_learning = client.tasks.schedule = PollSchedule(jitter=0, learn=False)
        assert client.durations.samples(MODEL) == [pytest.approx(21.2)]  # learned just now
    assert clock.sleeps[:3] == pytest.approx([0.5, 0.75, 1.125])
    assert len(task.requests) == 11

    clock = FakeClock()
    task = TimedTask(clock, 21.2)
    with client_for(task) as client:
        use_fake_time(client, clock)
        client.durations = learned(20.0)
        client.tasks.wait(TASK_ID, schedule=no_learning)  # learn=False ignores the estimate
    assert clock.sleeps[:3] == pytest.approx([0.5, 0.75, 1.125])


def test_learning_is_shared_with_with_options_copies() -> None:
    clock = FakeClock()
    task = TimedTask(clock, 6.0, ago=7.0)
    with client_for(task) as client:
        copy = client.with_options(default_headers={"X-Extra": "1"})
        assert copy.durations is client.durations
        assert copy._server_clock is client._server_clock
        elsewhere = client.with_options(base_url="https://other.liangxin.test")
        assert elsewhere.durations is client.durations
        assert elsewhere._server_clock is not client._server_clock
        copy.tasks.get(TASK_ID)  # tasks.get learns too, not only wait()
        assert client.durations.samples(MODEL) == [pytest.approx(6.0)]
        assert client.durations.wake_age(MODEL) == pytest.approx(4.8)


def test_learned_sleep_never_passes_the_deadline() -> None:
    clock = FakeClock()
    task = TimedTask(clock, 60.0)
    with client_for(task) as client:
        use_fake_time(client, clock)
        client.durations = learned(50.0)
        client.tasks.schedule = FIXED
        with pytest.raises(TaskTimeoutError):
            client.tasks.wait(TASK_ID, timeout=15)
    assert clock.sleeps == pytest.approx([10.0, 5.0])
    assert sum(clock.sleeps) == pytest.approx(15.0)


class RecordingEvent(threading.Event):
    """A threading.Event that remembers how long each wait() was allowed to block."""

    def __init__(self) -> None:
        super().__init__()
        self.timeouts: list[float | None] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout)
        return super().wait(timeout)


def test_wake_event_still_polls_at_once_during_a_long_sleep() -> None:
    clock = FakeClock()
    seen = Recorder(answer("generating"), answer("success"))
    wake = RecordingEvent()
    wake.set()
    with client_for(seen) as client:
        use_fake_time(client, clock)
        client.durations = learned(30.0)
        client.tasks.schedule = FIXED
        client.tasks.wait(TASK_ID, wake=wake)
    assert wake.timeouts == [10.0]  # a long sleep was planned, and the set event cut it short
    assert len(seen.requests) == 2 and not wake.is_set()


def test_retry_after_is_honoured_in_every_phase() -> None:
    clock = FakeClock()
    loop = loop_for(clock, durations=learned(30.0))
    loop.observe(rec("generating"))  # age 1 s, wake age 27 s: a 10 s long step
    busy = RateLimitError("busy", response=httpx.Response(429), retry_after=20.0)
    assert loop.next_delay(busy) == 20.0
    short = RateLimitError("busy", response=httpx.Response(429), retry_after=2.0)
    assert loop.next_delay(short) == 10.0
    clock.sleep(26.0)  # age 27 s: polling fast now
    loop.failed_poll()
    assert loop.next_delay() == 0.5
    assert loop.next_delay(short) == 2.0
