"""The exact tool versions that shape `liangxin_client/_generated` (the one place they are pinned).

The output of openapi-python-client depends on both its own version and the ruff that formats it,
so `python -m generator generate|check` refuse to run with anything else installed.
pyproject.toml's `dev` extra must pin the same versions (tests/test_generator.py checks it).
"""

from __future__ import annotations

PINS: dict[str, str] = {
    "openapi-python-client": "0.29.1",
    "ruff": "0.17.6",
}
