"""`python -m contract_tests` is `liangxin-conformance`."""

from __future__ import annotations

from contract_tests.cli import main

raise SystemExit(main())
