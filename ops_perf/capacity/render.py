"""`capacity.json`, `CAPACITY.md` and the knee chart of a capacity search. Renders; judges nothing.

The chart follows the report's rules (`ops_perf/report/charts.py`): an Agg canvas without pyplot,
fixed size and style, no version stamp, so the same search gives the same bytes.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ops_perf.capacity.steps import Step
from ops_perf.report.charts import _SAVE, _STYLE

CHART_NAME = "capacity_knee.png"


def write_json(path: Path, summary: Mapping[str, Any], steps: Sequence[Step]) -> None:
    data = {**summary, "steps": [step.to_dict() for step in steps]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def knee_chart(steps: Sequence[Step], unit: str, capacity: float | None, p95_limit: float | None, path: Path) -> None:
    """Latency percentiles and failure % against offered load, one point per step, in rate order."""
    ordered = sorted(steps, key=lambda s: s.rate)
    rates = [s.rate for s in ordered]
    with mpl.rc_context(_STYLE):
        fig = Figure(figsize=(10, 6))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.08, 0.12, 0.82, 0.78))
        for key, label, style in (("p50_ms", "p50", ":"), ("p95_ms", "p95", "-"), ("p99_ms", "p99", "--")):
            values = [getattr(s, key) if getattr(s, key) is not None else float("nan") for s in ordered]
            ax.plot(rates, values, style, marker="o", label=label)
        ax.set_yscale("log")
        ax.set_xlabel(f"offered load ({unit})")
        ax.set_ylabel("response time (ms, log)")
        if p95_limit:
            ax.axhline(p95_limit, color="tab:red", alpha=0.5, linewidth=0.8, label=f"p95 limit {p95_limit:g} ms")
        if capacity is not None:
            ax.axvline(capacity, color="tab:green", alpha=0.6, linewidth=1.0, label=f"capacity {capacity:g}")
        for step in ordered:
            if not step.good:
                ax.annotate("bad", (step.rate, step.p95_ms or 1), textcoords="offset points", xytext=(0, 6), fontsize=7)
        fail = ax.twinx()
        fail.plot(
            rates, [s.failure_pct for s in ordered], color="tab:gray", marker="x", linewidth=0.8, label="failures %"
        )
        fail.set_ylabel("failures (%)")
        fail.set_ylim(bottom=0, top=max(5.0, *(s.failure_pct * 1.2 for s in ordered)))
        fail.grid(False)
        lines = ax.get_legend_handles_labels()
        more = fail.get_legend_handles_labels()
        ax.legend(lines[0] + more[0], lines[1] + more[1], loc="upper left", fontsize=8)
        ax.set_title("Capacity search: latency and failures against offered load")
        fig.savefig(path, **_SAVE)


def write_markdown(path: Path, summary: Mapping[str, Any], steps: Sequence[Step], chart: str | None) -> None:
    unit = summary["rate_unit"]
    lines = [
        f"# Capacity of {summary['host']} ({summary['env']})",
        "",
        f"**{summary['answer']}**",
        "",
        f"- Scenario `{summary['scenario']}` ({summary['user']} user), open model, {summary['arrivals']} arrivals; "
        f"pool cap {summary['max_users']} users, rate cap {summary['max_rate']:g} {unit}.",
        f"- A step is bad when the judge finds a p95 or failure-% breach at `{summary['fail_on']}` "
        f"(targets `{summary['targets']}`), any gateway 504, or the run is invalid (more than 1% dropped arrivals).",
        f"- Each step held at least {summary['step_duration_s']:g} s and until the aggregate had "
        f"{summary['min_samples']} requests (the p95 needs them).",
        f"- {len(steps)} steps in {summary['search_s']:.0f} s; {summary['search_reason']}.",
        "",
    ]
    if summary.get("first_bad_breaching"):
        lines += [f"First bad step ({summary['first_bad_rate']:g} {unit}): {summary['first_bad_breaching']}.", ""]
    if chart:
        lines += [f"![latency and failures against offered load]({chart})", ""]
    lines += [
        f"| step | phase | offered ({unit}) | held (s) | requests | req/s | p50 ms | p95 ms | p99 ms | failures % "
        "| 504s | dropped | verdict |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for s in steps:
        verdict = "good" if s.good else f"bad: {s.breaching}"
        lines.append(
            f"| {s.number} | {s.phase} | {s.rate:g} | {s.hold_s:g} | {s.requests} | {s.rps:.1f} | {_ms(s.p50_ms)} "
            f"| {_ms(s.p95_ms)} | {_ms(s.p99_ms)} | {s.failure_pct:.2f} | {s.gateway_504} "
            f"| {s.dropped_arrivals}/{s.arrivals} | {verdict.replace('|', '/')} |"
        )
    lines += ["", "Each step's files (`step-NN_*`, Locust's log `step-NN.log`) are in this folder."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"
