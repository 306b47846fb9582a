"""Confidence intervals and tiers by evidence (issue 15, item 1): `ops_perf/judge/evidence.py`.

Each figure checked here is recomputed in the test from its definition (the binomial law of the
number of requests below a quantile, Wilson's quadratic, Locust's own rounding and percentile rule,
`Tier.status`), never copied from the code under test. The coverage the issue asks for (>= 94 % of
1,000 draws for a 95 % interval, n = 10, 100, 1,000) is measured by `bench/evidence_coverage.py`'s
simulation, run here in full (vectorised: well under a second) at its fixed seed.
"""

from __future__ import annotations

import importlib.util
import math
import sys
from collections import Counter
from types import ModuleType

import numpy as np
import pytest
from conftest import REPO_ROOT
from locust.stats import calculate_response_time_percentile
from scipy.stats import binom, norm
from scipy.stats import t as student_t

from ops_perf.judge.evidence import (
    Interval,
    RelativeRange,
    beyond_critical,
    decide,
    exact_range,
    interval_beyond,
    locust_range,
    log_bucket,
    mean_interval,
    order_statistic_ranks,
    percentile_interval,
    point_rank,
    wilson_interval,
)
from ops_perf.locust_compat import LOCUST_BUCKETING as bucket_response_time  # Locust's own, never the suite's
from ops_perf.settings.targets import Status, Tier, load_targets

CONF = 0.95


def _coverage(n: int, q: float, low: int, high: int) -> float:
    """P(X_(low) <= x_q <= X_(high)) = P(low <= B <= high - 1), B ~ Binomial(n, q); 0 / n+1 unbounded."""
    cdf = _cdf(n, q)
    return float(cdf[high] - cdf[low])


def _cdf(n: int, q: float) -> np.ndarray:
    """cdf[k] = P(B <= k - 1) for k = 0..n+1, so that P(low <= B <= high - 1) = cdf[high] - cdf[low]."""
    return np.r_[0.0, binom.cdf(np.arange(n), n, q), 1.0]


def _locust_hist(times: np.ndarray) -> dict[int, int]:
    """Locust's `response_times` for these times, by its own `bucket_response_time`."""
    return dict(Counter(bucket_response_time(float(t)) for t in times))


# --- the ranks ---------------------------------------------------------------------------------


def test_median_of_100_ranks_are_the_shortest_pair_reaching_95_percent() -> None:
    """The textbook pair for n = 100 is n/2 -+ z sqrt(n)/2 ~ (40, 61) (normal approximation); the
    exact binomial allows one rank less: the chosen pair reaches 95 % and no narrower pair does."""
    ranks = order_statistic_ranks(100, 0.5, CONF)
    z = norm.ppf(0.975)
    textbook = (50 - z * 10 / 2, 50 + 1 + z * 10 / 2)  # 40.2, 60.8
    assert abs(ranks.low - textbook[0]) <= 1 and abs(ranks.high - textbook[1]) <= 1
    assert ranks.coverage == pytest.approx(_coverage(100, 0.5, ranks.low, ranks.high), abs=1e-12)
    assert ranks.coverage >= CONF
    width = ranks.high - ranks.low
    cdf = _cdf(100, 0.5)
    narrower = [(lo, hi) for lo in range(1, 101) for hi in range(lo + 1, lo + width) if hi <= 100]
    assert all(cdf[hi] - cdf[lo] < CONF for lo, hi in narrower)
    # Centred on the request Locust reports as the median (the 51st): as symmetric as ranks allow.
    assert point_rank(100, 0.5) - ranks.low == ranks.high - point_rank(100, 0.5)


