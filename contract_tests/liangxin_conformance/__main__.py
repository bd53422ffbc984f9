"""`python -m liangxin_conformance` is `liangxin-conformance`."""

from __future__ import annotations

from liangxin_conformance.cli import main

raise SystemExit(main())
