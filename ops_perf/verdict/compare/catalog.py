"""Catalog changes: an endpoint only in the candidate is *new*, one the candidate no longer calls is *gone*,
and one it could not call for want of ids (its warm-up found none for the endpoint's pool) *not sent*.

Why not a refusal: a nightly must survive the suite gaining or losing endpoints; the rows both runs
have are compared as usual, and these are listed with their figures but no verdict on a metric.
"""

from __future__ import annotations

import math

from ops_perf.judge.figures import METRICS
from ops_perf.verdict.compare.delta import Change, MetricDelta
from ops_perf.verdict.compare.model import RowComparison
from ops_perf.verdict.compare.sides import Sides


def new_or_gone(sides: Sides) -> RowComparison | None:
    """The row as new or gone, or None when both sides have requests for it (the other rules judge it)."""
    cand = sides.cand
    result = RowComparison(sides.name, sides.base_requests, cand.requests if cand else 0)
    if cand is None or cand.requests == 0:
        result.verdict = Change.NOT_SENT if sides.cand_without_ids else Change.GONE
        result.metrics = {m: MetricDelta(m, sides.baseline(m), math.nan, None) for m in METRICS}
        return result
    if not sides.base:
        result.verdict = Change.NEW
        result.metrics = {m: MetricDelta(m, math.nan, cand.values[m], None) for m in METRICS}
        return result
    return None
