"""Each judged figure's interval, from the best the run's files hold (`evidence` does the statistics).

- A percentile: from the row's histogram (`<prefix>.json`, every request's bucketed time) when it is
  there and agrees with the stats CSV; else from the CSV's own percentile cells, which bound the order
  statistics the interval needs from outside (a cell whose rank lies at or below the interval's lower
  rank is a value at most that request's; one at or above its upper rank, at least that request's).
  Wider than from the histogram, never narrower than the truth: the runs the OPS team made with plain
  Locust (2025-10-15) are judged by the same rule.
- A failure %: Wilson's interval on failures out of requests.
- The average: Student's t over the histogram where there is one (approximate: no distribution-free
  interval for a mean exists), else none.
- Requests/s: none; it is a rate the load set (judged only where it could be met, by its point value).
A figure without an interval is judged by its point value, as every figure was before issue 15.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import lru_cache

from ops_perf.judge.evidence import (
    BucketRange,
    Interval,
    locust_range,
    mean_interval,
    order_statistic_ranks,
    percentile_interval,
    point_rank,
    wilson_interval,
)
from ops_perf.judge.rows import Figures

QUANTILES = {"p50_ms": 0.5, "p95_ms": 0.95, "p99_ms": 0.99}
"""The percentile metrics and their quantile."""
AVERAGE_FROM = 100
"""Requests an average's (Student t) interval needs: no distribution-free interval for a mean exists, and
over response-time-like distributions its coverage was measured at 77-91 % for 10 requests and 92-96 %
for 100 (bench/evidence_coverage.py); below this an average is not enough evidence."""


def metric_interval(
    metric: str,
    figures: Figures,
    histogram: Mapping | None,
    cells: Sequence[tuple[float, float]],
    confidence: float,
    bucket_range: BucketRange = locust_range,
) -> Interval | None:
    """The interval on one metric of a row (None where the metric has none; see the module docstring)."""
    n = figures.requests
    if metric in QUANTILES:
        q = QUANTILES[metric]
        if histogram is not None and sum(histogram.values()) == n and n:
            return percentile_interval(histogram, q, confidence, bucket_range)
        if cells and n:
            return cells_interval(n, q, cells, confidence, figures.max, bucket_range, figures.min)
        return None
    if metric == "failure_pct":
        return wilson_interval(figures.failures, n, confidence)
    if metric == "avg_ms" and n < AVERAGE_FROM:
        return Interval(0.0, math.inf, n, confidence, "student t (approximate)", False, False)
    if metric == "avg_ms" and histogram is not None and sum(histogram.values()) == n:
        return mean_interval(histogram, confidence, bucket_range)
    return None


def cells_interval(
    n: int,
    q: float,
    cells: Sequence[tuple[float, float]],
    confidence: float,
    maximum: float | None = None,
    bucket_range: BucketRange = locust_range,
    minimum: float | None = None,
) -> Interval:
    """The q-quantile's interval from Locust's percentile cells alone (quantile, value in ms).

    Locust's cell for quantile p is the request of rank `point_rank(n, p)`: a cell whose rank is at
    most the interval's lower rank is a lower bound of that request's time (its key's lower edge), one
    whose rank is at least the upper rank an upper bound (its key's upper edge, or the exact maximum)."""
    ranks = order_statistic_ranks(n, q, confidence)
    low, high = 0.0, math.inf
    lower_bounded = upper_bounded = False
    if ranks.low >= 1:
        below = [float(bucket_range(v)[0]) for p, v in cells if point_rank(n, p) <= ranks.low]
        if minimum is not None:
            below.append(float(minimum))  # the exact fastest request (Locust's Min column) is below every rank
        if below:
            low, lower_bounded = max(below), True
    if ranks.high <= n:
        above = [v for p, v in cells if point_rank(n, p) >= ranks.high]
        if maximum is not None and ranks.high <= n:
            above.append(maximum)  # the exact slowest request (Locust's Max column) bounds every rank
        if above:
            upper_edges = [float(bucket_range(v)[1]) for v in above]
            if maximum is not None:
                upper_edges[-1] = float(maximum)
            high, upper_bounded = min(upper_edges), True
    if low > high:  # cells that disagree with each other (or with Min/Max): the widest reading of them
        low, high = high, low
    return Interval(
        low, high, n, confidence, "order statistics (percentile cells)", lower_bounded, upper_bounded,
        ranks.coverage, (ranks.low, ranks.high),
    )  # fmt: skip


def evidence_needed(metric: str, n: float, confidence: float) -> str:
    """ "" when `n` requests can bound the metric's interval on both sides at `confidence`, else why not.

    The judge's rule for whether a figure can carry a verdict at all, which `compare` applies to each side
    of a comparison (instead of a fixed number of requests): a p50 needs about 10, a p95 about 60, a p99
    about 300 at 95 %; a failure % or an average needs one request."""
    count = int(n)
    if count < 1:
        return "no requests"
    if metric == "avg_ms" and count < AVERAGE_FROM:
        return f"{count} requests cannot bound an average (it needs {AVERAGE_FROM})"
    q = QUANTILES.get(metric)
    if q is None:
        return ""
    ranks = order_statistic_ranks(count, q, confidence)
    if ranks.low >= 1 and ranks.high <= count:
        return ""
    what = metric.removesuffix("_ms")
    return f"{count} requests cannot bound a {what} at {confidence:.0%} (it needs {bounded_from(q, confidence)})"


@lru_cache(maxsize=64)
def bounded_from(q: float, confidence: float) -> int:
    """The fewest requests whose q-quantile interval is bounded on both sides at `confidence`."""
    n = 1
    while True:
        ranks = order_statistic_ranks(n, q, confidence)
        if ranks.low >= 1 and ranks.high <= n:
            return n
        n += 1 if n < 2000 else n // 100
