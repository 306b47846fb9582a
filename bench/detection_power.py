"""Detection power of `ops-perf history detect` on nights simulated from the real 2025-10-15 runs.

    .venv/bin/python bench/detection_power.py [--trials 320] [--fa-histories 6] [--seed 1] [--mix even]

The noise model, fitted to ../shared/reference/results-2025-10-15 (printed first):
- per endpoint, a lognormal response time: median = the endpoint's p50 in the 3-user baseline run
  (stg, dev, prod) where it had the most requests; spread sigma from its p75 against p50 (robust
  with ~10 requests); a 5 % tail of slow answers sized so that its p95 is reproduced. The catalog's
  endpoints that no reference run has (23 of 64, added since) borrow the parameters of a fitted one
  (the fitted ones in turn, by name): they still spend the budget and still are series.
- night to night, two log-normal factors: one for the whole night (every endpoint moves together)
  and one per endpoint and night. The reference has no two nights of one environment and scenario;
  its two same-environment pairs (stg-baseline vs stg-baseline-normal, production-baseline vs
  production-baseline-normal) differ in load too (3 vs 10 users). The per-endpoint factor is fitted
  from them (residual spread of the log ratio of endpoint medians, less the sampling noise of a
  median of n requests), which overstates night noise: conservative. The whole-night factor is
  assumed (`--night-sd`, default 0.05): the pairs' common shift (~0.7) measures the load, not nights.
- a night is summarised as the real pipeline does: each response time is bucketed with Locust's own
  `bucket_response_time`, the percentile cells come from Locust's `calculate_response_time_percentile`
  over that histogram (the stats CSV's cells, which the store keeps), and histogram metrics
  (`center_ms`) from the same histogram through the store's `row_value`.
- pages (no page runs exist yet): a page view is the slowest of 4 parallel API calls (drawn from the
  endpoint model); a page night spends the whole budget on `--pages` pages (600 calls = 150 views).

A night spends the baseline's budget, 600 requests at 3 users, over the 64 endpoints of the catalog
by their weights (`--mix weighted`, today's baseline) or evenly (`--mix even`). Each trial: `HISTORY`
clean nights, then a persistent slowdown from the next night on (50 % on one endpoint, or 25 % on
every request for the aggregate and page p95); after each new night the series go through
`ops_perf.history.detect.changes_of` (the production path: Otava's change points plus the
newest-runs step test, at the significance level that `alarm_levels` gives that series among all of
the night's series), with the `[history]` settings of config/targets.toml. A trial counts as found
when a slower change starting at the planted night (+-1) is reported within the window (5 nights;
3 for aggregate and page). False alarms: clean histories of `HISTORY` + 30 nights, every series
analysed after each of the 30 nights; each distinct slower change flagged as recent (what would
fail the nightly) is one false alarm.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
from locust.stats import bucket_response_time, calculate_response_time_percentile

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ops_perf.history.config import HistoryConfig, load_history_config  # noqa: E402
from ops_perf.history.detect import Point, Series, changes_of, recent_regressions, row_value  # noqa: E402
from ops_perf.history.recent import alarm_levels, level_key  # noqa: E402
from ops_perf.runfiles.load import discover_runs, load_run  # noqa: E402
from ops_perf.users.endpoints.catalog import ENDPOINTS  # noqa: E402  (data only, no Locust user code)

REFERENCE = ROOT.parent / "shared" / "reference" / "results-2025-10-15"
BASELINE_RUNS = ("stg-baseline", "dev-baseline", "production-baseline")
NIGHT_PAIRS = (("stg-baseline", "stg-baseline-normal"), ("production-baseline", "production-baseline-normal"))
BUDGET = 600
"""Requests per night: today's baseline (3 users, 10 minutes, 1-3 s think time)."""
HISTORY = 20
"""Clean nights in the store before the change (three weeks of nightlies)."""
CALLS_PER_VIEW = 4
ENDPOINT_WINDOW, GLOBAL_WINDOW = 5, 3
FA_NIGHTS = 30
NIGHT_SD = 0.05
"""The whole-night factor (log sd) assumed by default (see the module docstring)."""
SIGMA_BOUNDS = (0.05, 1.5)
TAIL_SHARE = 0.05
PAGE_SEED = 12


