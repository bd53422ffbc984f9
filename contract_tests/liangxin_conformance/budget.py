"""The paid-task budget: how many createTask requests the suite may get accepted."""

from __future__ import annotations

import threading

import pytest


class PaidTaskBudget:
    """Counts accepted (HTTP 200) createTask responses; `limit=None` means unlimited.

    Callers `reserve()` before sending a request that should be accepted and `settle()` with the
    status afterwards, so the limit holds even when a request is in flight.
    """

    def __init__(self, limit: int | None) -> None:
        self.limit = limit
        self.spent = 0
        #: Requests that might have been accepted and were not sent because the budget was spent.
        self.unsent = 0
        self._reserved = 0
        self._lock = threading.Lock()

    @property
    def remaining(self) -> int | None:
        if self.limit is None:
            return None
        return max(self.limit - self.spent - self._reserved, 0)

    def reserve(self) -> bool:
        with self._lock:
            if self.limit is not None and self.spent + self._reserved >= self.limit:
                return False
            self._reserved += 1
            return True

    def settle(self, status: int | None, reserved: bool = True) -> None:
        """Record the outcome of a createTask (reserved or not: a 200 is always counted)."""
        with self._lock:
            if reserved:
                self._reserved -= 1
            if status == 200:
                self.spent += 1

    def skip_one(self) -> None:
        """Count a request left unsent for lack of budget."""
        with self._lock:
            self.unsent += 1

    def require(self, what: str) -> None:
        """Reserve one task or skip the calling test."""
        if not self.reserve():
            pytest.skip(f"paid-task budget spent ({self.spent}/{self.limit}): {what} not sent")
