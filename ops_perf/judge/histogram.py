"""Locust's response-time histograms (`{ms bucket: count}`) and its percentile rule.

Why the judge needs them: Locust's Aggregated row counts page views (request type `PAGE`) together
with the API calls, so in a pages run the aggregate of the API calls has to be computed again from
the per-entry histograms of `<prefix>.json`. Using Locust's own percentile rule makes that aggregate
equal, to the millisecond, to what Locust would have printed for the API calls alone. The comparison's
bootstrap (`verdict/noise.py`) uses the same two functions.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ops_perf.runfiles.histograms import merge

__all__ = ["Histogram", "arrays", "median", "merge", "percentile"]

Histogram = Mapping[float, int]
"""Locust's `response_times`: bucketed response time in ms -> number of requests (float keys: the
suite's buckets are not whole ms, see runfiles/precision)."""


def percentile(hist: Histogram, quantile: float) -> float:
    """Locust's `calculate_response_time_percentile`: the bucket below which `int(n*q)` requests lie."""
    keys, counts = arrays(hist)
    if counts.sum() == 0:
        return 0.0
    n = int(counts.sum())
    before = np.cumsum(counts) - counts
    index = int(np.searchsorted(before, int(n * quantile), side="right")) - 1
    return float(keys[index])


def median(hist: Histogram, low: float, high: float) -> float:
    """Locust's `median_response_time`: the 50th percentile, kept within the exact min and max."""
    value = percentile(hist, 0.5)
    return min(max(value, low), high)


def arrays(hist: Histogram) -> tuple[np.ndarray, np.ndarray]:
    """Sorted bucket keys and their counts, empty buckets dropped."""
    items = sorted((float(k), int(v)) for k, v in hist.items() if int(v) > 0)
    if not items:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    keys, counts = zip(*items, strict=True)
    return np.asarray(keys, dtype=float), np.asarray(counts, dtype=np.int64)
