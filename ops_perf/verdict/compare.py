"""`ops-perf compare BASELINE... CANDIDATE`: what changed between runs, and whether it is more than noise.

Why the verdict has three gates and not one:
- *floors* (`[noise]` in targets.toml: relative %, absolute ms, failure percentage points) keep
  changes too small to matter from failing a build, however certain they are;
- *a minimum number of requests* per endpoint: below it a percentile is a handful of samples and no
  verdict is given at all ("not enough data"), rather than a coin toss presented as a finding;
- *a bootstrap confidence interval* on the change, where Locust's histograms are available, so that
  a change that clears the floors but is within what resampling the runs produces is not flagged.
A baseline may be several runs (their median per metric), so one noisy night does not set the bar.

Runs whose load differed (users, stages, think time, environment, scenario, user model) are not
compared silently: refused with one line naming the differences, or with `--allow-mismatch` compared
with the differences at the top of COMPARISON.md. What does not change the load does not refuse: a
catalog that grew or shrank (endpoints only in one run are *new* or *gone*, the rest are compared; a
nightly must survive the suite gaining endpoints) and the host (each `ops-perf demo` picks a free
simulator port; runs are compared by environment) are noted instead.
"""

from __future__ import annotations

import argparse
import json
import math
import operator
import statistics
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

import jinja2

from ops_perf.errors import OneLineParser, OpsPerfError
from ops_perf.exitcodes import ExitCode
from ops_perf.judge.validity import invalid_reasons
from ops_perf.paths import REPORTS_DIR, RESULTS_DIR
from ops_perf.runfiles.load import AGGREGATED, Run, RunInputs, load_run, open_runs, runs_under, split_prefix
from ops_perf.settings.targets import Noise, load_targets, normalise_env
from ops_perf.verdict import junit, noise
from ops_perf.verdict.figures import METRICS, RunFigures, run_figures, total_figures

LATENCY = ("p50_ms", "p95_ms", "p99_ms", "avg_ms")
TAIL_SAMPLES = 5
"""A percentile is judged only when at least this many requests lie beyond it on both sides (p95: 100
requests, p99: 500). Below that a tail percentile is one or two samples and the bootstrap cannot see
its spread (it never draws beyond the largest sample), so it calls noise a change. In synthetic A/A
comparisons of the 64-endpoint catalog (12 per setting, 10-40 requests per unit of task weight),
7-9 of 12 flagged some endpoint without this rule; with it, 2 of 108 comparisons over all settings
(lognormal spread 0.35-0.8, 10-100 requests per unit of weight) flagged one, both at spread 0.8."""
DURATION_TOLERANCE = (0.10, 5.0)
"""Durations within 10 % or 5 s are the same duration (a shape's last tick, a slow shutdown)."""


class Change(StrEnum):
    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    NO_DATA = "not enough data"
    NEW = "new"
    GONE = "gone"


_ORDER = [Change.REGRESSED, Change.IMPROVED, Change.NO_DATA, Change.UNCHANGED, Change.NEW, Change.GONE]


@dataclass(frozen=True)
class MetricDelta:
    """One metric of one row. `change` is None for figures shown but not judged (per-endpoint RPS)."""

    metric: str
    base: float
    cand: float
    change: Change | None
    reason: str = ""
    interval: noise.Interval | None = None

    @property
    def delta(self) -> float:
        return self.cand - self.base

    @property
    def pct(self) -> float:
        if math.isnan(self.base) or math.isnan(self.cand):
            return math.nan
        if self.base == 0:
            return 0.0 if self.cand == 0 else math.inf
        return (self.cand - self.base) * 100.0 / self.base


@dataclass
class RowComparison:
    name: str
    base_requests: float
    cand_requests: int
    metrics: dict[str, MetricDelta] = field(default_factory=dict)
    verdict: Change = Change.UNCHANGED
    fixed: bool = False

    def changed(self, change: Change) -> list[MetricDelta]:
        return [m for m in self.metrics.values() if m.change is change]

    def headline(self) -> str:
        """The metrics that decided the verdict, e.g. `p95_ms +60 ms (+50%, CI +40..+80)`."""
        if self.verdict in (Change.REGRESSED, Change.IMPROVED):
            return "; ".join(describe_delta(m) for m in self.changed(self.verdict))
        if self.verdict is Change.NO_DATA:
            return next((m.reason for m in self.metrics.values() if m.change is Change.NO_DATA), "")
        if self.verdict is Change.NEW:
            return f"{self.cand_requests} requests, not in the baseline"
        if self.verdict is Change.GONE:
            return f"{self.base_requests:g} requests in the baseline, none now"
        return ""


