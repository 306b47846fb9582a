"""The noise model of bench/detection_power.py: what one night's requests look like, fitted to real runs, and
one simulated night summarised as the pipeline summarises a real one.

Two sources of the model:
- `fit_reference()`: the 2025-10-15 runs (../shared/reference). Per endpoint, a log-normal response time
  (median = its p50 in the 3-user baseline run where it had the most requests, spread from p75 against
  p50, a 5 % tail sized to reproduce its p95); the per-endpoint night factor from the two pairs of runs
  of one environment (3 vs 10 users, so it overstates night noise); the whole-night factor assumed.
- `fit_store(url, env, scenario)`: a team's own nights in the history store. Per endpoint, the same three
  parameters from its requests pooled over the nights (its histograms; the CSV cells where a run has
  none); night to night, each endpoint's night value (the log of its `center_ms`, or its p50 cell) is
  split into a part common to all endpoints that night (the whole-night factor), a per-endpoint part
  and the sampling noise of that night's requests, which is known from the night's own histogram (the
  trimmed mean's winsorized variance) or, for a p50 cell, from the spread and the count. The two night
  factors are what is left once the sampling noise is taken out.
The catalog's endpoints that the source has no figures for borrow a fitted one's (they still spend the
budget and are still series).

A night (`night`) draws each endpoint's requests (the budget by catalog weight or evenly), buckets each
time as the suite's Locust does (`locust_compat.bucket_response_time`: the store's percentiles are
within 1 %; or Locust's default, `--precision locust-default`), and gives the store's values: the
percentile cells by Locust's own rule over that histogram, `center_ms` from the same histogram through
the store's `row_value`.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from locust.stats import calculate_response_time_percentile

from ops_perf import locust_compat as compat
from ops_perf.errors import OpsPerfError
from ops_perf.history.config import HistoryConfig
from ops_perf.history.detect import row_value
from ops_perf.history.stats import CENTER_TRIM, log_variance
from ops_perf.runfiles.load import discover_runs, load_run
from ops_perf.users.endpoints.catalog import ENDPOINTS

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT.parent / "shared" / "reference" / "results-2025-10-15"
BASELINE_RUNS = ("stg-baseline", "dev-baseline", "production-baseline")
NIGHT_PAIRS = (("stg-baseline", "stg-baseline-normal"), ("production-baseline", "production-baseline-normal"))
NIGHT_SD = 0.05
"""The whole-night factor (log sd) assumed for the reference model (its runs have no two nights)."""
SIGMA_BOUNDS = (0.05, 1.5)
TAIL_SHARE = 0.05
CALLS_PER_VIEW = 4
PAGE_SEED = 12
MIN_NIGHTS = 5
"""A store needs this many valid runs of the env and scenario to fit night-to-night noise."""


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
    source: str


def _catalog() -> tuple[tuple[str, ...], np.ndarray]:
    catalog = [ep for ep in ENDPOINTS if ep.weight > 0]
    return tuple(ep.locust_name for ep in catalog), np.array([ep.weight for ep in catalog], dtype=float)


def _spread(p50: float, p75: float, p95: float) -> tuple[float, float]:
    """(sigma, tail) of a log-normal core with a 5 % tail, from three percentiles."""
    sigma = min(max(math.log(max(p75, p50) / p50) / 0.674, SIGMA_BOUNDS[0]), SIGMA_BOUNDS[1])
    return sigma, max(1.0, (p95 / p50) / math.exp(1.645 * sigma))


def _model(
    params: dict[str, tuple[float, float, float]], night_sd: float, endpoint_night_sd: float, source: str
) -> Model:
    names, weights = _catalog()
    own = sorted(n for n in names if n in params)
    if not own:
        raise OpsPerfError(f"{source}: no endpoint of the catalog has figures to fit")
    donors = iter(own * len(names))
    chosen = [params[n] if n in params else params[next(donors)] for n in names]
    return Model(
        names, np.array([n in params for n in names]), np.array([c[0] for c in chosen]),
        np.array([c[1] for c in chosen]), np.array([c[2] for c in chosen]), weights, night_sd, endpoint_night_sd,
        source,
    )  # fmt: skip


def fit_reference() -> Model:
    runs = {r.prefix: load_run(r) for r in discover_runs([REFERENCE])}
    best: dict[str, tuple[int, tuple[float, float, float]]] = {}
    for prefix in BASELINE_RUNS:
        for rec in runs[prefix].endpoints.to_dict("records"):
            name, n = str(rec["name"]), int(rec["requests"] or 0)
            if not n or not rec.get("p50") or (name in best and best[name][0] >= n):
                continue
            p50 = float(rec["p50"])
            sigma, tail = _spread(p50, float(rec.get("p75") or p50), float(rec.get("p95") or p50))
            best[name] = (n, (math.log(p50), sigma, tail))
    params = {name: value for name, (_, value) in best.items()}
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
    del shifts  # the pairs' common shift measures 3 vs 10 users, not nights: the night factor is assumed
    return _model(params, NIGHT_SD, math.sqrt(statistics.mean(resid_vars)), f"{REFERENCE.name} (reference runs)")


def _log_times(buckets: dict[float, int]) -> tuple[np.ndarray, np.ndarray]:
    items = sorted((math.log(max(float(k), 0.1)), int(v)) for k, v in buckets.items() if int(v) > 0)
    return np.array([k for k, _ in items]), np.array([v for _, v in items], dtype=float)


def _quantile(logs: np.ndarray, counts: np.ndarray, q: float) -> float:
    cum = np.cumsum(counts)
    return float(logs[min(int(np.searchsorted(cum, q * cum[-1], side="left")), len(logs) - 1)])


def center_variance(buckets: dict[float, int]) -> float:
    """Sampling variance of one night's log `center_ms` (the 20 % trimmed mean of the logs): the winsorized
    variance over (1 - 2 trim)^2 n (Tukey and McLaughlin), from that night's own histogram."""
    logs, counts = _log_times(buckets)
    n = counts.sum()
    if n < 2:
        return math.nan
    low, high = _quantile(logs, counts, CENTER_TRIM), _quantile(logs, counts, 1 - CENTER_TRIM)
    w = np.clip(logs, low, high)
    mean = float((w * counts).sum() / n)
    var = float((counts * (w - mean) ** 2).sum() / (n - 1))
    return var / ((1 - 2 * CENTER_TRIM) ** 2 * n)


