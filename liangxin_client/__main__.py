"""`python -m liangxin_client`: the `liangxin` command line."""

import sys

from liangxin_client.cli import main

sys.exit(main())
