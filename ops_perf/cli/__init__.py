"""The command line and orchestration: `ops-perf run | demo | capacity | report | check | compare | history | sim`.

The top of the house: it reads the command line, checks the settings, starts Locust (the `plugin`
runs inside it), and afterwards hands the run's files, loaded once, to the history store, the
report and the verdict. Nothing below imports it.

Modules: `commands` (the parser and the subcommands), `run` (one run from settings to verdict), `demo`
(the simulator plus a short run), `capacity` (the capacity search's steps as runs).
"""

from __future__ import annotations

from ops_perf.cli.commands import main

__all__ = ["main"]
