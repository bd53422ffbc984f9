"""The typed surface: examples/typed_usage.py passes `mypy --strict`, and a misuse does not."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def mypy(*targets: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "mypy", "--strict", "--no-error-summary", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )


@pytest.mark.slow
def test_typed_usage_example_passes_mypy_strict() -> None:
    done = mypy("examples/typed_usage.py")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_mypy_catches_a_wrong_literal(tmp_path: Path) -> None:
    bad = tmp_path / "bad_usage.py"
    bad.write_text(
        "from liangxin_client import SeedreamV45Input\n"
        "SeedreamV45Input(prompt='x', aspect_ratio='7:5')\n"
    )
    done = mypy(str(bad))
    assert done.returncode != 0 and "aspect_ratio" in done.stdout
