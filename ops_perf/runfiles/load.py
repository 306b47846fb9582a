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

The readers live in modules of one job each: `discover` (a folder or prefix -> the run's files),
`csv_checks` (row-by-row validation naming the line), `stats_csv` (stats, failures, exceptions),
`history_csv` (the large history file), `run_json` (run.json -> `RunMeta`, the pages sidecar),
`histograms` (`<prefix>.json`, checked against the stats CSV), `records_json` (per record of the
`[id]` endpoints), `server_json` (OPS's health samples) and `diagnosis_json` (`ops-perf diagnose`'s file). This module puts them together into
the one run model, `Run` (`load_run`, `open_runs`), and is the one the rest of the suite imports from:
the judge, the report, the verdicts and the history store all take a `Run`, so a run's files are read
once however many of them look at it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.csv_checks import AGGREGATED, NA_TOKENS, PAGE_TYPE
from ops_perf.runfiles.discover import (
    EXCEPTIONS_SUFFIX,
    FAILURES_SUFFIX,
    HISTOGRAMS_SUFFIX,
    HISTORY_SUFFIX,
    PAGES_JSON_SUFFIX,
    RECORDS_JSON_SUFFIX,
    RUN_JSON_SUFFIX,
    SERVER_JSON_SUFFIX,
    STATS_SUFFIX,
    WARMUP_JSON_SUFFIX,
    RunInputs,
    discover_runs,
    distinct_runs,
    run_sort_key,
    runs_under,
)
from ops_perf.runfiles.histograms import (
    HISTOGRAM_ERRORS,
    checked_histograms,
    histogram_agrees,
    load_histograms,
    merge,
    parse_histograms,
)
from ops_perf.runfiles.history_csv import History, file_digest, read_history
from ops_perf.runfiles.records_json import Records, read_records
from ops_perf.runfiles.run_json import RunMeta, build_meta, read_json, read_pages, split_prefix
from ops_perf.runfiles.server_json import ServerWatch, read_server
from ops_perf.runfiles.stats_csv import STATS_COLUMNS, percentile_key, read_exceptions, read_failures, read_stats
from ops_perf.settings.targets import normalise_env


@dataclass
class Run:
    """One run, loaded once: what the judge, the report, the verdicts and the history store all read.

    `endpoints` excludes the Aggregated row, which is `total`.
    """

    inputs: RunInputs
    meta: RunMeta
    """How the run was made; `meta.record` is run.json as read (once)."""
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
    raw_histograms: dict[str, dict[float, int]] | None = None
    """`<prefix>.json` as written, by row label; None when absent or unreadable."""
    histograms: dict[str, dict[float, int]] | None = None
    """The same when every row agrees with the stats CSV, plus `Aggregated` (the API calls' sum); None
    when absent, unreadable or disagreeing (a note says why). What comparisons and the store use."""
    notes: list[str] = field(default_factory=list)
    """Why a part of the run could not be used (e.g. histograms inconsistent with the CSV)."""
    records: Records | None = None
    """`<prefix>_records.json` (per record of the `[id]` endpoints and detail pages), None when absent
    or unreadable."""
    server: ServerWatch | None = None
    """`<prefix>_server.json` (OPS's health answers and its pool during the run), None when absent or
    unreadable."""

    @property
    def has_pages(self) -> bool:
        """Whether the stats hold page views (request type PAGE)."""
        return bool((self.endpoints["method"] == PAGE_TYPE).any()) if len(self.endpoints) else False

    @property
    def prefix(self) -> str:
        return self.inputs.prefix

    @property
    def path(self) -> Path:
        """The run's prefix as a path (`results/<date>/<prefix>`), what the command lines take."""
        return self.inputs.directory / self.inputs.prefix

    @property
    def label(self) -> str:
        """How tables and messages name the run: `<results folder>/<prefix>`."""
        return f"{self.inputs.directory.name}/{self.prefix}"

    @property
    def env(self) -> str | None:
        """The environment, one spelling for `prod` and `production`."""
        return normalise_env(self.meta.env)

    @property
    def record(self) -> dict[str, Any]:
        """run.json as written ({} without one): for the keys `RunMeta` does not carry."""
        return self.meta.record

    def histogram(self, label: str) -> dict[float, int] | None:
        """A row's checked histogram (None without usable histograms)."""
        return None if self.histograms is None else self.histograms.get(label)


def load_run(inputs: RunInputs, record: dict[str, Any] | None = None) -> Run:
    """Read every file of one run, once; raises `OpsPerfError` naming the file and line on bad input.

    `record`: run.json as the caller read it already (see `build_meta`).
    """
    endpoints, total, percentiles = read_stats(inputs.stats)
    history = read_history(inputs.history) if inputs.history is not None else None
    failures = read_failures(inputs.failures) if inputs.failures is not None else None
    exceptions = read_exceptions(inputs.exceptions) if inputs.exceptions is not None else None
    meta = build_meta(inputs, history, record)
    pages = read_pages(inputs.pages_json) if inputs.pages_json is not None else None
    path = inputs.directory / f"{inputs.prefix}{HISTOGRAMS_SUFFIX}"
    raw, unread = load_histograms(path)
    checked, disagree = checked_histograms(path, raw, _requests_by_label(endpoints))
    return Run(
        inputs=inputs,
        meta=meta,
        endpoints=endpoints,
        total=total,
        percentiles=percentiles,
        history=history,
        failures=failures,
        exceptions=exceptions,
        pages=pages,
        raw_histograms=raw,
        histograms=checked,
        notes=unread + disagree,
        records=read_records(inputs.records_json) if inputs.records_json is not None else None,
        server=read_server(inputs.server_json) if inputs.server_json is not None else None,
    )


def _requests_by_label(endpoints: pd.DataFrame) -> dict[str, int]:
    """Each row's request count (0 where unreadable), by label: what its histogram must agree with."""

    def count(value: Any) -> int:
        try:
            number = float(value) if value is not None else 0.0
        except (TypeError, ValueError):
            number = 0.0
        return int(number or 0)

    return {str(rec["label"]): count(rec.get("requests")) for rec in endpoints.to_dict("records")}


def open_runs(refs: Sequence[Path | str]) -> list[Run]:
    """Load each RUN argument as exactly one run (a folder must hold exactly one)."""
    runs: list[Run] = []
    for ref in refs:
        found = discover_runs([ref])
        if len(found) != 1:
            names = ", ".join(r.prefix for r in found)
            raise OpsPerfError(
                f"{ref}: holds {len(found)} runs ({names}); pass one run prefix, e.g. {Path(ref) / found[0].prefix}"
            )
        runs.append(load_run(found[0]))
    return runs


__all__ = [
    "AGGREGATED",
    "EXCEPTIONS_SUFFIX",
    "FAILURES_SUFFIX",
    "HISTOGRAMS_SUFFIX",
    "HISTOGRAM_ERRORS",
    "HISTORY_SUFFIX",
    "NA_TOKENS",
    "PAGES_JSON_SUFFIX",
    "PAGE_TYPE",
    "RECORDS_JSON_SUFFIX",
    "RUN_JSON_SUFFIX",
    "SERVER_JSON_SUFFIX",
    "STATS_COLUMNS",
    "STATS_SUFFIX",
    "WARMUP_JSON_SUFFIX",
    "History",
    "Records",
    "Run",
    "RunInputs",
    "RunMeta",
    "ServerWatch",
    "build_meta",
    "discover_runs",
    "distinct_runs",
    "file_digest",
    "histogram_agrees",
    "load_run",
    "merge",
    "open_runs",
    "parse_histograms",
    "percentile_key",
    "read_exceptions",
    "read_failures",
    "read_history",
    "read_json",
    "read_pages",
    "read_stats",
    "run_sort_key",
    "runs_under",
    "split_prefix",
]