def fit_store(url: str, env: str, scenario: str, config: HistoryConfig) -> Model:
    """The noise model of a store's own nights of `env` x `scenario` (see the module docstring)."""
    from ops_perf.history.store import Store

    with Store(url, create=False) as store:
        runs = store.runs(env, scenario, valid_only=True)
        if len(runs) < MIN_NIGHTS:
            raise OpsPerfError(
                f"--store {url}: {len(runs)} valid run(s) of {env}/{scenario}; the noise model needs at least "
                f"{MIN_NIGHTS} nights (check --env/--scenario with `ops-perf history runs`)"
            )
        ids = [r["run_id"] for r in runs]
        rows = [r for r in store.rows_of(ids) if r["kind"] == "endpoint" and r["requests"] >= config.min_requests]
        hists = store.histograms_of(ids)
    night_of = {run_id: i for i, run_id in enumerate(ids)}
    pooled: dict[str, dict[float, int]] = {}
    values: dict[str, dict[int, tuple[float, float]]] = {}
    cells: dict[str, list[tuple[float, float, float]]] = {}
    for row in rows:
        name, night = row["name"], night_of[row["run_id"]]
        hist = hists.get((row["run_id"], row["method"], name))
        if hist is not None:
            for k, v in hist.items():
                pooled.setdefault(name, {})[k] = pooled.setdefault(name, {}).get(k, 0) + v
            value = row_value(row, "center_ms", hist)
            if value:
                values.setdefault(name, {})[night] = (math.log(value), center_variance(hist))
        elif row["p50_ms"] and row["p95_ms"]:
            p50, p95 = float(row["p50_ms"]), float(row["p95_ms"])
            p75 = _cell(row, "p75") or p50
            cells.setdefault(name, []).append((p50, p75, p95))
            sigma, _ = _spread(p50, p75, p95)
            values.setdefault(name, {})[night] = (math.log(p50), (math.pi / 2) * sigma * sigma / row["requests"])
    params: dict[str, tuple[float, float, float]] = {}
    for name, hist in pooled.items():
        logs, counts = _log_times(hist)
        p50, p75, p95 = (math.exp(_quantile(logs, counts, q)) for q in (0.5, 0.75, 0.95))
        params[name] = (math.log(p50), *_spread(p50, p75, p95))
    for name, triples in cells.items():
        if name not in params:
            p50, p75, p95 = (statistics.median(t[i] for t in triples) for i in range(3))
            params[name] = (math.log(p50), *_spread(p50, p75, p95))
    night_sd, endpoint_night_sd = _night_factors(values, len(ids))
    return _model(params, night_sd, endpoint_night_sd, f"{env}/{scenario} in {url} ({len(ids)} nights)")


def _cell(row: dict, key: str) -> float | None:
    import json

    value = json.loads(row.get("percentiles") or "{}").get(key)
    return float(value) if value else None


