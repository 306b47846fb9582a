"""What `detect` says the nightly can see: the smallest slower step found within `recent_runs` nights nine
times in ten, at a store's own noise (ops_perf/history/sensitivity.py).

The figure is checked against the detector itself: steps of the printed size, planted into seeded
series with the same noise, must be found by the production step test (`recent_step`) about 90 % of
the time, and smaller ones less often.
"""

from __future__ import annotations

import math
import random

import pytest

from ops_perf.history.config import HistoryConfig
from ops_perf.history.recent import alarm_levels, level_key, recent_step
from ops_perf.history.sensitivity import POWER, sensitivities, sensitivity_lines, smallest_step, spread_of
from ops_perf.history.series import Point, Series

CONFIG = HistoryConfig(min_change_pct=5.0)
"""A low floor, so that the figure is the noise's and not `min_change_pct`'s."""
SD = 0.15


def _series(values: list[float], kind: str = "endpoint", name: str = "/e") -> Series:
    points = tuple(Point(f"r{i}", "stg-nightly", f"2026-01-01T{i:04d}", v) for i, v in enumerate(values))
    return Series("stg", "nightly", kind, name, "center_ms", points)


def _clean(rng: random.Random, n: int, sd: float = SD) -> list[float]:
    return [200.0 * math.exp(rng.gauss(0.0, sd)) for _ in range(n)]


def test_the_spread_is_the_night_noise_and_ignores_a_past_step() -> None:
    rng = random.Random(1)
    clean = _clean(rng, 400)
    assert spread_of(clean) == pytest.approx(SD, rel=0.15)
    stepped = clean[:200] + [2 * v for v in clean[200:]]  # one 2x step: a single large difference
    assert spread_of(stepped) == pytest.approx(spread_of(clean), rel=0.05)


def test_a_step_of_the_printed_size_is_found_about_nine_times_in_ten() -> None:
    rng = random.Random(2)
    family = [_series(_clean(rng, 30), name=f"/e{i}") for i in range(64)]
    level = alarm_levels(family, CONFIG)[level_key(family[0])]
    size = smallest_step(SD, before=30, nights=CONFIG.recent_runs, level=level, config=CONFIG)
    assert 20 < size < 60  # sd 0.15, 5 nights against 30, one series of 64: a step of a few tens of %

    def found(pct: float, trials: int = 300) -> float:
        hits = 0
        for _ in range(trials):
            before = _clean(rng, 30)
            after = [v * (1 + pct / 100) for v in _clean(rng, CONFIG.recent_runs)]
            hits += recent_step(_series(before + after), CONFIG, level) is not None
        return hits / trials

    assert 0.8 <= found(size) <= 0.99  # ~POWER (k = 3 and 4 are tried too: a little more)
    assert found(size / 2) < 0.5
    assert POWER == 0.9


def test_detect_prints_one_line_per_kind() -> None:
    rng = random.Random(3)
    series = [_series(_clean(rng, 30), kind="aggregate", name="Aggregated")]
    series += [_series(_clean(rng, 30, sd=0.05 + 0.01 * i), name=f"/e{i}") for i in range(10)]
    series += [_series(_clean(rng, 4), name="/short")]  # too few runs: no figure
    found = sensitivities(series, CONFIG)
    assert len(found) == 11 and all(f.series.name != "/short" for f in found)
    by_name = {f.series.name: f.smallest_pct for f in found}
    assert by_name["/e9"] > by_name["/e0"]  # the noisier series needs the larger step
    lines = sensitivity_lines(series, CONFIG)
    assert [line.split(":")[0] for line in lines] == ["aggregate", "endpoint"]
    assert "over 10 series" in lines[1]
