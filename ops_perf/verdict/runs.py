"""One run as the verdicts see it: the loaded CSVs (`ops_perf.runfiles.load`), plus what only verdicts need.

`report.load` owns the CSV parsing and the meta inference (users from the history's peak, duration
from its timestamps, env and scenario from the prefix). This module adds three things on top:
- the run.json keys that decide validity and comparability but the report does not need
  (`cpu_warning`, `catalog_fingerprint`, `tags`, `status_detail`);
- the per-endpoint stats JSON (`<prefix>.json`, Locust's `--json-file` format, written by the suite's hooks), whose per-endpoint `response_times` histograms
  let the comparison put a confidence interval on a percentile change;
- per-row numbers in the units the targets use (`p95_ms`, `failure_pct`, ...).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.judge.rows import PAGE_TYPE, histogram_agrees, overall, split_rows
from ops_perf.judge.validity import invalid_reasons
from ops_perf.runfiles.load import (
    AGGREGATED,
    HISTOGRAM_ERRORS,
    RunData,
    RunInputs,
    discover_runs,
    load_run,
    parse_histograms,
    runs_under,
    split_prefix,
)
from ops_perf.settings.targets import normalise_env
from ops_perf.verdict import noise

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


@dataclass
class Run:
    """A loaded run plus the verdict-only extras. `label` is how tables and messages name it."""

    data: RunData
    record: dict[str, Any]
    """run.json as written ({} without one): for keys `RunMeta` does not carry."""
    histograms: dict[str, dict[int, int]] | None
    """`<prefix>.json` histograms by endpoint label (+ Aggregated, their sum); None when absent or unusable."""
    notes: list[str] = field(default_factory=list)
    """Why a part of the run could not be used (e.g. histograms inconsistent with the CSV)."""
    _rows: dict[str, RowStats] | None = field(default=None, repr=False)

    @property
    def prefix(self) -> str:
        return self.data.prefix

    @property
    def label(self) -> str:
        return f"{self.data.inputs.directory.name}/{self.prefix}"

    @property
    def env(self) -> str | None:
        return normalise_env(self.data.meta.env)

    @property
    def rows(self) -> dict[str, RowStats]:
        """Endpoint rows by label; the Aggregated row is `total`."""
        if self._rows is None:
            self._rows = {
                str(rec["label"]): _row(str(rec["label"]), rec) for rec in self.data.endpoints.to_dict("records")
            }
        return self._rows

    @property
    def total(self) -> RowStats | None:
        """Locust's Aggregated row; in a pages run the judge's aggregate of the API calls only."""
        if self.data.total is None:
            return None
        if not self.data.has_pages:
            return _row(AGGREGATED, self.data.total)
        endpoints, pages = split_rows(self.data)
        o = overall(self.data, endpoints, pages, self.histograms)
        figures = {"requests": o.requests, "failures": o.failures, "median": o.median, "p95": o.p95}
        return _row(AGGREGATED, figures | {"p99": o.p99, "avg": o.avg, "rps": o.rps})

    def row(self, name: str) -> RowStats | None:
        return self.total if name == AGGREGATED else self.rows.get(name)

    def histogram(self, name: str) -> dict[int, int] | None:
        return None if self.histograms is None else self.histograms.get(name)

    def invalid_reasons(self) -> list[str]:
        """Why this run cannot be judged (empty when it can): the judge's verdict on validity."""
        return invalid_reasons(self.data)


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
        runs.append(open_run(found[0]))
    return runs


def open_run(inputs: RunInputs) -> Run:
    data = load_run(inputs)
    run = Run(data=data, record=data.meta.record, histograms=None)  # run.json as load_run read it
    run.histograms = _read_histograms(inputs.directory / f"{inputs.prefix}.json", run)
    return run


