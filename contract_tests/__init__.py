"""Conformance suite for the LiangXin Market API: does a service behave as the contract says?

Run it with `liangxin-conformance` (or `python -m contract_tests`), or with pytest:
`pytest contract_tests [--base-url URL --api-key KEY]`. Without a base URL the target is the
mock, in-process. See `docs/conformance.md`.
"""

from __future__ import annotations

__all__: list[str] = []
