"""Change points in every series of the store, with Apache Otava's analysis (Hunter's E-divisive + t-test).

A series is one environment x scenario x row (endpoint, page or the aggregate) x metric, one point
per valid run, oldest first. Otava splits it where the distribution changes (E-divisive means over a
sliding window), then keeps a split only while the two sides differ by a t-test below `max_pvalue`
and by more than `min_change_pct` (its merge step). That is the field's reference method (MongoDB's
and DataStax's performance CI) and it answers the question the nightly has, "did this endpoint get
persistently slower, and from which run on", without a hand-tuned threshold per endpoint.

This module decides nothing about what a change means beyond its direction; it reports the first
run after each change, the relative change of the means, and whether it starts among the newest runs.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from ops_perf.history.config import HistoryConfig
from ops_perf.history.recent import Prior, alarm_levels, level_key, recent_step, variance_priors
from ops_perf.history.series import FLOOR_MS, Change, Point, Series, measured_by, where
from ops_perf.history.stats import CSV_STAND_IN, HISTOGRAM_METRICS, histogram_metric, log_variance
from ops_perf.history.store import Store
from ops_perf.runfiles.precision import LOCUST_DEFAULT

SERIES_KINDS = ("aggregate", "page", "endpoint")
"""Report order: the whole run first, then what people see, then the API."""


def build_series(
    store: Store, config: HistoryConfig, env: str | None = None, scenario: str | None = None
) -> list[Series]:
    """Every series of the store (or of one env / scenario), from valid runs only.

    Every run gives points, whatever wrote it: a row whose run has no histogram gives, for a histogram
    metric (`center_ms`), its CSV stand-in (`p50_ms`) instead, which is a series of its own (`why` says so).
    """
    all_runs = store.runs(env, scenario, valid_only=True)
    by_id = {r["run_id"]: r for r in all_runs}
    order = {r["run_id"]: i for i, r in enumerate(all_runs)}
    wanted = {m for kind in SERIES_KINDS for m in config.metrics_for(kind)}
    hists = store.histograms_of(list(by_id)) if wanted & set(HISTOGRAM_METRICS) else {}
    grouped: dict[tuple[str | None, str | None, str | None, str, str, str], list[tuple[int, Point]]] = {}
    for row in store.rows_of(list(by_id)):
        run = by_id[row["run_id"]]
        kind = row["kind"]
        if kind != "aggregate" and row["requests"] < config.min_requests:
            continue
        buckets = hists.get((row["run_id"], row["method"], row["name"]))
        for metric in metrics_of_row(config.metrics_for(kind), has_histogram=buckets is not None):
            value = row_value(row, metric, buckets)
            if value is None or not math.isfinite(float(value)):
                continue
            point = Point(run["run_id"], run["prefix"], run["started_at"], float(value), log_variance(metric, buckets))
            measured = measured_by(run.get("sim_profile"), run.get("sim_time_scale"))
            grouped.setdefault((run["env"], run["scenario"], measured, kind, row["name"], metric), []).append(
                (order[run["run_id"]], point)
            )
    out = [
        Series(
            env_, scen, kind, name, metric, tuple(p for _, p in sorted(points, key=lambda item: item[0])),
            why=metric_reason(kind, metric, config), measured=measured,
        )
        for (env_, scen, measured, kind, name, metric), points in grouped.items()
    ]  # fmt: skip
    out.sort(
        key=lambda s: (s.env or "", s.scenario or "", s.measured or "", SERIES_KINDS.index(s.kind), s.name, s.metric)
    )
    return out


def metrics_of_row(configured: Sequence[str], *, has_histogram: bool) -> list[str]:
    """The metrics one row gives points to: the configured ones, a histogram metric's CSV stand-in in its
    place where the run has no histogram (each once)."""
    out: list[str] = []
    for metric in configured:
        used = metric if has_histogram or metric not in HISTOGRAM_METRICS else CSV_STAND_IN[metric]
        if used not in out:
            out.append(used)
    return out


def metric_reason(kind: str, metric: str, config: HistoryConfig) -> str:
    """Why a series of `kind` follows `metric`, and where its values come from (one line, no counts)."""
    setting = f"[history] {kind}_metrics"
    configured = config.metrics_for(kind)
    if metric in configured:
        source = "the stored histograms" if metric in HISTOGRAM_METRICS else "the stats CSV's cells"
        return f"{setting}; from {source}"
    stands_for = [m for m in configured if CSV_STAND_IN.get(m) == metric]
    return (
        f"in place of {', '.join(stands_for)} ({setting}) for runs without a histogram (plain Locust's CSVs, "
        f"no <prefix>.json): the stats CSV's {metric} cell, a series of its own"
    )


def series_lines(series: Sequence[Series], precisions: Mapping[str, str]) -> list[str]:
    """Per kind and metric: how many series, which metric and why, how many runs, at which precision.

    `precisions`: each run's percentile precision (runfiles/precision) by run id."""
    groups: dict[tuple[str, str, str, str], list[Series]] = {}
    for s in series:
        groups.setdefault((s.kind, s.metric, s.why, s.measured or ""), []).append(s)
    lines = []
    for (kind, metric, why, measured), members in groups.items():
        run_ids = {p.run_id for s in members for p in s.points}
        counts = Counter(precisions.get(r, LOCUST_DEFAULT) for r in run_ids)
        precision = ", ".join(f"{p} in {n} run(s)" for p, n in sorted(counts.items()))
        of = f" of the {measured}" if measured else ""
        lines.append(
            f"{kind} {metric}{of} ({len(members)} series over {len(run_ids)} runs): {why}; precision {precision}"
        )
    return lines


