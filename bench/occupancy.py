"""How full the mock's slots were during a run, from its own task timestamps (/__mock__/tasks).

Under `--max-concurrent C` the ideal run keeps C tasks running at every moment. `occupancy()`
reads every task's createTime and completeTime and reports the mean number running between the
first create and the last completion, the share of that time spent at the cap, and the refill
lag: for the k-th completion, the time until the (k + C)-th createTask — how long a slot freed on
the service stayed empty.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from typing import Any

import attrs
import httpx


@attrs.frozen
class Occupancy:
    tasks: int
    span_s: float
    mean_running: float
    share_at_cap: float
    refill_median_ms: float
    refill_p90_ms: float

    def __str__(self) -> str:
        return (
            f"mock slots: {self.mean_running:.1f} running on average over {self.span_s:.1f} s, "
            f"{self.share_at_cap:.0%} of the time at the cap; a freed slot refilled after "
            f"{self.refill_median_ms:.0f} ms (median), {self.refill_p90_ms:.0f} ms (p90)"
        )


def mock_tasks(url: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = httpx.get(url + "/__mock__/tasks", timeout=300).json()["tasks"]
    return tasks


def occupancy(
    tasks: list[dict[str, Any]], cap: int, keep: Callable[[dict[str, Any]], bool] = lambda t: True
) -> Occupancy | None:
    """The occupancy of the tasks `keep` selects (None: too few to say)."""
    spans = sorted(
        (t["createTime"], t["completeTime"] or t["createTime"]) for t in tasks if keep(t)
    )
    if len(spans) <= cap + 1:
        return None
    start, end = spans[0][0], max(e for _, e in spans)
    events = sorted([(s, 1) for s, _ in spans] + [(e, -1) for _, e in spans])
    running = area = at_cap = 0
    last = start
    for when, change in events:
        area += running * (when - last)
        at_cap += (when - last) if running >= cap else 0
        running += change
        last = when
    creates = sorted(s for s, _ in spans)
    completes = sorted(e for _, e in spans)
    lags = [creates[k + cap] - completes[k] for k in range(len(spans) - cap)]
    deciles = statistics.quantiles(lags, n=10)
    span = max(1, end - start)
    return Occupancy(
        tasks=len(spans),
        span_s=span / 1000,
        mean_running=area / span,
        share_at_cap=at_cap / span,
        refill_median_ms=statistics.median(lags),
        refill_p90_ms=deciles[-1],
    )
