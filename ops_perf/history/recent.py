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

import itertools
import math
import statistics
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from ops_perf.history.config import HistoryConfig
from ops_perf.history.series import FLOOR_MS, Change, Series

MIN_BEFORE = 4
"""Runs before the newest k needed for the test: fewer cannot give a variance worth trusting."""
FLOOR_Z = 1.645
"""A step is below `min_change_pct` only when it is credibly so (one-sided 95 %): its estimate's own noise
would otherwise drop a true 25 % step under a 20 % floor one night in four (a noisy aggregate p95)."""
MIN_SERIES_FOR_PRIOR = 8
"""A kind of series lends its series a variance prior only when this many of them tell their sampling noise."""
MAX_PRIOR_DF = 1000.0
"""A prior worth more than this many runs is as good as known: the cap keeps the t distribution finite."""


@dataclass(frozen=True)
class Prior:
    """What the other series of its kind say about one series' night-to-night variance (of its logs)."""

    variance: float
    df: float
    """How many runs' worth of evidence the prior is (limma's d0): large when the kind's series agree."""


LevelKey = tuple[str, str, str, str, str, str]
"""A series' identity across the store: env, scenario, what it measured, kind, name, metric."""


def variance_priors(series: Sequence[Series], config: HistoryConfig) -> dict[LevelKey, Prior]:
    """Each series' variance prior, by `level_key`, where its kind allows one (empirical Bayes, as limma's
    moderated t; Smyth 2004).

    Why: the step test's own estimate of a series' noise rests on ~20-30 runs, and at the small levels
    the night's budget gives each series (about 1e-4 for an endpoint) a t-test on 20 runs needs a step
    a third larger than a test that knew the noise. Much of the noise is known, though: a night's value
    is a statistic of that night's requests, whose sampling variance its histogram tells
    (`stats.log_variance`). So a series' variance is modelled as its nights' mean sampling variance plus
    a night-to-night part common to its kind (the median over the kind's series, robust to odd ones);
    how far the series' own variances scatter around those priors tells how much the prior is worth
    (its degrees of freedom `df`: large when the model fits, near 0 when series differ more than
    sampling explains, and the test is then the plain t-test). Kinds with fewer than
    `MIN_SERIES_FOR_PRIOR` such series (the aggregate's two) and series without histograms get none.
    """
    from scipy.special import digamma, polygamma

    out: dict[LevelKey, Prior] = {}
    for kind in sorted({s.kind for s in series}):
        usable = []
        for s in series:
            if s.kind != kind or len(s.points) < config.min_runs:
                continue
            sampling = [p.var for p in s.points if math.isfinite(p.var)]
            if len(sampling) < 0.8 * len(s.points):
                continue
            logs = [math.log(max(p.value, FLOOR_MS)) for p in s.points]
            before = logs[: -config.recent_runs] if len(logs) - config.recent_runs > MIN_BEFORE else logs
            usable.append((s, statistics.fmean(sampling), statistics.variance(before), len(before) - 1, logs))
        if len(usable) < MIN_SERIES_FOR_PRIOR:
            continue
        common = statistics.median(max(0.0, _robust_variance(logs) - sampling) for _, sampling, _, _, logs in usable)
        ratios = [
            math.log(own / (sampling + common)) - float(digamma(df / 2)) + math.log(df / 2)
            for _, sampling, own, df, _ in usable
            if own > 0
        ]
        if len(ratios) < MIN_SERIES_FOR_PRIOR:
            continue
        excess = statistics.variance(ratios) - statistics.fmean(float(polygamma(1, df / 2)) for *_, df, _ in usable)
        d0 = MAX_PRIOR_DF if excess <= 0 else min(MAX_PRIOR_DF, 2 * _trigamma_inverse(excess))
        scale = math.exp(statistics.fmean(ratios) - math.log(d0 / 2) + float(digamma(d0 / 2)))
        for s, sampling, *_ in usable:
            out[level_key(s)] = Prior((sampling + common) * scale, d0)
    return out


def _robust_variance(logs: Sequence[float]) -> float:
    """Night-to-night variance from the median absolute successive difference (a past step barely moves it)."""
    diffs = [abs(b - a) for a, b in itertools.pairwise(logs)]
    return (1.4826 * statistics.median(diffs)) ** 2 / 2.0 if diffs else math.nan


def _trigamma_inverse(value: float) -> float:
    """x with trigamma(x) = value (Newton's method, as limma's trigammaInverse)."""
    from scipy.special import polygamma

    if value > 1e7:
        return 1.0 / math.sqrt(value)
    if value < 1e-6:
        return 1.0 / value
    y = 0.5 + 1.0 / value
    for _ in range(50):
        tri = float(polygamma(1, y))
        step = tri * (1 - tri / value) / float(polygamma(2, y))
        y += step
        if -step / y < 1e-8:
            break
    return y


