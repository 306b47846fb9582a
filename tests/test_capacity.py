"""The capacity search on its own: the rates it picks, its answer, and what it refuses."""

from __future__ import annotations

import itertools
import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from run_helpers import run_cli

from ops_perf.capacity import render, rules, throughput
from ops_perf.capacity.advice import conclude
from ops_perf.capacity.rules import Figure, Outcome, Verdict
from ops_perf.capacity.search import MAX_STEPS, Search, Tried
from ops_perf.capacity.steps import Step
from ops_perf.settings.targets import Status, Tier


def drive(search: Search, knee: float) -> list[Tried]:
    """Run the search against an OPS that is good strictly below `knee`."""
    tried: list[Tried] = []
    while (rate := search.next_rate(tried)) is not None:
        tried.append(Tried(rate, rate < knee))
    return tried


@pytest.mark.parametrize("knee", [7.0, 33.0, 81.0, 150.0])
def test_coarse_then_fine_lands_within_the_resolution_below_the_knee(knee: float) -> None:
    search = Search(start=10, cap=160, resolution=0.1)
    tried = drive(search, knee)
    answer = search.answer(tried)
    assert answer.capacity is not None and answer.first_bad is not None
    assert answer.capacity < knee <= answer.first_bad
    assert (answer.first_bad - answer.capacity) / answer.first_bad <= 0.1
    coarse = [t.rate for t in tried][: [t.good for t in tried].index(False) + 1]
    assert all(b == pytest.approx(2 * a) for a, b in itertools.pairwise(coarse)), "the ramp doubles"
    assert len(tried) <= MAX_STEPS


def test_the_cap_ends_a_search_that_never_breached() -> None:
    search = Search(start=10, cap=100)
    tried = drive(search, knee=1e9)
    assert [t.rate for t in tried] == [10, 20, 40, 80, 100]
    answer = search.answer(tried)
    assert (answer.capacity, answer.first_bad) == (100, None) and "cap" in answer.reason


def test_a_first_step_that_breaches_goes_down_then_gives_up() -> None:
    search = Search(start=40, cap=100)
    tried = drive(search, knee=0.1)
    assert [t.rate for t in tried] == [40, 20, 10, 5]
    assert search.answer(tried).capacity is None


def test_bad_search_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="start rate"):
        Search(start=0, cap=10)
    with pytest.raises(ValueError, match="factor"):
        Search(start=1, cap=10, factor=1)


def good_outcomes() -> list[Outcome]:
    return [Outcome(name, Verdict.PASS, "held") for name in rules.RULE_NAMES]


def test_capacity_files_render_every_step(tmp_path: Path) -> None:
    queue = Outcome("queue", Verdict.FAIL, "the queue grows: latency +300 ms per s")
    steps = [
        Step(1, "coarse", 10, 10, 12, "step-01", requests=120, served_rps=10.2, p50_ms=50, p95_ms=60, p99_ms=70,
             p95_interval_ms=[55, 66], failure_pct_interval=[0, 3.1], outcomes=good_outcomes()),
        Step(2, "coarse", 20, 20, 6, "step-02", requests=120, served_rps=12.5, p50_ms=400, p95_ms=2500, p99_ms=4000,
             queue_growth=0.3, outcomes=[*good_outcomes()[:5], queue, good_outcomes()[6]]),
    ]  # fmt: skip
    summary = {"answer": "x served 10 req/s", "rate_unit": "tasks/s", "host": "h", "env": "local", "scenario": "open",
               "user": "endpoints", "arrivals": "poisson", "max_users": 5, "max_rate": 20, "targets": "t",
               "step_duration_s": 5, "min_samples": 100, "search_s": 30, "search_reason": "r", "within": "acceptable",
               "confidence": 0.95, "max_growth": 0.1, "throughput_alpha": 0.001, "advice": ["add workers"]}  # fmt: skip
    render.write_json(tmp_path / "capacity.json", summary, steps)
    render.knee_chart(steps, "tasks/s", 10, 1000, tmp_path / "knee.png")
    render.write_markdown(tmp_path / "CAPACITY.md", summary, steps, "knee.png")
    data = json.loads((tmp_path / "capacity.json").read_text())
    assert [s["good"] for s in data["steps"]] == [True, False]
    assert data["steps"][1]["decided_by"] == "queue" and data["steps"][1]["breaching"].startswith("the queue grows")
    assert [r["rule"] for r in data["steps"][0]["rules"]] == list(rules.RULE_NAMES)
    text = (tmp_path / "CAPACITY.md").read_text()
    assert "| 2 | coarse | 20 |" in text and "| bad | queue |" in text and "knee.png" in text
    for number, rule in enumerate(rules.RULES, 1):
        assert f"{number}. **{rule.name}**" in text, "CAPACITY.md states every rule"
    assert "at most 100 ms per s" in text and "0.1 % quantile of Poisson" in text and "within `acceptable`" in text
    assert "| 2 | 20 | ok | ok | ok | ok | ok | FAIL | ok |" in text, "which rule held, per step"
    assert "- add workers" in text
    assert (tmp_path / "knee.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "prod"], "not allowed on prod"),
        (["--env", "local", "--max-rate", "100000"], "at most local's cap"),
        (["--env", "local", "--step-duration", "soon"], "not a duration"),
        (["--env", "local", "--scenario", "nope"], "unknown scenario"),
    ],
)
def test_refusals_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run_cli(["capacity", *args, "--results-dir", str(tmp_path)])
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir()), "a refused search writes nothing"


