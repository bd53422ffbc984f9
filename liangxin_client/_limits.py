"""How much a client sends at once: a bound on HTTP requests in flight, and an AIMD window on tasks.

`max_in_flight` requests at a time go to the connection pool (which is sized to match when the
client makes its own), so the pool never queues: waiting for a free connection happens here, as
queueing, never as a `PoolTimeout`. (httpcore 1.0.9's pool does work proportional to queued
requests × connections on every pool event and, under contention, can leave connections stuck in
CONNECTING — encode/httpcore#1093; a short queue in front of it avoids both.)

The submit window bounds the createTask calls in flight — for `generate()` and `generate_many()`
a task counts from its createTask until its wait ends, which is what a service's per-key
concurrency limit counts. It is open (unbounded) until the service shows it is saturated; then it
closes to `DECREASE` × the tasks this client has running (multiplicative decrease, at most once
per `DECREASE_SPACING` seconds), and each accepted createTask widens it by 1 / window, i.e. by one
task per window's worth of accepted tasks (additive increase, as TCP's congestion avoidance) — so
a batch settles at the rate the service allows instead of hammering it.

What shows saturation is a 429 that follows another 429 with no createTask accepted between them
(`SATURATED_AFTER` in a row). A saturated service refuses every submit until a slot frees, so its
429s come in runs — the open window's first burst, or the surplus submits of a window wider than
the cap bouncing off it; an isolated 429 between accepted createTasks is not saturation (the
service took the submits on either side of it): a gateway's passing refusal, a fault. Each
refused submit still waits its Retry-After and queues again; only the window stays. Narrowing on
every 429 made random ones collapse it: 1,000 `generate()` against a cap of 50 with 20 % faults
(about one createTask in 30 refused at random) ran with a window of 5-14 and took 3.5 × the ideal
time.

Only a 429 that answers a submit admitted by the current window narrows it (as TCP reduces once
per window, not once per lost packet): submits admitted before the last decrease — the burst of an
open window, or the surplus of a wider one — are still draining, and their 429s say nothing about
the window now in force. Without that rule, 1,000 calls at once on an open window kept closing it
for as long as the first burst's 429s came back (50 → 18 in 12 s against a cap of 50).
"""

from __future__ import annotations

import asyncio
import contextvars
import math
import threading
import time
from collections.abc import Callable

DEFAULT_MAX_IN_FLIGHT = 32
#: The window after a 429, as a share of the tasks then running (multiplicative decrease).
DECREASE = 0.9
#: Seconds between two decreases: the 429s of one burst close the window once, not once each.
DECREASE_SPACING = 1.0
#: 429s in a row (no createTask accepted between them) that show the service is saturated.
SATURATED_AFTER = 2

#: The window (its id) and generation the current thread's or task's last submit was admitted
#: under (a thread or task may use more than one client).
_admitted: contextvars.ContextVar[tuple[int, int] | None] = contextvars.ContextVar(
    "liangxin_admitted", default=None
)


def _admit(window: Window) -> None:
    window.held += 1
    _admitted.set((id(window), window.generation))


def _admitted_under(window: Window) -> int | None:
    """The generation the current thread's or task's submit on `window` was admitted under."""
    admitted = _admitted.get()
    return admitted[1] if admitted is not None and admitted[0] == id(window) else None


def check_max_in_flight(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"max_in_flight must be an integer >= 1, got {value!r}")
    return value


class SubmitSlot:
    """One place in the submit window: is it still held, and does it hold an accepted task?"""

    __slots__ = ("accepted", "held")

    def __init__(self) -> None:
        self.held = False
        self.accepted = False