def _read_record(path: Path) -> dict[str, Any]:
    """run.json leniently ({} when unreadable), to choose among runs before loading them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _read_histograms(path: Path, run: Run) -> dict[str, dict[int, int]] | None:
    """`<prefix>.json` (Locust `--json-file`): a list of serialised `StatsEntry`s, no Aggregated entry.

    Optional on purpose: a run without it (older runs, the 2025-10-15 CSVs) or with one that does
    not add up to the CSV (`HISTOGRAM_SLACK`) is still compared, by the noise floors alone, and the
    comparison says so. The histograms only size the noise; the point values come from the CSV.
    """
    try:
        hists = parse_histograms(path)
    except HISTOGRAM_ERRORS as err:
        run.notes.append(f"{path.name} unreadable ({err}); no confidence intervals for this run")
        return None
    if hists is None:
        return None
    for label, row in run.rows.items():
        in_json = sum(hists.get(label, {}).values())
        if not histogram_agrees(in_json, row.requests):
            run.notes.append(
                f"{path.name} disagrees with the stats CSV on {label} "
                f"({in_json} vs {row.requests} requests); histograms not used"
            )
            return None
    # The aggregate of the API calls: page views (request type PAGE) are not requests to OPS.
    hists[AGGREGATED] = noise.merge(h for label, h in hists.items() if not label.startswith(f"{PAGE_TYPE} "))
    return hists


def run_order_key(run: RunInputs, record: Mapping[str, Any]) -> tuple[str, float]:
    """Oldest first: run.json `started_at` where present, else the stats file's modification time."""
    started = record.get("started_at")
    return (started if isinstance(started, str) else "", run.stats.stat().st_mtime)


def find_previous_runs(candidate: Run, root: Path, count: int) -> tuple[list[Run], list[str]]:
    """The last `count` valid runs under `root` of the candidate's environment and scenario.

    Returns the runs (oldest first) and one note per run left out, so the comparison can say why a
    night is missing from the baseline. Only run.json and file names are read to choose; only the
    chosen runs are loaded.
    """
    if count < 1:
        raise OpsPerfError(f"--baseline-last {count}: must be at least 1")
    if not root.is_dir():
        raise OpsPerfError(f"--results-root {root}: not a folder; point it at the results of earlier runs")
    env, scenario = candidate.env, candidate.data.meta.scenario
    cand_key = (candidate.data.inputs.directory.resolve(), candidate.prefix)
    cand_started = candidate.record.get("started_at")
    pool: list[tuple[tuple[str, float], RunInputs, dict[str, Any]]] = []
    skipped: list[str] = []
    for inputs in runs_under(root):
        if (inputs.directory.resolve(), inputs.prefix) == cand_key:
            continue
        record = _read_record(inputs.run_json) if inputs.run_json is not None else {}
        p_env, p_scenario = split_prefix(inputs.prefix)
        r_env = normalise_env(record.get("env") if isinstance(record.get("env"), str) else p_env)
        r_scenario = record.get("scenario") if isinstance(record.get("scenario"), str) else p_scenario
        if r_env != env or r_scenario != scenario:
            continue
        where = f"{inputs.directory.name}/{inputs.prefix}"
        started = record.get("started_at")
        if isinstance(cand_started, str) and isinstance(started, str) and started >= cand_started:
            continue  # newer than the candidate: not its baseline
        status = record.get("status")
        if status not in (None, "completed"):
            skipped.append(f"{where} left out: status {status}")
            continue
        if record.get("cpu_warning") is True:
            skipped.append(f"{where} left out: load generator saturated")
            continue
        pool.append((run_order_key(inputs, record), inputs, record))
    pool.sort(key=lambda item: item[0])
    chosen: list[Run] = []
    for _, inputs, _ in reversed(pool):  # newest first, until `count` valid ones
        if len(chosen) == count:
            break
        run = open_run(inputs)
        if reasons := run.invalid_reasons():
            skipped.append(f"{run.label} left out: {'; '.join(reasons)}")
            continue
        chosen.append(run)
    chosen.reverse()
    if not chosen:
        raise OpsPerfError(
            f"no earlier valid {env}-{scenario} runs under {root}; run the baseline first, or pass BASELINE explicitly"
        )
    return chosen, skipped