HISTORY_HEADER = ["Timestamp", "User Count", "Type", "Name", "Total Request Count", "Total Average Response Time"]


def write_history(path: Path, api_ms: list[float], page_ms: list[float] | None) -> None:
    """A `--csv-full-history` file: per second 20 API calls at `api_ms[i]`, and (pages) 4 views at `page_ms[i]`."""
    import csv

    rows = []
    api_n = api_total = page_n = page_total = 0.0
    for i, api in enumerate(api_ms):
        api_n, api_total = api_n + 20, api_total + 20 * api
        rows.append([1000 + i, 5, "GET", "/api/v1/x/", int(api_n), api_total / api_n])
        agg_n, agg_total = api_n, api_total
        if page_ms is not None and page_ms[i] is not None:
            page_n, page_total = page_n + 4, page_total + 4 * page_ms[i]
            rows.append([1000 + i, 5, "PAGE", "/agreements", int(page_n), page_total / page_n])
            agg_n, agg_total = api_n + page_n, api_total + page_total
        rows.append([1000 + i, 5, "", "Aggregated", int(agg_n), agg_total / agg_n])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HISTORY_HEADER)
        writer.writerows(rows)


def test_the_queue_slope_is_the_api_calls_not_the_page_views_that_begin_to_complete(tmp_path: Path) -> None:
    from ops_perf.capacity.slope import latency_slope

    flat, rising = [50.0] * 6, [50.0, 150, 250, 350, 450, 550]
    endpoints = tmp_path / "endpoints_stats_history.csv"
    write_history(endpoints, rising, None)
    assert latency_slope(endpoints) == pytest.approx(0.1), "100 ms more each second: 0.1 s per s"
    write_history(endpoints, flat, None)
    assert latency_slope(endpoints) == pytest.approx(0.0)
    # Pages: the API calls are steady; views (2 s each) only complete from the third second on, which
    # lifts the Aggregated mean with no queue at all. The slope must be the calls'.
    pages = tmp_path / "pages_stats_history.csv"
    write_history(pages, flat, [None, None, 2000.0, 2000.0, 2000.0, 2000.0])
    assert latency_slope(pages) == pytest.approx(0.0, abs=1e-9)
    write_history(pages, rising, [None, None, 2000.0, 2000.0, 2000.0, 2000.0])
    assert latency_slope(pages) == pytest.approx(0.1)


def test_thin_intervals_are_merged_so_a_slow_step_still_has_a_trend(tmp_path: Path) -> None:
    """2 requests a second: no one-second interval has the 5 a mean needs; merged ones do."""
    import csv

    from ops_perf.capacity.slope import latency_slope

    path = tmp_path / "slow_stats_history.csv"
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HISTORY_HEADER)
        n = total = 0.0
        for i in range(30):
            n, total = n + 2, total + 2 * (100.0 + 50 * i)  # 50 ms more each second
            writer.writerow([2000 + i, 5, "", "Aggregated", int(n), total / n])
    assert latency_slope(path) == pytest.approx(0.05, rel=0.05)


# --- the rules, each figure with its evidence --------------------------------------------------------

P95 = Tier("p95_ms", 500, 1000, 2000)
FAILURES = Tier("failure_pct", 1, 5, 10)


def hist(*pairs: tuple[int, int]) -> dict[int, int]:
    return dict(pairs)


