"""The judge's causes of slowness, rule by rule, at their borders (the end-to-end proofs are in
tests/e2e/test_diagnose_e2e.py and tests/e2e/test_why_e2e.py, against planted causes)."""

from __future__ import annotations

import math
import random

import pytest

from ops_perf.judge.causes import (
    RULES,
    concurrency,
    endpoint_verdict,
    health_slow,
    page_size_rows,
    pool_verdict,
    record_causes,
)
from ops_perf.judge.fit import least_squares
from ops_perf.runfiles.diagnosis_json import Database, EndpointProbes, Level, Sample, parse_diagnosis
from ops_perf.runfiles.records_json import NameRecords, Records, RecordStats
from ops_perf.runfiles.server_json import HealthSample, PoolStatus, ServerWatch
from ops_perf.settings.targets import load_targets

TARGETS = load_targets()
AGREEMENT = "/api/v1/agreements/[id]"  # p95 target 1,000 ms (config/targets.toml)
CAN = "/api/v1/cans/[id]"  # the default endpoint target: 500 ms


def test_least_squares_finds_a_planted_line_and_says_how_well() -> None:
    xs = [10, 25, 50, 10, 25, 50]
    fit = least_squares(xs, [22 + 2 * x for x in xs])
    assert (
        fit is not None
        and fit.slope == pytest.approx(2)
        and fit.intercept == pytest.approx(22)
        and fit.r2 == pytest.approx(1)
    )
    rng = random.Random(1)
    flat = least_squares(xs * 5, [rng.uniform(20, 25) for _ in range(30)])
    assert flat is not None and flat.r2 < 0.3
    assert least_squares([5, 5, 5], [1, 2, 3]) is None  # one x: no slope to find


def _records(name: str, times: list[tuple[str, float, float]], kind: str = "endpoint") -> Records:
    stats = tuple(RecordStats(i, 3, 0, ms, ms, size) for i, ms, size in times)
    return Records({name: NameRecords(name, kind, stats)}, 2000)


def test_one_record_dominates_at_three_times_the_others_and_above_target() -> None:
    others = [(str(i), 100.0, 20_000.0) for i in range(1, 6)]
    _, causes = record_causes(_records(AGREEMENT, [*others, ("114", 1400.0, 572_000.0)]), TARGETS)
    dominant = [c for c in causes if c.kind == "record_dominates"]
    assert len(dominant) == 1 and dominant[0].figures["id"] == "114"
    assert "id 114" in dominant[0].text and "559 KB" in dominant[0].text
    # 3x the others but under the endpoint's target: no cause (a fast endpoint has a slowest record too)
    _, causes = record_causes(_records(AGREEMENT, [*others, ("114", 900.0, 572_000.0)]), TARGETS)
    assert not [c for c in causes if c.kind == "record_dominates"]
    # above target, under 3x the others
    slow_others = [(str(i), 400.0, 20_000.0) for i in range(1, 6)]
    _, causes = record_causes(_records(AGREEMENT, [*slow_others, ("114", 1190.0, 572_000.0)]), TARGETS)
    assert not [c for c in causes if c.kind == "record_dominates"]


def test_a_record_with_fewer_than_three_answers_is_not_judged() -> None:
    others = [(str(i), 100.0, 20_000.0) for i in range(1, 6)]
    stats = (
        *(RecordStats(i, 3, 0, ms, ms, size) for i, ms, size in others),
        RecordStats("114", 2, 0, 1400, 1400, 572_000),
    )
    _, causes = record_causes(Records({AGREEMENT: NameRecords(AGREEMENT, "endpoint", stats)}), TARGETS)
    assert causes == [], "two slow answers are no slow record"


def test_time_grows_with_size_needs_five_records_a_close_line_and_a_growth_that_matters() -> None:
    line = [(str(i), 20 + 0.6 * kb, kb * 1024.0) for i, kb in enumerate((14, 20, 23, 30, 559), 1)]
    _, causes = record_causes(_records(AGREEMENT, line), TARGETS)
    assert [c.kind for c in causes if c.kind == "grows_with_size"] == ["grows_with_size"]
    _, causes = record_causes(_records(AGREEMENT, line[:4]), TARGETS)  # four records
    assert not [c for c in causes if c.kind == "grows_with_size"]
    tiny = [(str(i), 5 + 0.001 * kb, kb * 1024.0) for i, kb in enumerate((14, 20, 23, 30, 559), 1)]
    _, causes = record_causes(_records(AGREEMENT, tiny), TARGETS)  # on a line, but +0.5 ms: no cause
    assert not causes


