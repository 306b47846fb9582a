"""Coverage of the judge's confidence intervals (`ops_perf/judge/evidence.py`), by simulation.

    .venv/bin/python bench/evidence_coverage.py [--draws 1000] [--seed 15] [--confidence 0.95]

Issue 15 asks that a 95 % interval cover the truth in at least 94 % of 1,000 draws of known
distributions, for n = 10, 100 and 1,000 requests. For each distribution (lognormal, exponential and
a bimodal mixture: a fast majority and a slow 15 %), n and percentile (p50, p95, p99), `draws` runs
of n response times are drawn; each run's interval is built as the judge builds it and counts as
covering when the distribution's true quantile (its ppf) lies in it. Three ways of storing the times:
`exact` (the values themselves), `locust` (Locust's own `bucket_response_time`, what runs store
today) and `relative 1%` (log-spaced keys within 1 %, issue 18's plan). An unbounded side covers
(it claims nothing); `sides` says which sides were bounded (the ranks depend on n and q only, so a
cell is bounded in all of its draws or in none). `nominal` is the exact binomial coverage of the
ranks, `width` the median interval width over the true value where both sides are bounded.

The order statistics of a run are its sorted values; bucketing is monotone, so the l-th smallest key
is the key of the l-th smallest value: the simulation keys only the two order statistics it needs.
tests/test_evidence.py checks that this equals `percentile_interval` on the runs' histograms, and
asserts the table below at the default settings. The mean's Student-t interval (`mean_interval`,
approximate by design) is measured the same way in a second table, for information.
"""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import optimize, stats

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops_perf.judge.evidence import (  # noqa: E402
    BucketRange,
    RelativeRange,
    exact_range,
    locust_range,
    log_bucket,
    order_statistic_ranks,
)
from ops_perf.locust_compat import LOCUST_BUCKETING  # noqa: E402

NS = (10, 100, 1000)
QUANTILES = (0.50, 0.95, 0.99)
SEED = 15


@dataclass(frozen=True)
class Distribution:
    """A response-time distribution in ms whose quantiles and mean are known exactly."""

    name: str
    sample: Callable[[np.random.Generator, tuple[int, int]], np.ndarray]
    ppf: Callable[[float], float]
    mean: float


def _lognormal(median: float, sigma: float) -> Distribution:
    law = stats.lognorm(s=sigma, scale=median)
    return Distribution(
        f"lognormal(median {median:g}, sigma {sigma:g})",
        lambda rng, shape: median * np.exp(sigma * rng.standard_normal(shape)),
        lambda q: float(law.ppf(q)),
        float(law.mean()),
    )


def _exponential(mean: float) -> Distribution:
    law = stats.expon(scale=mean)
    return Distribution(
        f"exponential(mean {mean:g})",
        lambda rng, shape: rng.exponential(mean, shape),
        lambda q: float(law.ppf(q)),
        mean,
    )


def _mixture(fast: tuple[float, float], slow: tuple[float, float], slow_share: float) -> Distribution:
    """A fast majority and a slow share (a cache miss, a cold query): two lognormal modes."""
    a, b = stats.lognorm(s=fast[1], scale=fast[0]), stats.lognorm(s=slow[1], scale=slow[0])

    def sample(rng: np.random.Generator, shape: tuple[int, int]) -> np.ndarray:
        slow_ones = rng.random(shape) < slow_share
        z = rng.standard_normal(shape)
        return np.where(slow_ones, slow[0] * np.exp(slow[1] * z), fast[0] * np.exp(fast[1] * z))

    def ppf(q: float) -> float:
        cdf = lambda x: (1 - slow_share) * a.cdf(x) + slow_share * b.cdf(x) - q  # noqa: E731
        return float(optimize.brentq(cdf, 1e-9, 1e7, xtol=1e-9))

    mean = (1 - slow_share) * float(a.mean()) + slow_share * float(b.mean())
    name = f"bimodal({1 - slow_share:.0%} at {fast[0]:g} ms, {slow_share:.0%} at {slow[0]:g} ms)"
    return Distribution(name, sample, ppf, mean)


DISTRIBUTIONS: tuple[Distribution, ...] = (
    _lognormal(150.0, 0.8),
    _exponential(120.0),
    _mixture((80.0, 0.3), (1500.0, 0.4), 0.15),
)

# Locust's own buckets, whatever a plugin installed since (`ops_perf.plugin.precision` replaces them).
assert LOCUST_BUCKETING is not None, "needs Locust >= 2.43.4"
_locust_keys = np.vectorize(LOCUST_BUCKETING, otypes=[float])

Bucketing = tuple[Callable[[np.ndarray], np.ndarray], BucketRange]
RULES: dict[str, Bucketing] = {
    "exact": (lambda x: x, exact_range),
    "locust": (_locust_keys, locust_range),
    "relative 1%": (lambda x: log_bucket(x, 0.01), RelativeRange(0.01)),
}


def draw(distribution: int, n: int, draws: int, seed: int = SEED) -> np.ndarray:
    """`draws` runs of n response times, each run sorted; seeded by (seed, distribution, n) alone."""
    rng = np.random.default_rng([seed, distribution, n])
    return np.sort(DISTRIBUTIONS[distribution].sample(rng, (draws, n)), axis=1)