def test_a_p95_is_within_only_when_its_whole_interval_is() -> None:
    fast = Figure("Aggregated", P95, hist((50, 300)), requests=300)
    assert rules.p95_rule(fast, [], Status.ACCEPTABLE).verdict == Verdict.PASS
    # 3 requests, one slow: the p95 is the slowest, and nothing bounds it from above at 95 %.
    few = rules.p95_rule(Figure("Aggregated", P95, hist((50, 2), (3000, 1)), requests=3), [], Status.ACCEPTABLE)
    assert few.verdict == Verdict.UNSURE and few.text.startswith("not enough evidence: the API calls' p95 at least")
    # 300 requests, 10 % slow: the p95 is slow, its whole interval beyond acceptable.
    slow = rules.p95_rule(Figure("Aggregated", P95, hist((50, 270), (3000, 30)), requests=300), [], Status.ACCEPTABLE)
    assert slow.verdict == Verdict.FAIL and "beyond acceptable (< 1,000 ms)" in slow.text
    # `--within concern` accepts what acceptable does not, up to critical.
    mid = Figure("Aggregated", P95, hist((50, 270), (1500, 30)), requests=300)
    assert rules.p95_rule(mid, [], Status.ACCEPTABLE).verdict == Verdict.FAIL
    assert rules.p95_rule(mid, [], Status.CONCERN).verdict == Verdict.PASS
    assert rules.p95_rule(fast, [], Status.TARGET).verdict == Verdict.PASS


def test_a_row_fails_the_step_only_with_evidence_of_a_breach() -> None:
    agg = Figure("Aggregated", P95, hist((50, 1000)), requests=1000)
    thin = Figure("/api/v1/few/", P95, hist((50, 2), (3000, 1)), requests=3)  # between 50 ms and unbounded
    slow = Figure("/api/v1/slow/", P95, hist((1500, 100)), requests=100)  # its whole interval beyond
    passed = rules.p95_rule(agg, [thin], Status.ACCEPTABLE)
    assert passed.verdict == Verdict.PASS and "1 row(s) too few to judge alone, none beyond" in passed.text
    failed = rules.p95_rule(agg, [thin, slow], Status.ACCEPTABLE)
    assert failed.verdict == Verdict.FAIL and failed.text.startswith("/api/v1/slow/ p95 between")


def test_a_failure_rate_is_judged_by_its_wilson_interval() -> None:
    def verdict(failures: int, n: int) -> Verdict:
        return rules.failure_rule(
            Figure("Aggregated", FAILURES, failures=failures, requests=n), [], Status.ACCEPTABLE
        ).verdict

    assert verdict(0, 10) == Verdict.UNSURE, "0 failures in 10 still allow 27.8 %"
    assert verdict(0, 1000) == Verdict.PASS
    assert verdict(100, 1000) == Verdict.FAIL
    assert verdict(40, 1000) == Verdict.UNSURE, "4 % of 1,000: the interval reaches past 5 %"


def test_drops_name_their_cause_and_only_want_of_users_says_raise_max_users() -> None:
    ops = rules.arrivals_rule(1000, 100, 160, max_users=500, best_response_ms=50)
    assert ops.verdict == Verdict.FAIL and ops.cause == "ops" and "OPS is saturated" in ops.text
    assert "max_users" not in ops.text
    users = rules.arrivals_rule(1000, 100, 160, max_users=10, best_response_ms=50)  # 160/s x 50 ms = 8 busy
    assert users.cause == "users" and "the generator ran out" in users.text
    assert rules.arrivals_rule(1000, 10, 160, 500, 50).verdict == Verdict.PASS, "1 % is allowed"
    assert rules.arrivals_rule(0, 0, 160, 500, 50).verdict == Verdict.NOT_JUDGED


def test_queue_and_facts() -> None:
    assert rules.queue_rule(None, 0.1).verdict == Verdict.UNSURE
    assert rules.queue_rule(0.12, 0.1).verdict == Verdict.FAIL
    assert rules.queue_rule(0.02, 0.1).verdict == Verdict.PASS
    assert rules.errors_rule(1, 0).verdict == Verdict.FAIL, "one 504 is enough"
    assert rules.errors_rule(0, 1).text == "1 connection error(s)"


def test_the_deciding_rule_is_the_first_failure_then_the_first_without_evidence() -> None:
    outcomes = good_outcomes()
    outcomes[4] = Outcome("p95", Verdict.UNSURE, "not enough evidence: ...")
    assert rules.first_deciding(outcomes) == outcomes[4]
    outcomes[6] = Outcome("throughput", Verdict.FAIL, "it fell behind")
    assert rules.first_deciding(outcomes) == outcomes[6], "a failure outranks missing evidence"
    assert rules.first_deciding(good_outcomes()) is None


# --- throughput: what a step served, and whether it kept up ------------------------------------------


