"""The one error type users see.

Every problem a user can fix (bad option, malformed file, expired token, unreachable host) is raised
as `OpsPerfError` with a message that says what is wrong *and* how to fix it. The CLI and the
locustfile turn it into a single line on stderr and a non-zero exit; never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from typing import NoReturn

from ops_perf.exitcodes import ExitCode


class OpsPerfError(Exception):
    """A user-fixable problem. `str(err)` is the one line shown to the user."""

    def __init__(self, message: str, exit_code: ExitCode = ExitCode.USAGE_ERROR) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def die(err: OpsPerfError, prog: str = "ops-perf") -> NoReturn:
    """Print the one-line message and exit with the error's code (no traceback)."""
    message = " ".join(str(err).split())  # one line, whatever the message held
    print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
    raise SystemExit(int(err.exit_code))


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors are one `OpsPerfError` line (what is wrong, how to fix), not usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise OpsPerfError(f"{message} (see {self.prog} --help)")
