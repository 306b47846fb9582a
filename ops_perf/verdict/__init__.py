"""Verdicts on runs: thresholds (`check`), run-vs-run comparison (`compare`), and JUnit XML.

`check_main` and `compare_main` are what `ops-perf check` and `ops-perf compare` call; `check_loaded`
is the same check of a run already loaded, what `ops-perf run` calls at the end of every run. They
return an `ExitCode` value and never raise for a user-fixable problem: the one-line message goes to
stderr and the code says what kind of problem it was (see docs/NIGHTLY.md for the table). Imports are
deferred so `ops-perf run` does not pay for numpy/jinja2 until it judges.

Modules: `check` (a run against its targets: lines, exit code, JUnit cases), `compare` (run vs run:
one module per rule, and the rendering), `figures` (a run's rows in target units), `noise` (bootstrap
intervals), `junit` (the XML). Every module takes the one run model, `ops_perf.runfiles.load.Run`.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode

if TYPE_CHECKING:
    from ops_perf.runfiles.load import Run


def check_main(argv: Sequence[str]) -> int:
    """`ops-perf check RUN [--env ENV] [--junit FILE] [--targets FILE]`."""
    from ops_perf.verdict.check import main

    return _guard("ops-perf check", lambda: main(list(argv)))


def check_loaded(run: Run | Path, env: str | None, junit: Path | None) -> int:
    """`ops-perf check` of a run already loaded (the end of `ops-perf run`): the same lines, JUnit and
    exit code as `check_main([prefix, "--env", env, "--junit", junit])`, without reading the run again.

    A prefix instead of a run is loaded here (a run whose files did not load for the caller: the
    check then says why, as `ops-perf check` would)."""
    from ops_perf.runfiles.load import open_runs
    from ops_perf.verdict.check import check_loaded as _check

    def check() -> int:
        loaded = open_runs([run])[0] if isinstance(run, Path) else run
        return _check(loaded, env or loaded.env, junit)

    return _guard("ops-perf check", check)


def compare_main(argv: Sequence[str]) -> int:
    """`ops-perf compare BASELINE... CANDIDATE [-o FILE] [--allow-mismatch] [--junit FILE] ...`."""
    from ops_perf.verdict.compare import main

    return _guard("ops-perf compare", lambda: main(list(argv)))


def _guard(prog: str, main: Callable[[], int]) -> int:
    try:
        return main()
    except OpsPerfError as err:
        message = " ".join(str(err).split())
        print(f"{prog}: error: {message}", file=sys.stderr, flush=True)
        return int(err.exit_code)
    except SystemExit as exc:  # argparse: --help (0) or a bad option (2, which is USAGE_ERROR)
        code = exc.code
        return code if isinstance(code, int) else int(ExitCode.USAGE_ERROR)


__all__ = ["check_loaded", "check_main", "compare_main"]