@dataclass(frozen=True)
class Model:
    names: tuple[str, ...]
    fitted: np.ndarray
    """True where the endpoint's parameters are its own (False: borrowed from a fitted one)."""
    mu: np.ndarray
    sigma: np.ndarray
    tail: np.ndarray
    """Factor on the slowest 5 % of an endpoint's requests (1 = no extra tail)."""
    weights: np.ndarray
    night_sd: float
    endpoint_night_sd: float


def fit() -> Model:
    runs = {r.prefix: load_run(r) for r in discover_runs([REFERENCE])}
    best: dict[str, tuple[int, tuple[float, float, float]]] = {}
    for prefix in BASELINE_RUNS:
        for rec in runs[prefix].endpoints.to_dict("records"):
            name, n = str(rec["name"]), int(rec["requests"] or 0)
            if not n or not rec.get("p50") or (name in best and best[name][0] >= n):
                continue
            p50 = float(rec["p50"])
            p75, p95 = float(rec.get("p75") or p50), float(rec.get("p95") or p50)
            # The core spread from p75 (robust with ~10 requests); the tail as a 5 % share of requests
            # slowed so that the endpoint's p95 is reproduced (OPS's occasional slow answer).
            sigma = min(max(math.log(max(p75, p50) / p50) / 0.674, SIGMA_BOUNDS[0]), SIGMA_BOUNDS[1])
            tail = max(1.0, (p95 / p50) / math.exp(1.645 * sigma))
            best[name] = (n, (math.log(p50), sigma, tail))
    params = {name: value for name, (_, value) in best.items()}
    catalog = [ep for ep in ENDPOINTS if ep.weight > 0]
    names = tuple(ep.locust_name for ep in catalog)
    own = sorted(n for n in names if n in params)
    donors = iter(own * len(names))
    chosen = [params[n] if n in params else params[next(donors)] for n in names]
    mu = np.array([c[0] for c in chosen])
    sigma = np.array([c[1] for c in chosen])
    tail = np.array([c[2] for c in chosen])
    weights = np.array([ep.weight for ep in catalog], dtype=float)
    shifts, resid_vars = [], []
    for a, b in NIGHT_PAIRS:
        ra = {r["name"]: r for r in runs[a].endpoints.to_dict("records")}
        rb = {r["name"]: r for r in runs[b].endpoints.to_dict("records")}
        d, sampling = [], []
        for name in set(ra) & set(rb) & set(params):
            na, nb = ra[name]["requests"], rb[name]["requests"]
            if na >= 5 and nb >= 5 and ra[name].get("p50") and rb[name].get("p50"):
                d.append(math.log(float(ra[name]["p50"])) - math.log(float(rb[name]["p50"])))
                s = params[name][1]
                sampling.append((math.pi / 2) * s * s * (1 / na + 1 / nb))
        shift = statistics.median(d)
        shifts.append(shift)
        resid_vars.append(max(0.0, statistics.pvariance([x - shift for x in d]) - statistics.mean(sampling)) / 2)
    night_sd = math.sqrt(statistics.mean(s * s for s in shifts))
    endpoint_night_sd = math.sqrt(statistics.mean(resid_vars))
    fitted = np.array([n in params for n in names])
    return Model(names, fitted, mu, sigma, tail, weights, night_sd, endpoint_night_sd)


def buckets(times_ms: np.ndarray) -> dict[int, int]:
    """Locust's `response_times` histogram of these response times (its own bucketing)."""
    x = np.asarray(times_ms, dtype=float)
    out = np.where(
        x < 100, np.round(x), np.where(x < 1000, np.round(x, -1), np.where(x < 10000, np.round(x, -2), np.round(x, -3)))
    )
    keys, counts = np.unique(out.astype(np.int64), return_counts=True)
    return {int(k): int(c) for k, c in zip(keys, counts, strict=True)}


def check_buckets(rng: np.random.Generator) -> None:
    """The vectorised bucketing above must be Locust's, value for value (numpy rounds half to even,
    as Python's round does)."""
    x = np.exp(rng.uniform(0, math.log(60000), 20000))
    mine = buckets(x)
    theirs: dict[int, int] = {}
    for value in x:
        key = bucket_response_time(float(value))
        theirs[key] = theirs.get(key, 0) + 1
    assert mine == theirs, "bench bucketing differs from locust.stats.bucket_response_time"


