# PYTHON_ARGCOMPLETE_OK
"""The `liangxin` console script: a light module, so Ctrl-C during start-up is one line too.

The console script imports its entry point before anything can catch KeyboardInterrupt, and
`liangxin_client` takes a few hundred milliseconds to import (httpx, rich, the generated core).
The CLI package, `liangxin_client.cli`, cannot be lighter: importing it imports the library. So
this module, outside the library, imports nothing heavy itself: it imports the CLI inside `main`,
under the handler, and only its public `main`.
"""

from __future__ import annotations

import signal
import sys

EXIT_INTERRUPTED = 130  # the same as liangxin_client.cli.EXIT_INTERRUPTED


def main() -> int:
    try:
        from liangxin_client.cli import main as cli_main
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # on the way out: a second one is no traceback
        print("error: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    code = cli_main()
    # The command has ended. At shutdown Python gives SIGINT its default action back (the
    # process killed by the signal: exit -2, whatever the command said) unless it is ignored.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    return code
