"""`python -m liangxin_mock`: the `liangxin-mock` CLI."""

import sys

from liangxin_mock.cli import main

sys.exit(main())
