"""The requests/s rule: judged for the aggregate only, against a relative floor.

Why not per endpoint: there it follows the task weights and the latency of every other endpoint
(closed-loop users), so it is shown but carries no verdict of its own.
"""

from __future__ import annotations

import math

from ops_perf.runfiles.load import AGGREGATED
from ops_perf.settings.targets import Noise
from ops_perf.verdict.compare.delta import Change, MetricDelta
from ops_perf.verdict.compare.sides import Sides


def rps_delta(sides: Sides, base: float, settings: Noise) -> MetricDelta:
    """Fewer requests/s beyond the floor regressed, more improved; per endpoint shown only."""
    assert sides.cand is not None
    b, c = base, sides.cand.values["rps"]
    if sides.name != AGGREGATED:
        return MetricDelta("rps", b, c, None, "informational per endpoint")
    if (why := sides.lacks_evidence("rps", settings)) or math.isnan(b) or math.isnan(c) or b <= 0:
        return MetricDelta("rps", b, c, Change.NO_DATA, why or "no value")
    pct = (c - b) * 100.0 / b
    change = (
        Change.REGRESSED
        if pct < -settings.rps_rel_pct
        else Change.IMPROVED
        if pct > settings.rps_rel_pct
        else Change.UNCHANGED
    )
    return MetricDelta("rps", b, c, change, f"relative floor {settings.rps_rel_pct:g}%")
