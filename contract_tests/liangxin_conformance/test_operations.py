"""Per-operation property tests: examples, coverage and fuzzing phases, every check.

Negative cases (documented rejections: 400/401/403/404/413/422) run first and cost nothing;
positive createTask cases spend the paid-task budget.
"""

from __future__ import annotations

from liangxin_conformance import schemas
from liangxin_conformance.cases import run_case
from liangxin_conformance.plugin import session_target
from liangxin_conformance.schemas import AnyCase

TARGET = session_target()
negative = schemas.load(TARGET, "negative")
positive = schemas.load(TARGET, "positive")


@negative.parametrize()  # type: ignore[untyped-decorator]
def test_negative(case: AnyCase) -> None:
    run_case(TARGET, case)


@positive.parametrize()  # type: ignore[untyped-decorator]
def test_positive(case: AnyCase) -> None:
    run_case(TARGET, case)