class Window:
    """The AIMD arithmetic of the submit window, free of locking (see the module docstring)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.limit: float = math.inf  # open until the first 429
        self.held = 0  # submits and tasks in flight
        self.accepted = 0  # of those, tasks the service accepted (running, as far as we know)
        self.generation = 0  # how many times the window has been narrowed
        self.refused = 0  # createTasks refused with 429 since the last one accepted
        self._clock = clock
        self._decreased_at = -math.inf

    def __repr__(self) -> str:
        limit = "open" if math.isinf(self.limit) else f"{self.limit:.1f}"
        return f"Window(limit={limit}, held={self.held}, accepted={self.accepted})"

    def has_room(self) -> bool:
        return math.isinf(self.limit) or self.held < max(1, math.floor(self.limit))

    def room(self) -> int:
        """How many waiters may go now (a large number while the window is open)."""
        if math.isinf(self.limit):
            return 1 << 30
        return max(0, max(1, math.floor(self.limit)) - self.held)

    def rate_limited(self, admitted: int | None = None) -> None:
        """A createTask was refused with 429: close the window (once per burst) if it shows
        saturation (`SATURATED_AFTER` in a row).

        `admitted` is the generation the refused submit was admitted under (None: unknown); a
        submit admitted before the last decrease changes nothing.
        """
        self.refused += 1
        if self.refused < SATURATED_AFTER:
            return
        now = self._clock()
        if now - self._decreased_at < DECREASE_SPACING:
            return
        if admitted is not None and admitted < self.generation:
            return
        self._decreased_at = now
        self.generation += 1
        running = self.accepted if math.isinf(self.limit) else min(self.accepted, self.limit)
        self.limit = max(1.0, math.floor(running * DECREASE))

    def succeeded(self) -> None:
        """A createTask was accepted: widen the window by 1 / window (one per window's worth)."""
        self.refused = 0
        if not math.isinf(self.limit):
            self.limit += 1 / self.limit


class SubmitWindow:
    """The submit window for threads (`LiangXin`)."""

    def __init__(self) -> None:
        self.window = Window()
        self._cond = threading.Condition()

    def acquire(self, timeout: float | None = None) -> bool:
        """Take a slot, waiting up to `timeout` seconds (None: as long as it takes)."""
        with self._cond:
            if not self._cond.wait_for(self.window.has_room, timeout):
                self._cond.notify(self.window.room())  # pass on a wake-up this waiter missed
                return False
            _admit(self.window)
            return True

    def accepted(self, *, grow: bool = True) -> None:
        """The slot now holds a running task; `grow`: its createTask was just accepted."""
        with self._cond:
            self.window.accepted += 1
            if grow:
                self.window.succeeded()
            self._cond.notify(self.window.room())

    def release(self, *, accepted: bool) -> None:
        """Give the slot back (`accepted`: it held a task the service accepted)."""
        with self._cond:
            self.window.held -= 1
            if accepted:
                self.window.accepted -= 1
            self._cond.notify(self.window.room())

    def rate_limited(self) -> None:
        """The service refused a createTask with 429 (one this thread was admitted to send)."""
        with self._cond:
            self.window.rate_limited(_admitted_under(self.window))


class AsyncSubmitWindow:
    """The submit window for one event loop (`AsyncLiangXin`)."""

    def __init__(self) -> None:
        self.window = Window()
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    async def acquire(self, timeout: float | None = None) -> bool:
        cond = self._condition()
        async with cond:
            try:
                await asyncio.wait_for(cond.wait_for(self.window.has_room), timeout)
            except TimeoutError:
                cond.notify(self.window.room())
                return False
            _admit(self.window)  # an awaited coroutine shares its task's context
            return True

    async def accepted(self, *, grow: bool = True) -> None:
        cond = self._condition()
        async with cond:
            self.window.accepted += 1
            if grow:
                self.window.succeeded()
            cond.notify(self.window.room())

    async def release(self, *, accepted: bool) -> None:
        cond = self._condition()
        async with cond:
            self.window.held -= 1
            if accepted:
                self.window.accepted -= 1
            cond.notify(self.window.room())

    def rate_limited(self) -> None:
        """The service refused a createTask with 429 (no lock needed: one event loop)."""
        self.window.rate_limited(_admitted_under(self.window))
