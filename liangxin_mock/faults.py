"""Gateway faults injected with `--fault-rate`, reproducibly from `--seed`.

Each authenticated API request (createTask or recordInfo) gets an ordinal n = 1, 2, ...; it
faults when hash(seed, n) < fault_rate, and the kind is drawn from hash(seed, n) too, so the same
request sequence meets the same faults every run. Kinds:

- `server_error`: 500 task-layer envelope;
- `rate_limited`: 429 envelope with `Retry-After: 1`;
- `slow`: the request is answered normally after `fault_slow_seconds`;
- `drop`: the connection is closed without a response;
- `html`: a 502 HTML error page (not JSON), as a proxy in front of the API sends;
- `accepted_drop` (createTask only): the task IS stored and charged, then the connection is
  closed without a response — the case where resending a createTask would pay twice.

Every other createTask fault happens before the task is stored: it creates nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from liangxin_mock.lifecycle import unit_hash

FAULT_KINDS: tuple[str, ...] = (
    "server_error",
    "rate_limited",
    "slow",
    "drop",
    "html",
    "accepted_drop",
)
CREATE_ONLY = frozenset({"accepted_drop"})

HTML_PAGE = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)


@dataclass
class FaultPlan:
    """Decides, per request ordinal, whether and how the request fails; keeps a log."""

    seed: int
    rate: float
    kinds: tuple[str, ...] = FAULT_KINDS
    ordinal: int = 0
    log: list[dict[str, Any]] = field(default_factory=list)

    def draw(self, operation: str) -> str | None:
        """The fault for the next request of `operation` (`createTask`/`recordInfo`), if any."""
        self.ordinal += 1
        n = self.ordinal
        if self.rate <= 0 or unit_hash(self.seed, "fault", n) >= self.rate:
            return None
        kinds = [k for k in self.kinds if operation == "createTask" or k not in CREATE_ONLY]
        if not kinds:
            return None
        kind = kinds[int(unit_hash(self.seed, "fault-kind", n) * len(kinds))]
        self.log.append({"request": n, "operation": operation, "kind": kind})
        return kind

    def summary(self) -> dict[str, Any]:
        counts = Counter(entry["kind"] for entry in self.log)
        return {"requests": self.ordinal, "total": len(self.log), "byKind": dict(counts)}

    def reset(self) -> None:
        self.ordinal = 0
        self.log.clear()
