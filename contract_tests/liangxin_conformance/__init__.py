"""Conformance suite for the LiangXin Market API: does a service behave as the contract says?

Run it with `liangxin-conformance` (or `python -m liangxin_conformance`), or with pytest:
`pytest --pyargs liangxin_conformance -p liangxin_conformance.plugin [--base-url URL --api-key KEY]`
(in the repository: `pytest contract_tests`, which adds the self-tests). Without a base URL the
target is the mock, in-process. See `docs/conformance.md`.
"""

from __future__ import annotations

__all__: list[str] = []
