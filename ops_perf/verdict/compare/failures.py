"""The failure-% rule: a change in percentage points beyond the floor, confirmed by a binomial bootstrap.

Why always a bootstrap: unlike latency, the counts alone are enough to resample (requests and
failures per run), so a failure-% change is never judged by the floor alone.
"""

from __future__ import annotations

from ops_perf.settings.targets import Noise
from ops_perf.verdict import noise
from ops_perf.verdict.compare.delta import Change, MetricDelta
from ops_perf.verdict.compare.sides import Sides


def failure_delta(sides: Sides, base: float, settings: Noise, family: int) -> MetricDelta:
    """The failure % of one row: no data, within the floor, or (after the interval) a change."""
    assert sides.cand is not None
    b, c = base, sides.cand.values["failure_pct"]
    if why := sides.lacks_evidence("failure_pct", settings):
        return MetricDelta("failure_pct", b, c, Change.NO_DATA, why)
    delta = c - b
    direction = 1 if delta > settings.failure_pct_abs else -1 if -delta > settings.failure_pct_abs else 0
    if direction == 0:
        return MetricDelta("failure_pct", b, c, Change.UNCHANGED, "within the noise floor")
    ci = _interval(sides, delta, settings, family)
    if ci is not None and ((direction > 0 and ci.low > 0) or (direction < 0 and ci.high < 0)):
        change = Change.REGRESSED if direction > 0 else Change.IMPROVED
        reason = "clears the noise floor and its confidence interval excludes 0"
    else:
        change, reason = Change.UNCHANGED, "clears the floor but its confidence interval includes 0"
    return MetricDelta("failure_pct", b, c, change, reason, ci)


def _interval(sides: Sides, delta: float, settings: Noise, family: int) -> noise.Interval | None:
    assert sides.cand is not None
    se = noise.failure_stderr(
        [(r.requests, r.failures) for r in sides.base],
        (sides.cand.requests, sides.cand.failures),
        resamples=settings.bootstrap_resamples,
        label=sides.name,
    )
    if se is None:
        return None
    return noise.simultaneous_interval(
        delta,
        se,
        confidence=settings.confidence,
        family=family,
        resamples=noise.bounded(settings.bootstrap_resamples),
    )
