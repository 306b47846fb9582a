"""Percentiles within 1 % (issue 18): the suite's buckets, inside real Locust stats, through the writers and
every reader of the keys; runs with Locust's default keys read as they are.

The end-to-end proof (a real run's cells against every response time it measured, one process and
master + 2 workers) is tests/e2e/test_precision_e2e.py; here each piece on its own, with seeded samples.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import sys
from pathlib import Path

import locust.stats
import pytest
from locust.env import Environment
from locust.event import Events
from locust.rpc.protocol import Message

sys.path.insert(0, str(Path(__file__).resolve().parent))

from nights_helpers import bucketing

from ops_perf import locust_compat as compat
from ops_perf.judge.histogram import percentile
from ops_perf.runfiles.histograms import key_text, merge, parse_histograms
from ops_perf.runfiles.precision import LOCUST_DEFAULT, PRECISE, precision_of

QUANTILES = (0.5, 0.95, 0.99)
CASES = {
    "fast 2-20 ms": (6.0, 0.5),
    "sim ~20 ms": (20.0, 0.6),
    "api ~150 ms": (150.0, 0.7),
    "slow 1-30 s": (3000.0, 0.9),
}
"""Log-normal response times (median ms, sigma of the log) covering what OPS and the simulator answer."""


def exact(ordered: list[float], q: float) -> float:
    """The percentile of the raw times by Locust's rank rule (`calculate_response_time_percentile`)."""
    return ordered[min(int(len(ordered) * q), len(ordered) - 1)]


