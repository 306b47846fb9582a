"""The nightly's alarm: the histogram statistic, the newest-runs step test and its shared false-alarm budget.

Series here are made by hand (seeded noise), so each assertion is about the detector, not about a
machine; the e2e test (tests/e2e/test_history_e2e.py) runs the same code on real runs.
"""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from ops_perf.errors import OpsPerfError
from ops_perf.history.config import HistoryConfig, load_history_config
from ops_perf.history.detect import (
    Point,
    Series,
    analyse,
    build_series,
    changes_in,
    changes_of,
    metrics_of_row,
    recent_regressions,
    series_lines,
)
from ops_perf.history.recent import alarm_levels, level_key, recent_step
from ops_perf.history.stats import center_ms, histogram_metric
from ops_perf.history.store import Store, StoredRun

CONFIG = HistoryConfig(min_runs=6, min_runs_after=3, recent_runs=5, min_change_pct=20.0, alarm_rate=0.03)


def _series(values: list[float], kind: str = "endpoint", name: str = "/api/v1/cans/") -> Series:
    points = tuple(Point(f"r{i}", f"n-{i}", f"2026-01-{i + 1:02d}T06:17:00Z", v) for i, v in enumerate(values))
    return Series("stg", "nightly", kind, name, "center_ms", points)


def _noisy(n: int, level: float, seed: int, sd: float = 0.1) -> list[float]:
    rng = random.Random(seed)
    return [level * math.exp(rng.gauss(0, sd)) for _ in range(n)]


# ---- center_ms ---------------------------------------------------------------------------------------


def test_center_is_the_geometric_mean_of_the_middle_requests() -> None:
    assert center_ms({100: 10}) == pytest.approx(100.0)
    # 20 % cut from each end of 10 requests: the two fastest and the two slowest go, whatever they are.
    hist = {1: 2, 100: 3, 400: 3, 60000: 2}
    assert center_ms(hist) == pytest.approx(math.exp((3 * math.log(100) + 3 * math.log(400)) / 6))
    assert center_ms({}) is None and histogram_metric("center_ms", None) is None


def test_center_moves_with_a_multiplied_slowdown_and_is_steadier_than_the_median() -> None:
    rng = np.random.default_rng(3)
    centers, medians = [], []
    for _ in range(400):
        x = np.round(np.exp(np.log(200) + 0.6 * rng.standard_normal(9)))
        keys, counts = np.unique(x.astype(int), return_counts=True)
        centers.append(math.log(center_ms(dict(zip(keys.tolist(), counts.tolist(), strict=True))) or 1))
        medians.append(math.log(float(np.median(x))))
    assert np.std(centers) < 0.9 * np.std(medians)  # ~0.8 expected for 9 log-normal requests
    assert center_ms({150: 5, 300: 5}) == pytest.approx(1.5 * center_ms({100: 5, 200: 5}))  # type: ignore[operator]


# ---- the newest-runs step test -----------------------------------------------------------------------


def test_a_step_into_the_newest_runs_is_found_at_its_first_run() -> None:
    series = _series(_noisy(20, 100.0, 1) + _noisy(3, 150.0, 2))
    change = recent_step(series, CONFIG, 1e-4)
    assert change is not None and (change.index, change.direction, change.runs_since) == (20, "slower", 3)
    assert 35 < change.change_pct < 65 and change.pvalue < 1e-4


def test_noise_a_small_step_one_bad_night_and_a_faster_step_are_not_found() -> None:
    assert recent_step(_series(_noisy(25, 100.0, 3)), CONFIG, 1e-3) is None
    assert recent_step(_series(_noisy(20, 100.0, 4) + _noisy(4, 110.0, 5)), CONFIG, 1e-3) is None  # < 20 %
    assert recent_step(_series([*_noisy(22, 100.0, 6), 400.0]), CONFIG, 1e-3) is None  # one night only
    assert recent_step(_series(_noisy(20, 150.0, 7) + _noisy(4, 100.0, 8)), CONFIG, 0.5) is None  # faster