@pytest.mark.parametrize("q", [0.5, 0.75, 0.9, 0.95, 0.99])
def test_ranks_against_brute_force(q: float) -> None:
    """For every n up to 120: bounded on both sides exactly when some pair around the point rank reaches
    95 %, then the narrowest; otherwise the tightest one-sided bound that reaches it, or none."""
    for n in range(0, 121):
        ranks = order_statistic_ranks(n, q, CONF)
        if n == 0:
            assert (ranks.low, ranks.high) == (0, 1)
            continue
        r = point_rank(n, q)
        assert ranks.low <= r <= ranks.high
        assert ranks.coverage == pytest.approx(_coverage(n, q, ranks.low, ranks.high), abs=1e-9)
        assert ranks.coverage >= CONF
        cdf = _cdf(n, q)
        lo, hi = np.meshgrid(np.arange(1, r + 1), np.arange(r, n + 1), indexing="ij")
        reach = (hi > lo) & (cdf[hi] - cdf[lo] >= CONF)
        feasible = (hi - lo)[reach]
        if feasible.size:
            assert ranks.low >= 1 and ranks.high <= n, (n, q, ranks)
            assert ranks.high - ranks.low == feasible.min(), (n, q, ranks)
            continue
        lows = [k for k in range(1, r + 1) if cdf[n + 1] - cdf[k] >= CONF]
        highs = [k for k in range(r, n + 1) if cdf[k] - cdf[0] >= CONF]
        if ranks.low >= 1:
            assert ranks.high == n + 1 and ranks.low == max(lows), (n, q, ranks)
        elif ranks.high <= n:
            assert ranks.high == min(highs), (n, q, ranks)
        else:
            assert not lows and not highs, (n, q, ranks)


@pytest.mark.parametrize("q", [0.95, 0.99])
def test_upper_bound_needs_enough_requests(q: float) -> None:
    """Nothing bounds a high quantile from above until the slowest request alone would: the interval
    [.., X_(n)] covers with at most P(B <= n - 1) = 1 - q^n, so n >= log(0.05) / log(q): 59 for p95,
    299 for p99. Below that the interval is open above (inf), and says so."""
    needed = math.ceil(math.log(1 - CONF) / math.log(q))
    short = percentile_interval({100: needed - 1}, q)
    enough = percentile_interval({100: needed}, q)
    assert not short.upper_bounded and short.high == math.inf and short.lower_bounded
    assert enough.upper_bounded and enough.high == locust_range(100)[1]
    assert short.text() == "at least 100 ms"


def test_edge_cases() -> None:
    none = percentile_interval({}, 0.95)
    assert (none.low, none.high, none.n, none.bounded) == (0.0, math.inf, 0, False)
    assert not none.lower_bounded and not none.upper_bounded and none.text() == "unknown (no requests)"
    one = percentile_interval({250: 1}, 0.5)  # one request: P(B >= 1) = P(B <= 0) = 0.5, below 95 %
    assert not one.lower_bounded and not one.upper_bounded and one.text() == "unbounded"
    same = percentile_interval({120: 500}, 0.95)  # all in one key: the key's whole range, no more
    assert (same.low, same.high) == locust_range(120) == (115.0, 125.0)
    assert percentile_interval({120: 500}, 0.95, bucket_range=exact_range).text() == "between 120 and 120 ms"
    p99 = percentile_interval({100: 9, 3000: 1}, 0.99)  # n = 10: P(B >= 9) = 0.99^10 + 10 (0.99^9)(0.01)
    assert p99.ranks == (9, 11) and p99.coverage == pytest.approx(0.99**10 + 10 * 0.99**9 * 0.01)
    assert (p99.low, p99.high) == (99.5, math.inf) and not p99.upper_bounded
    assert percentile_interval({"120": 5, "130": 0}, 0.5).n == 5  # keys as JSON strings; empty keys ignored
    for bad in (0.0, 1.0):
        with pytest.raises(ValueError, match="quantile"):
            percentile_interval({100: 5}, bad)
    with pytest.raises(ValueError, match="confidence"):
        percentile_interval({100: 5}, 0.5, confidence=1.0)


def test_ranks_map_onto_the_histogram_by_cumulative_counts() -> None:
    """The l-th and u-th fastest requests, read off the expanded sample, and their keys' edges."""
    rng = np.random.default_rng(7)
    for _ in range(200):
        keys = np.unique(rng.integers(1, 60, 8)) * 10
        counts = rng.integers(1, 30, len(keys))
        hist = dict(zip(keys.tolist(), counts.tolist(), strict=True))
        sample = np.repeat(keys, counts)
        q = float(rng.choice([0.5, 0.9, 0.95, 0.99]))
        got = percentile_interval(hist, q, bucket_range=locust_range)
        lo, hi = order_statistic_ranks(len(sample), q, CONF).low, order_statistic_ranks(len(sample), q, CONF).high
        assert got.low == (locust_range(float(sample[lo - 1]))[0] if lo >= 1 else 0.0)
        assert got.high == (locust_range(float(sample[hi - 1]))[1] if hi <= len(sample) else math.inf)
        # Locust's own point value lies inside: the table's figure and its interval never disagree.
        point = calculate_response_time_percentile(hist, len(sample), q)
        assert point == sample[point_rank(len(sample), q) - 1]
        assert got.low <= point <= got.high


