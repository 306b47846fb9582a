"""The latency trend within a step: how fast its queue grows (rule `queue`).

Why: a step above capacity need not breach a target within its hold time. Offered lambda against a
capacity mu, the queue grows by (lambda - mu) requests per second, so every request waits
(lambda - mu) / mu seconds longer than one a second earlier: a step 10% over capacity adds 0.1 s of
latency per second, and reaches a 2 s p95 only after 20 s (a 0.5 s gateway ceiling after 5 s). Below
capacity the latency has no trend (it fluctuates about its mean). So the slope of the step's latency
over time, fitted over its history of API calls (`<step>_stats_history.csv`; page views left out as in
the judgement's aggregate; response times as the users recorded them, which include an arrival's late
start: a generator falling behind shows too), measures how far the offered rate exceeds what was served.

Points: Locust writes one cumulative row a second; an interval with fewer than `MIN_INTERVAL_REQUESTS`
completions is merged with the next (its mean alone is mostly noise), so slow steps (a few requests a
second) still get points. At least `MIN_GROWTH_INTERVALS` points are needed; fewer is "not enough
evidence" (the step is not good).
"""

from __future__ import annotations

import csv
from pathlib import Path

from ops_perf.runfiles.load import AGGREGATED, PAGE_TYPE

MIN_GROWTH_INTERVALS = 3
"""Intervals with completed requests that the latency slope needs."""
MIN_INTERVAL_REQUESTS = 5
"""An interval with fewer completed requests is merged with the next one."""

Series = list[tuple[float, int, float]]
"""(time s, cumulative requests, cumulative response time ms)."""


def latency_slope(history: Path) -> float | None:
    """Least-squares slope (s per s) of the mean latency of each interval, weighted by its requests,
    from Locust's cumulative history rows; None when there are too few intervals.

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
    points = interval_points(api_series(rows) if pages else aggregated_series(rows))
    if len(points) < MIN_GROWTH_INTERVALS:
        return None
    weight = sum(n for _, _, n in points)
    mean_t = sum(t * n for t, _, n in points) / weight
    mean_y = sum(y * n for _, y, n in points) / weight
    spread = sum(n * (t - mean_t) ** 2 for t, _, n in points)
    if spread <= 0:
        return None
    return sum(n * (t - mean_t) * (y - mean_y) for t, y, n in points) / spread / 1000.0


def aggregated_series(rows: list[dict[str, str]]) -> Series:
    """The Aggregated rows."""
    series = []
    for row in rows:
        if row.get("Name") != AGGREGATED:
            continue
        try:
            count = int(row["Total Request Count"])
            series.append((float(row["Timestamp"]), count, count * float(row["Total Average Response Time"])))
        except (KeyError, TypeError, ValueError):
            continue
    return series


def api_series(rows: list[dict[str, str]]) -> Series:
    """The same, summed per timestamp over the API calls' rows (`--csv-full-history`), page views left out."""
    sums: dict[float, list[float]] = {}
    for row in rows:
        if row.get("Name") == AGGREGATED or row.get("Type") == PAGE_TYPE:
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


def interval_points(series: Series) -> list[tuple[float, float, int]]:
    """(mid time s, mean latency ms, requests) of each interval, thin ones merged with the next.

    An interval runs from the last emitted row to the row where it has `MIN_INTERVAL_REQUESTS`
    completions; its time is the middle of that span (intervals are of unequal length once merged).
    """
    points: list[tuple[float, float, int]] = []
    if not series:
        return points
    last_t, last_count, last_total = series[0][0] - 1.0, 0, 0.0  # Locust writes a row a second
    for t, count, total in series:
        if count < last_count:  # a stats reset: start over
            last_t, last_count, last_total = t, 0, 0.0
            continue
        n = count - last_count
        if n >= MIN_INTERVAL_REQUESTS:
            points.append(((last_t + t) / 2, (total - last_total) / n, n))
            last_t, last_count, last_total = t, count, total
        elif n == 0:
            last_t = t  # nothing completed: the interval starts afresh here
    return points
