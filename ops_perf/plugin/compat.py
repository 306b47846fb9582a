"""Every reach into Locust beyond its documented API, in one place, with why and for which versions.

Supported: Locust 2.43.4 to 2.47.x (pyproject.toml; `.ci/run` runs the whole suite on the newest and
the end-to-end core on 2.43.4). Each function below names what it relies on; where Locust has a
public way, the suite uses that instead and nothing is here.
"""

from __future__ import annotations

import csv
import gc
from typing import Any

import gevent
from locust.env import Environment as LocustEnvironment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, StatsCSVFileWriter

from ops_perf.runfiles.discover import EXCEPTIONS_SUFFIX, FAILURES_SUFFIX, STATS_SUFFIX


def write_final_csvs(environment: LocustEnvironment, prefix: str) -> None:
    """The stats, failures and exceptions CSVs as of the end of the run.

    Locust rewrites them once a second and not again at shutdown, so the last second (for a run
    stopped by the auth guard: every failure it recorded) could be missing. Same writer (`StatsCSV`,
    whose row methods are public but undocumented), same files.
    """
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, write in (
        (STATS_SUFFIX, writer.requests_csv),
        (FAILURES_SUFFIX, writer.failures_csv),
        (EXCEPTIONS_SUFFIX, writer.exceptions_csv),
    ):
        with open(f"{prefix}{suffix}", "w", encoding="utf-8", newline="") as fh:
            write(csv.writer(fh))


def serialized_entries(environment: LocustEnvironment) -> list[dict[str, Any]]:
    """Every stats entry with requests, as Locust serialises it (`StatsEntry.serialize`, the form
    `--json-file` and the master/worker reports use: counts, times and the response-time histogram)."""
    assert environment.runner is not None
    return [
        entry.serialize()
        for entry in environment.runner.stats.entries.values()
        if entry.num_requests or entry.num_failures
    ]


def stop_csv_writer() -> None:
    """Stop Locust's once-a-second CSV writer now that the files are final.

    Locust closes the CSV files after `quit` but leaves the writer's greenlet alive; with
    `--processes`, `atexit` then waits for the workers, the writer wakes, and dies on the closed file
    with a traceback (seen after a Ctrl-C). Locust keeps no handle on the greenlet, hence the search
    (`StatsCSVFileWriter.stats_writer` as the greenlet's run method).
    """
    for obj in gc.get_objects():
        if isinstance(obj, gevent.Greenlet) and not obj.dead:
            run = getattr(obj, "_run", None)
            if getattr(run, "__func__", None) is StatsCSVFileWriter.stats_writer:
                obj.kill(block=False)
