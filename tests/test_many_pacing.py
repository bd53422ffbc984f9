"""How a run of many tasks is paced: the submit window's decreases, and the first poll's timing."""

from __future__ import annotations

import asyncio
import math
import random
import threading
from collections.abc import Callable

import httpx
import pytest

from liangxin_client import AsyncLiangXin, GenerateOutcome, LiangXin, TaskRecord
from liangxin_client._limits import (
    DECREASE,
    DECREASE_SPACING,
    AsyncSubmitWindow,
    SubmitWindow,
    Window,
)
from liangxin_mock import MockServer

Factory = Callable[..., MockServer]


def test_a_429_to_a_submit_admitted_before_the_last_decrease_changes_nothing() -> None:
    now = [100.0]
    window = Window(lambda: now[0])
    window.held = window.accepted = 60
    before = window.generation
    window.rate_limited(before)
    window.rate_limited(before)  # admitted by the open window: the first decrease
    assert window.limit == int(60 * DECREASE)
    now[0] += 10 * DECREASE_SPACING
    window.accepted = 30
    window.rate_limited(before)  # a late answer to the same burst
    assert window.limit == int(60 * DECREASE)
    window.rate_limited(window.generation)  # admitted by the window now in force
    assert window.limit == int(30 * DECREASE)


def test_the_sync_window_remembers_under_which_generation_each_thread_was_admitted() -> None:
    window = SubmitWindow()
    window.window.held = window.window.accepted = 50
    early = threading.Event()
    done = threading.Event()

    def admitted_early() -> None:
        window.acquire()
        early.set()
        done.wait(10)
        window.rate_limited()  # its 429 comes back after the window closed

    thread = threading.Thread(target=admitted_early)
    thread.start()
    early.wait(10)
    window.acquire()
    window.rate_limited()
    window.rate_limited()  # two in a row close the window: 50 running → 45
    closed = window.window.limit
    window.window._decreased_at -= 10 * DECREASE_SPACING
    done.set()
    thread.join(10)
    assert window.window.limit == closed == int(50 * DECREASE)


def test_a_thread_that_uses_two_clients_is_judged_by_each_windows_own_generation() -> None:
    first, second = SubmitWindow(), SubmitWindow()
    first.window.generation = 3  # narrowed three times already; the second never
    first.window.held = first.window.accepted = 20
    first.acquire()  # admitted under the first window's generation 3
    second.acquire()  # then a submit on the other client, under its generation 0
    first.rate_limited()
    first.rate_limited()  # 429s to the first window's submit: current ones
    assert first.window.limit == int(20 * DECREASE)


def test_the_async_window_remembers_under_which_generation_each_task_was_admitted() -> None:
    async def main() -> tuple[float, float]:
        window = AsyncSubmitWindow()
        window.window.held = window.window.accepted = 50
        closed = asyncio.Event()

        async def admitted_early() -> None:
            await window.acquire()
            await closed.wait()
            window.window._decreased_at -= 10 * DECREASE_SPACING
            window.rate_limited()

        early = asyncio.create_task(admitted_early())
        await asyncio.sleep(0)
        await window.acquire()
        window.rate_limited()
        window.rate_limited()
        limit = window.window.limit
        closed.set()
        await early
        return limit, window.window.limit

    first, after = asyncio.run(main())
    assert after == first < 50


def test_an_isolated_429_between_accepted_creates_leaves_the_window_alone() -> None:
    # Before: every 429 (one a second at most) narrowed it, the fault's as well as the cap's.
    window = Window(lambda: 100.0)
    window.limit = 50.0
    window.held = window.accepted = 50
    window.succeeded()
    window.rate_limited(window.generation)
    assert window.limit == pytest.approx(50.02) and window.generation == 0
    window.succeeded()  # the service took the next submit: it was not saturated
    window.rate_limited(window.generation)
    assert window.limit == pytest.approx(50.04) and window.generation == 0


def test_a_second_429_in_a_row_is_saturation() -> None:
    now = [100.0]
    window = Window(lambda: now[0])
    window.held = window.accepted = 40  # the window still open: the first burst
    window.rate_limited(window.generation)
    assert math.isinf(window.limit)
    window.rate_limited(window.generation)
    assert window.limit == int(40 * DECREASE) and window.generation == 1
    now[0] += 10 * DECREASE_SPACING
    window.rate_limited(window.generation)  # still no createTask accepted: saturated
    assert window.limit == int(int(40 * DECREASE) * DECREASE)


