"""Facts and guesses: which checks rest on an inferred part of the contract, and the log of
guesses a service's answers refuted.

The contract marks every constraint as documented or inferred (`liangxin_contract.provenance`).
Only documented facts may turn the verdict red. A check whose expectation rests on a guess (a
body that breaks only an inferred constraint, a body for a guessed model or using a guessed
field, an inferred response field) is counted, and an answer that contradicts the guess is
logged here as "guess refuted" (reported in its own section; the verdict stays as it was).
"""

from __future__ import annotations

import os
import re
import threading
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

from liangxin_contract import Verdict, check_create_task, model_constraints, model_sources

#: Refutation kinds.
ACCEPTED = "guess.accepted"  # a body that breaks only a guess was accepted
REFUSED = "guess.refused"  # a body valid under the contract, resting on guesses, was refused
RESPONSE = "guess.response"  # an answer breaks only an inferred response constraint


@dataclass(frozen=True)
class Refuted:
    """One answer that contradicts a guess of the contract."""

    rule: str
    guess: str  # what was guessed: `input.seed minimum (inferred)`, `model imagen4-fast`
    message: str
    curl: str | None = None
    test: str = ""


@dataclass
class GuessLog:
    """Per session: how many checks rest on guesses, how many were left unsent, what was refuted."""

    resting: int = 0
    unsent: int = 0
    refuted: list[Refuted] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def rests(self, count: int = 1) -> None:
        with self._lock:
            self.resting += count

    def skip_one(self) -> None:
        with self._lock:
            self.unsent += 1

    def refute(self, rule: str, guess: str, message: str, curl: str | None = None) -> None:
        """Log a refuted guess (once per test: a repeated answer is not a new finding)."""
        test = os.environ.get("PYTEST_CURRENT_TEST", "").rsplit(" (", 1)[0]
        with self._lock:
            if not any(
                (r.rule, r.guess, r.message, r.test) == (rule, guess, message, test)
                for r in self.refuted
            ):
                self.refuted.append(Refuted(rule, guess, message, curl, test))

    def refute_response(
        self, operation: str, status: int, error: str, curl: str | None = None
    ) -> None:
        """An answer breaks an inferred response constraint (`error`: `/data/x: why`)."""
        where = re.sub(r"/\d+(?=/|$)", "/[]", error.split(":", 1)[0])
        self.refute(RESPONSE, f"{operation} HTTP {status} response {where}", error, curl)

    def clear(self) -> None:
        with self._lock:
            self.resting = self.unsent = 0
            self.refuted.clear()

    def as_dict(self) -> dict[str, Any]:
        with self._lock:
            return {
                "resting": self.resting,
                "unsent": self.unsent,
                "refuted": [asdict(r) for r in self.refuted],
            }


LOG = GuessLog()


@cache
def guessed_model(model: str) -> str | None:
    """Why a known model is a guess (None: its request and input schemas are documented)."""
    try:
        sources = model_sources(model)
    except KeyError:
        return None
    if sources.partial:
        return f"model {model} is partly known (its input fields were not recovered)"
    if sources.request != "doc":
        return f"model {model}: its request schema is inferred"
    if sources.input != "doc":
        return f"model {model}: its input schema is inferred"
    if any(c.path == "model" and not c.documented for c in model_constraints(model)):
        return f"model {model}: the model value is inferred"
    return None


@cache
def _guessed_fields(model: str) -> dict[str, str]:
    """`input` field → the first non-documented constraint on it, for a documented model."""
    out: dict[str, str] = {}
    for constraint in model_constraints(model):
        if constraint.documented or not constraint.path.startswith("input."):
            continue
        name = constraint.path.removeprefix("input.").split("[", 1)[0].split(" ", 1)[0]
        out.setdefault(name, f"input.{name}: {constraint.keyword} ({constraint.source})")
    return out


def basis(body: Any, verdict: Verdict | None = None) -> list[str]:
    """The guesses that accepting this (contract-valid) createTask body rests on: a guessed
    model, an `input` field with an inferred constraint, a field the contract does not know."""
    if not isinstance(body, dict) or not isinstance(body.get("model"), str):
        return []
    model = body["model"]
    verdict = verdict or check_create_task(body)
    if verdict.knowledge == "unknown":
        return []
    reason = guessed_model(model)
    if reason:
        return [reason]
    payload = body.get("input")
    out: list[str] = []
    if isinstance(payload, dict):
        fields = _guessed_fields(model)
        out += [fields[name] for name in payload if name in fields]
    out += [f"input.{u.name}: not in the contract" for u in verdict.unknown_fields]
    return out


def describe(verdict: Verdict) -> tuple[str, str]:
    """(the guessed constraints a body breaks, one line per kind of finding; the details)."""
    keywords: dict[str, list[str]] = {}
    for v in verdict.inferred:
        where = re.sub(r"\[\d+\]", "[]", v.field or "(body)")
        keywords.setdefault(where, [])
        if v.keyword not in keywords[where]:
            keywords[where].append(v.keyword)
    broken = ", ".join(f"{where} ({', '.join(sorted(k))})" for where, k in keywords.items())
    guess = f"{verdict.model}: {broken}, inferred"
    return guess, "; ".join(v.message for v in verdict.inferred)