@dataclass
class Comparison:
    baselines: list[Run]
    candidate: Run
    noise: Noise
    differences: list[str]
    aggregate: RowComparison | None
    endpoints: list[RowComparison]
    invalid: list[str]
    notes: list[str] = field(default_factory=list)
    family: int = 1
    """Metric comparisons that carry a verdict; the intervals are adjusted over this many."""

    @property
    def rows(self) -> list[RowComparison]:
        return ([self.aggregate] if self.aggregate else []) + self.endpoints

    def by_verdict(self, change: Change) -> list[RowComparison]:
        return [r for r in self.rows if r.verdict is change]

    @property
    def fixed(self) -> list[RowComparison]:
        return [r for r in self.endpoints if r.fixed]

    @property
    def histograms_used(self) -> bool:
        return all(r.histograms is not None for r in [*self.baselines, self.candidate])

    @property
    def exit_code(self) -> ExitCode:
        if self.invalid:
            return ExitCode.RUN_INVALID
        return ExitCode.REGRESSION if self.by_verdict(Change.REGRESSED) else ExitCode.OK


@dataclass(frozen=True)
class Side:
    """A run with its figures (made once per run), as a comparison reads it."""

    run: Run
    figures: RunFigures

    @classmethod
    def of(cls, run: Run) -> Side:
        return cls(run, run_figures(run))


# --------------------------------------------------------------------------------------------------
# Comparability
# --------------------------------------------------------------------------------------------------


def differences(baselines: Sequence[Run], candidate: Run) -> list[str]:
    """How the *load* of the baseline runs differed from the candidate's, one phrase per property.

    Only what changes the load refuses a comparison: users, stages (or the duration, for runs whose
    stages were not recorded), think time, environment, scenario, user model, arrival model and tag
    filters. What does not change the load is compared or noted instead: a grown or shrunk catalog
    (endpoints only in one run are *new* or *gone*, the rest are compared) and the host (the
    simulator picks a free port per run; runs are compared by environment).

    Unknown values (no run.json, nothing to infer from) are not differences: we cannot tell, and
    refusing would make the 2025-10-15 CSVs uncomparable with anything.
    """
    out: list[str] = []

    def prop(
        name: str,
        get: Callable[[Run], object],
        same: Callable[[object, object], bool] = operator.eq,
        show: Callable[[object], str] = str,
        runs: Sequence[Run] = baselines,
    ) -> None:
        want = get(candidate)
        if want is None:
            return
        odd = [(r, v) for r in runs if (v := get(r)) is not None and not same(v, want)]
        if odd:
            theirs = ", ".join(f"{show(v)} ({r.label})" for r, v in odd)
            out.append(f"{name}: candidate {show(want)} vs baseline {theirs}")

    prop("users", lambda r: r.meta.users)
    prop("stages", _stages, show=_show_stages)
    # The duration alone only where a side has no recorded stages (older runs, inferred from the history).
    unstaged = baselines if _stages(candidate) is None else [r for r in baselines if _stages(r) is None]
    prop("duration", lambda r: r.meta.duration_s, _same_duration, lambda v: f"{v:g} s", unstaged)  # type: ignore[str-format]
    prop("environment", lambda r: r.env)
    prop("scenario", lambda r: r.meta.scenario)
    prop("think time", lambda r: r.meta.think_time_s, show=lambda v: "{:g}-{:g} s".format(*v))  # type: ignore[misc]
    prop("user model", lambda r: _recorded(r, "user", "endpoints"))
    prop("endpoint mix", _mix)
    prop("arrival model", lambda r: _recorded(r, "model", "closed"))
    prop("tag filter", _tag_filter)
    return out


def _mix(run: Run) -> object:
    """The endpoint user's mix (`weighted` where run.json predates it); None for a pages run."""
    return _recorded(run, "mix", "weighted") if _recorded(run, "user", "endpoints") == "endpoints" else None


def noted_differences(baselines: Sequence[Run], candidate: Run) -> list[str]:
    """What differs between the runs without changing their load: said, never refused."""
    notes: list[str] = []
    fp = candidate.record.get("catalog_fingerprint")
    changed = [  # a mix change alters the fingerprint too; it is a load difference, named above
        r
        for r in baselines
        if isinstance(fp, str) and r.record.get("catalog_fingerprint") not in (None, fp) and _mix(r) == _mix(candidate)
    ]
    if changed:
        counts = ", ".join(f"{r.label}: {_count(r)}" for r in changed if _count(r) is not None)
        notes.append(
            f"the endpoint catalog changed between the runs (candidate {_count(candidate) or '?'} endpoints"
            + (f"; {counts}" if counts else "")
            + "): endpoints only in one run are listed as new or gone, the others are compared; "
            "the Aggregated row includes them"
        )
    host = candidate.meta.host
    other = sorted({h for r in baselines if (h := r.meta.host) and host and h.rstrip("/") != host.rstrip("/")})
    if other:
        notes.append(
            f"host: candidate {host} vs baseline {', '.join(other)} (not a difference in load: compared by environment)"
        )
    profile = candidate.meta.sim_profile
    others = sorted({p for r in baselines if (p := r.meta.sim_profile) and profile and p != profile})
    if others:
        notes.append(
            f"simulator profile: candidate {profile} vs baseline {', '.join(others)} (the target differs, not the load)"
        )
    return notes


