"""A violation names the rule it breaks; `ContractError` carries them out of a test."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Violation:
    """One broken rule. `rule` is stable (`schemathesis.<check>`, `liangxin.<area>.<rule>`)."""

    rule: str
    message: str
    curl: str | None = None

    def render(self) -> str:
        text = f"[{self.rule}] {self.message}"
        return f"{text}\n    reproduce: {self.curl}" if self.curl else text


class ContractError(AssertionError):
    """The target broke one or more rules of the contract."""

    def __init__(self, violations: list[Violation]) -> None:
        self.violations = violations
        super().__init__("\n".join(v.render() for v in violations))


def fail_if(violations: list[Violation]) -> None:
    """Raise `ContractError` when there is anything to report."""
    if violations:
        raise ContractError(violations)