def samples(median: float, sigma: float, n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [median * math.exp(rng.gauss(0.0, sigma)) for _ in range(n)]


def test_every_time_is_within_one_percent_of_its_key() -> None:
    worst, x = 0.0, 0.002
    previous = 0.0
    while x < 3_600_000:  # 2 us to an hour, 0.02 % apart
        key = compat.bucket_response_time(x)
        assert key >= previous  # monotone: a bucket never holds a time above a later bucket's
        worst, previous, x = max(worst, abs(key - x) / x), key, x * 1.0002
    assert worst < 0.01
    assert compat.bucket_response_time(0) == 0 and compat.bucket_response_time(0.0004) == compat.BUCKET_FLOOR_MS


def test_locust_default_is_coarser_than_one_percent() -> None:
    """Why the suite replaces it: Locust's own keys are up to ~5 % off (whole ms below 100 ms)."""
    assert compat.LOCUST_BUCKETING is not None
    assert abs(compat.LOCUST_BUCKETING(147.0) - 147.0) / 147.0 > 0.02
    assert abs(compat.LOCUST_BUCKETING(13.6) - 13.6) / 13.6 > 0.02


@pytest.mark.parametrize("case", list(CASES))
def test_locusts_own_percentiles_are_within_one_percent_on_one_process_and_merged(case: str) -> None:
    """Real `RequestStats` with the suite's buckets: Locust's own p50/p95/p99, on one process and on a
    master merging 3 workers' reports through Locust's listeners and its msgpack messages."""
    median, sigma = CASES[case]
    values = samples(median, sigma, 20_000, seed=len(case))
    ordered = sorted(values)
    with bucketing(plain=False):
        single = locust.stats.RequestStats(use_response_times_cache=False)
        for v in values:
            single.log_request("GET", "/x", v, 0)
        master_events, master = Events(), locust.stats.RequestStats()
        locust.stats.setup_distributed_stats_event_listeners(master_events, master)
        for w in range(3):
            events, stats = Events(), locust.stats.RequestStats(use_response_times_cache=False)
            locust.stats.setup_distributed_stats_event_listeners(events, stats)
            for v in values[w::3]:
                stats.log_request("GET", "/x", v, 0)
            data: dict[str, object] = {}
            events.report_to_master.fire(client_id=f"w{w}", data=data)
            wire = Message.unserialize(Message("stats", data, f"w{w}").serialize())
            master_events.worker_report.fire(client_id=wire.node_id, data=wire.data)
    for entry in (single.get("/x", "GET"), master.get("/x", "GET")):
        assert entry.num_requests == len(values)
        for q in QUANTILES:
            truth = exact(ordered, q)
            assert abs(entry.get_response_time_percentile(q) - truth) / truth < 0.01, (case, q)
    assert master.get("/x", "GET").response_times == single.get("/x", "GET").response_times


def test_install_and_what_a_process_reports() -> None:
    with bucketing(plain=True):
        assert compat.precision() == LOCUST_DEFAULT
    with bucketing(plain=False):
        assert compat.precision() == PRECISE
        assert locust.stats.bucket_response_time is compat.bucket_response_time


def _csv_row(entries: list[float], writer_class: type) -> dict[str, str]:
    env = Environment(events=Events())
    for v in entries:
        env.stats.log_request("GET", "/x", v, 0)
    out = io.StringIO()
    writer_class(env, locust.stats.PERCENTILES_TO_REPORT).requests_csv(csv.writer(out))
    return next(csv.DictReader(io.StringIO(out.getvalue())))


def test_the_final_csv_writes_the_keys_where_locust_truncates_them() -> None:
    values = samples(13.0, 0.4, 5000, seed=3)
    truth = exact(sorted(values), 0.95)
    with bucketing(plain=False):
        precise = _csv_row(values, compat.PreciseStatsCSV)
        locusts = _csv_row(values, locust.stats.StatsCSV)
    assert abs(float(precise["95%"]) - truth) / truth < 0.01
    assert float(locusts["95%"]).is_integer()  # Locust's own cell: int() of the same key
    assert float(precise["95%"]) != float(locusts["95%"])
    with bucketing(plain=True):  # Locust's whole-ms keys are still written as whole numbers
        assert _csv_row([147.0, 152.0, 3432.0], compat.PreciseStatsCSV)["50%"] == "150"


def test_float_keys_are_read_as_floats_and_old_int_keys_as_they_were(tmp_path: Path) -> None:
    path = tmp_path / "run.json"
    entries = [
        {"name": "/a", "method": "GET", "response_times": {"19.87": 3, "20.25": 1}},
        {"name": "/b", "method": "GET", "response_times": {"150": 2, "3400": 1}},
    ]
    path.write_text(json.dumps(entries), encoding="utf-8")
    hists = parse_histograms(path)
    assert hists == {"/a": {19.87: 3, 20.25: 1}, "/b": {150.0: 2, 3400.0: 1}}  # labels: GET is the default
    assert percentile(hists["/a"], 0.5) == 19.87  # not 19: no int() anywhere on the way
    assert merge(hists.values())[19.87] == 3
    assert [key_text(k) for k in (19.87, 150.0, 0.001)] == ["19.87", "150", "0.001"]


def test_a_run_json_without_the_key_has_locusts_default() -> None:
    assert precision_of({}) == LOCUST_DEFAULT
    assert precision_of({"percentile_precision": "1%"}) == PRECISE
    assert precision_of({"percentile_precision": "nonsense"}) == LOCUST_DEFAULT


def test_run_json_records_the_workers_precision_under_a_master() -> None:
    """A master only merges: its run records the coarsest precision its workers said in their hello."""
    from ops_perf.plugin.run_record import percentile_precision
    from ops_perf.users.state import RunState

    state = RunState()
    with bucketing(plain=False):
        assert percentile_precision(state) == PRECISE  # no workers: this process's own buckets
        state.worker_precisions = {"w1": PRECISE, "w2": PRECISE}
        assert percentile_precision(state) == PRECISE
        state.worker_precisions["w3"] = ""  # a worker of an older suite says nothing: Locust's default
        assert percentile_precision(state) == LOCUST_DEFAULT
    with bucketing(plain=True):
        assert percentile_precision(RunState()) == LOCUST_DEFAULT


def test_the_report_says_each_runs_precision_and_prints_what_it_holds(tmp_path: Path) -> None:
    """A run of the suite's buckets and one of Locust's default: the report names each one's precision,
    and a figure below 1,000 ms keeps its digits (13.65 ms printed as 13.65, not 14: 2.6 % off)."""
    from test_verdict import Sample, write_run

    from ops_perf.report import write_report
    from ops_perf.report.render import fmt_ms

    fast = {"/api/v1/cans/": Sample([13.2] * 20 + [13.65] * 20 + [14.1])}  # median 13.65: a key, not min or max
    with bucketing(plain=False):
        precise = write_run(tmp_path / "a", "local-smoke", fast, extra={"percentile_precision": PRECISE})
    default = write_run(tmp_path / "b", "local-baseline", {"/api/v1/cans/": Sample([147.0] * 40)})
    text = write_report([precise, default], tmp_path / "out").read_text(encoding="utf-8")
    assert "local-smoke within 1 % (the suite's log-spaced buckets)" in text
    assert "local-baseline Locust's default rounding (about two significant digits: up to ~5 % off)" in text
    assert f"| {compat.bucket_response_time(13.65)} |" in text  # the median cell of the precise run: its key
    assert [fmt_ms(v) for v in (13.65, 150.0, 1234.5, 147.34, 4.2372, 0.5, None)] == [
        "13.65", "150", "1235", "147.3", "4.237", "0.5000", "n/a",
    ]  # fmt: skip


def test_compare_notes_runs_of_different_precision(tmp_path: Path) -> None:
    from test_verdict import Sample, write_run

    from ops_perf.runfiles.load import open_runs
    from ops_perf.verdict.compare.comparability import noted_differences

    times = {"/api/v1/cans/": Sample([150.0] * 40)}
    old = write_run(tmp_path / "a", "local-smoke", times)
    new = write_run(tmp_path / "b", "local-smoke", times, extra={"percentile_precision": PRECISE})
    baseline, candidate = open_runs([old, new])
    (note,) = [n for n in noted_differences([baseline], candidate) if n.startswith("percentile precision")]
    assert "candidate within 1 %" in note and "Locust's default" in note
    assert not [n for n in noted_differences([candidate], candidate) if n.startswith("percentile precision")]


def test_the_final_median_is_the_50_percent_rule_on_every_locust() -> None:
    """Locust before 2.46 writes the lower middle of an even count as the Median; the suite's final CSV
    writes the 50 % percentile (the upper middle, kept within min and max) on every supported Locust."""
    values = [10.0, 20.0, 30.0, 40.0]  # even: lower middle 20, Locust's 50 % rule sorted[int(4 * 0.5)] = 30
    with bucketing(plain=False):
        row = _csv_row(values, compat.PreciseStatsCSV)
    assert float(row["Median Response Time"]) == float(row["50%"]) == compat.bucket_response_time(30.0)
