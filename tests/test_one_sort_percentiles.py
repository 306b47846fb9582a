"""Locust's stats CSV rows with one sort per histogram (`compat.install_one_sort_percentiles`): every cell
is the one Locust's own code writes, for the stats CSV's rows and for the `--csv-full-history` rows
(the ~10 s window), with the suite's buckets and with Locust's; and a row really sorts once.

Locust's own `_percentile_fields`, called outside a row, is the yardstick: it then runs Locust's own
`calculate_response_time_percentile` and `diff_response_time_dicts` (the installed ones pass through).
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import locust.stats
import pytest
from locust.env import Environment
from locust.event import Events
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nights_helpers import bucketing

from ops_perf import locust_compat as compat

compat.install_one_sort_percentiles()


def locusts_cells(writer: StatsCSV, entry: Any, use_current: bool = False) -> list[Any]:
    return compat.LOCUST_PERCENTILE_FIELDS(writer, entry, use_current)


def random_times(rng: random.Random, n: int) -> list[float | None]:
    """Response times from 0 to seconds, clustered and spread, with repeats and now and then no time."""
    shape = rng.choice(["tight", "wide", "repeats"])
    times: list[float | None] = []
    for _ in range(n):
        if rng.random() < 0.02:
            times.append(None)  # a request logged without a time (counted apart since Locust 2.44)
        elif shape == "tight":
            times.append(rng.gauss(20, 2))
        elif shape == "wide":
            times.append(rng.lognormvariate(4, 1.5))
        else:
            times.append(float(rng.choice([0, 1, 7, 150, 3432])))
    return [t if t is None else max(t, 0.0) for t in times]


def test_a_locust_process_has_them_from_the_plugin() -> None:
    """In a fresh process, importing the plugin's precision module (as locustfile.py's hooks do) puts
    the three functions in Locust's place; before it, Locust's own are there."""
    code = (
        "import locust.stats\n"
        "from locust.stats import StatsCSV\n"
        "before = (locust.stats.calculate_response_time_percentile, locust.stats.diff_response_time_dicts,"
        " StatsCSV._percentile_fields)\n"
        "import ops_perf.plugin.precision\n"
        "from ops_perf import locust_compat as c\n"
        "assert before == (c.LOCUST_PERCENTILE, c.LOCUST_DIFF, c.LOCUST_PERCENTILE_FIELDS)\n"
        "after = (locust.stats.calculate_response_time_percentile, locust.stats.diff_response_time_dicts,"
        " StatsCSV._percentile_fields)\n"
        "assert after == (c._percentile, c._diff, c._percentile_fields), after\n"
    )
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.mark.parametrize("plain", [False, True], ids=["suite buckets", "locust buckets"])
def test_a_rows_cells_are_locusts_own(plain: bool) -> None:
    rng = random.Random(18)
    with bucketing(plain=plain):
        for trial in range(300):
            env = Environment(events=Events())
            for t in random_times(rng, rng.choice([1, 2, 3, 10, 57, 400, 3000])):
                env.stats.log_request("GET", f"/e{trial % 3}", t, 0)
            writer = StatsCSV(env, PERCENTILES_TO_REPORT)
            for entry in [*env.stats.entries.values(), env.stats.total]:
                assert writer._percentile_fields(entry) == locusts_cells(writer, entry), trial
            # the final writer's cells (its keys, not truncated) from one sort too
            precise = compat.PreciseStatsCSV(env, [0.5, 0.9, 0.95, 0.99, 1.0])
            for entry in env.stats.entries.values():
                with_row = precise._percentile_fields(entry)
                by_locust = [
                    compat._cell(entry.get_response_time_percentile(q) or 0) for q in precise.percentiles_to_report
                ]
                assert with_row == by_locust, trial


def test_any_percent_from_one_walk_is_locusts() -> None:
    """The rule itself, on histograms Locust's code never builds too: counts that do not add up to the
    number of requests, keys of 0, one key, none, a count below 0."""
    rng = random.Random(7)
    percents = [0.0, 0.001, 0.1, 0.5, 0.5, 0.66, 0.9, 0.95, 0.99, 0.999, 0.9999, 1.0]
    for _ in range(3000):
        histogram = {rng.choice([0, rng.randint(1, 60), round(rng.random() * 99, 2)]): rng.randint(1, 6)
                     for _ in range(rng.randint(0, 25))}  # fmt: skip
        if histogram and rng.random() < 0.1:
            histogram[rng.choice(list(histogram))] = -rng.randint(1, 3)
        total = sum(histogram.values())
        for num in {total, total + rng.randint(1, 4), max(total - rng.randint(1, 4), 0), 0}:
            with compat.one_sort_per_histogram():
                ours = [locust.stats.calculate_response_time_percentile(histogram, num, p) for p in percents]
            assert ours == [compat.LOCUST_PERCENTILE(histogram, num, p) for p in percents], (histogram, num)
        with compat.one_sort_per_histogram():  # one histogram under several counts within one row
            ours = [locust.stats.calculate_response_time_percentile(histogram, n, 0.9) for n in (total, total + 5, 1)]
        assert ours == [compat.LOCUST_PERCENTILE(histogram, n, 0.9) for n in (total, total + 5, 1)], histogram


def test_another_thread_inside_a_row_gets_locusts_own() -> None:
    """A row is its opener's: a thread computing percentiles meanwhile is not served from its cache."""
    histogram = {10.0: 5, 20.0: 5}
    seen: list[float] = []
    with compat.one_sort_per_histogram():
        assert locust.stats.calculate_response_time_percentile(histogram, 10, 0.5) == 20.0
        histogram[30.0] = 90  # (changed inside the row: only another thread would do this)
        other = threading.Thread(
            target=lambda: seen.append(locust.stats.calculate_response_time_percentile(histogram, 10, 0.5))
        )
        other.start()
        other.join()
    assert seen == [compat.LOCUST_PERCENTILE(histogram, 10, 0.5)] == [30.0]