def test_the_level_decides_a_borderline_step() -> None:
    series = _series(_noisy(20, 100.0, 9, sd=0.25) + _noisy(4, 150.0, 10, sd=0.25))
    found = recent_step(series, CONFIG, 0.05)
    assert found is not None  # clear at 5 % ...
    assert recent_step(series, CONFIG, found.pvalue / 2) is None  # ... not below its own p-value


def test_the_nights_budget_is_shared_by_kind_then_by_series_and_k() -> None:
    endpoints = [_series([1.0] * 6, name=f"/e{i}") for i in range(60)]
    aggregate = [_series([1.0] * 6, kind="aggregate", name="Aggregated")]
    levels = alarm_levels(endpoints + aggregate, CONFIG)
    assert levels[level_key(aggregate[0])] == pytest.approx(0.03 / 2 / 1)
    assert levels[level_key(endpoints[0])] == pytest.approx(0.03 / 2 / 60)
    assert sum(levels.values()) == pytest.approx(0.03)  # Bonferroni: the whole budget, no more
    # ... and each series' share by the night's tests, one per k of step_runs:
    step = recent_step(_series(_noisy(30, 100.0, 5) + _noisy(10, 300.0, 6)), CONFIG, 0.03)
    assert step is not None and step.alarm_level == pytest.approx(0.03 / 2)  # k = 3 and 5 (CONFIG's recent_runs: 5)
    assert step.index == 30  # where the step is, though neither k tried is its 10 nights


def test_only_the_step_test_fails_the_nightly_and_a_step_is_listed_once() -> None:
    level = 1e-4
    step = _series(_noisy(20, 100.0, 11) + _noisy(4, 200.0, 12))
    changes = changes_of(step, CONFIG, level)
    assert [(c.index, c.direction) for c in changes] == [(20, "slower")]  # Otava's split replaced, not doubled
    assert recent_regressions(changes, CONFIG) == changes
    assert changes[0].alarm_level == pytest.approx(level / 2)  # two tests: k = 3 and 5 (CONFIG's recent_runs: 5)
    # An old change found by Otava is history: listed, never an alarm (its p-value follows its own split).
    old = _series(_noisy(10, 100.0, 13) + _noisy(15, 200.0, 14))
    history = changes_of(old, CONFIG, level)
    assert [(c.index, c.direction) for c in history] == [(10, "slower")]
    assert recent_regressions(history, CONFIG) == []
    assert changes_in(old, CONFIG)[0].alarm_level == 1.0  # Otava alone: no budget applied


def test_analyse_applies_one_budget_to_all_series_together() -> None:
    noisy = [_series(_noisy(25, 100.0, 20 + i, sd=0.3), name=f"/e{i}") for i in range(40)]
    slowed = _series(_noisy(21, 100.0, 99) + _noisy(4, 250.0, 98), name="/slow")
    changes = analyse([*noisy, slowed], CONFIG)
    assert [c.name for c in recent_regressions(changes, CONFIG)] == ["/slow"]


def test_alarm_rate_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[history]\nalarm_rate = 0.01\nendpoint_metrics = ["center_ms"]\n')
    config = load_history_config(path)
    assert (config.alarm_rate, config.endpoint_metrics) == (0.01, ("center_ms",))
    path.write_text("[history]\nalarm_rate = 1.5\n")
    with pytest.raises(OpsPerfError, match="alarm_rate must be between 0 and 1"):
        load_history_config(path)


# ---- series from the store -----------------------------------------------------------------------------


def _stored(i: int, hist: dict[int, int] | None, p50: float) -> StoredRun:
    run_id = f"run{i:02d}"
    requests = sum(hist.values()) if hist else 10
    run = {
        "run_id": run_id, "prefix": "stg-nightly", "source": "/x", "env": "stg", "scenario": "nightly",
        "started_at": f"2026-01-{i + 1:02d}T06:17:00.000000Z", "started_inferred": False, "valid": True,
        "requests": requests, "failures": 0, "imported_at": "2026-02-01T00:00:00Z", "record": "{}",
    }  # fmt: skip
    row = {"method": "GET", "name": "/api/v1/cans/", "kind": "endpoint", "requests": requests, "failures": 0,
           "p50_ms": p50, "percentiles": "{}"}  # fmt: skip
    stored = StoredRun(run=run, rows=[row])
    if hist is not None:
        stored.histograms = [{"method": "GET", "name": "/api/v1/cans/", "buckets": json.dumps(hist)}]
    return stored