def _night_factors(values: dict[str, dict[int, tuple[float, float]]], nights: int) -> tuple[float, float]:
    """(whole-night sd, per-endpoint night sd) from each endpoint's night values and their sampling variances."""
    series = {n: v for n, v in values.items() if len(v) >= MIN_NIGHTS}
    if not series:
        raise OpsPerfError("the store's runs give no endpoint with a value on enough nights to fit night noise")
    centred = {
        n: {t: x - statistics.mean(x for x, _ in v.values()) for t, (x, _) in v.items()} for n, v in series.items()
    }
    common = {t: statistics.mean(d[t] for d in centred.values() if t in d) for t in range(nights)}
    common = {t: g for t, g in common.items() if not math.isnan(g)}
    sampling = statistics.mean(var for v in series.values() for _, var in v.values() if not math.isnan(var))
    resid = [statistics.variance([d[t] - common[t] for t in d]) for d in centred.values() if len(d) >= 2]
    endpoint_var = max(0.0, statistics.mean(resid) - sampling)
    night_var = max(0.0, statistics.variance(list(common.values())) - (sampling + endpoint_var) / len(series))
    return math.sqrt(night_var), math.sqrt(endpoint_var)


@dataclass(frozen=True)
class Design:
    mix: str
    """`weighted` (catalog weights) or `even`."""
    budget: int = 600
    """Requests a night at the baseline's concurrency (3 users: 600 in 10 minutes)."""
    pages: int = 0
    """0: an endpoint night; otherwise a page night of this many pages (the whole budget as views)."""


def bucketer(precision: str) -> Callable[[float], float]:
    if precision == "locust-default":
        assert compat.LOCUST_BUCKETING is not None
        return compat.LOCUST_BUCKETING
    return compat.bucket_response_time


def buckets(times_ms: np.ndarray, bucket: Callable[[float], float]) -> dict[float, int]:
    """The `response_times` histogram Locust keeps of these times with `bucket` installed."""
    out: dict[float, int] = {}
    for t in times_ms.tolist():
        key = bucket(t)
        out[key] = out.get(key, 0) + 1
    return out


def summary(hist: dict[float, int], metrics: Sequence[str]) -> dict[str, tuple[float, float]]:
    """A row as the store holds it (cells by Locust's percentile rule) -> the series' (value, sampling variance
    of its log), as `build_series` makes a point of it."""
    n = sum(hist.values())
    row = {
        "p50_ms": float(calculate_response_time_percentile(hist, n, 0.5)),
        "p95_ms": float(calculate_response_time_percentile(hist, n, 0.95)),
    }
    out = {}
    for metric in metrics:
        value = row_value(row, metric, hist)
        out[metric] = (math.nan if value is None else value, log_variance(metric, hist))
    return out


def counts_of(model: Model, design: Design, rng: np.random.Generator) -> np.ndarray:
    k = len(model.names)
    if design.mix == "even":
        counts = np.full(k, design.budget // k)
        counts[rng.choice(k, design.budget - counts.sum(), replace=False)] += 1
        return counts
    return rng.multinomial(design.budget, model.weights / model.weights.sum())


def night(
    model: Model, design: Design, config: HistoryConfig, rng: np.random.Generator, slow: np.ndarray,
    page_slow: float, bucket: Callable[[float], float],
) -> dict[str, tuple[float, float]]:  # fmt: skip
    """One night's series (value, log sampling variance), keyed `<kind>:<name>:<metric>`."""
    g = rng.normal(0, model.night_sd)
    h = rng.normal(0, model.endpoint_night_sd, len(model.names))
    out: dict[str, tuple[float, float]] = {}
    pooled = []
    if design.pages:
        views = design.budget // CALLS_PER_VIEW // design.pages
        calls_of = np.random.default_rng(PAGE_SEED).integers(0, len(model.names), size=(design.pages, CALLS_PER_VIEW))
        for p in range(design.pages):
            idx = np.broadcast_to(calls_of[p], (views, CALLS_PER_VIEW))
            calls = np.exp(model.mu[idx] + g + h[idx] + model.sigma[idx] * rng.standard_normal(idx.shape))
            calls = np.where(rng.random(calls.shape) < TAIL_SHARE, calls * model.tail[idx], calls) * page_slow
            pooled.append(calls.ravel())
            for metric, value in summary(buckets(calls.max(axis=1), bucket), config.page_metrics).items():
                out[f"page:p{p}:{metric}"] = value
    else:
        for i, n in enumerate(counts_of(model, design, rng)):
            if n == 0:
                continue
            x = np.exp(model.mu[i] + g + h[i] + model.sigma[i] * rng.standard_normal(n)) * slow[i]
            x = np.where(rng.random(n) < TAIL_SHARE, x * model.tail[i], x)
            pooled.append(x)
            if n >= config.min_requests:
                for metric, value in summary(buckets(x, bucket), config.endpoint_metrics).items():
                    out[f"endpoint:e{i}:{metric}"] = value
    for metric, value in summary(buckets(np.concatenate(pooled), bucket), config.aggregate_metrics).items():
        out[f"aggregate:Aggregated:{metric}"] = value
    return out