# --- what a key stands for ---------------------------------------------------------------------


def test_locust_range_is_exactly_what_locust_rounds_to_each_key() -> None:
    """Every time lies in its key's range, and each range is as tight as the times that reach the key
    (to the grid's step), at each of Locust's step changes (100, 1,000, 10,000 ms) and in between."""
    grid = np.concatenate([np.arange(0, 12000, 0.25), np.arange(12000, 40000, 5.0)])
    keys = np.array([bucket_response_time(float(t)) for t in grid])
    low, high = locust_range(keys.astype(float))
    assert ((low <= grid) & (grid <= high)).all()
    for key in (0, 1, 2, 99, 100, 110, 990, 1000, 1100, 9900, 10000, 11000, 20000):
        reached = grid[keys == key]
        step = 0.25 if key < 12000 else 5.0
        lo, hi = locust_range(float(key))
        assert reached.min() - step <= lo <= reached.min() and reached.max() <= hi <= reached.max() + step, key


def test_relative_range_holds_log_buckets_to_their_precision() -> None:
    t = np.random.default_rng(3).lognormal(5, 2, 100_000)
    for r in (0.01, 0.05):
        keys = log_bucket(t, r)
        assert (np.abs(keys - t) <= r * t * (1 + 1e-12)).all()
        low, high = RelativeRange(r)(keys)
        assert ((low <= t) & (t <= high)).all()
        low, high = RelativeRange(r, absolute=0.5)(np.round(keys))  # keys rounded to whole ms as well
        assert ((low <= t) & (t <= high)).all()
    assert RelativeRange(0.01)(100.0) == pytest.approx((100 / 1.01, 100 / 0.99))
    with pytest.raises(ValueError):
        RelativeRange(1.5)


# --- Wilson ------------------------------------------------------------------------------------


def _wilson_from_the_quadratic(failures: int, n: int) -> tuple[float, float]:
    """Wilson (1927): the p with (p_hat - p)^2 = z^2 p (1 - p) / n, i.e. the roots of
    (1 + z^2/n) p^2 - (2 p_hat + z^2/n) p + p_hat^2 = 0."""
    z, p = norm.ppf(0.975), failures / n
    roots = np.sort(np.roots([1 + z * z / n, -(2 * p + z * z / n), p * p]).real)
    return 100 * roots[0], 100 * roots[1]


def test_wilson_against_its_definition_and_published_values() -> None:
    for failures, n in [(1, 3), (0, 10), (5, 10), (10, 10), (3, 300), (81, 263), (999, 1000)]:
        got = wilson_interval(failures, n)
        low, high = _wilson_from_the_quadratic(failures, n)
        assert (got.low, got.high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))
        assert got.bounded and got.method == "wilson"
    assert wilson_interval(1, 3).text("%", 1) == "between 6.1 and 79.2%"
    # Newcombe (1998), Stat Med 17:857-72, Table I, method 3 (score without continuity correction).
    for (failures, n), (low, high) in {
        (81, 263): (0.2553, 0.3662),
        (15, 148): (0.0624, 0.1605),
        (0, 20): (0.0, 0.1611),
        (1, 29): (0.0061, 0.1718),
    }.items():
        got = wilson_interval(failures, n)
        assert (round(got.low / 100, 4), round(got.high / 100, 4)) == (low, high)
    z2 = norm.ppf(0.975) ** 2
    assert wilson_interval(0, 10).high == pytest.approx(100 * z2 / (10 + z2))  # none failed: not 0 %
    nothing = wilson_interval(0, 0)
    assert (nothing.low, nothing.high, nothing.bounded) == (0.0, 100.0, False)
    with pytest.raises(ValueError, match="failures"):
        wilson_interval(4, 3)


# --- tiers from intervals ----------------------------------------------------------------------

