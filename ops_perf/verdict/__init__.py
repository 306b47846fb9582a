"""Verdicts on runs: thresholds (`check`), run-vs-run comparison (`compare`), and JUnit XML.

`check_main` and `compare_main` are what `ops-perf check` and `ops-perf compare` call, and what
`ops-perf run` calls at the end of every run. They return an `ExitCode` value and never raise for a
user-fixable problem: the one-line message goes to stderr and the code says what kind of problem it
was (see docs/NIGHTLY.md for the table). Imports are deferred so `ops-perf run` does not pay for
numpy/jinja2 until it judges.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence

from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode


def check_main(argv: Sequence[str]) -> int:
    """`ops-perf check RUN [--env ENV] [--junit FILE] [--targets FILE]`."""
    from ops_perf.verdict.check import main

    return _guard("ops-perf check", main, argv)


def compare_main(argv: Sequence[str]) -> int:
    """`ops-perf compare BASELINE... CANDIDATE [-o FILE] [--allow-mismatch] [--junit FILE] ...`."""
    from ops_perf.verdict.compare import main

    return _guard("ops-perf compare", main, argv)


def _guard(prog: str, main: Callable[[Sequence[str]], int], argv: Sequence[str]) -> int:
    try:
        return main(list(argv))
    except OpsPerfError as err:
        message = " ".join(str(err).split())
        print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
        return int(err.exit_code)
    except SystemExit as exc:  # argparse: --help (0) or a bad option (2, which is USAGE_ERROR)
        code = exc.code
        return code if isinstance(code, int) else int(ExitCode.USAGE_ERROR)


__all__ = ["check_main", "compare_main"]
