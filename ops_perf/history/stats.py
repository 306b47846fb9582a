"""Per-night statistics computed from a row's response-time histogram (Locust's `response_times`).

The percentile cells of the stats CSV are one sample each (the median of 9 requests is the 5th of
them) and Locust rounds them to two significant digits. With the histogram the whole night is
there, so a series can follow a more efficient statistic of the typical request: `center_ms`, the
geometric mean of the middle requests (the logarithms' trimmed mean, `scipy.stats.trim_mean`).
For log-normal response times it has about 0.8 times the noise of the median from the same
requests (efficiency ~0.94 against the median's 0.64), and trimming keeps the occasional very
slow answer (a timeout, a cold cache) out of it as the median does. Under a slowdown that
multiplies the response times, it moves by the same factor as the median.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

CENTER_TRIM = 0.2
"""Share cut from each end before averaging the logarithms (20 %: robust to a 5 % tail of slow answers)."""
FLOOR_MS = 0.1
"""A 0 ms bucket (a sub-millisecond simulator) is taken as this before the logarithm."""
HISTOGRAM_METRICS = ("center_ms",)
"""Metrics that only a stored histogram gives; a run without one gives its `CSV_STAND_IN` instead."""
CSV_STAND_IN = {"center_ms": "p50_ms"}
"""The stats CSV's cell that stands in for a histogram metric where a run has no histogram (plain Locust's
CSVs, runs made before `<prefix>.json`): the median, the cell nearest to what `center_ms` follows (the
typical request; both move by the same factor under a slowdown that multiplies response times). It is a
metric of its own, so one series never mixes the two."""


def center_ms(buckets: Mapping[float, int]) -> float | None:
    """Geometric mean of the middle 60 % of the requests of one histogram; None when it is empty."""
    from scipy.stats import trim_mean  # scipy comes with Otava; loaded only when there is work

    keys = np.fromiter((max(float(k), FLOOR_MS) for k in buckets), dtype=float, count=len(buckets))
    counts = np.fromiter((int(v) for v in buckets.values()), dtype=np.int64, count=len(buckets))
    if counts.sum() <= 0:
        return None
    logs = np.repeat(np.log(keys), counts)
    return float(math.exp(trim_mean(logs, CENTER_TRIM)))


def histogram_metric(metric: str, buckets: Mapping[float, int] | None) -> float | None:
    """The value of a histogram-only metric for one row (None without a histogram)."""
    if buckets is None:
        return None
    if metric == "center_ms":
        return center_ms(buckets)
    raise ValueError(f"not a histogram metric: {metric}")


PERCENTILE_METRICS = {"p50_ms": 0.5, "p95_ms": 0.95, "p99_ms": 0.99}
"""The percentile cells whose sampling noise a histogram tells (`log_variance`)."""
Z_95 = 1.96


def log_variance(metric: str, buckets: Mapping[float, int] | None) -> float:
    """The sampling variance of the logarithm of one night's value of `metric`, from that night's histogram;
    NaN where the night does not tell it (no histogram, too few requests, a percentile in one bucket).

    Why: a night's value is its requests' statistic, so part of its night-to-night noise is the sampling
    noise of those requests, which the night's own histogram measures. The step test (history/recent.py)
    then needs to estimate from the runs only the rest, common to the series of a kind. `center_ms`: the
    trimmed mean's winsorized variance times n / (n - 2g)^2 with g the requests cut from each end
    (Tukey and McLaughlin); a percentile: the
    distribution-free 95 % interval of the order statistic (ranks n q -+ 1.96 sqrt(n q (1 - q))), its log
    width over 2 x 1.96."""
    if buckets is None:
        return math.nan
    items = sorted((math.log(max(float(k), FLOOR_MS)), int(v)) for k, v in buckets.items() if int(v) > 0)
    n = sum(c for _, c in items)
    if n < 3:
        return math.nan
    logs = np.fromiter((k for k, _ in items), dtype=float, count=len(items))
    counts = np.fromiter((c for _, c in items), dtype=float, count=len(items))
    cum = np.cumsum(counts)

    def at(q: float) -> float:
        return float(logs[min(int(np.searchsorted(cum, q * n, side="left")), len(logs) - 1)])

    def rank(r: int) -> float:  # the r-th smallest (0-based)
        return float(logs[min(int(np.searchsorted(cum, r + 1, side="left")), len(logs) - 1)])

    if metric == "center_ms":
        cut = int(CENTER_TRIM * n)  # as `trim_mean` cuts: whole requests from each end
        w = np.clip(logs, rank(cut), rank(int(n) - 1 - cut))
        mean = float((w * counts).sum() / n)
        return float((counts * (w - mean) ** 2).sum() / (n - 1)) * n / (n - 2 * cut) ** 2
    q = PERCENTILE_METRICS.get(metric)
    if q is None:
        return math.nan
    half = Z_95 * math.sqrt(q * (1 - q) / n)
    width = at(min(1.0, q + half)) - at(max(0.0, q - half))
    return (width / (2 * Z_95)) ** 2 if width > 0 else math.nan
