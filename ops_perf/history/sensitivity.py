"""What the nightly can see at the store's own noise: per kind of series, the smallest slower step that
`detect` finds within `recent_runs` nights, nine times in ten.

Why `detect` says it: a quiet "no change" means little unless the reader knows what size of change the
nights could have shown. The answer depends on the series' own night-to-night spread (sampling and the
night's noise: what the budget of requests buys), on how many runs are before the change, and on the
series' share of the false-alarm budget (history/recent.py), so it is computed from exactly those.

For each series with at least `min_runs` runs: its spread is its variance prior where its kind gives one
(recent.variance_priors: its nights' sampling noise and its kind's common night noise), else the robust
spread of the night-to-night differences of its logarithms (the median absolute successive difference,
so a past step or one wild night does not inflate it); the step test compares the 5 runs since the step
with up to `window` before at the series' level for one test (its share over the night's `step_runs`);
the smallest step found with 90 % probability is where the one-sided t-test's
noncentral distribution puts 90 % beyond its critical value. The minimum magnitude
(`min_change_pct`) is a floor. The figure assumes the spread stays what it was, and is per series; a
kind's line gives the median series and the range.
"""

from __future__ import annotations

import itertools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from ops_perf.history.config import HistoryConfig
from ops_perf.history.recent import MIN_BEFORE, alarm_levels, level_key, variance_priors
from ops_perf.history.series import FLOOR_MS, Series

POWER = 0.9
""""Can see": found this often (the issue's goal for detection)."""
NIGHTS = 5
"""Within how many nights of the change (the issue's question; at most `recent_runs`)."""
MAD_TO_SD = 1.4826
"""Median absolute deviation -> standard deviation, for normal values."""


@dataclass(frozen=True)
class Sensitivity:
    """The smallest slower step (percent) one series' test finds within `nights` nights, `POWER` of the time."""

    series: Series
    spread: float
    """Night-to-night standard deviation of the series' logarithms (robust)."""
    smallest_pct: float


def spread_of(values: Sequence[float]) -> float:
    """Robust night-to-night sd of log values: successive differences have twice the variance of one night."""
    logs = [math.log(max(v, FLOOR_MS)) for v in values]
    diffs = [abs(b - a) for a, b in itertools.pairwise(logs)]
    if not diffs:
        return math.nan
    return MAD_TO_SD * statistics.median(diffs) / math.sqrt(2.0)


def smallest_step(
    spread: float, before: int, nights: int, level: float, config: HistoryConfig, prior_df: float = 0.0
) -> float:
    """The smallest slower step (percent) that a one-sided pooled t-test of `nights` runs against `before`
    runs at `level` finds `POWER` of the time, with night-to-night sd `spread` (in logs); `prior_df`: the
    degrees of freedom a variance prior adds (`recent.variance_priors`)."""
    from scipy.optimize import brentq
    from scipy.stats import nct
    from scipy.stats import t as student

    df = before + nights - 2 + prior_df
    critical = float(student.isf(level, df))
    shift = brentq(lambda ncp: float(nct.sf(critical, df, ncp)) - POWER, 0.0, critical + 50.0)
    step = shift * spread * math.sqrt(1.0 / nights + 1.0 / before)
    return max((math.exp(step) - 1.0) * 100.0, config.min_change_pct)


def sensitivities(series: Sequence[Series], config: HistoryConfig) -> list[Sensitivity]:
    """Each analysable series' smallest visible step within `NIGHTS` nights, at the level `detect` gives it
    among all the series (the same `alarm_levels`, shared by the night's `step_runs`)."""
    levels, priors = alarm_levels(series, config), variance_priors(series, config)
    nights = min(NIGHTS, config.recent_runs)
    out = []
    for s in series:
        if len(s.points) < config.min_runs:
            continue
        before = max(MIN_BEFORE, min(config.window, len(s.points)))
        prior = priors.get(level_key(s))
        spread = math.sqrt(prior.variance) if prior is not None else spread_of([p.value for p in s.points])
        if not math.isfinite(spread):
            continue
        level = levels[level_key(s)] / len(config.step_runs)  # the night's tests share the series' share
        size = smallest_step(spread, before, nights, level, config, prior.df if prior is not None else 0.0)
        out.append(Sensitivity(s, spread, size))
    return out


def sensitivity_lines(series: Sequence[Series], config: HistoryConfig) -> list[str]:
    """One line per kind of series (in `kinds` order), each metric's median series and range."""
    found = sensitivities(series, config)
    lines = []
    for kind in ("aggregate", "page", "endpoint"):
        of_kind = [x for x in found if x.series.kind == kind]
        if not of_kind:
            continue
        parts = []
        for metric in sorted({x.series.metric for x in of_kind}):
            pcts = sorted(x.smallest_pct for x in of_kind if x.series.metric == metric)
            if len(pcts) == 1:
                parts.append(f"{metric} {pcts[0]:.0f} %")
            else:
                parts.append(
                    f"{metric} {statistics.median(pcts):.0f} % for the median series "
                    f"({pcts[0]:.0f}-{pcts[-1]:.0f} % over {len(pcts)} series)"
                )
        lines.append(f"{kind}: {'; '.join(parts)}")
    return lines