class CountedHistogram(dict):  # type: ignore[type-arg]
    """A histogram that counts how often it is read whole (each sort reads it whole)."""

    reads = 0

    def keys(self) -> Any:
        CountedHistogram.reads += 1
        return super().keys()

    def __iter__(self) -> Any:
        CountedHistogram.reads += 1
        return super().__iter__()


def test_a_row_sorts_its_histogram_once_where_locust_sorts_it_per_percentile(monkeypatch: pytest.MonkeyPatch) -> None:
    """The stats CSV's row: one sort instead of 11; the history row (`--csv-full-history`): one diff of the
    histogram (which reads it whole) instead of 11."""
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(locust.stats, "time", SimpleNamespace(time=clock.time))
    env = Environment(events=Events())
    for second in range(12):
        clock.now = 1_800_000_000.0 + second
        for t in random_times(random.Random(second), 50):
            env.stats.log_request("GET", "/x", t if t is not None else 5.0, 0)
    clock.now += 1
    entry = env.stats.entries[("/x", "GET")]
    entry.response_times = CountedHistogram(entry.response_times)
    writer = StatsCSV(env, PERCENTILES_TO_REPORT)
    for use_current in (False, True):
        CountedHistogram.reads = 0
        cells = writer._percentile_fields(entry, use_current=use_current)
        assert CountedHistogram.reads == 1, use_current
        CountedHistogram.reads = 0
        assert locusts_cells(writer, entry, use_current=use_current) == cells
        assert CountedHistogram.reads == len(PERCENTILES_TO_REPORT), use_current
        assert any(cells)


class Clock:
    """`locust.stats`'s clock, moved by the test (Locust's `time.time()` there reads it)."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.mark.parametrize("plain", [False, True], ids=["suite buckets", "locust buckets"])
def test_the_history_rows_window_is_locusts_own(plain: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """`--csv-full-history` rows: the last ~10 s (Locust's cached histogram of about 10 s ago, diffed),
    second by second, with gaps in the cache and before there is anything to diff with."""
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(locust.stats, "time", SimpleNamespace(time=clock.time))
    rng = random.Random(12)
    with bucketing(plain=plain):
        env = Environment(events=Events())
        env.stats.use_response_times_cache = True
        for entry in [env.stats.total]:
            entry.use_response_times_cache = True
        writer = StatsCSV(env, PERCENTILES_TO_REPORT)
        compared = windows = 0
        for second in range(40):
            quiet = 12 <= second < 16  # a gap: no requests, no cached histograms for these seconds
            for t in [] if quiet else random_times(rng, rng.randint(5, 80)):
                clock.now += 0.9 / 80
                env.stats.log_request("GET", f"/e{rng.randint(0, 2)}", t, 0)
            clock.now = 1_800_000_000.0 + second + 1
            for entry in [*env.stats.entries.values(), env.stats.total]:
                ours = writer._percentile_fields(entry, use_current=True)
                assert ours == locusts_cells(writer, entry, use_current=True), (second, entry.name)
                compared += 1
                windows += any(ours)
        assert compared > 100 and windows > 50  # most rows had a window to take percentiles of


class TickingClock(Clock):
    """A clock that moves on at every reading, across seconds: Locust reads it once per percentile, so
    one history row can take its 11 percentiles over windows of different seconds."""

    def __init__(self, now: float, step: float) -> None:
        super().__init__(now)
        self.step = step

    def time(self) -> float:
        self.now += self.step
        return self.now


@pytest.mark.parametrize("step", [0.3, 0.7, 1.5])
def test_a_history_row_read_across_seconds_is_locusts_own(step: float, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each of the row's percentiles then diffs with another cached histogram: each pair is its own diff."""
    clock = Clock(1_800_000_000.0)
    monkeypatch.setattr(locust.stats, "time", SimpleNamespace(time=clock.time))
    rng = random.Random(int(step * 10))
    env = Environment(events=Events())
    for second in range(30):
        clock.now = 1_800_000_000.0 + second
        for t in random_times(rng, 40 + 30 * (second % 4)):
            env.stats.log_request("GET", "/x", t, 0)
    entry = env.stats.entries[("/x", "GET")]
    writer = StatsCSV(env, PERCENTILES_TO_REPORT)
    differed = 0
    for start in range(16):
        moving = TickingClock(1_800_000_000.0 + 18 + start * 0.25, step)
        monkeypatch.setattr(locust.stats, "time", SimpleNamespace(time=moving.time))
        ours = writer._percentile_fields(entry, use_current=True)
        moving.now = 1_800_000_000.0 + 18 + start * 0.25  # Locust's own, reading the very same clock times
        locusts = locusts_cells(writer, entry, use_current=True)
        assert ours == locusts, (step, start)
        moving.now = 1_800_000_000.0 + 18 + start * 0.25
        frozen = Clock(moving.now + step)
        monkeypatch.setattr(locust.stats, "time", SimpleNamespace(time=frozen.time))
        differed += locusts_cells(writer, entry, use_current=True) != locusts
    assert differed, "the clock never moved the window within a row: the case is not exercised"
