"""Trends: one series over the last N runs as a PNG with its change points marked, and as text.

The same Figure-on-Agg approach as `report.charts` (no pyplot state, deterministic bytes), so the
report can embed these charts and `ops-perf history trend NAME` can write one on its own.
`trends_for_report` is what the report's Trends section takes: data and charts, no judgement.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ops_perf.chart_style import CHART_SAVE, CHART_STYLE
from ops_perf.history.config import HistoryConfig
from ops_perf.history.detect import Change, Series, build_series, changes_of
from ops_perf.history.recent import alarm_levels, level_key, variance_priors
from ops_perf.history.series import OPS, measured_by
from ops_perf.history.store import Store

MAX_REPORT_CHARTS = 12
"""The report charts the aggregate, then the series with changes, then the busiest, up to this many."""


@dataclass
class Trend:
    """One series' last runs and its changes (within those runs); `chart` once drawn."""

    series: Series
    changes: list[Change]
    chart: Path | None = None

    @property
    def title(self) -> str:
        measured = f" ({self.series.measured})" if self.series.measured else ""
        return f"{self.series.name} {self.series.metric}{measured}"


@dataclass
class Trends:
    """What the report's Trends section shows for one environment and scenario."""

    env: str | None
    scenario: str | None
    runs: int
    trends: list[Trend] = field(default_factory=list)
    measured: str | None = OPS
    """OPS, or the simulator profile and time scale whose runs these are (`series.measured_by`)."""

    @property
    def changes(self) -> list[Change]:
        return [c for t in self.trends for c in t.changes]


def last_runs(series: Series, count: int) -> Series:
    return replace(series, points=series.points[-count:])


def find_trends(
    store: Store, config: HistoryConfig, env: str | None, scenario: str | None, name: str | None = None
) -> list[Trend]:
    """Series (all, or those named `name`) with change points computed over the whole series but
    shown over the last `trend_runs` runs."""
    out: list[Trend] = []
    every = build_series(store, config, env, scenario)
    levels, priors = alarm_levels(every, config), variance_priors(every, config)  # as `detect`: the same changes
    for series in every:
        if name is not None and series.name != name:
            continue
        shown = last_runs(series, config.trend_runs)
        offset = len(series.points) - len(shown.points)
        key = level_key(series)
        changes = [c for c in changes_of(series, config, levels[key], priors.get(key)) if c.index >= offset]
        out.append(Trend(shown, changes))
    return out


def draw(trend: Trend, path: Path) -> Path:
    """The series as a line over run number, a dashed line at each change, labelled with its size."""
    points = trend.series.points
    with mpl.rc_context(CHART_STYLE):
        fig = Figure(figsize=(8.0, 3.0))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.08, 0.2, 0.9, 0.68))
        xs = list(range(len(points)))
        ax.plot(xs, [p.value for p in points], marker="o", markersize=3, color="#1f77b4")
        for change in trend.changes:
            x = next((i for i, p in enumerate(points) if p.run_id == _run_at(trend, change)), None)
            if x is None:
                continue
            color = "#d62728" if change.regression else "#2ca02c"
            ax.axvline(x - 0.5, color=color, linestyle="--", linewidth=1.0)
            ax.annotate(f"{change.change_pct:+.0f}%", (x - 0.5, 1.0), xycoords=("data", "axes fraction"),
                        xytext=(3, -12), textcoords="offset points", color=color)  # fmt: skip
        ticks = xs if len(xs) <= 12 else xs[:: max(1, len(xs) // 10)]
        ax.set_xticks(ticks, [points[i].started_at[:10] for i in ticks], rotation=0, fontsize=7)
        ax.set_ylabel("ms")
        ax.set_ylim(bottom=0)
        place = "/".join(x for x in (trend.series.env, trend.series.scenario) if x)
        ax.set_title(f"{place} {trend.title}: last {len(points)} runs", loc="left")
        path.parent.mkdir(parents=True, exist_ok=True)
        fig.savefig(path, **CHART_SAVE)
    trend.chart = path
    return path


def _run_at(trend: Trend, change: Change) -> str | None:
    """The run id of the change's first run (changes carry its position in the full series)."""
    matches = [p.run_id for p in trend.series.points if p.prefix == change.prefix and p.started_at == change.started_at]
    return matches[0] if matches else None


def as_text(trend: Trend) -> str:
    """The series as lines: start time, prefix, value, and a marker where a change starts."""
    starts = {(c.prefix, c.started_at): c for c in trend.changes}
    why = f": {trend.series.why}" if trend.series.why else ""
    lines = [f"{trend.title} ({len(trend.series.points)} runs){why}"]
    for p in trend.series.points:
        change = starts.get((p.prefix, p.started_at))
        mark = f"  <- {change.direction} {change.change_pct:+.1f}%" if change else ""
        lines.append(f"  {p.started_at[:19].replace('T', ' ')}  {p.prefix:<32} {p.value:10.1f}{mark}")
    return "\n".join(lines)


def chart_name(trend: Trend) -> str:
    series = trend.series
    measured = f"-{series.measured}" if series.measured else ""
    slug = re.sub(r"[^A-Za-z0-9.]+", "-", f"{series.kind}-{series.name}-{series.metric}{measured}").strip("-")
    return f"trend-{slug}.png"


def trends_for_report(
    store: Store,
    config: HistoryConfig,
    env: str | None,
    scenario: str | None,
    charts_dir: Path,
    measured: str | None = OPS,
) -> Trends | None:
    """The Trends section's data: None when the store has no earlier run of this env and scenario that
    measured the same (OPS, or the same simulator profile and time scale)."""
    runs = [r for r in store.runs(env, scenario, valid_only=True) if _measured(r) == measured]
    if len(runs) < 2:
        return None
    every = [t for t in find_trends(store, config, env, scenario) if t.series.measured == measured]
    chosen = _choose(every)
    for trend in chosen:
        draw(trend, charts_dir / chart_name(trend))
    return Trends(env, scenario, len(runs[-config.trend_runs :]), chosen, measured)


def _measured(run: Mapping[str, Any]) -> str | None:
    return measured_by(run.get("sim_profile"), run.get("sim_time_scale"))


def _choose(trends: Sequence[Trend]) -> list[Trend]:
    """Aggregate first, then series with changes, then pages, then the rest; at most MAX_REPORT_CHARTS."""

    def rank(t: Trend) -> tuple[int, int, str]:
        kind = {"aggregate": 0, "page": 2, "endpoint": 3}[t.series.kind]
        return (0 if t.series.kind == "aggregate" else (1 if t.changes else kind), -len(t.series.points), t.title)

    return sorted(trends, key=rank)[:MAX_REPORT_CHARTS]