def test_the_window_is_the_whole_seconds_of_the_load_without_the_first() -> None:
    started = datetime.fromtimestamp(1000.4, UTC)  # load 1000.4 .. 1006.4
    done = {1000: 30, 1001: 80, 1002: 80, 1003: 80, 1004: 80, 1005: 80, 1006: 60, 1007: 40}  # 1007: drained
    failed = {1004: 5}
    win = throughput.window((done, failed), started, 6.0)
    assert (win.first, win.seconds) == (1002, 4), "1001 is the filling second, 1005 the last ending before 1006.4"
    assert (win.answered, win.served) == (320, 315)
    assert win.served_rps == pytest.approx(78.75)


def test_the_poisson_bound_is_the_quantile_a_good_step_falls_below_once_in_a_thousand() -> None:
    from scipy.stats import poisson

    for rate, seconds in [(75, 4), (80, 58), (2, 10)]:
        bound = throughput.needed(rate, seconds)
        assert poisson.cdf(bound - 1, rate * seconds) <= throughput.ALPHA < poisson.cdf(bound, rate * seconds)
    assert throughput.needed(75, 4) / 300 < 0.85 < 0.95 < throughput.needed(75, 58) / (75 * 58), "tighter with time"


def simulated_step(rng: random.Random, rate: float, seconds: float = 6.0, workers: int = 4, service: float = 0.05):
    """Per-second completions of an M/D/c queue (the simulator's `--workers 4 --profile fixed-50ms`), from an
    empty start at a whole second, with the requests still queued at the end drained."""
    import heapq

    free = [0.0] * workers
    done: dict[int, int] = {}
    t = rng.expovariate(rate)
    while t < seconds:
        start = max(t, heapq.heappop(free))
        heapq.heappush(free, start + service)
        second = int(1000 + start + service)
        done[second] = done.get(second, 0) + 1
        t += rng.expovariate(rate)
    return done


def test_the_throughput_rule_passes_a_server_that_keeps_up_and_fails_a_saturated_one() -> None:
    """1,000 simulated 6 s steps each: at 94 % of capacity (75 of 80 req/s) the rule fails by chance in
    about 0.1 % of them; at 2x capacity (throughput flat at 80) it fails every one."""
    rng = random.Random(15)
    started = datetime.fromtimestamp(1000.0, UTC)

    def fails(rate: float) -> float:
        bad = 0
        for _ in range(1000):
            win = throughput.window((simulated_step(rng, rate), {}), started, 6.0)
            bad += (
                rules.throughput_rule(rate, win.seconds, win.answered, throughput.needed(rate, win.seconds)).verdict
                == Verdict.FAIL
            )
        return bad / 1000

    assert fails(75) <= 0.005
    assert fails(160) == 1.0


def test_a_served_rate_is_rounded_down() -> None:
    assert [throughput.floor_rate(x) for x in (80.25, 79.99, 7.89, 0.456)] == [80, 79, 7.8, 0.45]


# --- the answer and the advice ------------------------------------------------------------------------


def judged(number: int, rate: float, served: float, p50: float, failing: Outcome | None = None) -> Step:
    outcomes = good_outcomes()
    if failing is not None:
        outcomes = [failing if o.rule == failing.rule else o for o in outcomes]
    return Step(number, "coarse", rate, rate, 6, f"step-{number:02d}", served_rps=served, p50_ms=p50,
                max_users=500, outcomes=outcomes)  # fmt: skip


def test_a_saturated_server_is_named_with_what_it_served_never_max_users() -> None:
    queue = Outcome("queue", Verdict.FAIL, "the queue grows: latency +116 ms per s")
    drops = Outcome("arrivals", Verdict.FAIL, "OPS is saturated", cause="ops")
    steps = [judged(1, 40, 40.2, 56), judged(2, 80, 79.6, 190), judged(3, 160, 21.0, 1100, drops),
             judged(4, 120, 55.0, 1000, queue), judged(5, 90, 80.0, 400, queue), judged(6, 85, 80.25, 330)]  # fmt: skip
    search = Search(start=40, cap=160)
    answer = search.answer([Tried(s.rate, s.good) for s in steps])
    c = conclude(steps, answer, "http://ops", "tasks/s", Status.ACCEPTABLE, pages=False, cap=160)
    assert c.capacity_rps == 80, "what the highest good step served, rounded down: never above what was measured"
    assert c.text == (
        "http://ops: the highest rate it served within acceptable with evidence: 80 req/s (step 6, 85 tasks/s "
        "offered); the next step, 90 tasks/s, failed because the queue grows: latency +116 ms per s"
    )
    assert c.saturated and len(c.advice) == 1
    assert c.advice[0].startswith("OPS served at most 80 req/s") and "add workers" in c.advice[0].lower()
    assert "p50 56 ms at 40 -> 400 ms at 90" in c.advice[0]
    assert "max_users" not in " ".join(c.advice)


