"""One step of a capacity search: an open run at one offered rate, and whether it met the targets.

The step's verdict is the one judgement every run gets (`ops_perf.judge.judge_run` on the files the
run wrote, with config/targets.toml and the environment's overrides), narrowed to what decides
capacity: a latency breach (p95 of any endpoint, page or the aggregate), a failure-% breach, any
gateway 504, an invalid run (dropped arrivals: the generator, not OPS, gave up first), or a queue
that grows within the step.

Why the queue rule: a step above capacity need not breach a target within its hold time. Offered
lambda against a capacity mu, the queue grows by (lambda - mu) requests per second, so every request
waits (lambda - mu) / mu seconds longer than one a second earlier: a step 10% over capacity adds
0.1 s of latency per second, and reaches a 2 s p95 only after 20 s (a 0.5 s gateway ceiling after
5 s). Below capacity the latency has no trend (it fluctuates about its mean). So the step's latency
slope, fitted over its per-second history of API calls (`<step>_stats_history.csv`, page views left
out as in the judgement's aggregate; response times as the users
recorded them, which include an arrival's late start: a generator falling behind shows too), is a
direct measure of how far the offered rate exceeds what was served, whatever the hold time. A step
is bad when the slope exceeds `max_growth` seconds per second (the search's resolution, 10% by
default): the latency of a queue that grows 10% faster than it is served. Steps with fewer than
`MIN_GROWTH_INTERVALS` one-second intervals are not judged on the slope (too few points).
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from ops_perf.judge import judge_run
from ops_perf.judge.numbers import num
from ops_perf.runfiles.load import open_runs
from ops_perf.settings.targets import Targets

CAPACITY_METRICS = ("p95_ms", "failure_pct")
"""The judged metrics that decide a step (the others, requests/s and p50/p99, are shown, not decisive)."""
P95_MIN_SAMPLES = 100
P99_MIN_SAMPLES = 500
"""Requests a percentile needs before it is worth judging (targets.toml [noise] `min_samples_p95` /
`min_samples_p99` when the file sets them); a step is held until the p95 has its samples."""
MIN_GROWTH_INTERVALS = 3
"""One-second history intervals with completed requests that the latency slope needs."""
MIN_INTERVAL_REQUESTS = 5
"""An interval with fewer completed requests is left out of the slope (its mean is mostly noise)."""
PAGE_TYPE = "PAGE"
"""The stats rows of the page user's page views (the shared contract): not API calls."""


@dataclass
class Breach:
    row: str
    metric: str
    value: float | None
    text: str


@dataclass
class Step:
    number: int
    phase: str
    rate: float
    """Offered rate in the scenario's unit (tasks/s, or people/min for the page user)."""
    rate_per_s: float
    hold_s: float
    prefix: str
    requests: int = 0
    rps: float = 0.0
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    failure_pct: float = 0.0
    gateway_504: int = 0
    arrivals: int = 0
    dropped_arrivals: int = 0
    peak_pool: int = 0
    queue_growth: float | None = None
    """Latency slope over the step in seconds per second (~ (offered - served) / served); None: too short."""
    invalid: list[str] = field(default_factory=list)
    breaches: list[Breach] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def good(self) -> bool:
        return not self.invalid and not self.breaches

    @property
    def breaching(self) -> str | None:
        """The first reason this step is bad, as one phrase (None when good)."""
        if self.invalid:
            return f"run invalid: {self.invalid[0]}"
        return self.breaches[0].text if self.breaches else None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["good"] = self.good
        data["breaching"] = self.breaching
        return data

    def line(self, unit: str) -> str:
        """The progress line of a finished step."""
        p95 = "n/a" if self.p95_ms is None else f"{self.p95_ms:,.0f} ms"
        verdict = "good" if self.good else f"BAD ({self.breaching})"
        growth = "n/a" if self.queue_growth is None else f"{1000 * self.queue_growth:+,.0f} ms/s"
        return (
            f"step {self.number} ({self.phase}): {self.rate:g} {unit} for {self.hold_s:g} s: {self.requests} requests, "
            f"{self.rps:.1f} req/s, p95 {p95}, failures {self.failure_pct:.2f}%, 504s {self.gateway_504}, "
            f"latency trend {growth}, dropped {self.dropped_arrivals}/{self.arrivals}: {verdict}"
        )


def min_samples(targets: Targets) -> int:
    return int(getattr(targets.noise, "min_samples_p95", P95_MIN_SAMPLES))