def test_center_series_come_from_the_stored_histograms(tmp_path: Path) -> None:
    config = HistoryConfig(endpoint_metrics=("center_ms", "p50_ms"), aggregate_metrics=(), min_requests=5)
    with Store(f"sqlite:///{tmp_path / 'h.sqlite'}") as store:
        store.add(_stored(0, {100: 4, 300: 4}, 100.0))
        store.add(_stored(1, None, 120.0))  # a CSV-only run: a p50 point, no center point
        store.add(_stored(2, {200: 10}, 200.0))
        by_metric = {s.metric: s for s in build_series(store, config, "stg", "nightly")}
    center = [round(p.value, 1) for p in by_metric["center_ms"].points]
    assert center == [round(math.sqrt(100 * 300), 1), 200.0]
    assert [p.value for p in by_metric["p50_ms"].points] == [100.0, 120.0, 200.0]


def test_runs_without_histograms_give_a_stand_in_series_of_their_own(tmp_path: Path) -> None:
    """Plain Locust's runs (no <prefix>.json) used to give no endpoint point at all under `center_ms`: they
    give `p50_ms` instead, a series of its own that says why; runs with histograms keep `center_ms`."""
    config = HistoryConfig(endpoint_metrics=("center_ms",), aggregate_metrics=(), min_requests=5)
    with Store(f"sqlite:///{tmp_path / 'h.sqlite'}") as store:
        for i in range(3):
            store.add(_stored(i, None, 100.0 + i))  # plain nights first
        for i in range(3, 5):
            store.add(_stored(i, {150: 8}, 150.0))  # then the suite's
        series = build_series(store, config, "stg", "nightly")
        precisions = {r["run_id"]: r["percentile_precision"] for r in store.runs()}
    by_metric = {s.metric: s for s in series}
    assert sorted(by_metric) == ["center_ms", "p50_ms"]  # never one series mixing the two
    assert [p.value for p in by_metric["p50_ms"].points] == [100.0, 101.0, 102.0]
    assert [round(p.value, 6) for p in by_metric["center_ms"].points] == [150.0, 150.0]
    assert "in place of center_ms" in by_metric["p50_ms"].why and "without a histogram" in by_metric["p50_ms"].why
    assert "from the stored histograms" in by_metric["center_ms"].why
    lines = series_lines(series, precisions)
    assert any(line.startswith("endpoint p50_ms (1 series over 3 runs): in place of center_ms") for line in lines)
    assert any(line.startswith("endpoint center_ms (1 series over 2 runs)") for line in lines)
    assert metrics_of_row(("center_ms", "p50_ms"), has_histogram=False) == ["p50_ms"]  # the cell once


def _month(seed: int, slow_at: int | None = None, series_count: int = 64, nights: int = 30) -> list[Series]:
    """A month of a nightly's series: the aggregate's two and `series_count` endpoints, log-normal night noise
    (sd 0.15, an endpoint's median of ~9 requests), the first endpoint 2x from night `slow_at` (1-based)."""
    rng = random.Random(seed)
    out = []
    for kind, names in (
        ("aggregate", ["Aggregated", "Aggregated95"]),
        ("endpoint", [f"/e{i}" for i in range(series_count)]),
    ):
        for j, name in enumerate(names):
            level = rng.uniform(20, 2000)
            values = [
                level
                * math.exp(rng.gauss(0, 0.15))
                * (2.0 if kind == "endpoint" and j == 0 and slow_at and n >= slow_at else 1.0)
                for n in range(1, nights + 1)
            ]
            points = tuple(
                Point(f"r{n}", "stg-nightly", f"2026-01-{n:02d}T06:17:00Z", v) for n, v in enumerate(values, 1)
            )
            out.append(Series("stg", "nightly", kind, name, "p50_ms", points))
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_clean_month_lists_no_change_point(seed: int) -> None:
    """Otava's p-values are those of its best split: at max_pvalue 0.001 alone a clean month of 66 series
    listed 1-2 change points. Held to each series' share of the budget over its split positions: none."""
    config = load_history_config()
    assert analyse(_month(seed), config) == []