def test_drops_for_want_of_users_advise_max_users_and_slow_requests_advise_looking_at_endpoints() -> None:
    users = Outcome("arrivals", Verdict.FAIL, "the generator ran out", cause="users")
    steps = [judged(1, 40, 40.0, 56), judged(2, 80, 60.0, 60, users)]
    c = conclude(steps, Search(40, 80).answer([Tried(40, True), Tried(80, False)]), "h", "tasks/s",
                 Status.ACCEPTABLE, pages=False, cap=80)  # fmt: skip
    assert not c.saturated and "Raise max_users" in c.advice[0]
    slow = Outcome("p95", Verdict.FAIL, "the API calls' p95 between 1,200 and 1,300 ms: beyond acceptable")
    steps = [judged(1, 40, 40.0, 56), judged(2, 80, 80.0, 900, slow)]
    c = conclude(steps, Search(40, 80).answer([Tried(40, True), Tried(80, False)]), "h", "tasks/s",
                 Status.ACCEPTABLE, pages=False, cap=80)  # fmt: skip
    assert not c.saturated and "the requests themselves are slow" in c.advice[0]
    assert "failed because the API calls' p95 between 1,200 and 1,300 ms" in c.text


def test_no_good_step_and_every_step_good_are_said_as_such() -> None:
    unsure = Outcome("p95", Verdict.UNSURE, "not enough evidence: the API calls' p95 at least 80 ms")
    steps = [judged(1, 10, 10.0, 80, unsure)]
    c = conclude(steps, Search(10, 80).answer([Tried(10, False)]), "h", "tasks/s", Status.ACCEPTABLE, False, 80)
    assert c.capacity_rps is None and c.text.startswith("h: no step was within acceptable with evidence")
    assert "lengthen --step-duration" in c.advice[0]
    steps = [judged(1, 40, 40.0, 56), judged(2, 80, 79.0, 60)]
    c = conclude(steps, Search(40, 80).answer([Tried(40, True), Tried(80, True)]), "h", "tasks/s",
                 Status.ACCEPTABLE, False, 80)  # fmt: skip
    assert c.capacity_rps == 79 and "it may serve more" in c.text and "--max-rate" in c.advice[0]


def test_a_step_whose_pool_ran_out_on_a_slow_ops_is_judged_saturated_not_short_of_users(tmp_path: Path) -> None:
    """The run files say invalid ("raise max_users", the judge's reason for any drops); the step's
    `arrivals` rule finds that OPS's latency, not the pool, ran out, and nothing advises max_users."""
    from test_verdict import Sample, write_run

    from ops_perf.capacity.steps import judge_step
    from ops_perf.judge import judge_run
    from ops_perf.runfiles.load import open_runs
    from ops_perf.settings.targets import load_targets

    detail = "100 of 1000 arrivals (10.0%) were dropped: ...; raise max_users (-u) or lower the arrival rate"
    extra = {"model": "open", "offered_rate": 160.0, "arrivals": 1000, "dropped_arrivals": 100, "max_users": 500,
             "peak_pool": 500, "status_detail": detail}  # fmt: skip
    samples = {"/api/v1/agreements/": Sample([900.0 + i for i in range(450)]), "/api/v1/cans/": Sample([50.0] * 450)}
    prefix = write_run(tmp_path, "step-01", samples, duration_s=6.0, status="invalid", extra=extra)
    targets = load_targets(None, "local")
    (run,) = open_runs([prefix])
    assert any("raise max_users" in reason for reason in judge_run(run, targets, run.histograms).invalid)
    step = judge_step(Step(1, "coarse", 160, 160, 6, prefix.name), prefix, targets, best_response_ms=50.0)
    valid, arrivals = step.outcome("valid"), step.outcome("arrivals")
    assert valid is not None and valid.verdict == Verdict.PASS, valid
    assert arrivals is not None and arrivals.verdict == Verdict.FAIL and arrivals.cause == "ops"
    assert step.deciding == arrivals and not any("max_users" in o.text for o in step.outcomes)
    assert (step.requests, step.arrivals, step.dropped_arrivals, step.max_users) == (900, 1000, 100, 500)
    assert step.p95_interval_ms is not None and step.p95_interval_ms[0] is not None and step.p95_interval_ms[0] > 800