def _count(run: Run) -> int | None:
    value = run.record.get("endpoints")
    return value if isinstance(value, int) else None


def _recorded(run: Run, key: str, default: str) -> str | None:
    """A run.json key; runs from before the key existed have the default, runs without run.json are unknown."""
    value = run.record.get(key)
    if isinstance(value, str) and value:
        return value
    return default if run.record else None


def _stages(run: Run) -> tuple[tuple[tuple[str, object], ...], ...] | None:
    stages = run.record.get("stages")
    if not isinstance(stages, list) or not stages or not all(isinstance(s, dict) for s in stages):
        return None
    return tuple(tuple(sorted((str(k), _plain(v)) for k, v in s.items())) for s in stages)


def _plain(value: object) -> object:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _show_stages(value: object) -> str:
    """`60 s at 3 users (1/s) + 120 s at 10 users (2/s)`; other stage keys (e.g. arrival_rate) as k=v."""
    parts = []
    for stage in value:  # type: ignore[attr-defined]
        items = dict(stage)
        text = f"{items.pop('duration_s', 0):g} s at {items.pop('users', 0):g} users"
        if (rate := items.pop("spawn_rate", None)) is not None:
            text += f" ({rate:g}/s)"
        text += "".join(f", {k} {v:g}" if isinstance(v, float) else f", {k} {v}" for k, v in items.items())
        parts.append(text)
    return " + ".join(parts)


def _tag_filter(run: Run) -> str | None:
    if "tags" not in run.record and "exclude_tags" not in run.record:
        return None
    tags = ",".join(sorted(run.record.get("tags") or [])) or "all"
    excluded = ",".join(sorted(run.record.get("exclude_tags") or []))
    return f"tags {tags}" + (f" minus {excluded}" if excluded else "")


def _same_duration(a: object, b: object) -> bool:
    fa, fb = float(a), float(b)  # type: ignore[arg-type]
    rel, floor = DURATION_TOLERANCE
    return abs(fa - fb) <= max(floor, rel * max(fa, fb))


# --------------------------------------------------------------------------------------------------
# Judging
# --------------------------------------------------------------------------------------------------


def compare_runs(baselines: Sequence[Run], candidate: Run, settings: Noise, allow_mismatch: bool = False) -> Comparison:
    """Compare a candidate with one or more baseline runs. Raises on a refused mismatch."""
    if not baselines:
        raise OpsPerfError("no baseline run given; pass BASELINE CANDIDATE or --baseline-last N")
    for run in baselines:
        if reasons := invalid_reasons(run):
            raise OpsPerfError(f"baseline {run.label} cannot be a baseline: {'; '.join(reasons)}; pick another run")
    invalid = invalid_reasons(candidate)
    diffs = differences(baselines, candidate)
    if diffs and not allow_mismatch and not invalid:
        raise OpsPerfError("runs are not comparable: " + "; ".join(diffs) + "; pass --allow-mismatch to compare anyway")
    comparison = Comparison(list(baselines), candidate, settings, diffs, None, [], invalid)
    comparison.notes.extend(noted_differences(baselines, candidate))
    for run in [*baselines, candidate]:
        comparison.notes.extend(f"{run.label}: {note}" for note in run.notes)
    if invalid:
        return comparison
    base_sides, cand_side = [Side.of(r) for r in baselines], Side.of(candidate)
    names = sorted(set(cand_side.figures.rows).union(*(set(s.figures.rows) for s in base_sides)))
    family = _family_size([AGGREGATED, *names], base_sides, cand_side, settings)
    comparison.family = family
    comparison.aggregate = _compare_row(AGGREGATED, base_sides, cand_side, settings, family)
    rows = [_compare_row(name, base_sides, cand_side, settings, family) for name in names]
    rows.sort(key=lambda r: (_ORDER.index(r.verdict), r.name))
    comparison.endpoints = rows
    return comparison


def _family_size(names: Iterable[str], baselines: Sequence[Side], candidate: Side, settings: Noise) -> int:
    """How many metric comparisons carry a verdict: failure % and the latencies with enough data, per row.

    The intervals are Bonferroni-adjusted over this number (see `noise`), so that an A/A comparison
    of 65 rows does not flag a few of them by chance.
    """
    family = 0
    for name in names:
        cand = candidate.figures.row(name)
        base_n = [row.requests for side in baselines if (row := side.figures.row(name)) is not None]
        n = min(_median(map(float, base_n)), cand.requests) if cand is not None and base_n else 0
        if n >= settings.min_samples:
            family += 1 + sum(1 for metric in LATENCY if _tail_minimum(metric) <= n)
    return max(1, family)


