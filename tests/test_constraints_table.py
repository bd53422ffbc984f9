"""docs/constraints.md shows every constraint `liangxin_contract.model_constraints` lists."""

from __future__ import annotations

from pathlib import Path

import pytest

import liangxin_contract
from generator import constraints_table

REPO = Path(__file__).resolve().parent.parent
TABLE = (REPO / constraints_table.TABLE).read_text()


def section(model: str) -> str:
    text = TABLE.split(f"\n## {model}\n", 1)[1]
    return text.split("\n## ", 1)[0]


@pytest.mark.parametrize("model", liangxin_contract.model_names())
def test_every_constraint_is_in_the_table_with_its_source(model: str) -> None:
    found = liangxin_contract.model_constraints(model)
    rows = constraints_table.rows(found)
    lines = section(model).splitlines()
    for field, text, source in rows:
        row = f"| `{constraints_table.cell(field)}` | {constraints_table.cell(text)} | {source} |"
        assert row in lines
    kinds = constraints_table.tolerances(found)
    real = [c for c in found if not any(c.path.startswith(prefix) for prefix in kinds)]
    assert [source for _, _, source in rows if source != "—"] == [
        constraints_table.SOURCE_NAMES[c.source] for c in real
    ]


def test_tolerance_branches_read_as_one_row() -> None:
    rows = section("seedream-v4-5").splitlines()
    assert "| `callBackUrl` | pattern `^https://` | documented |" in rows
    assert '| `callBackUrl` | or `""` / `null` for none (refuses nothing) | — |' in rows
    assert not any("maxLength `0`" in row or "type `null`" in row for row in rows)


def test_open_list_and_guesses_are_shown() -> None:
    rows = section("nano-banana-pro").splitlines()
    assert any(
        row.startswith("| `input.aspect_ratio` | known values `1:1`")
        and "(open list: other strings accepted)" in row
        for row in rows
    )
    assert any(
        row.startswith("| `input.image_input[]` | pattern") and row.endswith("| inferred |")
        for row in rows
    )


def test_knowledge_is_shown() -> None:
    assert "| [`kling-v3-pro`](#kling-v3-pro) | partly known |" in TABLE
    assert "| [`seedream-v4-5`](#seedream-v4-5) | known |" in TABLE