def summary(hist: dict[int, int], metrics: Sequence[str]) -> dict[str, float]:
    """A row as the store holds it (cells from Locust's percentile method) -> the series values."""
    n = sum(hist.values())
    row = {
        "p50_ms": float(calculate_response_time_percentile(hist, n, 0.5)),
        "p95_ms": float(calculate_response_time_percentile(hist, n, 0.95)),
    }
    out = {}
    for metric in metrics:
        value = row_value(row, metric, hist)
        out[metric] = math.nan if value is None else value
    return out


@dataclass(frozen=True)
class Design:
    mix: str
    """`weighted` (catalog weights, today's baseline) or `even`."""
    pages: int = 0
    """0: an endpoint night; otherwise a page night of this many pages (the whole budget as views)."""


def night(
    model: Model, design: Design, config: HistoryConfig, rng: np.random.Generator, slow: np.ndarray, page_slow: float
) -> dict[str, float]:
    """One night's series values, keyed `<kind>:<name>:<metric>`."""
    g = rng.normal(0, model.night_sd)
    h = rng.normal(0, model.endpoint_night_sd, len(model.names))
    out: dict[str, float] = {}
    if design.pages:
        views = BUDGET // CALLS_PER_VIEW // design.pages
        calls_of = np.random.default_rng(PAGE_SEED).integers(0, len(model.names), size=(design.pages, CALLS_PER_VIEW))
        pooled = []
        for p in range(design.pages):
            idx = np.broadcast_to(calls_of[p], (views, CALLS_PER_VIEW))
            calls = np.exp(model.mu[idx] + g + h[idx] + model.sigma[idx] * rng.standard_normal(idx.shape))
            calls = np.where(rng.random(calls.shape) < TAIL_SHARE, calls * model.tail[idx], calls) * page_slow
            pooled.append(calls.ravel())
            for metric, value in summary(buckets(calls.max(axis=1)), config.page_metrics).items():
                out[f"page:p{p}:{metric}"] = value
    else:
        k = len(model.names)
        if design.mix == "even":
            counts = np.full(k, BUDGET // k)
            counts[rng.choice(k, BUDGET - counts.sum(), replace=False)] += 1
        elif design.mix == "spread":
            counts = rng.multinomial(BUDGET, spread_shares(model, config))
        else:
            counts = rng.multinomial(BUDGET, model.weights / model.weights.sum())
        pooled = []
        for i, n in enumerate(counts):
            if n == 0:
                continue
            x = np.exp(model.mu[i] + g + h[i] + model.sigma[i] * rng.standard_normal(n)) * slow[i]
            x = np.where(rng.random(n) < TAIL_SHARE, x * model.tail[i], x)
            pooled.append(x)
            if n >= config.min_requests:
                for metric, value in summary(buckets(x), config.endpoint_metrics).items():
                    out[f"endpoint:e{i}:{metric}"] = value
    for metric, value in summary(buckets(np.concatenate(pooled)), config.aggregate_metrics).items():
        out[f"aggregate:Aggregated:{metric}"] = value
    return out


def spread_shares(model: Model, config: HistoryConfig) -> np.ndarray:
    """A mix no scenario has (bench only): requests in proportion to each endpoint's spread squared,
    so every endpoint's night value gets about the same sampling noise, with `min_requests` + 1 each
    at least. What the best allocation of the same budget would buy, if the spreads were known."""
    floor = (config.min_requests + 1) / BUDGET
    raw = model.sigma**2 / (model.sigma**2).sum()
    shares = np.maximum(raw * (1 - floor * len(raw)), 0) + floor
    return shares / shares.sum()


def oracle(
    model: Model, design: Design, config: HistoryConfig, rng: np.random.Generator, keys: Sequence[str],
    levels: dict[str, float], factor: float, window: int, nights: int = 240,
) -> dict[str, float]:  # fmt: skip
    """An upper bound on any detector's power at the same false-alarm share: each series' night-to-night
    sd of its log value measured on clean nights (sampling and night noise, as the detector sees
    them), then a one-sided z-test that knows that sd and the night of the change, with all `window`
    nights after it against the `HISTORY` before, at the series' whole share of the budget."""
    from scipy.stats import norm

    k = len(model.names)
    values = [night(model, design, config, rng, np.ones(k), 1.0) for _ in range(nights)]
    tries = max(1, config.recent_runs - config.min_runs_after + 1)
    out = {}
    for key in keys:
        logs = np.log([v[key] for v in values if key in v and not math.isnan(v[key])])
        if len(logs) < 10:
            out[key] = 0.0
            continue
        se = float(np.std(logs, ddof=1)) * math.sqrt(1 / window + 1 / HISTORY)
        z = math.log(factor) / max(se, 1e-9)
        out[key] = float(norm.cdf(z - norm.isf(levels[key] * tries)))
    return out


def series(key: str, values: Sequence[float]) -> Series:
    kind, name, metric = key.split(":")
    pts = tuple(Point(str(i), f"n{i}", f"{i:04d}", v) for i, v in enumerate(values) if not math.isnan(v))
    return Series("sim", "nightly", kind, name, metric, pts)


def levels_for(keys: Sequence[str], config: HistoryConfig) -> dict[str, float]:
    """Each series' level as `detect` would give it among all of the night's series."""
    every = [series(key, []) for key in keys]
    levels = alarm_levels(every, config)
    return {key: levels[level_key(s)] for key, s in zip(keys, every, strict=True)}


def found_within(
    values: list[float], key: str, change_at: int, window: int, config: HistoryConfig, level: float
) -> bool:
    for k in range(1, window + 1):
        s = series(key, values[: change_at + k])
        target = next((i for i, p in enumerate(s.points) if p.prefix == f"n{change_at}"), None)
        if target is None:
            continue
        for c in changes_of(s, config, level):
            if c in recent_regressions([c], config) and abs(c.index - target) <= 1:
                return True
    return False


def power_endpoint(
    model: Model, design: Design, trials: int, config: HistoryConfig, rng: np.random.Generator, levels: dict[str, float],
    window: int, factor: float, metric: str,
) -> tuple[float, float, list[int]]:  # fmt: skip
    k = len(model.names)
    hits, tries = np.zeros(k), np.zeros(k)
    for t in range(trials):
        e = t % k
        slow = np.ones(k)
        nights = [night(model, design, config, rng, slow, 1.0) for _ in range(HISTORY)]
        slow[e] = factor
        nights += [night(model, design, config, rng, slow, 1.0) for _ in range(window)]
        key = f"endpoint:e{e}:{metric}"
        tries[e] += 1
        hits[e] += found_within([n.get(key, math.nan) for n in nights], key, HISTORY, window, config, levels[key])
    rates = np.where(tries > 0, hits / np.maximum(tries, 1), np.nan)
    worst = [int(i) for i in np.argsort(rates)[:5]]
    return float(hits.sum() / tries.sum()), float(np.nanmin(rates)), worst


def power_global(
    model: Model, design: Design, trials: int, config: HistoryConfig, rng: np.random.Generator, key: str, levels: dict[str, float]
) -> float:  # fmt: skip
    k = len(model.names)
    hits = 0
    for _ in range(trials):
        nights = [night(model, design, config, rng, np.ones(k), 1.0) for _ in range(HISTORY)]
        if key.startswith("aggregate"):
            nights += [night(model, design, config, rng, np.full(k, 1.25), 1.0) for _ in range(GLOBAL_WINDOW)]
        else:
            nights += [night(model, design, config, rng, np.ones(k), 1.25) for _ in range(GLOBAL_WINDOW)]
        hits += found_within([n.get(key, math.nan) for n in nights], key, HISTORY, GLOBAL_WINDOW, config, levels[key])
    return hits / trials


def false_alarms(
    model: Model, design: Design, histories: int, config: HistoryConfig, rng: np.random.Generator
) -> tuple[int, int, dict[str, int], int]:
    """(false alarms, nights watched, alarms by kind, red nights) over clean histories of HISTORY +
    FA_NIGHTS nights. A false alarm is each distinct (series, first run) flagged as a recent slower
    change (one bump flagged from two different runs counts twice); a red night is a night on which
    some series is flagged (the nightly would fail)."""
    alarms, by_kind, red = 0, {}, set()
    k = len(model.names)
    for h_i in range(histories):
        nights = [night(model, design, config, rng, np.ones(k), 1.0) for _ in range(HISTORY + FA_NIGHTS)]
        keys = sorted({key for n in nights for key in n})
        levels = levels_for(keys, config)
        for key in keys:
            flagged: set[str] = set()
            values = [n.get(key, math.nan) for n in nights]
            for t in range(HISTORY + 1, HISTORY + FA_NIGHTS + 1):
                for c in recent_regressions(changes_of(series(key, values[:t]), config, levels[key]), config):
                    flagged.add(c.prefix)
                    red.add((h_i, t))
            alarms += len(flagged)
            if flagged:
                by_kind[key.split(":")[0]] = by_kind.get(key.split(":")[0], 0) + len(flagged)
    return alarms, histories * FA_NIGHTS, by_kind, len(red)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--trials", type=int, default=320, help="trials per endpoint-slowdown figure (0: none)")
    parser.add_argument("--global-trials", type=int, default=200, help="trials per aggregate/page figure")
    parser.add_argument("--fa-histories", type=int, default=6, help="clean histories of 30 nights for false alarms")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--mix", choices=("weighted", "even", "spread"), action="append",
        help="endpoint mix(es) to measure (spread: bench only, requests by each endpoint's spread squared)",
    )  # fmt: skip
    parser.add_argument("--pages", type=int, default=2, help="pages of the page night (0: no page figures)")
    parser.add_argument(
        "--endpoint-night-sd", type=float, default=None, help="per-endpoint night sd (log) instead of the fitted one"
    )
    parser.add_argument("--endpoint-window", type=int, default=ENDPOINT_WINDOW, help="nights allowed (endpoint)")
    parser.add_argument("--slowdown", type=float, default=1.5, help="planted factor on one endpoint")
    parser.add_argument("--endpoint-metric", help="override [history] endpoint_metrics with this one metric")
    parser.add_argument("--min-change-pct", type=float, help="override [history] min_change_pct")
    parser.add_argument("--max-pvalue", type=float, help="override [history] max_pvalue")
    parser.add_argument("--alarm-rate", type=float, help="override [history] alarm_rate")
    parser.add_argument("--min-runs-after", type=int, help="override [history] min_runs_after")
    parser.add_argument(
        "--night-sd", type=float, default=NIGHT_SD,
        help=f"whole-night factor sd (log), default {NIGHT_SD}; 0 to use the fitted one (confounded by load)",
    )  # fmt: skip
    args = parser.parse_args()
    if not REFERENCE.is_dir():
        print(f"skipped: {REFERENCE} is missing (the 2025-10-15 reference runs fit the noise model)")
        return 0
    config = load_history_config()
    for field, value in (
        ("min_change_pct", args.min_change_pct), ("max_pvalue", args.max_pvalue),
        ("alarm_rate", args.alarm_rate), ("min_runs_after", args.min_runs_after),
    ):  # fmt: skip
        if value is not None:
            config = replace(config, **{field: value})
    if args.endpoint_metric:
        config = replace(config, endpoint_metrics=(args.endpoint_metric,))
    warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)  # scipy on equal rounded values
    check_buckets(np.random.default_rng(0))
    model = fit()
    if args.endpoint_night_sd is not None:
        print(f"fitted per-endpoint night sd {model.endpoint_night_sd:.3f} replaced by {args.endpoint_night_sd:g}")
        model = replace(model, endpoint_night_sd=args.endpoint_night_sd)
    if args.night_sd:
        print(
            f"night factor sd {args.night_sd:g} assumed (fitted {model.night_sd:.3f}, but from runs at 3 vs 10 users)"
        )
        model = replace(model, night_sd=args.night_sd)
    print(f"noise model from {REFERENCE.name}: {len(model.names)} endpoints ({int(model.fitted.sum())} fitted, "
          f"the rest borrow a fitted one's); response-time sigma (log) median {np.median(model.sigma):.2f} "
          f"[{model.sigma.min():.2f}..{model.sigma.max():.2f}]; night factor sd {model.night_sd:.3f}, "
          f"per-endpoint night sd {model.endpoint_night_sd:.3f} (log)")  # fmt: skip
    metric = config.endpoint_metrics[0]
    print(f"[history] endpoint_metrics={list(config.endpoint_metrics)} max_pvalue={config.max_pvalue:g} "
          f"alarm_rate={config.alarm_rate:g} min_change_pct={config.min_change_pct:g} window={config.window} "
          f"recent_runs={config.recent_runs} min_runs_after={config.min_runs_after} min_requests={config.min_requests}; "
          f"{HISTORY} clean nights before each change; {BUDGET} requests a night; seed {args.seed}")  # fmt: skip
    for mix in (args.mix or ["weighted", "even"]) if args.trials > 0 else []:  # --trials 0: the page night only
        design = Design(mix)
        rng = np.random.default_rng(args.seed)
        started = time.perf_counter()
        keys = sorted(night(model, Design("even"), config, np.random.default_rng(0), np.ones(len(model.names)), 1.0))
        levels = levels_for(keys, config)
        overall, worst, worst_idx = power_endpoint(
            model, design, args.trials, config, rng, levels, args.endpoint_window, args.slowdown, metric
        )
        agg = power_global(model, design, args.global_trials, config, rng, "aggregate:Aggregated:p95_ms", levels)
        alarms, nights, by_kind, red = false_alarms(model, design, args.fa_histories, config, rng)
        ends = [key for key in keys if key.startswith("endpoint:")]
        bound = oracle(model, design, config, rng, ends, levels, args.slowdown, args.endpoint_window)
        agg_key = "aggregate:Aggregated:p95_ms"
        agg_bound = oracle(model, design, config, rng, [agg_key], levels, 1.25, GLOBAL_WINDOW)[agg_key]
        label = {
            "even": "an even spread",
            "weighted": "catalog weight",
            "spread": "each endpoint's spread (bench only)",
        }
        print(f"\nendpoint night, requests by {label[mix]} ({len(keys)} series):")
        print(f"  {(args.slowdown - 1) * 100:.0f}% slower {metric}, one endpoint, within {args.endpoint_window} nights: "
              f"{overall:6.1%} of {args.trials} trials (worst endpoint {worst:.0%}; weakest: "
              f"{', '.join(model.names[i] for i in worst_idx[:3])})   goal >= 90%")  # fmt: skip
        print(
            f"  25% slower aggregate p95, within {GLOBAL_WINDOW} nights: {agg:6.1%} of {args.global_trials} trials   goal >= 90%"
        )
        print(f"  bound for any detector at the same false-alarm share (known noise, known night): endpoint "
              f"{np.mean([bound[key] for key in ends]):.1%} (under 50 % for {sum(b < 0.5 for b in bound.values())} "
              f"of {len(ends)} endpoints), aggregate p95 {agg_bound:.1%}")  # fmt: skip
        print(f"  false alarms over all {len(keys)} series: {alarms} in {nights} nights = {alarms * 30 / nights:.2f} "
              f"per 30 nights {dict(sorted(by_kind.items()))}; red nights {red * 30 / nights:.2f} per 30   goal <= 1")  # fmt: skip
        print(f"  ({time.perf_counter() - started:.0f} s)")
    if args.pages:
        design = Design("even", pages=args.pages)
        rng = np.random.default_rng(args.seed)
        started = time.perf_counter()
        keys = sorted(night(model, design, config, np.random.default_rng(0), np.ones(len(model.names)), 1.0))
        levels = levels_for(keys, config)
        page = power_global(model, design, args.global_trials, config, rng, "page:p0:p95_ms", levels)
        alarms, nights, by_kind, red = false_alarms(model, design, args.fa_histories, config, rng)
        views = BUDGET // CALLS_PER_VIEW // args.pages
        print(f"\npage night: {args.pages} page(s), {views} views each ({len(keys)} series):")
        print(
            f"  25% slower page p95, within {GLOBAL_WINDOW} nights: {page:6.1%} of {args.global_trials} trials   goal >= 90%"
        )
        print(f"  false alarms over all {len(keys)} series: {alarms} in {nights} nights = {alarms * 30 / nights:.2f} "
              f"per 30 nights {dict(sorted(by_kind.items()))}; red nights {red * 30 / nights:.2f} per 30")  # fmt: skip
        print(f"  ({time.perf_counter() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