def _tail_minimum(metric: str) -> int:
    quantile = noise.QUANTILES.get(metric)
    return 0 if quantile is None else math.ceil(TAIL_SAMPLES / (1.0 - quantile) - 1e-9)


def _median(values: Iterable[float]) -> float:
    clean = [v for v in values if not math.isnan(v)]
    return float(statistics.median(clean)) if clean else math.nan


def _compare_row(name: str, baselines: Sequence[Side], candidate: Side, settings: Noise, family: int) -> RowComparison:
    base_rows = [(side, row) for side in baselines if (row := side.figures.row(name)) is not None]
    cand = candidate.figures.row(name)
    base_n = _median(float(row.requests) for _, row in base_rows) if base_rows else 0.0
    result = RowComparison(name, base_n, cand.requests if cand else 0)
    if cand is None or cand.requests == 0:
        result.verdict = Change.GONE
        for metric in METRICS:
            result.metrics[metric] = MetricDelta(
                metric, _median(r.values[metric] for _, r in base_rows), math.nan, None
            )
        return result
    if not base_rows:
        result.verdict = Change.NEW
        for metric in METRICS:
            result.metrics[metric] = MetricDelta(metric, math.nan, cand.values[metric], None)
        return result

    base = {m: _median(r.values[m] for _, r in base_rows) for m in METRICS}
    enough = min(base_n, cand.requests) >= settings.min_samples
    few = f"{min(base_n, cand.requests):g} < {settings.min_samples} requests"

    # Latency: floors first; a bootstrap only for the metrics that clear them (it is the costly part).
    cleared: dict[str, int] = {}
    for metric in LATENCY:
        b, c = base[metric], cand.values[metric]
        if not enough or math.isnan(b) or math.isnan(c):
            result.metrics[metric] = MetricDelta(metric, b, c, Change.NO_DATA, few if not enough else "no value")
            continue
        if (need := _tail_minimum(metric)) > min(base_n, cand.requests):
            result.metrics[metric] = MetricDelta(
                metric,
                b,
                c,
                Change.NO_DATA,
                f"{min(base_n, cand.requests):g} < {need} requests for a {_TITLES[metric]}",
            )
            continue
        delta = c - b
        pct = delta * 100.0 / b if b > 0 else (math.inf if delta > 0 else -math.inf if delta < 0 else 0.0)
        if delta > settings.abs_ms and pct > settings.rel_pct:
            cleared[metric] = 1
        elif -delta > settings.abs_ms and pct < -settings.rel_pct:
            cleared[metric] = -1
        else:
            result.metrics[metric] = MetricDelta(metric, b, c, Change.UNCHANGED, "within the noise floors")
    stderrs: dict[str, float] = {}
    hists = [side.run.histogram(name) for side, _ in base_rows]
    cand_hist = candidate.run.histogram(name)
    if cleared and cand_hist is not None and all(h is not None for h in hists):
        stderrs = noise.latency_stderrs(
            [h for h in hists if h is not None],
            cand_hist,
            list(cleared),
            resamples=settings.bootstrap_resamples,
            label=name,
        )
    for metric, direction in cleared.items():
        b, c = base[metric], cand.values[metric]
        ci = None
        if metric in stderrs:
            ci = noise.simultaneous_interval(
                c - b,
                stderrs[metric],
                confidence=settings.confidence,
                family=family,
                resamples=noise.bounded(settings.bootstrap_resamples),
            )
        change = Change.REGRESSED if direction > 0 else Change.IMPROVED
        if ci is None:
            reason = "clears the noise floors (no histograms: floors only)"
        elif (direction > 0 and ci.low > 0) or (direction < 0 and ci.high < 0):
            reason = "clears the noise floors and its confidence interval excludes 0"
        else:
            change, reason = Change.UNCHANGED, "clears the floors but its confidence interval includes 0"
        result.metrics[metric] = MetricDelta(metric, b, c, change, reason, ci)

    # Failure %: percentage points, with a binomial bootstrap (always possible: counts are enough).
    b, c = base["failure_pct"], cand.values["failure_pct"]
    if not enough:
        result.metrics["failure_pct"] = MetricDelta("failure_pct", b, c, Change.NO_DATA, few)
    else:
        delta = c - b
        direction = 1 if delta > settings.failure_pct_abs else -1 if -delta > settings.failure_pct_abs else 0
        if direction == 0:
            result.metrics["failure_pct"] = MetricDelta("failure_pct", b, c, Change.UNCHANGED, "within the noise floor")
        else:
            se = noise.failure_stderr(
                [(r.requests, r.failures) for _, r in base_rows],
                (cand.requests, cand.failures),
                resamples=settings.bootstrap_resamples,
                label=name,
            )
            ci = (
                None
                if se is None
                else noise.simultaneous_interval(
                    delta,
                    se,
                    confidence=settings.confidence,
                    family=family,
                    resamples=noise.bounded(settings.bootstrap_resamples),
                )
            )
            if ci is not None and ((direction > 0 and ci.low > 0) or (direction < 0 and ci.high < 0)):
                change = Change.REGRESSED if direction > 0 else Change.IMPROVED
                reason = "clears the noise floor and its confidence interval excludes 0"
            else:
                change, reason = Change.UNCHANGED, "clears the floor but its confidence interval includes 0"
            result.metrics["failure_pct"] = MetricDelta("failure_pct", b, c, change, reason, ci)

    # RPS: judged for the aggregate only. Per endpoint it follows the task weights and the latency of
    # every other endpoint (closed-loop users), so it is shown but carries no verdict of its own.
    b, c = base["rps"], cand.values["rps"]
    if name != AGGREGATED:
        result.metrics["rps"] = MetricDelta("rps", b, c, None, "informational per endpoint")
    elif not enough or math.isnan(b) or math.isnan(c) or b <= 0:
        result.metrics["rps"] = MetricDelta("rps", b, c, Change.NO_DATA, few if not enough else "no value")
    else:
        pct = (c - b) * 100.0 / b
        change = (
            Change.REGRESSED
            if pct < -settings.rps_rel_pct
            else Change.IMPROVED
            if pct > settings.rps_rel_pct
            else Change.UNCHANGED
        )
        result.metrics["rps"] = MetricDelta("rps", b, c, change, f"relative floor {settings.rps_rel_pct:g}%")

    result.metrics = {m: result.metrics[m] for m in METRICS}
    judged = [m.change for m in result.metrics.values() if m.change is not None]
    if Change.REGRESSED in judged:
        result.verdict = Change.REGRESSED
    elif Change.IMPROVED in judged:
        result.verdict = Change.IMPROVED
    elif all(j is Change.NO_DATA for j in judged):
        result.verdict = Change.NO_DATA
    else:
        result.verdict = Change.UNCHANGED
    # Fixed: it failed before (in the median baseline run), and none of its requests fail now.
    result.fixed = (
        name != AGGREGATED and _median(r.values["failure_pct"] for _, r in base_rows) > 0 and cand.failures == 0
    )
    return result