def _watch(pools: list[tuple[int, int]], ms: float = 8.0, idle: float = 8.0, interval: float = 5.0) -> ServerWatch:
    samples = [
        HealthSample(float(i), ms, 200, None, PoolStatus(size, out, max(0, size - out), 0))
        for i, (size, out) in enumerate(pools)
    ]
    baseline = [HealthSample(-1.0, idle, 200, None, PoolStatus(10, 1, 0, -9))]
    return ServerWatch(interval, interval, baseline=baseline, samples=samples)


def test_the_pool_at_its_limit_in_a_tenth_of_the_samples_while_latency_is_over_target() -> None:
    at_limit = _watch([(10, 10)] * 1 + [(10, 3)] * 9)  # 10 % of the samples
    verdict = pool_verdict(at_limit, ["/api/v1/cans/"])
    assert verdict is not None and verdict.kind == "pool_at_limit" and verdict.is_cause
    verdict = pool_verdict(at_limit, [])
    assert verdict is not None and verdict.kind == "not_the_limit", "every p95 within target: not a cause"
    verdict = pool_verdict(_watch([(10, 10)] * 1 + [(10, 3)] * 10), ["x"])  # 9 %
    assert verdict is not None and verdict.kind != "pool_at_limit"


def test_workers_saturated_when_health_is_slow_and_the_pool_stays_below_half() -> None:
    assert health_slow(500.0, 8.0) and not health_slow(90.0, 8.0) and not health_slow(100.0, 30.0)
    slow = _watch([(10, 4)] * 10, ms=900.0)
    verdict = pool_verdict(slow, ["x"])
    assert verdict is not None and verdict.kind == "workers_saturated" and verdict.peak == 4
    half = _watch([(10, 5)] * 10, ms=900.0)  # the pool at half its size: not "the pool is not the limit"
    verdict = pool_verdict(half, ["x"])
    assert verdict is not None and verdict.kind == "not_the_limit"


def test_no_pool_status_and_no_samples_say_so() -> None:
    watch = ServerWatch(5.0, 5.0, samples=[HealthSample(0.0, 9.0, 200)], pool_status=False)
    verdict = pool_verdict(watch, ["x"])
    assert verdict is not None and verdict.kind == "no_pool_status" and "no pool_status" in verdict.text
    verdict = pool_verdict(ServerWatch(5.0, 5.0), ["x"])
    assert verdict is not None and verdict.kind == "no_samples"
    assert pool_verdict(None, ["x"]) is None


def _level(in_flight: int, steady_ms: float | None, wall_rps: float = 10.0) -> Level:
    return Level(in_flight, 2 * in_flight, 2 * in_flight, 2 * in_flight / wall_rps, wall_rps, steady_ms, steady_ms)


@pytest.mark.parametrize(
    ("ms_8", "verdict"), [(800.0, "serialises"), (533.4, "serialises"), (533.3, "scales"), (110.0, "scales")]
)
def test_serialises_below_one_and_a_half_times_the_throughput_at_one(ms_8: float, verdict: str) -> None:
    """Throughput by Little's law on the medians: 1 in flight at 100 ms is 10/s; 8 in flight at 533.3 ms, 15/s."""
    found = concurrency([_level(1, 100.0), _level(2, 120.0), _level(4, 300.0), _level(8, ms_8)])
    assert found is not None and found.verdict == verdict


def test_a_heavy_tail_does_not_make_a_scaling_endpoint_serialise() -> None:
    """The simulator's prod profile: answers of ~70 ms with tails at the gateway's 5 s. One 5 s answer at 8 in
    flight stretches the level's wall time to 5 s (wall-clock throughput 3.2/s against 2.4/s alone: "1.3x"),
    but not the medians the verdict reads."""
    alone = Level(1, 6, 6, 0.83, 7.2, 70.0, 70.0)
    eight = Level(8, 16, 16, 5.0, 3.2, 75.0, 72.0)
    found = concurrency([alone, eight])
    assert found is not None and found.verdict == "scales" and found.ratio > 7
    older = concurrency([Level(1, 2, 2, 0.2, 10.0, 100.0), Level(8, 16, 16, 1.6, 10.0, 790.0)])  # no steady medians
    assert older is not None and older.verdict == "serialises"


def _probes(records: list[Sample], database: Database | None = None, **kw: object) -> EndpointProbes:
    return EndpointProbes(AGREEMENT, "detail", len(records), None, records=tuple(records), database=database, **kw)  # type: ignore[arg-type]


def test_n_plus_one_when_statements_grow_one_per_row() -> None:
    rows = [6, 9, 12, 15, 333]
    samples = [
        Sample(20 + r, 1000 * r, r, 200, id=str(i), statements=2 + r, db_ms=0.01 * r) for i, r in enumerate(rows)
    ]
    total = sum(2 + r for r in rows)
    verdict = endpoint_verdict(_probes(samples, Database(5, total, 3, 5.0, 500.0)), TARGETS)
    n1 = verdict.statements
    assert n1 is not None and n1.n_plus_one and n1.fit is not None
    assert (round(n1.fit.slope, 6), round(n1.fit.intercept, 6)) == (1, 2)
    assert "N+1" in [c.title for c in verdict.causes]


