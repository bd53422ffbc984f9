"""How the contract's bodies are read off the wire: strict JSON (RFC 8259).

Python's `json` accepts `NaN`, `Infinity` and numbers that overflow to `inf`; no JSON body of the
contract can hold them, and re-serialising them would produce text other parsers reject. The mock
(request bodies) and the client (callback bodies) read JSON through this one function.
"""

from __future__ import annotations

import json
import math
from typing import Any


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text}")
    return value


def parse_json(raw: bytes) -> Any:
    """UTF-8 JSON text → value; `ValueError` (incl. `UnicodeDecodeError`) for anything else.

    Deep nesting raises `RecursionError`, as `json.loads` does: callers say what it means.
    """
    return json.loads(
        raw.decode("utf-8"), parse_constant=_reject_constant, parse_float=_finite_float
    )