# --------------------------------------------------------------------------------------------------
# Output: text, Markdown, JUnit
# --------------------------------------------------------------------------------------------------

_UNIT = {"p50_ms": " ms", "p95_ms": " ms", "p99_ms": " ms", "avg_ms": " ms", "failure_pct": " pp", "rps": " req/s"}
_TITLES = {
    "p50_ms": "p50",
    "p95_ms": "p95",
    "p99_ms": "p99",
    "avg_ms": "average",
    "failure_pct": "failure %",
    "rps": "RPS",
}


def _value(value: float, metric: str) -> str:
    if math.isnan(value):
        return "—"
    if metric == "failure_pct":
        return f"{value:.2f}%"
    if metric == "rps":
        return f"{value:.2f}"
    return f"{value:,.0f}"


def _signed(value: float, metric: str) -> str:
    if math.isnan(value):
        return "—"
    if metric == "failure_pct":
        return f"{value:+.2f}"
    if metric == "rps":
        return f"{value:+.2f}"
    return f"{value:+,.0f}"


def _pct(value: float) -> str:
    if math.isnan(value):
        return "—"
    if math.isinf(value):
        return "new" if value > 0 else "—"
    return f"{value:+.0f}%"


def describe_delta(m: MetricDelta) -> str:
    text = f"{_TITLES[m.metric]} {_signed(m.delta, m.metric)}{_UNIT[m.metric]}"
    if m.metric != "failure_pct":
        text += f" ({_pct(m.pct)})"
    if m.interval is not None:
        ci = m.interval
        text += f", {ci.confidence:.0%} CI {_signed(ci.low, m.metric)}..{_signed(ci.high, m.metric)}"
    return text


def _cell(m: MetricDelta) -> str:
    if math.isnan(m.base) and math.isnan(m.cand):
        return "—"
    text = f"{_value(m.base, m.metric)} → {_value(m.cand, m.metric)}"
    if not (math.isnan(m.base) or math.isnan(m.cand)):
        text += f" ({_signed(m.delta, m.metric)}"
        text += f", {_pct(m.pct)})" if m.metric != "failure_pct" else " pp)"
    if m.change is Change.REGRESSED:
        return f"**{text}** ▲"
    if m.change is Change.IMPROVED:
        return f"*{text}* ▼"
    if m.change is Change.NO_DATA:
        return f"{text} †"
    return text