def test_a_fixed_few_statements_are_no_n_plus_one_but_more_than_fifty_are() -> None:
    rows = [6, 9, 12, 15, 333]
    few = [Sample(20, 1000, r, 200, id=str(i), statements=3) for i, r in enumerate(rows)]
    verdict = endpoint_verdict(_probes(few, Database(5, 15, 3, 1.0, 100.0)), TARGETS)
    assert verdict.statements is not None and not verdict.statements.n_plus_one
    many = [Sample(20, 1000, r, 200, id=str(i), statements=60) for i, r in enumerate(rows)]
    verdict = endpoint_verdict(_probes(many, Database(5, 300, 3, 1.0, 100.0)), TARGETS)
    assert verdict.statements is not None and verdict.statements.n_plus_one


def test_page_sizes_whose_answers_overlap_are_no_cause() -> None:
    """Noise with one slow answer at the largest page: rising medians are not enough when the smallest
    page's answers reach past the largest's."""
    noisy = [Sample(ms, 1000, rows, 200, limit=rows) for rows, ms in
             ((10, 70), (10, 60), (10, 900), (25, 75), (25, 66), (25, 80), (50, 120), (50, 140), (50, 4000))]  # fmt: skip
    fit, holds = page_size_rows(noisy)
    assert fit is not None and not holds
    planted = [Sample(22 + 2 * rows + j, 1000, rows, 200, limit=rows) for rows in (10, 25, 50) for j in (0, 1, 3)]
    fit, holds = page_size_rows(planted)
    assert holds and fit is not None and fit.slope == pytest.approx(2.0, rel=0.05)


def test_a_record_slow_once_is_not_slow() -> None:
    """The sweep asks its slowest records twice more: the record whose one answer was slow by chance has a
    fast median; the heavy one stays slow."""
    samples = [Sample(70, 20_000, 9, 200, id=str(i)) for i in range(1, 8)]
    samples += [Sample(4200, 14_000, 15, 200, id="545"), Sample(66, 14_000, 15, 200, id="545"),
                Sample(71, 14_000, 15, 200, id="545")]  # fmt: skip
    verdict = endpoint_verdict(_probes(samples), TARGETS)
    assert not [c for c in verdict.causes if c.kind == "record_dominates"]
    heavy = [*samples[:7], *(Sample(1400 + j, 572_000, 333, 200, id="114") for j in (0, 5, 9))]
    verdict = endpoint_verdict(_probes(heavy), TARGETS)
    assert [c.figures["id"] for c in verdict.causes if c.kind == "record_dominates"] == ["114"]


def test_ms_per_row_from_the_page_size_sweep() -> None:
    sizes = [
        Sample(22 + 2 * limit + (i % 3 - 1), 100 * limit, limit, 200, limit=limit)
        for i, limit in enumerate((10, 25, 50) * 3)
    ]
    probes = EndpointProbes("/api/v1/budget-line-items/", "list", 9, None, page_size=tuple(sizes))
    verdict = endpoint_verdict(probes, TARGETS)
    assert verdict.rows_source == "page_size" and verdict.rows_fit is not None
    assert math.isclose(verdict.rows_fit.slope, 2.0, rel_tol=0.05)
    assert [c.kind for c in verdict.causes] == ["grows_with_rows"]


def test_a_diagnosis_file_round_trips_into_the_judge() -> None:
    data = {
        "schema": 1, "env": "production", "host": "http://h", "endpoints": [
            {"name": CAN, "kind": "detail", "requests": 30, "stopped": None,
             "concurrency": [{"in_flight": 1, "requests": 6, "ok": 6, "seconds": 0.6, "throughput_rps": 10.0,
                              "median_ms": 100, "steady_ms": 100},
                             {"in_flight": 8, "requests": 16, "ok": 16, "seconds": 1.6, "throughput_rps": 10.0,
                              "median_ms": 450, "steady_ms": 800}],
             "records": [{"id": "1", "ms": 100, "bytes": 10, "rows": 1, "status": 200}], "page_size": [], "database": None}]}  # fmt: skip
    diagnosis = parse_diagnosis(data)
    assert diagnosis is not None and diagnosis.env == "prod"
    verdict = endpoint_verdict(diagnosis.endpoints[0], TARGETS)
    assert [c.kind for c in verdict.causes] == ["serialises"]
    assert RULES.serialise_ratio == 1.5