P95 = Tier("p95_ms", 500, 1000, 2000)
RPS = Tier("rps", 50, 20, 10)


def _iv(low: float, high: float) -> Interval:
    return Interval(low, high, 100, CONF, "test", math.isfinite(low), math.isfinite(high))


def test_decide_follows_the_tier_boundaries_of_targets() -> None:
    """A point interval gets exactly `Tier.status` (limits included); a wider one a tier only inside it."""
    for tier in (P95, RPS, Tier("failure_pct", 1, 5, 10)):
        for x in (0, 0.5, 1, 5, 9.9, 10, 10.1, 20, 50, 499, 500, 1000, 2000, 2000.01, math.inf):
            assert decide(_iv(x, x), tier).status is tier.status(x), (tier.metric, x)
    assert decide(_iv(400, 600), P95).spans == (Status.TARGET, Status.ACCEPTABLE)
    assert decide(_iv(400, 600), P95).status is None
    assert decide(_iv(0, math.inf), P95).spans == tuple(Status)
    assert decide(_iv(2000, 3000), P95).spans == (Status.CONCERN, Status.CRITICAL)  # 2,000 is a concern
    assert decide(_iv(2000.5, math.inf), P95).status is Status.CRITICAL
    assert decide(_iv(55, 80), RPS).status is Status.TARGET
    assert decide(_iv(10, 20), RPS).status is Status.CONCERN
    assert decide(_iv(5, 10), RPS).spans == (Status.CONCERN, Status.CRITICAL)
    # Equal limits leave a tier empty: an interval across them does not reach it.
    assert decide(_iv(400, 600), Tier("p95_ms", 500, 500, 2000)).spans == (Status.TARGET, Status.CONCERN)


def test_decide_and_beyond_critical_against_a_dense_grid() -> None:
    rng = np.random.default_rng(11)
    for _ in range(400):
        tier = RPS if rng.random() < 0.5 else P95
        scale = 80 if tier is RPS else 3000
        low, high = np.sort(rng.choice(np.r_[rng.uniform(0, scale, 6), _limits(tier)], 2, replace=True))
        grid = np.r_[np.linspace(low, high, 2001), low, high]
        seen = {tier.status(float(x)) for x in grid} | {tier.status(v) for v in _limits(tier) if low <= v <= high}
        decision = decide(_iv(float(low), float(high)), tier)
        assert set(decision.spans) == seen
        assert beyond_critical(decision.interval, tier) == (decision.status is Status.CRITICAL)
    assert interval_beyond(_iv(5, 9.99), 10, higher_is_better=True)
    assert not interval_beyond(_iv(5, 10), 10, higher_is_better=True)
    assert not interval_beyond(_iv(2000, 2500), 2000, higher_is_better=False)


def _limits(tier: Tier) -> list[float]:
    return [tier.target, tier.acceptable, tier.critical]


# --- the example -----------------------------------------------------------------------


def test_three_requests_one_slow_is_not_enough_evidence() -> None:
    """Today's judge calls this endpoint critical on its p95 (the slowest of 3); by its interval it is
    anywhere from target to critical: not enough evidence, with its interval."""
    tier = load_targets().endpoint_for("/api/v1/cans/")["p95_ms"]
    hist = _locust_hist(np.array([120.0, 180.0, 2600.0]))
    point = calculate_response_time_percentile(hist, 3, 0.95)
    assert tier.status(point) is Status.CRITICAL and point > tier.critical
    p95 = percentile_interval(hist, 0.95)
    decision = decide(p95, tier)
    assert decision.status is None and decision.spans == tuple(Status)
    assert not beyond_critical(p95, tier)
    assert p95.lower_bounded and not p95.upper_bounded and p95.text() == "at least 175 ms"
    failures = decide(wilson_interval(1, 3), load_targets().endpoint["failure_pct"])  # 1 failure in 3
    assert failures.status is None and Status.CRITICAL in failures.spans