def _window_against(cap: int, share: float, answers: int, *, seed: int = 0) -> list[float]:
    """The window's limit through `answers` createTask answers, 25 a second, from a client with
    a queue behind it (always at its window, one submit in flight) against a service that runs
    `cap` tasks for it: a submit beyond the cap is refused (429), and `share` of the others too,
    at random (a gateway's passing refusals, `--fault-rate`'s rate_limited)."""
    now = [0.0]
    window = Window(lambda: now[0])
    window.limit = 50.0
    rand = random.Random(seed)
    limits = []
    for _ in range(answers):
        now[0] += 1 / 25
        window.held = math.floor(window.limit)
        window.accepted = window.held - 1
        if window.accepted >= cap or rand.random() < share:
            window.rate_limited(window.generation)
        else:
            window.succeeded()
        limits.append(window.limit)
    return limits


@pytest.mark.parametrize("seed", range(3))
def test_random_429s_do_not_collapse_the_window(seed: int) -> None:
    # --fault-rate 0.2 refuses about one createTask in 30 with a 429 (a sixth of its faults).
    # Before: the window fell to 9 and averaged 17 of the cap's 50.
    limits = _window_against(cap=50, share=1 / 30, answers=3000, seed=seed)
    assert min(limits) >= 30
    assert sum(limits) / len(limits) >= 42


def test_a_saturated_service_still_closes_the_window() -> None:
    # Another process holds 30 of the key's 50 slots: this client's window comes down to the 20
    # left, and stays near them.
    limits = _window_against(cap=20, share=0, answers=1000)
    assert max(limits[500:]) <= 22
    assert sum(limits[500:]) / 500 >= 17


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_with_a_learned_duration_each_task_is_polled_once_when_it_should_be_done(
    liangxin_mock_factory: Factory, mode: str
) -> None:
    mock = liangxin_mock_factory(task_seconds=0.3)
    requests = [{"model": "z-image", "prompt": f"fox {i}"} for i in range(6)]
    outcomes: list[GenerateOutcome]
    if mode == "sync":
        with LiangXin(mock.api_key, mock.base_url) as client:
            client.durations.add("z-image", 0.3)
            outcomes = list(client.generate_many(requests, concurrency=3))
    else:

        async def run() -> list[GenerateOutcome]:
            async with AsyncLiangXin(mock.api_key, mock.base_url) as client:
                client.durations.add("z-image", 0.3)
                return [o async for o in client.generate_many(requests, concurrency=3)]

        outcomes = asyncio.run(run())
    assert [o.status for o in outcomes] == ["success"] * 6
    assert mock.stats()["recordInfo"] == 6  # no poll before the task can have finished


def test_a_429_on_a_queued_submit_gives_the_slot_back_before_anything_is_resent() -> None:
    """generate()'s createTask is not retried in place on a 429 (holding a place in the window
    with no task); the window's queue takes it: give the slot back, wait, queue again."""
    from liangxin_client._base import Backoff, Pause, Send, WindowOp
    from liangxin_client._limits import SubmitSlot

    busy = {"code": 429, "msg": "busy", "data": None}
    with LiangXin("sk-test", "https://api.liangxin.test", max_retries=2) as client:
        slot = SubmitSlot()
        slot.held = True
        body = {"model": "z-image", "input": {"prompt": "a fox"}}
        steps = client._queued_steps(body, slot, None, None)
        send = next(steps)
        assert isinstance(send, Send)
        answer = httpx.Response(429, json=busy, headers={"Retry-After": "1"}, request=send.request)
        after = steps.send(answer)
        assert not isinstance(after, Backoff | Send)
        assert after == WindowOp("release", {"accepted": False}) and not slot.held
        assert steps.send(None) == Pause(1.0)
        assert steps.send(None) == WindowOp("acquire")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_with_a_learned_duration_generate_polls_once_unless_it_reports_each_state(
    liangxin_mock_factory: Factory, mode: str
) -> None:
    mock = liangxin_mock_factory(task_seconds=0.3)
    states: list[str] = []
    unfollowed: list[int] = []

    def on_update(record: TaskRecord) -> None:
        states.append(record.raw_state)

    if mode == "sync":
        with LiangXin(mock.api_key, mock.base_url) as client:
            client.durations.add("z-image", 0.3)
            for i in range(3):
                client.generate("z-image", f"fox {i}")
            unfollowed.append(mock.stats()["recordInfo"])
            client.generate("z-image", "followed", on_update=on_update)
    else:

        async def run() -> None:
            async with AsyncLiangXin(mock.api_key, mock.base_url) as client:
                client.durations.add("z-image", 0.3)
                await asyncio.gather(*(client.generate("z-image", f"fox {i}") for i in range(3)))
                unfollowed.append(mock.stats()["recordInfo"])
                await client.generate("z-image", "followed", on_update=on_update)

        asyncio.run(run())
    assert unfollowed == [3]  # one poll each, once the task can have finished
    assert states[0] == "waiting" and states[-1] == "success"  # followed: the first poll at once
    assert mock.stats()["recordInfo"] - 3 >= 2
