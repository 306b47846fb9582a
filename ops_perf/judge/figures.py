"""A run's rows in the units targets use (`p95_ms`, `failure_pct`, ...): what comparisons and the store read.

Why a view of its own over the one run model (`ops_perf.runfiles.load.Run`): the comparison works
metric by metric, with NaN for "no value", while the CSV has Locust's columns and N/A cells. The
aggregate is the judge's: Locust's Aggregated row, or in a pages run the aggregate of the API calls
(`judge.rows.overall`), so the comparison and the store never count page views as requests to OPS.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ops_perf.judge.rows import overall, split_rows
from ops_perf.runfiles.load import AGGREGATED, Run

METRICS: tuple[str, ...] = ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "failure_pct", "rps")
"""Every metric a verdict can speak about, in the order tables print them."""


@dataclass(frozen=True)
class RowStats:
    """One endpoint (or the Aggregated row) in target units; NaN where Locust wrote N/A."""

    name: str
    requests: int
    failures: int
    values: Mapping[str, float]

    @property
    def failure_pct(self) -> float:
        return self.failures * 100.0 / self.requests if self.requests else math.nan


@dataclass(frozen=True)
class RunFigures:
    """Every row of one run in target units, made once per run (`run_figures`) and read by label."""

    rows: dict[str, RowStats]
    """Endpoint (and page) rows by label; the Aggregated row is `total`."""
    total: RowStats | None

    def row(self, name: str) -> RowStats | None:
        return self.total if name == AGGREGATED else self.rows.get(name)


def run_figures(run: Run) -> RunFigures:
    rows = {str(rec["label"]): _row(str(rec["label"]), rec) for rec in run.endpoints.to_dict("records")}
    return RunFigures(rows, total_figures(run))


def total_figures(run: Run) -> RowStats | None:
    """Locust's Aggregated row; in a pages run the judge's aggregate of the API calls only."""
    if run.total is None:
        return None
    if not run.has_pages:
        return _row(AGGREGATED, run.total)
    endpoints, pages = split_rows(run)
    o = overall(run, endpoints, pages, run.histograms)
    figures = {"requests": o.requests, "failures": o.failures, "median": o.median, "p95": o.p95}
    return _row(AGGREGATED, figures | {"p99": o.p99, "avg": o.avg, "rps": o.rps})


def _row(name: str, rec: Mapping[str, Any]) -> RowStats:
    def num(key: str) -> float:
        value = rec.get(key)
        try:
            return float(value) if value is not None else math.nan
        except (TypeError, ValueError):
            return math.nan

    requests, failures = int(num("requests") or 0), int(num("failures") or 0)
    p50 = num("p50")
    values = {
        "p50_ms": p50 if not math.isnan(p50) else num("median"),
        "p95_ms": num("p95"),
        "p99_ms": num("p99"),
        "avg_ms": num("avg"),
        "failure_pct": failures * 100.0 / requests if requests else math.nan,
        "rps": num("rps"),
    }
    if requests == 0:  # Locust writes 0 for empty rows' averages; they mean "no data", not 0 ms
        values = {k: math.nan for k in values}
    return RowStats(name, requests, failures, values)