def _md(text: str) -> str:
    return text.replace("|", "\\|")


def _run_line(run: Run) -> dict[str, str]:
    meta = run.meta

    def mark(key: str, text: str) -> str:
        return f"{text} (inferred)" if key in meta.inferred else text

    think = f"{meta.think_time_s[0]:g}-{meta.think_time_s[1]:g} s" if meta.think_time_s else "not recorded"
    total = total_figures(run)
    return {
        "label": run.label,
        "env": mark("env", run.env or "not recorded"),
        "scenario": mark("scenario", meta.scenario or "not recorded"),
        "users": mark("users", str(meta.users) if meta.users is not None else "not recorded"),
        "duration": mark("duration_s", f"{meta.duration_s:g} s" if meta.duration_s is not None else "not recorded"),
        "host": meta.host or "not recorded",
        "think": think,
        "started": meta.started_at.strftime("%Y-%m-%d %H:%M UTC") if meta.started_at else "not recorded",
        "requests": f"{total.requests:,}" if total else "0",
        "histograms": "yes" if run.histograms is not None else "no",
    }


_ENV = jinja2.Environment(
    loader=jinja2.PackageLoader("ops_perf.verdict", "templates"),
    autoescape=False,  # Markdown, not HTML
    keep_trailing_newline=True,
    trim_blocks=True,
    lstrip_blocks=True,
    undefined=jinja2.StrictUndefined,
)


def render_markdown(comparison: Comparison, allow_mismatch: bool = False) -> str:
    """COMPARISON.md: verdict, differences, summary, aggregate table, endpoint table, method."""
    s = comparison.noise
    rows = [
        {
            "name": _md(r.name),
            "requests": f"{r.base_requests:,.0f} → {r.cand_requests:,}",
            "cells": [_cell(r.metrics[m]) for m in METRICS],
            "verdict": r.verdict.value,
            "why": _md(r.headline()),
            "fixed": r.fixed,
        }
        for r in comparison.endpoints
    ]
    agg = comparison.aggregate
    aggregate = [
        {
            "metric": _TITLES[m.metric],
            "base": _value(m.base, m.metric),
            "cand": _value(m.cand, m.metric),
            "delta": _signed(m.delta, m.metric) + _UNIT[m.metric].rstrip(),
            "pct": _pct(m.pct) if m.metric != "failure_pct" else "",
            "ci": (f"{_signed(m.interval.low, m.metric)}..{_signed(m.interval.high, m.metric)}" if m.interval else "—"),
            "verdict": m.change.value if m.change else "—",
        }
        for m in (agg.metrics.values() if agg else [])
    ]

    def names(items: Sequence[RowComparison], why: bool = True) -> list[str]:
        return [f"`{r.name}`" + (f" — {r.headline()}" if why and r.headline() else "") for r in items]

    code = comparison.exit_code
    context = {
        "title": f"{comparison.candidate.label} vs "
        + (
            comparison.baselines[0].label
            if len(comparison.baselines) == 1
            else f"median of {len(comparison.baselines)} runs"
        ),
        "code": int(code),
        "code_name": code.name,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "invalid": comparison.invalid,
        "differences": [_md(d) for d in comparison.differences],
        "allowed": allow_mismatch,
        "candidate": _run_line(comparison.candidate),
        "baselines": [_run_line(r) for r in comparison.baselines],
        "regressed": names(comparison.by_verdict(Change.REGRESSED)),
        "improved": names(comparison.by_verdict(Change.IMPROVED)),
        "fixed": names(comparison.fixed, why=False),
        "new": names(comparison.by_verdict(Change.NEW), why=False),
        "gone": names(comparison.by_verdict(Change.GONE), why=False),
        "no_data": names(comparison.by_verdict(Change.NO_DATA), why=False),
        "unchanged": len(comparison.by_verdict(Change.UNCHANGED)),
        "aggregate": aggregate,
        "rows": rows,
        "titles": [_TITLES[m] for m in METRICS],
        "noise": s,
        "histograms": comparison.histograms_used,
        "notes": [_md(n) for n in comparison.notes],
        "multi": len(comparison.baselines) > 1,
        "family": comparison.family,
        "per_test": f"{(1 - (1 - s.confidence) / comparison.family) * 100:.4g}",
    }
    return _ENV.get_template("comparison.md.j2").render(**context)