def test_a_step_of_the_history_is_listed_once_and_never_alarms_again() -> None:
    """A 2x step from night 21: one change at night 21 and nothing at 26 (the step test used to compare
    nights 26-30 with nights 1-25, half of them already slow, and flag a second step there); 12 nights
    on, beyond `recent_runs`, it is history and no longer fails the night."""
    config = load_history_config()
    month = _month(4, slow_at=21, nights=32)
    slowed = month[2]
    (change,) = analyse(month, config)
    assert (change.name, change.direction) == (slowed.name, "slower") and abs(change.index - 20) <= 1
    assert recent_regressions([change], config) == []  # 10 nights ago: the history, not tonight's alarm
    for night in range(24, 33):  # and no night after raises another one
        shorter = [Series(s.env, s.scenario, s.kind, s.name, s.metric, s.points[:night]) for s in month]
        assert [c.index for c in analyse(shorter, config)] == [change.index], night


def test_step_runs_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text("[history]\nstep_runs = [10, 3]\n")
    assert load_history_config(path).step_runs == (3, 10)
    for bad, words in (("[2, 5]", "must lie within"), ("[]", "list of whole numbers"), ('["3"]', "list of whole")):
        path.write_text(f"[history]\nstep_runs = {bad}\n")
        with pytest.raises(OpsPerfError, match=words):
            load_history_config(path)


def test_the_minimum_change_holds_for_a_step_credibly_smaller_not_for_a_noisy_estimate() -> None:
    """min_change_pct (20 %) used to drop every step estimated below it: a true 25 % step of a noisy series
    is estimated under 20 % one night in four. Now only a step credibly smaller than 20 % is dropped."""
    config = HistoryConfig(min_runs=6, min_runs_after=3, recent_runs=10, min_change_pct=20.0, alarm_rate=0.03)
    precise = _series(_noisy(30, 100.0, 31, sd=0.01) + _noisy(5, 112.0, 32, sd=0.01))  # 12 %, p ~ 0
    assert recent_step(precise, config, 0.03) is None  # certain, and certainly below 20 %
    noisy = _series(_noisy(30, 100.0, 33, sd=0.06) + _noisy(10, 118.0, 34, sd=0.06))
    found = recent_step(noisy, config, 0.03)
    assert found is not None and 10 < found.change_pct < 20  # below 20 % as estimated, not credibly so


def test_a_simulators_runs_are_series_of_their_own_by_profile_and_scale(tmp_path: Path) -> None:
    """Issue 15: the healthy demo and a replay of the prod profile at 1/20 of real time share env and
    scenario; in one series the replay's 1,000 ms read as the healthy demo's trend. Kept apart, each is
    steady: no change point, and the report's Trends of a healthy run see healthy runs only."""
    from ops_perf.history.trend import trends_for_report

    config = HistoryConfig(endpoint_metrics=("p50_ms",), aggregate_metrics=(), min_requests=5)
    with Store(f"sqlite:///{tmp_path / 'h.sqlite'}") as store:
        for i in range(12):
            stored = _stored(i, None, 1000.0 + i if i % 2 else 7.0 + i / 10)
            replay = i % 2 == 1
            stored.run |= {
                "sim_profile": "prod-2025-10-15" if replay else "healthy",
                "sim_time_scale": 0.05 if replay else None,
            }
            store.add(stored)
        series = build_series(store, config, "stg", "nightly")
        changes = analyse(series, config)
        healthy = trends_for_report(store, config, "stg", "nightly", tmp_path / "charts", "simulator healthy")
    assert {s.measured: len(s.points) for s in series} == {
        "simulator healthy": 6,
        "simulator prod-2025-10-15 at time scale 0.05": 6,
    }
    assert changes == []
    assert healthy is not None and healthy.runs == 6
    assert {t.series.measured for t in healthy.trends} == {"simulator healthy"}
    assert all(p.value < 10 for t in healthy.trends for p in t.series.points)
