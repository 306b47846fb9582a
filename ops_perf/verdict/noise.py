"""Noise: Locust's response-time histograms, and a bootstrap on the change between runs.

Two runs of the same load never give the same p95. A floor alone (say +20 % and +50 ms) either misses
real changes on busy endpoints or flags noise on quiet ones, so where Locust's histograms are
available (`<prefix>.json`, written by `--json-file`) a change must also be larger than what
resampling the runs themselves produces.

Why a *simultaneous* interval: one comparison judges ~5 metrics on each of ~65 rows. At 95 % per
metric, an A/A comparison would flag a dozen rows by chance alone (p99 on a few hundred requests is
decided by its top three samples). The intervals are therefore Bonferroni-adjusted over the number
of metrics judged (`family`): at 95 % overall, the chance that *any* unchanged metric is flagged is at
most 5 %. The adjusted tails are far beyond what a bounded number of resamples can resolve as
quantiles, so the interval is the point change ± z x the bootstrap standard error (the "normal
bootstrap" interval), which stays well defined at any level.

Locust keeps every response time rounded to about two significant digits (`bucket_response_time`)
as a `{ms: count}` dict per endpoint; resampling a run is one multinomial draw over those buckets for
all resamples at once. Percentiles use Locust's own rule, so they equal the CSV's to the millisecond.
Everything is seeded from the row label, so the same inputs always give the same interval whatever
order rows are judged in.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ops_perf.judge.histogram import arrays as _arrays
from ops_perf.judge.histogram import merge, percentile

Histogram = Mapping[float, int]
"""Locust's `response_times`: bucketed response time in ms -> number of requests."""

MAX_RESAMPLES = 5000
"""Upper bound on resamples whatever the config says: the standard error settles long before this,
and it bounds memory (resamples x buckets per run) and time for a 64-endpoint comparison."""

SEED = 20251015
"""Base seed; mixed with the row label so each row's resamples are reproducible on their own."""

QUANTILES: Mapping[str, float] = {"p50_ms": 0.50, "p95_ms": 0.95, "p99_ms": 0.99}
LATENCY_STATS = frozenset({*QUANTILES, "avg_ms"})


@dataclass(frozen=True)
class Interval:
    """A confidence interval on a change (candidate minus baseline), in the metric's unit.

    `confidence` is the family-wide level; each interval is built at the Bonferroni level
    `1 - (1 - confidence) / family`.
    """

    low: float
    high: float
    confidence: float
    family: int
    resamples: int
    stderr: float

    @property
    def per_test_confidence(self) -> float:
        return 1.0 - (1.0 - self.confidence) / max(1, self.family)


def simultaneous_interval(point: float, stderr: float, *, confidence: float, family: int, resamples: int) -> Interval:
    """point ± z·stderr, z for a two-sided Bonferroni level over `family` comparisons."""
    alpha = (1.0 - confidence) / max(1, family)
    z = NormalDist().inv_cdf(1.0 - alpha / 2.0)
    return Interval(point - z * stderr, point + z * stderr, confidence, max(1, family), resamples, stderr)


def latency_stderrs(
    baselines: Sequence[Histogram],
    candidate: Histogram,
    stats: Iterable[str],
    *,
    resamples: int,
    label: str = "",
) -> dict[str, float]:
    """Bootstrap standard errors of `stat(candidate) - median(stat(baseline_i))`, per statistic.

    Each run is resampled at its own size; with several baseline runs the median is taken per
    resample, exactly as the point value is formed. One multinomial draw per run serves every
    statistic (the draw is the costly part). {} when a run has no samples.
    """
    wanted = list(stats)
    unknown = set(wanted) - LATENCY_STATS
    if unknown:
        raise ValueError(f"unknown latency statistic(s) {sorted(unknown)}")
    runs = [*baselines, candidate]
    if not wanted or not baselines or any(sum(h.values()) == 0 for h in runs):
        return {}
    b = bounded(resamples)
    rng = np.random.default_rng(_seed(label, "latency"))
    drawn = [_resampled(h, wanted, b, rng) for h in runs]
    out: dict[str, float] = {}
    for stat in wanted:
        base = np.median(np.stack([d[stat] for d in drawn[:-1]]), axis=0)
        out[stat] = float(np.std(drawn[-1][stat] - base, ddof=1)) if b > 1 else 0.0
    return out


def failure_stderr(
    baselines: Sequence[tuple[int, int]],
    candidate: tuple[int, int],
    *,
    resamples: int,
    label: str = "",
) -> float | None:
    """Bootstrap standard error of the change in failure % (points); runs as (requests, failures).

    Parametric (binomial): each run's failures are redrawn from its own observed rate, and the
    baseline is the median per resample. None when a run made no requests.
    """
    runs = [*baselines, candidate]
    if not baselines or any(n <= 0 for n, _ in runs):
        return None
    b = bounded(resamples)
    rng = np.random.default_rng(_seed(label, "failure_pct"))

    def pct(run: tuple[int, int]) -> np.ndarray:
        n, failures = run
        rate = min(max(failures / n, 0.0), 1.0)
        return rng.binomial(n, rate, size=b) * 100.0 / n

    base = np.median(np.stack([pct(r) for r in baselines]), axis=0)
    return float(np.std(pct(candidate) - base, ddof=1)) if b > 1 else 0.0


def bounded(resamples: int) -> int:
    return max(2, min(int(resamples), MAX_RESAMPLES))


def _resampled(hist: Histogram, stats: Sequence[str], b: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """`b` bootstrap values of each statistic, from multinomial redraws of the histogram's buckets."""
    keys, counts = _arrays(hist)
    n = int(counts.sum())
    draws = rng.multinomial(n, counts / n, size=b)  # (b, buckets)
    before = np.cumsum(draws, axis=1) - draws
    out: dict[str, np.ndarray] = {}
    for stat in stats:
        if stat == "avg_ms":
            out[stat] = draws @ keys / n
            continue
        # Locust's rule per row: the last bucket with at most int(n*q) requests before it. Buckets
        # left empty by a draw share the next bucket's "before" count and sit earlier, so they are
        # never the last one (q < 1).
        index = (before <= int(n * QUANTILES[stat])).sum(axis=1) - 1
        out[stat] = keys[index]
    return out


def _seed(label: str, stat: str) -> int:
    return SEED ^ zlib.crc32(f"{label}|{stat}".encode())


__all__ = [
    "Interval",
    "failure_stderr",
    "latency_stderrs",
    "merge",
    "percentile",
    "simultaneous_interval",
]