def alarm_levels(series: Sequence[Series], config: HistoryConfig) -> dict[LevelKey, float]:
    """Each series' share of the night's false-alarm budget, keyed by `level_key` (its tests of one night,
    one per k, share it: `recent_step`)."""
    per_kind = Counter(s.kind for s in series)
    if not per_kind:
        return {}
    share = config.alarm_rate / len(per_kind)
    return {level_key(s): share / per_kind[s.kind] for s in series}


def _step_at(logs: Sequence[float], lo: int, tested: int, min_after: int) -> int:
    """Where one step in `logs[lo:]` most likely starts: the split with the smallest squared deviations on
    both sides, at least `min_after` runs after it (ties: nearest the split tested)."""
    n = len(logs)
    splits = range(lo + 1, n - min_after + 1)
    return min(splits, key=lambda j: (_ss(logs[lo:j]) + _ss(logs[j:]), abs(j - tested)), default=tested)


def _ss(values: Sequence[float]) -> float:
    mean = statistics.fmean(values)
    return sum((v - mean) ** 2 for v in values)


def level_key(series: Series) -> LevelKey:
    return (series.env or "", series.scenario or "", series.measured or "", series.kind, series.name, series.metric)


def recent_step(
    series: Series, config: HistoryConfig, share: float, changes_at: Sequence[int] = (), prior: Prior | None = None
) -> Change | None:
    """The slower step into the newest runs, if one is significant within the series' `share` of the night's
    budget (`alarm_levels`) and big enough.

    The night's tests (one per k of `step_runs`) share it equally (Bonferroni: at the small levels a
    series gets, tests of neighbouring k are nearly as many independent chances as their count, so
    every k tried costs; `step_runs` tries few: 3, 5 and 10 by default, each the exact split on its
    night). Of the k that pass, the one with the smallest p-value says there is a step; where it starts
    is the least-squares location of one step in the runs it compared (`_step_at`), since the k tried
    need not be the change's own night count.
    `changes_at`: where the series changed before (Otava's change points): the newest k runs are compared
    with the runs since the last change at least `MIN_BEFORE` runs before them, the series' present
    level, so that a step already in the history is not found again a few runs later against the runs
    from before it (a change closer than that to the k runs is taken as their own step: Otava may place
    it a run or two off, and the step found is placed where it is, `_step_at`).
    `prior`: the series' variance prior (`variance_priors`): the test's variance is then the runs' pooled
    variance moderated by it, with the prior's degrees of freedom added (a plain t-test without one).
    """
    from scipy.stats import t as student

    n = len(series.points)
    if n < config.min_runs:
        return None
    logs = [math.log(max(p.value, FLOOR_MS)) for p in series.points]
    windows = []
    for k in (k for k in config.step_runs if config.min_runs_after <= k <= config.recent_runs):
        since = max([c for c in changes_at if c <= n - k - MIN_BEFORE], default=0)
        lo = max(since, n - k - config.window)
        if n - k - lo >= MIN_BEFORE and k <= n:
            windows.append((k, lo, n - k))
    if not windows:
        return None
    level = share / len(windows)
    best: tuple[float, int, int] | None = None
    for _k, lo, hi in windows:
        before, after = logs[lo:hi], logs[hi:]
        mean_before, mean_after = statistics.fmean(before), statistics.fmean(after)
        step, df = mean_after - mean_before, len(before) + len(after) - 2
        variance = (_ss(before) + _ss(after)) / df
        if prior is not None:  # moderated by the kind's prior (`variance_priors`)
            variance, df = (prior.df * prior.variance + df * variance) / (prior.df + df), df + prior.df
        spread = math.sqrt(variance * (1 / len(after) + 1 / len(before)))
        if step < math.log1p(config.min_change_pct / 100.0) - FLOOR_Z * spread:
            continue  # credibly smaller than the minimum change
        # spread 0: two flat segments, the later one at least min_change_pct higher (a test double)
        pvalue = float(student.sf(step / spread, df)) if spread > 0 else 0.0
        if math.isfinite(pvalue) and pvalue < level and (best is None or pvalue < best[0]):
            best = (pvalue, lo, hi)
    if best is None:
        return None
    pvalue, lo, hi = best
    index = _step_at(logs, lo, hi, config.min_runs_after)
    mean_before, mean_after = statistics.fmean(logs[lo:index]), statistics.fmean(logs[index:])
    first = series.points[index]
    return Change(
        env=series.env, scenario=series.scenario, name=series.name, metric=series.metric,
        prefix=first.prefix, started_at=first.started_at, direction="slower",
        change_pct=round((math.exp(mean_after - mean_before) - 1.0) * 100.0, 1),
        kind=series.kind, index=index, runs_since=n - index,
        mean_before=math.exp(mean_before), mean_after=math.exp(mean_after), pvalue=pvalue, alarm_level=level,
        measured=series.measured,
    )  # fmt: skip