def row_value(row: Mapping[str, Any], metric: str, buckets: Mapping[float, int] | None) -> float | None:
    """One run's value of `metric` for one row: a CSV cell, or computed from the row's histogram."""
    if metric in HISTOGRAM_METRICS:
        return histogram_metric(metric, buckets)
    value = row.get(metric)
    return None if value is None else float(value)


def analyse(series: Sequence[Series], config: HistoryConfig) -> list[Change]:
    """Every change of these series, together: what `detect`, the trends and the bench all call.

    Together, because the newest-runs step test shares the night's false-alarm budget over all the
    series watched (history/recent.py).
    """
    levels, priors = alarm_levels(series, config), variance_priors(series, config)
    return [c for s in series for c in changes_of(s, config, levels[level_key(s)], priors.get(level_key(s)))]


def changes_of(series: Series, config: HistoryConfig, level: float, prior: Prior | None = None) -> list[Change]:
    """Otava's change points of one series, and the newest-runs step test's change if it finds one.

    `level` is the series' share of the night's false-alarm budget (`alarm_levels`), `prior` what its
    kind's series tell about its night-to-night variance (`variance_priors`; None: its runs alone). The step test
    asks only whether the newest k runs sit above the ones before, which is what a nightly has on the
    3rd to 5th night of a slowdown; where Otava put a slower split at (or next to) the same run, the
    step test's change replaces it, so one change is listed once.
    """
    # Otava's p-values come after it chose where to split (and between its other, chance splits),
    # so they are not false-alarm rates: its change points are the history, listed and drawn, each
    # held to the series' share of the budget over its possible split positions. What fails the
    # nightly is the step test, held to the series' share of the night's budget and run against the
    # runs since the last change before it, so a step of the history is not found again later.
    changes = [replace(c, alarm_level=0.0) for c in changes_in(series, config, history_level(series, level))]
    step = recent_step(series, config, level, [c.index for c in changes], prior)
    if step is not None:
        near = [c for c in changes if c.regression and abs(c.index - step.index) <= 1]
        changes = [c for c in changes if c not in near] + [step]  # the same step, once: the one that alarms
        changes.sort(key=lambda c: c.index)
    return changes


def history_level(series: Series, share: float) -> float:
    """The p-value a change point of `series` must be below to be listed, given the series' `share` of the
    false-alarm budget (`alarm_levels`): the share divided over the positions
    a split could take (Bonferroni).

    Otava picks its splits where the series differs most and then tests them, so its p-values are those
    of the best of up to n-1 splits: at `max_pvalue` 0.001 alone, seeded months of 66 clean series listed
    1-2 false change points each (p 2e-5 to 9e-4). Divided over the positions and over the series like the
    alarm, a clean month lists none, where a real step of a few nights sits at p of 1e-10 or below."""
    return share / max(1, len(series.points) - 1)


