"""The latency rule (p50, p95, p99, average): floors first, then a bootstrap interval where histograms allow.

Why three gates: the floors (`[noise]` relative % and absolute ms) keep changes too small to matter
from failing a build; a minimum number of requests (and for a tail percentile, `TAIL_SAMPLES` beyond
it) gives no verdict rather than a coin toss; and where Locust's histograms are available, a change
that clears the floors must also have a confidence interval that excludes 0. The bootstrap is the
costly part, so it runs only for the metrics that clear the floors.
"""

from __future__ import annotations

import math

from ops_perf.settings.targets import Noise
from ops_perf.verdict import noise
from ops_perf.verdict.compare.delta import TITLES, Change, MetricDelta
from ops_perf.verdict.compare.sides import Sides

LATENCY = ("p50_ms", "p95_ms", "p99_ms", "avg_ms")
TAIL_SAMPLES = 5
"""A percentile is judged only when at least this many requests lie beyond it on both sides (p95: 100
requests, p99: 500). Below that a tail percentile is one or two samples and the bootstrap cannot see
its spread (it never draws beyond the largest sample), so it calls noise a change. In synthetic A/A
comparisons of the 64-endpoint catalog (12 per setting, 10-40 requests per unit of task weight),
7-9 of 12 flagged some endpoint without this rule; with it, 2 of 108 comparisons over all settings
(lognormal spread 0.35-0.8, 10-100 requests per unit of weight) flagged one, both at spread 0.8."""


def tail_minimum(metric: str) -> int:
    """The requests a metric needs before it is judged (0 for the average and p50 beyond `TAIL_SAMPLES`)."""
    quantile = noise.QUANTILES.get(metric)
    return 0 if quantile is None else math.ceil(TAIL_SAMPLES / (1.0 - quantile) - 1e-9)


def latency_deltas(sides: Sides, base: dict[str, float], settings: Noise, family: int) -> dict[str, MetricDelta]:
    """Each latency metric of one row: no data, within the floors, or (after the interval) a change."""
    assert sides.cand is not None
    deltas: dict[str, MetricDelta] = {}
    cleared: dict[str, int] = {}
    for metric in LATENCY:
        b, c = base[metric], sides.cand.values[metric]
        direction, held = _floors(sides, metric, b, c, settings)
        if held is not None:
            deltas[metric] = held
        else:
            cleared[metric] = direction
    stderrs = _stderrs(sides, list(cleared), settings) if cleared else {}
    for metric, direction in cleared.items():
        b, c = base[metric], sides.cand.values[metric]
        deltas[metric] = _judged(metric, b, c, direction, stderrs.get(metric), settings, family)
    return deltas


def _floors(sides: Sides, metric: str, b: float, c: float, settings: Noise) -> tuple[int, MetricDelta | None]:
    """(+1 slower / -1 faster, None) when the change clears the floors; else (0, the delta it stops at)."""
    if (why := sides.lacks_evidence(metric, settings)) or math.isnan(b) or math.isnan(c):
        return 0, MetricDelta(metric, b, c, Change.NO_DATA, why or "no value")
    if (need := tail_minimum(metric)) > sides.samples:
        why = f"{sides.samples:g} < {need} requests for a {TITLES[metric]}"
        return 0, MetricDelta(metric, b, c, Change.NO_DATA, why)
    delta = c - b
    pct = delta * 100.0 / b if b > 0 else (math.inf if delta > 0 else -math.inf if delta < 0 else 0.0)
    if delta > settings.abs_ms and pct > settings.rel_pct:
        return 1, None
    if -delta > settings.abs_ms and pct < -settings.rel_pct:
        return -1, None
    return 0, MetricDelta(metric, b, c, Change.UNCHANGED, "within the noise floors")


def _stderrs(sides: Sides, metrics: list[str], settings: Noise) -> dict[str, float]:
    """The bootstrap standard errors of the changes, when every run of the row has its histogram."""
    hists = sides.base_histograms
    if sides.cand_histogram is None or not all(h is not None for h in hists):
        return {}
    return noise.latency_stderrs(
        [h for h in hists if h is not None],
        sides.cand_histogram,
        metrics,
        resamples=settings.bootstrap_resamples,
        label=sides.name,
    )


def _judged(
    metric: str, b: float, c: float, direction: int, stderr: float | None, settings: Noise, family: int
) -> MetricDelta:
    """A change that cleared the floors: kept when its interval excludes 0 (or floors only, without histograms)."""
    ci = None
    if stderr is not None:
        ci = noise.simultaneous_interval(
            c - b,
            stderr,
            confidence=settings.confidence,
            family=family,
            resamples=noise.bounded(settings.bootstrap_resamples),
        )
    change = Change.REGRESSED if direction > 0 else Change.IMPROVED
    if ci is None:
        reason = "clears the noise floors (no histograms: floors only)"
    elif (direction > 0 and ci.low > 0) or (direction < 0 and ci.high < 0):
        reason = "clears the noise floors and its confidence interval excludes 0"
    else:
        change, reason = Change.UNCHANGED, "clears the floors but its confidence interval includes 0"
    return MetricDelta(metric, b, c, change, reason, ci)