def junit_cases(comparison: Comparison) -> list[junit.Case]:
    """Comparability, one case per aggregate metric, one per endpoint. Regressed rows fail."""
    cases: list[junit.Case] = []
    if comparison.differences:
        cases.append(
            junit.Case(
                "ops-perf.compare",
                "comparability",
                junit.Outcome.SKIPPED,
                "compared despite differences: " + "; ".join(comparison.differences),
            )
        )
    else:
        cases.append(junit.Case("ops-perf.compare", "comparability", junit.Outcome.PASSED))
    if comparison.invalid:
        cases.append(
            junit.Case(
                "ops-perf.compare",
                "candidate validity",
                junit.Outcome.ERROR,
                "run invalid: " + "; ".join(comparison.invalid),
            )
        )
        return cases
    cases.append(junit.Case("ops-perf.compare", "candidate validity", junit.Outcome.PASSED))
    if comparison.aggregate is not None:
        for m in comparison.aggregate.metrics.values():
            name = f"{AGGREGATED} {m.metric}"
            text = f"{_value(m.base, m.metric)} -> {_value(m.cand, m.metric)}: {describe_delta(m)}; {m.reason}"
            cases.append(_case("ops-perf.compare.aggregate", name, m.change, text))
    for row in comparison.endpoints:
        details = "\n".join(
            f"{_TITLES[m.metric]}: {_cell(m)}; {m.change.value if m.change else 'shown only'}"
            f"{'; ' + m.reason if m.reason else ''}"
            for m in row.metrics.values()
        )
        message = f"{row.name}: {row.verdict.value}" + (f": {row.headline()}" if row.headline() else "")
        cases.append(_case("ops-perf.compare.endpoint", row.name, row.verdict, message, details))
    return cases


def _case(classname: str, name: str, change: Change | None, message: str, details: str = "") -> junit.Case:
    if change is Change.REGRESSED:
        return junit.Case(classname, name, junit.Outcome.FAILED, message, details or message)
    if change is Change.NO_DATA:
        return junit.Case(classname, name, junit.Outcome.SKIPPED, message)
    return junit.Case(classname, name, junit.Outcome.PASSED, "", details or message)


def summary_lines(comparison: Comparison, output: Path | None) -> list[str]:
    code = comparison.exit_code
    lines = [
        f"ops-perf compare {comparison.candidate.label} vs "
        f"{', '.join(r.label for r in comparison.baselines)}: {code.name} (exit {int(code)})"
    ]
    for diff in comparison.differences:
        lines.append(f"  WARNING runs differ: {diff}")
    for reason in comparison.invalid:
        lines.append(f"  candidate invalid: {reason}")
    for change in (Change.REGRESSED, Change.IMPROVED):
        for row in comparison.by_verdict(change):
            lines.append(f"  {change.value.upper()} {row.name}: {row.headline()}")
    for row in comparison.fixed:
        lines.append(f"  FIXED {row.name}: failing before, passing now")
    counts = {c: len(comparison.by_verdict(c)) for c in Change}
    lines.append("  " + ", ".join(f"{n} {c.value}" for c, n in counts.items()))
    if output is not None:
        lines.append(f"  comparison written to {output}")
    return lines


# --------------------------------------------------------------------------------------------------
# Baselines from earlier runs (--baseline-last)
# --------------------------------------------------------------------------------------------------


def _read_record(path: Path) -> dict[str, Any]:
    """run.json leniently ({} when unreadable), to choose among runs before loading them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_order_key(run: RunInputs, record: Mapping[str, Any]) -> tuple[str, float]:
    """Oldest first: run.json `started_at` where present, else the stats file's modification time."""
    started = record.get("started_at")
    return (started if isinstance(started, str) else "", run.stats.stat().st_mtime)


def find_previous_runs(candidate: Run, root: Path, count: int) -> tuple[list[Run], list[str]]:
    """The last `count` valid runs under `root` of the candidate's environment and scenario.

    Returns the runs (oldest first) and one note per run left out, so the comparison can say why a
    night is missing from the baseline. Only run.json and file names are read to choose; only the
    chosen runs are loaded.
    """
    if count < 1:
        raise OpsPerfError(f"--baseline-last {count}: must be at least 1")
    if not root.is_dir():
        raise OpsPerfError(f"--results-root {root}: not a folder; point it at the results of earlier runs")
    env, scenario = candidate.env, candidate.meta.scenario
    cand_key = (candidate.inputs.directory.resolve(), candidate.prefix)
    cand_started = candidate.record.get("started_at")
    pool: list[tuple[tuple[str, float], RunInputs, dict[str, Any]]] = []
    skipped: list[str] = []
    for inputs in runs_under(root):
        if (inputs.directory.resolve(), inputs.prefix) == cand_key:
            continue
        record = _read_record(inputs.run_json) if inputs.run_json is not None else {}
        p_env, p_scenario = split_prefix(inputs.prefix)
        r_env = normalise_env(record.get("env") if isinstance(record.get("env"), str) else p_env)
        r_scenario = record.get("scenario") if isinstance(record.get("scenario"), str) else p_scenario
        if r_env != env or r_scenario != scenario:
            continue
        where = f"{inputs.directory.name}/{inputs.prefix}"
        started = record.get("started_at")
        if isinstance(cand_started, str) and isinstance(started, str) and started >= cand_started:
            continue  # newer than the candidate: not its baseline
        status = record.get("status")
        if status not in (None, "completed"):
            skipped.append(f"{where} left out: status {status}")
            continue
        if record.get("cpu_warning") is True:
            skipped.append(f"{where} left out: load generator saturated")
            continue
        pool.append((run_order_key(inputs, record), inputs, record))
    pool.sort(key=lambda item: item[0])
    chosen: list[Run] = []
    for _, inputs, _ in reversed(pool):  # newest first, until `count` valid ones
        if len(chosen) == count:
            break
        run = load_run(inputs)
        if reasons := invalid_reasons(run):
            skipped.append(f"{run.label} left out: {'; '.join(reasons)}")
            continue
        chosen.append(run)
    chosen.reverse()
    if not chosen:
        raise OpsPerfError(
            f"no earlier valid {env}-{scenario} runs under {root}; run the baseline first, or pass BASELINE explicitly"
        )
    return chosen, skipped