def judge_step(step: Step, prefix: Path, targets: Targets, max_growth: float = 0.1) -> Step:
    """Fill `step` from the run's files and the one judgement (`ops_perf.judge.judge_run`), plus the
    queue rule (module docstring): a latency slope above `max_growth` s/s makes the step bad."""
    (run,) = open_runs([prefix])
    record = run.record
    step.arrivals = int(record.get("arrivals") or 0)
    step.dropped_arrivals = int(record.get("dropped_arrivals") or 0)
    step.peak_pool = int(record.get("peak_pool") or 0)
    judgement = judge_run(run, targets, run.histograms)
    total = judgement.overall  # the API calls (page views are rows of their own)
    step.requests = total.requests
    step.rps = num(total.rps) or 0.0
    step.p50_ms, step.p95_ms, step.p99_ms = num(total.median), num(total.p95), num(total.p99)
    step.failure_pct = num(total.failure_pct) or 0.0
    step.gateway_504 = judgement.failures.count("gateway_timeout")
    step.invalid = list(judgement.invalid)
    step.breaches = [
        Breach(b.row, b.metric, num(b.check.value), b.short())
        for b in judgement.breaches
        if b.metric in CAPACITY_METRICS
    ]
    if step.gateway_504:
        step.breaches.append(
            Breach("Aggregated", "gateway_504", float(step.gateway_504), f"{step.gateway_504} gateway 504(s)")
        )
    step.queue_growth = latency_slope(Path(f"{prefix}_stats_history.csv"))
    if step.queue_growth is not None and step.queue_growth > max_growth:
        step.breaches.append(
            Breach(
                "Aggregated",
                "queue_growth",
                round(step.queue_growth, 4),
                f"the queue grows: latency +{1000 * step.queue_growth:,.0f} ms per s "
                f"(offered ~{100 * step.queue_growth:.0f}% above what was served)",
            )
        )
    return step


def latency_slope(history: Path) -> float | None:
    """Least-squares slope (s per s) of the mean latency of each one-second interval, weighted by its
    requests, from Locust's cumulative history rows; None when there are too few intervals.

    The API calls' latency, as the one judgement's aggregate is: for the page user the history's
    Aggregated row also holds the page views (`PAGE` rows, each the time of a whole view), which only
    begin to complete a while into a step, so their share (and the mean) rises with no queue at all;
    there the slope is taken over the sum of the API rows instead.
    """
    try:
        with open(history, newline="", encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
    except (OSError, csv.Error):
        return None
    pages = any(r.get("Type") == PAGE_TYPE for r in rows)
    points = _interval_points(_api_series(rows) if pages else _aggregated_series(rows))
    if len(points) < MIN_GROWTH_INTERVALS:
        return None
    weight = sum(n for _, _, n in points)
    mean_t = sum(t * n for t, _, n in points) / weight
    mean_y = sum(y * n for _, y, n in points) / weight
    spread = sum(n * (t - mean_t) ** 2 for t, _, n in points)
    if spread <= 0:
        return None
    return sum(n * (t - mean_t) * (y - mean_y) for t, y, n in points) / spread / 1000.0


def _aggregated_series(rows: list[dict[str, str]]) -> list[tuple[float, int, float]]:
    """(time s, cumulative requests, cumulative response time ms) from the Aggregated rows."""
    series = []
    for row in rows:
        if row.get("Name") != "Aggregated":
            continue
        try:
            count = int(row["Total Request Count"])
            series.append((float(row["Timestamp"]), count, count * float(row["Total Average Response Time"])))
        except (KeyError, TypeError, ValueError):
            continue
    return series


def _api_series(rows: list[dict[str, str]]) -> list[tuple[float, int, float]]:
    """The same, summed per timestamp over the API calls' rows (`--csv-full-history`), page views left out."""
    sums: dict[float, list[float]] = {}
    for row in rows:
        if row.get("Name") == "Aggregated" or row.get("Type") == PAGE_TYPE:
            continue
        try:
            t, count = float(row["Timestamp"]), int(row["Total Request Count"])
            total = count * float(row["Total Average Response Time"])
        except (KeyError, TypeError, ValueError):
            continue
        acc = sums.setdefault(t, [0, 0.0])
        acc[0] += count
        acc[1] += total
    return [(t, int(count), total) for t, (count, total) in sorted(sums.items())]


def _interval_points(series: list[tuple[float, int, float]]) -> list[tuple[float, float, int]]:
    """(time s, mean latency ms, requests) of each interval with enough completed requests."""
    points: list[tuple[float, float, int]] = []
    last_count, last_total = 0, 0.0
    for t, count, total in series:
        if count < last_count:  # a stats reset: start over
            last_count, last_total = 0, 0.0
        n = count - last_count
        if n >= MIN_INTERVAL_REQUESTS:
            points.append((t, (total - last_total) / n, n))
        if n > 0:
            last_count, last_total = count, total
    return points