def changes_in(series: Series, config: HistoryConfig, level: float | None = None) -> list[Change]:
    """Otava's change points of one series (none when it is shorter than `min_runs`), each below
    `max_pvalue` and, when given, below `level` (`history_level`)."""
    if len(series.points) < config.min_runs:
        return []
    from otava.analysis import compute_change_points  # heavy (scipy): only when there is work

    # Latency noise is multiplicative (a slow night slows everything by a factor), so the series is
    # analysed in log space: the t-test then sees symmetric noise, one wild night weighs less, and the
    # change is the ratio of the geometric means, i.e. "x % slower" for the typical request.
    logs = [math.log(max(p.value, FLOOR_MS)) for p in series.points]
    found, _weak = compute_change_points(logs, window_len=config.window, max_pvalue=config.max_pvalue)
    changes: list[Change] = []
    for index, before, after, pvalue in _final_segments(logs, sorted({int(cp.index) for cp in found})):
        ratio = math.exp(after - before)
        pct = (ratio - 1.0) * 100.0
        if pvalue >= min(config.max_pvalue, level if level is not None else 1.0) or abs(pct) < config.min_change_pct:
            continue
        if len(series.points) - index < config.min_runs_after:
            continue
        first = series.points[index]
        changes.append(
            Change(
                env=series.env, scenario=series.scenario, name=series.name, metric=series.metric,
                prefix=first.prefix, started_at=first.started_at,
                direction="slower" if ratio > 1 else "faster", change_pct=round(pct, 1),
                kind=series.kind, index=index, runs_since=len(series.points) - index,
                mean_before=math.exp(before), mean_after=math.exp(after), pvalue=pvalue, measured=series.measured,
            )
        )  # fmt: skip
    return changes


def _sse(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values)


def _final_segments(logs: Sequence[float], indices: Sequence[int]) -> list[tuple[int, float, float, float]]:
    """Each change point as (index, mean before, mean after, p-value) over its final neighbouring segments.

    Otava proposes where the series splits; two things are settled here. Its t-test sees zero variance
    in a run of equal values (Locust rounds percentiles to two significant digits, so 110, 110, 110 is
    common) and can then place a split one run early with p = 0; so each split is moved, between its
    neighbours, to where the two sides' squared deviations are smallest (the least-squares location of
    a single step). And the kept points' statistics are recomputed over the segments that remain
    between the final change points, with Otava's own t-test, rather than taken from its window pass.
    """
    from otava.analysis import TTestSignificanceTester

    tester = TTestSignificanceTester(0.05)
    n = len(logs)
    refined: list[int] = []
    for i, index in enumerate(indices):
        lo = refined[-1] if refined else 0
        hi = indices[i + 1] if i + 1 < len(indices) else n
        if hi - lo < 2:
            continue
        best = min(range(lo + 1, hi), key=lambda j: (_sse(logs[lo:j]) + _sse(logs[j:hi]), abs(j - index)))
        refined.append(best)
    bounds = [0, *refined, n]
    out: list[tuple[int, float, float, float]] = []
    for i, index in enumerate(refined):
        left, right = list(logs[bounds[i] : index]), list(logs[index : bounds[i + 2]])
        stats = tester.compare(left, right)
        out.append((index, float(stats.mean_1), float(stats.mean_2), float(stats.pvalue)))
    return out


def detect(
    store: Store, config: HistoryConfig, env: str | None = None, scenario: str | None = None
) -> tuple[list[Series], list[Change]]:
    series = build_series(store, config, env, scenario)
    return series, analyse(series, config)


def recent_regressions(changes: Sequence[Change], config: HistoryConfig) -> list[Change]:
    """Slower changes that start within the newest `recent_runs` runs of their series and are significant
    within their series' share of the false-alarm budget: what fails the nightly."""
    return [c for c in changes if c.regression and c.runs_since <= config.recent_runs and c.pvalue < c.alarm_level]


def describe(change: Change) -> str:
    """One line a person reads: the series, from which run, which way, by how much."""
    return (
        f"{where(change.env, change.scenario, change.measured)} {change.name} {change.metric}: {change.direction} by {abs(change.change_pct):.1f}% "
        f"({change.mean_before:.0f} -> {change.mean_after:.0f} ms) from {change.prefix} "
        f"(started {change.started_at[:19].replace('T', ' ')} UTC, p={change.pvalue:.1g})"
    )