# --------------------------------------------------------------------------------------------------
# CLI
# --------------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ops-perf compare",
        description="Compare a candidate run with a baseline (one run, several runs, or the last N runs "
        "of the same environment and scenario). Exit codes: 0 no regression, 2 usage or input "
        "error (including runs that are not comparable), 3 regression, 4 candidate run invalid.",
    )
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="BASELINE... CANDIDATE (run prefixes); with --baseline-last, CANDIDATE only",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="COMPARISON.md to write (default reports/<date>/<candidate>/COMPARISON.md)",
    )
    parser.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare runs whose load differed (users, stages, think time, env, scenario, user model), "
        "with the differences at the top",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing COMPARISON.md")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write every verdict as JUnit XML")
    parser.add_argument(
        "--baseline-last",
        type=int,
        metavar="N",
        help="baseline = median of the last N valid runs of the candidate's env and scenario",
    )
    parser.add_argument(
        "--results-root",
        type=Path,
        default=RESULTS_DIR,
        metavar="DIR",
        help=f"where --baseline-last looks (default {RESULTS_DIR}/)",
    )
    parser.add_argument("--targets", type=Path, help="targets file whose [noise] applies (default config/targets.toml)")
    parser.add_argument("--env", help="environment whose [env.<name>.noise] applies (default: the candidate's)")
    return parser


def main(argv: Sequence[str]) -> int:
    parser = build_parser()
    args = parser.parse_args(list(argv))
    notes: list[str] = []
    if args.baseline_last is not None:
        if len(args.runs) != 1:
            raise OpsPerfError(f"with --baseline-last, pass only the CANDIDATE run (got {len(args.runs)} runs)")
        candidate = open_runs(args.runs)[0]
        baselines, notes = find_previous_runs(candidate, args.results_root, args.baseline_last)
    else:
        if len(args.runs) < 2:
            raise OpsPerfError("pass BASELINE and CANDIDATE runs (or CANDIDATE with --baseline-last N)")
        *baselines, candidate = open_runs(args.runs)
    output = args.output or default_output(candidate)
    if output.exists() and not args.force:
        raise _exists(output)
    env = args.env or candidate.env
    settings = load_targets(args.targets, env).noise
    comparison = compare_runs(baselines, candidate, settings, allow_mismatch=args.allow_mismatch)
    comparison.notes[:0] = notes
    text = render_markdown(comparison, allow_mismatch=args.allow_mismatch)
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # "x": never replace a COMPARISON.md that appeared meanwhile (another compare) without --force
        with open(output, "w" if args.force else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise _exists(output) from None
    except OSError as err:
        raise OpsPerfError(f"cannot write {output} ({err.strerror}); pass a writable -o FILE") from None
    if args.junit:
        junit.write(
            args.junit,
            f"ops-perf compare {candidate.prefix}",
            junit_cases(comparison),
            {
                "candidate": candidate.label,
                "baselines": ", ".join(r.label for r in baselines),
                "differences": "; ".join(comparison.differences),
                "exit_code": int(comparison.exit_code),
            },
        )
    print("\n".join(summary_lines(comparison, output)), flush=True)
    return int(comparison.exit_code)


def _exists(output: Path) -> OpsPerfError:
    return OpsPerfError(f"{output} exists already; pass --force to replace it, or -o FILE to write elsewhere")


def default_output(candidate: Run) -> Path:
    """Next to the run's report: reports/<results folder>/<prefix>/COMPARISON.md."""
    return REPORTS_DIR / candidate.inputs.directory.name / candidate.prefix / "COMPARISON.md"
