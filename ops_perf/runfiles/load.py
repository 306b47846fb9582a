"""Locust's CSV output (and our run.json) to pandas frames, exactly and defensively.

Why this module is strict: a report is only as trustworthy as its inputs. A CSV cut short by a killed
run, or a cell that is not a number, must stop the report with one line naming the file and the line,
never produce a table with silently shifted or missing numbers. Why it is also lenient: it must read
results as Locust really writes them, including runs made before this suite existed (the 2025-10-15
runs): `N/A` cells, LF or CRLF, float medians, header-only files, a failures file without the First/Last
Seen columns (Locust < 2.40), no failures file at all, aggregated-only or full stats history.

Small files (stats, failures, exceptions: one row per endpoint or error) are validated row by row with
the `csv` module first, so an error names the exact line. The history file can hold millions of rows
(24-hour soak with `--csv-full-history`), so it is read by pandas' C parser with compact dtypes and only
the columns the report uses; cheap vectorised checks decide whether it needs the slow row-by-row
diagnosis, which then names the line.

The readers live in modules of one job each: `run_files` (a folder or prefix -> the run's files),
`csv_checks` (row-by-row validation naming the line), `stats_csv` (stats, failures, exceptions),
`history_csv` (the large history file) and `run_json` (run.json -> `RunMeta`, the pages sidecar, the
`<prefix>.json` histograms). This module puts them together (`load_run` -> `RunData`) and is the one
the rest of the suite imports from.

Public API (also used by `ops_perf.verdict`, `ops_perf.judge`, `ops_perf.history`): `discover_runs`,
`load_run`, `RunInputs`, `RunData`, `RunMeta`, `History`, and the names in `__all__`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from ops_perf.runfiles.csv_checks import AGGREGATED, NA_TOKENS
from ops_perf.runfiles.discover import (
    EXCEPTIONS_SUFFIX,
    FAILURES_SUFFIX,
    HISTOGRAMS_SUFFIX,
    HISTORY_SUFFIX,
    PAGES_JSON_SUFFIX,
    RUN_JSON_SUFFIX,
    STATS_SUFFIX,
    WARMUP_JSON_SUFFIX,
    RunInputs,
    discover_runs,
    distinct_runs,
    run_sort_key,
    runs_under,
)
from ops_perf.runfiles.history_csv import History, file_digest, read_history
from ops_perf.runfiles.run_json import (
    HISTOGRAM_ERRORS,
    RunMeta,
    build_meta,
    parse_histograms,
    read_histograms,
    read_json,
    read_pages,
    split_prefix,
)
from ops_perf.runfiles.stats_csv import STATS_COLUMNS, percentile_key, read_exceptions, read_failures, read_stats


@dataclass
class RunData:
    """One run, loaded. `endpoints` excludes the Aggregated row, which is `total`."""

    inputs: RunInputs
    meta: RunMeta
    endpoints: pd.DataFrame
    """One row per (method, name): method, name, label, requests, failures, median, avg, min, max,
    avg_size, rps, fps and p<N> percentile columns."""
    total: dict[str, float] | None
    """The Aggregated row (same keys as `endpoints`), None when the stats file has none."""
    percentiles: list[str]
    """Percentile columns present, in Locust's order (`p50`, ..., `p100`)."""
    history: History | None
    failures: pd.DataFrame | None
    """method, name, label, error, occurrences (+ first_seen, last_seen when written); None when the
    failures file is missing (an empty frame when it is header-only)."""
    exceptions: pd.DataFrame | None
    """count, message, traceback, nodes; None when the file is missing."""
    pages: dict[str, Any] | None = None
    """`<prefix>_pages.json` (schema 1) when present and readable, else None."""

    @property
    def has_pages(self) -> bool:
        """Whether the stats hold page views (request type PAGE)."""
        return bool((self.endpoints["method"] == "PAGE").any()) if len(self.endpoints) else False

    @property
    def prefix(self) -> str:
        return self.inputs.prefix


def load_run(inputs: RunInputs) -> RunData:
    """Read every file of one run; raises `OpsPerfError` naming the file and line on bad input."""
    endpoints, total, percentiles = read_stats(inputs.stats)
    history = read_history(inputs.history) if inputs.history is not None else None
    failures = read_failures(inputs.failures) if inputs.failures is not None else None
    exceptions = read_exceptions(inputs.exceptions) if inputs.exceptions is not None else None
    meta = build_meta(inputs, history)
    pages = read_pages(inputs.pages_json) if inputs.pages_json is not None else None
    return RunData(
        inputs=inputs,
        meta=meta,
        endpoints=endpoints,
        total=total,
        percentiles=percentiles,
        history=history,
        failures=failures,
        exceptions=exceptions,
        pages=pages,
    )


__all__ = [
    "AGGREGATED",
    "EXCEPTIONS_SUFFIX",
    "FAILURES_SUFFIX",
    "HISTOGRAMS_SUFFIX",
    "HISTOGRAM_ERRORS",
    "HISTORY_SUFFIX",
    "NA_TOKENS",
    "PAGES_JSON_SUFFIX",
    "RUN_JSON_SUFFIX",
    "STATS_COLUMNS",
    "STATS_SUFFIX",
    "WARMUP_JSON_SUFFIX",
    "History",
    "RunData",
    "RunInputs",
    "RunMeta",
    "build_meta",
    "discover_runs",
    "distinct_runs",
    "file_digest",
    "load_run",
    "parse_histograms",
    "percentile_key",
    "read_exceptions",
    "read_failures",
    "read_histograms",
    "read_history",
    "read_json",
    "read_pages",
    "read_stats",
    "run_sort_key",
    "runs_under",
    "split_prefix",
]
