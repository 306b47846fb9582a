"""The end of a run: the files that say what it measured, written once the load is over.

| event | what is written |
|---|---|
| `quitting` (before Locust picks its exit code) | the open model's drop rule; Locust's stats, failures and exceptions CSVs as of the end (percentile cells at the buckets' precision, not whole ms); `<prefix>.json` (per-endpoint stats with their histograms) |
| `quit` (after the runner quit: the workers' counts are in) | the same CSVs and `<prefix>.json` once more, with Locust's CSV writer stopped; `<prefix>_run.json`; `<prefix>_pages.json` for a pages run; `<prefix>_records.json` (per record of the `[id]` endpoints and detail pages); `<prefix>_server.json` (OPS's health samples, `server_watch`) |

None of them when no test ever started (a web UI closed before any test): nothing ran.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from locust import events
from locust.env import Environment as LocustEnvironment
from locust.runners import WorkerRunner

from ops_perf import locust_compat as compat
from ops_perf.plugin import arrivals as open_model
from ops_perf.plugin import progress, server_watch
from ops_perf.plugin.run_record import run_record
from ops_perf.runfiles.discover import (
    EXCEPTIONS_SUFFIX,
    FAILURES_SUFFIX,
    HISTOGRAMS_SUFFIX,
    RECORDS_JSON_SUFFIX,
    RUN_JSON_SUFFIX,
    STATS_SUFFIX,
)
from ops_perf.users.state import run_state

logger = logging.getLogger("ops_perf")


@events.init.add_listener
def _on_init(environment: LocustEnvironment, **_: Any) -> None:
    """`quit` carries no environment: this process's listener keeps it."""
    events.quit.add_listener(lambda exit_code, **_kw: on_quit(environment, exit_code))


@events.cpu_warning.add_listener
def on_cpu_warning(environment: LocustEnvironment, **_: Any) -> None:
    run_state(environment).cpu_warning = True


@events.quitting.add_listener
def on_quitting(environment: LocustEnvironment, **_: Any) -> None:
    """The final CSVs and `<prefix>.json`: per-endpoint stats with response-time histograms.

    Written here rather than with Locust's `--json-file`, whose serialisation resets every entry
    and so can zero the endpoint rows of the stats CSV if its writer runs once more at shutdown.
    """
    open_model.judge_drops(environment)  # before Locust picks the exit code
    write_final_files(environment)


def write_final_files(environment: LocustEnvironment) -> None:
    """The stats, failures and exceptions CSVs (percentiles at the buckets' precision) and `<prefix>.json`."""
    options = environment.parsed_options
    if not isinstance(environment.runner, WorkerRunner):
        progress.end_line(environment)
    if isinstance(environment.runner, WorkerRunner) or options is None or not options.csv_prefix:
        return
    if not run_state(environment).test_started:
        return  # a web UI closed before any test: nothing ran, so no run files (bare_prefix removes Locust's)
    prefix = options.csv_prefix
    compat.write_final_csvs(
        environment,
        Path(f"{prefix}{STATS_SUFFIX}"),
        Path(f"{prefix}{FAILURES_SUFFIX}"),
        Path(f"{prefix}{EXCEPTIONS_SUFFIX}"),
    )
    entries = compat.serialized_entries(environment)
    Path(f"{options.csv_prefix}{HISTOGRAMS_SUFFIX}").write_text(json.dumps(entries, indent=1), encoding="utf-8")


def on_quit(environment: LocustEnvironment, exit_code: int) -> None:
    """`<prefix>_run.json` and the sidecars (pages, records, health), once the runner has quit.

    The final files once more first: a master's `quit` waits for its workers' last reports (after
    `quitting`), and Locust's once-a-second writer, alive until now, may have rewritten the stats CSV
    with its whole-ms cells meanwhile."""
    compat.stop_csv_writer()
    write_final_files(environment)
    state, options = run_state(environment), environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or state.env is None or options is None:
        return
    if not getattr(options, "csv_prefix", None) or not state.test_started:
        return  # nothing ran (a web UI closed before any test): no run.json, nothing to report
    path = Path(f"{options.csv_prefix}{RUN_JSON_SUFFIX}")
    record = run_record(state, options, exit_code)
    path.write_text(json.dumps(record, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if state.scenario is not None and state.scenario.user == "pages":
        state.pages.write(options.csv_prefix)  # after runner.quit(): the workers' counts are in
    if state.records:
        state.records.records().write(Path(f"{options.csv_prefix}{RECORDS_JSON_SUFFIX}"))
    server_watch.write(state, options.csv_prefix)
