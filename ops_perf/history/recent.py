"""The second detector: did the newest few runs of a series step up from the runs before them?

Otava's change points answer "where does this series change", over its whole length; they are the
history. The nightly's question is narrower and asked every night: "have the last k runs become
slower than the ones before?" for k from `min_runs_after` to `recent_runs`. Asked that way it is one
one-sided two-sample t-test per k (`scipy.stats.ttest_ind`, pooled variance: a step moves the level,
not the spread) on the logarithms of the per-run values, with the minimum magnitude on top.

Because it is asked of every series every night, its significance is shared out (a Bonferroni
correction): `[history] alarm_rate` is the chance, per night, that *some* series of an unchanged
OPS is flagged. Each kind of series present (the aggregate, pages, endpoints) gets an equal share of
it, so that the two aggregate series are not drowned by sixty endpoint series, and each series of
a kind an equal part of its kind's share, divided again over the k tried. That is what keeps the
false alarms of the whole nightly near or below one in 30 nights, however many series it watches.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

from ops_perf.history.config import HistoryConfig
from ops_perf.history.series import FLOOR_MS, Change, Series

MIN_BEFORE = 4
"""Runs before the newest k needed for the test: fewer cannot give a variance worth trusting."""


def alarm_levels(series: Sequence[Series], config: HistoryConfig) -> dict[tuple[str, str, str, str, str], float]:
    """Each series' significance level for one test (one k), keyed by `level_key`."""
    tries = max(1, config.recent_runs - config.min_runs_after + 1)
    per_kind = Counter(s.kind for s in series)
    if not per_kind:
        return {}
    share = config.alarm_rate / len(per_kind)
    return {level_key(s): share / per_kind[s.kind] / tries for s in series}


def level_key(series: Series) -> tuple[str, str, str, str, str]:
    return (series.env or "", series.scenario or "", series.kind, series.name, series.metric)


def recent_step(series: Series, config: HistoryConfig, level: float, changes_at: Sequence[int] = ()) -> Change | None:
    """The slower step into the newest runs, if one is significant at `level` and big enough.

    Of the k that pass, the one with the smallest p-value names the first run after the change.
    `changes_at`: where the series changed before (Otava's change points): the newest k runs are compared
    with the runs since the last change before them, the series' present level, so that a step already
    in the history is not found again a few runs later against the runs from before it; a k whose runs
    start fewer than `MIN_BEFORE` runs after such a change is not tried (that step is the change's).
    """
    from scipy.stats import ttest_ind

    n = len(series.points)
    if n < config.min_runs:
        return None
    logs = [math.log(max(p.value, FLOOR_MS)) for p in series.points]
    best: tuple[float, int, float, float] | None = None
    for k in range(config.min_runs_after, config.recent_runs + 1):
        since = max([c for c in changes_at if c < n - k], default=0)
        if n - k - since < MIN_BEFORE:
            continue
        before, after = logs[max(since, n - k - config.window) : n - k], logs[n - k :]
        if len(before) < MIN_BEFORE or len(after) < k:
            continue
        mean_before, mean_after = sum(before) / len(before), sum(after) / len(after)
        if (math.exp(mean_after - mean_before) - 1.0) * 100.0 < config.min_change_pct:
            continue
        if max(before) == min(before) and max(after) == min(after):
            pvalue = 0.0  # two flat segments at different levels (a test double; real runs are noisy)
        else:
            pvalue = float(ttest_ind(after, before, equal_var=True, alternative="greater").pvalue)
        if math.isfinite(pvalue) and pvalue < level and (best is None or pvalue < best[0]):
            best = (pvalue, n - k, mean_before, mean_after)
    if best is None:
        return None
    pvalue, index, mean_before, mean_after = best
    first = series.points[index]
    return Change(
        env=series.env, scenario=series.scenario, name=series.name, metric=series.metric,
        prefix=first.prefix, started_at=first.started_at, direction="slower",
        change_pct=round((math.exp(mean_after - mean_before) - 1.0) * 100.0, 1),
        kind=series.kind, index=index, runs_since=n - index,
        mean_before=math.exp(mean_before), mean_after=math.exp(mean_after), pvalue=pvalue,
    )  # fmt: skip