@dataclass(frozen=True)
class Cell:
    distribution: str
    n: int
    q: float
    rule: str
    draws: int
    covered: int
    nominal: float
    lower_bounded: bool
    upper_bounded: bool
    width: float
    """Median of (high - low) / true quantile over the draws; inf when a side is unbounded."""

    @property
    def coverage(self) -> float:
        return self.covered / self.draws

    @property
    def sides(self) -> str:
        return {(True, True): "both", (True, False): "low only", (False, True): "high only"}.get(
            (self.lower_bounded, self.upper_bounded), "none"
        )


def intervals(runs: np.ndarray, q: float, confidence: float, rule: str) -> tuple[np.ndarray, np.ndarray]:
    """Each sorted run's interval for the q-quantile, as `percentile_interval` builds it (floor 0)."""
    draws, n = runs.shape
    ranks = order_statistic_ranks(n, q, confidence)
    bucket, key_range = RULES[rule]
    low = np.zeros(draws)
    high = np.full(draws, math.inf)
    if ranks.low >= 1:
        low = key_range(bucket(runs[:, ranks.low - 1]))[0]
    if ranks.high <= n:
        high = key_range(bucket(runs[:, ranks.high - 1]))[1]
    return np.asarray(low, dtype=float), np.asarray(high, dtype=float)


def percentile_cells(
    draws: int = 1000,
    seed: int = SEED,
    confidence: float = 0.95,
    ns: Sequence[int] = NS,
    quantiles: Sequence[float] = QUANTILES,
    rules: Sequence[str] = tuple(RULES),
) -> list[Cell]:
    cells: list[Cell] = []
    for d, dist in enumerate(DISTRIBUTIONS):
        for n in ns:
            runs = draw(d, n, draws, seed)
            for q in quantiles:
                truth = dist.ppf(q)
                ranks = order_statistic_ranks(n, q, confidence)
                for rule in rules:
                    low, high = intervals(runs, q, confidence, rule)
                    covered = int(((low <= truth) & (truth <= high)).sum())
                    width = float(np.median((high - low) / truth))
                    cells.append(
                        Cell(
                            dist.name,
                            n,
                            q,
                            rule,
                            draws,
                            covered,
                            ranks.coverage,
                            ranks.low >= 1,
                            ranks.high <= n,
                            width,
                        )
                    )
    return cells


@dataclass(frozen=True)
class MeanCell:
    distribution: str
    n: int
    rule: str
    draws: int
    covered: int

    @property
    def coverage(self) -> float:
        return self.covered / self.draws


def mean_cells(draws: int = 1000, seed: int = SEED, confidence: float = 0.95, ns: Sequence[int] = NS) -> list[MeanCell]:
    """`mean_interval`'s rule, vectorised over the draws, against each distribution's true mean."""
    cells: list[MeanCell] = []
    for d, dist in enumerate(DISTRIBUTIONS):
        for n in ns:
            runs = draw(d, n, draws, seed)
            t = float(stats.t.ppf(0.5 + confidence / 2, n - 1))
            for rule in ("exact", "locust"):
                bucket, key_range = RULES[rule]
                keys = bucket(runs)
                lows, highs = key_range(keys)
                margin = t * keys.std(axis=1, ddof=1) / math.sqrt(n)
                low = np.maximum(np.asarray(lows).mean(axis=1) - margin, 0.0)
                high = np.asarray(highs).mean(axis=1) + margin
                covered = int(((low <= dist.mean) & (dist.mean <= high)).sum())
                cells.append(MeanCell(dist.name, n, rule, draws, covered))
    return cells


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="runs drawn per cell (default 1000)")
    parser.add_argument("--seed", type=int, default=SEED, help=f"random seed (default {SEED})")
    parser.add_argument("--confidence", type=float, default=0.95, help="interval level (default 0.95)")
    args = parser.parse_args(argv)
    if args.draws < 1 or not 0 < args.confidence < 1:
        parser.error("--draws must be >= 1 and --confidence within (0, 1)")
    cells = percentile_cells(args.draws, args.seed, args.confidence)
    print(f"Percentile intervals at {args.confidence:.0%}, {args.draws} draws per cell (seed {args.seed})")
    print(
        f"{'distribution':<42} {'n':>5} {'q':>5} {'sides':>9} {'nominal':>8}  " + "  ".join(f"{r:>16}" for r in RULES)
    )
    by_key: dict[tuple[str, int, float], list[Cell]] = {}
    for cell in cells:
        by_key.setdefault((cell.distribution, cell.n, cell.q), []).append(cell)
    for (name, n, q), row in by_key.items():
        figures = "  ".join(
            f"{c.coverage:>7.1%} w {c.width:>6.2f}" if math.isfinite(c.width) else f"{c.coverage:>7.1%} w {'-':>6}"
            for c in row
        )
        print(f"{name:<42} {n:>5} {q:>5} {row[0].sides:>9} {row[0].nominal:>8.4f}  {figures}")
    worst = min(cells, key=lambda c: c.coverage)
    print(f"lowest coverage: {worst.coverage:.1%} ({worst.distribution}, n {worst.n}, q {worst.q}, {worst.rule})")
    print(f"\nMean (Student t, approximate) at {args.confidence:.0%}, {args.draws} draws per cell")
    for m in mean_cells(args.draws, args.seed, args.confidence):
        print(f"{m.distribution:<42} {m.n:>5} {m.rule:>8} {m.coverage:>7.1%}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
