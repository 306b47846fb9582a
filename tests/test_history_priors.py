"""The step test's variance from what the nights' histograms tell (issue 18's power): each night's sampling
noise (`stats.log_variance`), the kind's common night noise and how much that prior is worth
(`recent.variance_priors`), and what it buys and costs (`recent_step` with and without it).

Checked against the quantities themselves on seeded nights: the sampling variance a histogram states
must match the variance of the statistic over many nights; the prior must match the series' real
night-to-night variance; false alarms must stay within the level.
"""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from ops_perf import locust_compat as compat
from ops_perf.history.config import HistoryConfig
from ops_perf.history.recent import alarm_levels, level_key, recent_step, variance_priors
from ops_perf.history.series import Point, Series
from ops_perf.history.stats import center_ms, histogram_metric, log_variance

CONFIG = HistoryConfig(min_change_pct=5.0)


def _hist(times: np.ndarray) -> dict[float, int]:
    out: dict[float, int] = {}
    for t in times.tolist():
        key = compat.bucket_response_time(t)
        out[key] = out.get(key, 0) + 1
    return out


@pytest.mark.parametrize(
    ("metric", "n", "sigma"), [("center_ms", 9, 0.5), ("center_ms", 60, 1.0), ("p95_ms", 600, 0.8)]
)
def test_a_nights_histogram_states_its_own_sampling_noise(metric: str, n: int, sigma: float) -> None:
    rng = np.random.default_rng(n)
    values, stated = [], []
    for _ in range(3000):
        hist = _hist(np.exp(np.log(150.0) + sigma * rng.standard_normal(n)))
        value = center_ms(hist) if metric == "center_ms" else _p95(hist)
        values.append(math.log(value))  # type: ignore[arg-type]
        stated.append(log_variance(metric, hist))
    ratio = statistics.fmean(stated) / statistics.variance(values)
    assert 0.75 < ratio < 1.3, ratio
    assert math.isnan(log_variance(metric, None)) and math.isnan(log_variance("avg_ms", {1.0: 5}))


def _p95(hist: dict[float, int]) -> float:
    from ops_perf.judge.histogram import percentile

    return percentile(hist, 0.95)


def _month(
    rng: np.random.Generator, nights: int, n: int, common_sd: float, slow: dict[int, float] | None = None
) -> list[Series]:
    """64 endpoint series of `center_ms` from `n` requests a night, a common night noise, and the
    aggregate's two series (no histograms behind them here: no sampling variance)."""
    out = []
    medians = np.exp(rng.uniform(math.log(20), math.log(2000), 64))
    sigmas = rng.uniform(0.2, 1.0, 64)
    for e in range(64):
        points = []
        for t in range(nights):
            factor = (slow or {}).get(e, 1.0) if t >= nights - 5 else 1.0
            times = np.exp(np.log(medians[e]) + rng.normal(0, common_sd) + sigmas[e] * rng.standard_normal(n)) * factor
            hist = _hist(times)
            points.append(
                Point(
                    f"r{t}",
                    "stg-nightly",
                    f"{t:04d}",
                    histogram_metric("center_ms", hist) or 0.0,
                    log_variance("center_ms", hist),
                )
            )
        out.append(Series("stg", "nightly", "endpoint", f"/e{e}", "center_ms", tuple(points)))
    for name in ("p50_ms", "p95_ms"):
        values = np.exp(np.log(300) + 0.1 * rng.standard_normal(nights))
        points = [Point(f"r{t}", "stg-nightly", f"{t:04d}", float(v)) for t, v in enumerate(values)]
        out.append(Series("stg", "nightly", "aggregate", "Aggregated", name, tuple(points)))
    return out


def test_the_prior_is_each_series_night_to_night_variance() -> None:
    rng = np.random.default_rng(4)
    month = _month(rng, 25, 12, common_sd=0.08)
    priors = variance_priors(month, CONFIG)
    endpoints = [s for s in month if s.kind == "endpoint"]
    assert {level_key(s) for s in endpoints} == set(priors)  # the aggregate's two series get none
    prior_df = {p.df for p in priors.values()}
    assert len(prior_df) == 1 and prior_df.pop() > 20  # the model fits: the prior is worth many runs
    # each series' prior against its real variance (the same model, 400 more nights of it)
    truth = _month(np.random.default_rng(5), 400, 12, common_sd=0.08)
    ratios = []
    for s, long in zip(endpoints, truth, strict=False):
        real = statistics.variance([math.log(p.value) for p in long.points])
        expected_sampling = statistics.fmean(p.var for p in long.points)
        ratios.append(priors[level_key(s)].variance / (expected_sampling + 0.08**2) if real else 1.0)
    assert 0.7 < statistics.median(ratios) < 1.4


def test_with_the_prior_the_step_test_finds_more_at_the_same_false_alarm_level() -> None:
    rng = np.random.default_rng(6)
    found = {True: 0, False: 0}
    alarms = {True: 0, False: 0}
    for trial in range(12):
        month = _month(rng, 25, 12, common_sd=0.08, slow={trial % 64: 1.5})
        clean = _month(rng, 25, 12, common_sd=0.08)
        for use in (True, False):
            for series, counts in ((month, found), (clean, alarms)):
                levels = alarm_levels(series, CONFIG)
                priors = variance_priors(series, CONFIG) if use else {}
                for s in series:
                    step = recent_step(s, CONFIG, levels[level_key(s)], (), priors.get(level_key(s)))
                    if step is None:
                        continue
                    planted = series is month and s.name == f"/e{trial % 64}" and step.index >= 19
                    if planted or series is clean:
                        counts[use] += 1
    print(f"planted steps found: {found}; clean months' alarms: {alarms}")
    assert found[True] > found[False]  # the prior's degrees of freedom buy power ...
    assert alarms[True] <= 2  # ... and the 12 clean months (the budget: 0.033 each) stay clean