def test_three_hundred_requests_ten_percent_slow_is_critical() -> None:
    """30 of 300 requests above critical: every rank the p95 interval can use is a slow request."""
    tier = load_targets().endpoint_for("/api/v1/cans/")["p95_ms"]
    rng = np.random.default_rng(15)
    times = np.r_[rng.lognormal(math.log(120), 0.4, 270), rng.uniform(tier.critical * 1.25, tier.critical * 3, 30)]
    p95 = percentile_interval(_locust_hist(times), 0.95)
    assert p95.bounded and p95.ranks is not None and p95.ranks[0] > 270
    assert decide(p95, tier).status is Status.CRITICAL and beyond_critical(p95, tier)
    p50 = decide(percentile_interval(_locust_hist(times), 0.5), tier)
    assert p50.status is Status.TARGET


# --- the mean ----------------------------------------------------------------------------------


def test_mean_interval() -> None:
    times = np.random.default_rng(5).lognormal(5, 0.8, 200)
    exact = mean_interval(dict(Counter(times.tolist())), bucket_range=exact_range)
    low, high = student_t.interval(CONF, len(times) - 1, loc=times.mean(), scale=times.std(ddof=1) / math.sqrt(200))
    assert (exact.low, exact.high) == (pytest.approx(low), pytest.approx(high))
    bucketed = mean_interval(_locust_hist(times))
    assert bucketed.low <= exact.low and exact.high <= bucketed.high  # the keys' edges only widen it
    assert bucketed.low <= times.mean() <= bucketed.high  # Locust's exact avg_ms lies inside
    assert bucketed.method == "student t (approximate)" and bucketed.coverage is None
    assert not mean_interval({100: 1}).bounded


# --- coverage by simulation --------------------------------------------------------------------


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("evidence_coverage", REPO_ROOT / "bench" / "evidence_coverage.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_simulation_builds_the_intervals_percentile_interval_builds(bench: ModuleType) -> None:
    """The bench keys only the two order statistics it needs; on real histograms of the same draws
    (exact values, Locust's keys, 1 % log keys), `percentile_interval` gives the same bounds."""
    ranges = {"exact": exact_range, "locust": locust_range, "relative 1%": RelativeRange(0.01)}
    for d in range(len(bench.DISTRIBUTIONS)):
        for n in (10, 100):
            runs = bench.draw(d, n, 20)
            for q in (0.5, 0.95, 0.99):
                for rule, key_range in ranges.items():
                    low, high = bench.intervals(runs, q, CONF, rule)
                    bucket = bench.RULES[rule][0]
                    for i, run in enumerate(runs):
                        hist = Counter(np.asarray(bucket(run), dtype=float).tolist())
                        got = percentile_interval(hist, q, bucket_range=key_range)
                        assert (got.low, got.high) == (pytest.approx(low[i]), pytest.approx(high[i])), (rule, n, q)


def test_coverage_by_simulation(bench: ModuleType) -> None:
    """Issue 15: >= 94 % for a 95 % interval over 1,000 draws of known distributions, n = 10, 100, 1,000.

    The runs are stored as the judge reads them (Locust's keys; 1 % log keys, issue 18's plan): every
    cell covers at least 94 %. With exact values the ranks' nominal coverage can be 95.00 % itself
    (n = 1,000, p50), where 1,000 draws scatter by +-0.7 %: each exact cell must be no lower than its
    nominal coverage allows (binomial 0.1 % quantile), and the exact coverage, which depends on n and q
    alone (distribution-free), at least 94 % over its three distributions' 3,000 draws.
    """
    cells = bench.percentile_cells(draws=1000)
    assert len(cells) == 3 * 3 * 3 * 3
    by = {(c.distribution, c.n, c.q, c.rule): c for c in cells}
    for c in cells:
        assert c.nominal >= CONF
        assert c.covered >= binom.ppf(0.001, c.draws, c.nominal), c
        if c.rule != "exact":
            assert c.coverage >= 0.94, c
            # The same draws: a key's range holds the value, so a bucketed interval holds the exact one.
            assert c.covered >= by[(c.distribution, c.n, c.q, "exact")].covered, c
        # Bounded exactly where the binomial allows: both sides from n = 59 (p95), 299 (p99).
        needed = math.ceil(math.log(1 - CONF) / math.log(c.q))
        assert c.upper_bounded == (c.n >= needed) and c.lower_bounded, c
    for n in bench.NS:
        for q in bench.QUANTILES:
            exact = [c for c in cells if (c.n, c.q, c.rule) == (n, q, "exact")]
            assert sum(c.covered for c in exact) / sum(c.draws for c in exact) >= 0.94, (n, q)
