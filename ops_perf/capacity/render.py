"""`capacity.json`, `CAPACITY.md` and the knee chart of a capacity search. Renders; judges nothing.

The chart follows the report's rules (`ops_perf/report/charts.py`): an Agg canvas without pyplot,
fixed size and style, no version stamp, so the same search gives the same bytes. capacity.json's
fields are described in `ops_perf/capacity/README.md` (schema 2).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ops_perf.capacity.rules import RULES, Outcome, Verdict
from ops_perf.capacity.steps import Step
from ops_perf.chart_style import CHART_SAVE, CHART_STYLE

CHART_NAME = "capacity_knee.png"
SCHEMA = 2
MARKS = {Verdict.PASS: "ok", Verdict.FAIL: "FAIL", Verdict.UNSURE: "?", Verdict.NOT_JUDGED: "n/a"}
"""How the per-rule table marks an outcome."""


def write_json(path: Path, summary: Mapping[str, Any], steps: Sequence[Step]) -> None:
    data = {**summary, "steps": [step.to_dict() for step in steps]}
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def knee_chart(steps: Sequence[Step], unit: str, capacity: float | None, p95_limit: float | None, path: Path) -> None:
    """Latency against offered load (above) and what each step served (below), one point per step."""
    ordered = sorted(steps, key=lambda s: s.rate)
    rates = [s.rate for s in ordered]
    with mpl.rc_context(CHART_STYLE):
        fig = Figure(figsize=(10, 8))
        FigureCanvasAgg(fig)
        ax = fig.add_axes((0.08, 0.42, 0.84, 0.52))
        for key, label, style in (("p50_ms", "p50", ":"), ("p95_ms", "p95", "-"), ("p99_ms", "p99", "--")):
            values = [getattr(s, key) if getattr(s, key) is not None else float("nan") for s in ordered]
            ax.plot(rates, values, style, marker="o", label=label)
        ax.set_yscale("log")
        ax.set_ylabel("response time (ms, log)")
        if p95_limit:
            ax.axhline(p95_limit, color="tab:red", alpha=0.5, linewidth=0.8, label=f"p95 limit {p95_limit:g} ms")
        best = next((s for s in ordered if s.rate == capacity), None)
        if best is not None:
            ax.axvline(best.rate, color="tab:green", alpha=0.6, linewidth=1.0, label=f"highest good step {best.rate:g}")
        for step in ordered:
            if not step.good:
                mark = step.deciding.rule if step.deciding else "bad"
                ax.annotate(mark, (step.rate, step.p95_ms or 1), textcoords="offset points", xytext=(0, 6), fontsize=7)
        ax.legend(loc="upper left", fontsize=8)
        ax.set_title("Capacity search: latency and throughput against offered load")
        served = fig.add_axes((0.08, 0.08, 0.84, 0.26), sharex=ax)
        served.plot(
            rates, [s.served_rps if s.served_rps is not None else float("nan") for s in ordered],
            marker="o", color="tab:blue", label="served (req/s, answered without failure)",
        )  # fmt: skip
        if unit == "tasks/s":
            served.plot(rates, rates, color="tab:gray", linewidth=0.8, linestyle="--", label="offered")
        served.set_xlabel(f"offered load ({unit})")
        served.set_ylabel("req/s")
        served.set_ylim(bottom=0)
        served.legend(loc="upper left", fontsize=8)
        fig.savefig(path, **CHART_SAVE)


def rule_statements(summary: Mapping[str, Any]) -> list[str]:
    """Every rule a step is judged by, as CAPACITY.md states it, with this search's settings."""
    growth = 1000 * float(summary["max_growth"])
    alpha = 100 * float(summary["throughput_alpha"])
    fill = {
        "within": summary["within"],
        "confidence": f"{100 * float(summary['confidence']):g} %",
        "growth": f"{growth:,.0f}",
        "growth_pct": f"{growth / 10:g}",
        "alpha": f"{alpha:g}",
        "once_in": f"{round(100 / alpha):,}",
    }
    return [f"{i}. **{r.name}** ({r.title}): {r.statement.format(**fill)}" for i, r in enumerate(RULES, 1)]


def write_markdown(path: Path, summary: Mapping[str, Any], steps: Sequence[Step], chart: str | None) -> None:
    unit = summary["rate_unit"]
    lines = [f"# Capacity of {summary['host']} ({summary['env']})", "", f"**{summary['answer']}**", ""]
    if summary.get("advice"):
        lines += ["## What to do", "", *[f"- {a}" for a in summary["advice"]], ""]
    lines += [
        "## How each step was judged",
        "",
        f"Scenario `{summary['scenario']}` ({summary['user']} user), open model, {summary['arrivals']} arrivals; "
        f"pool cap {summary['max_users']} users, rate cap {summary['max_rate']:g} {unit}; targets "
        f"`{summary['targets']}`. Each step held at least {summary['step_duration_s']:g} s and until the API calls "
        f"had {summary['min_samples']} requests. {len(steps)} steps in {summary['search_s']:.0f} s; "
        f"{summary['search_reason']}.",
        "",
        "A step is good only when every rule below holds. The first that does not decides a bad step (a failing "
        "rule before one without evidence); *not enough evidence* is never a pass. The answer is what the highest "
        "good step served (requests answered without failure per second of its window, rounded down), not the "
        "rate it offered: near capacity a short step cannot tell a few per cent over from a few per cent under.",
        "",
        *rule_statements(summary),
        "",
    ]
    if chart:
        lines += [f"![latency and throughput against offered load]({chart})", ""]
    lines += [
        "## Steps",
        "",
        f"| step | phase | offered ({unit}) | held (s) | requests | served req/s | p50 ms | p95 ms (interval) "
        "| failures % (interval) | 504s | latency trend | dropped | verdict | decided by |",
        "|---:|---|---:|---:|---:|---:|---:|---|---|---:|---:|---:|---|---|",
    ]
    for s in steps:
        deciding = s.deciding
        verdict = (
            "good" if s.good else ("not enough evidence" if deciding and deciding.verdict == Verdict.UNSURE else "bad")
        )
        trend = "n/a" if s.queue_growth is None else f"{1000 * s.queue_growth:+,.0f} ms/s"
        lines.append(
            f"| {s.number} | {s.phase} | {s.rate:g} | {s.hold_s:g} | {s.requests} | {_rate(s.served_rps)} "
            f"| {_ms(s.p50_ms)} | {_ms(s.p95_ms)} ({_span(s.p95_interval_ms, '{:,.0f}')}) "
            f"| {s.failure_pct:.2f} ({_span(s.failure_pct_interval, '{:.2f}')}) | {s.gateway_504} | {trend} "
            f"| {s.dropped_arrivals}/{s.arrivals} | {verdict} | {deciding.rule if deciding else 'every rule held'} |"
        )
    names = [r.name for r in RULES]
    lines += [
        "",
        "## Every rule, every step",
        "",
        "`ok` held, `FAIL` did not, `?` not enough evidence, `n/a` not judged.",
        "",
        "| step | offered | " + " | ".join(names) + " |",
        "|---:|---:|" + "---|" * len(names),
    ]
    for s in steps:
        marks = [MARKS[o.verdict] if (o := s.outcome(n)) else "n/a" for n in names]
        lines.append(f"| {s.number} | {s.rate:g} | " + " | ".join(marks) + " |")
    lines += ["", "What each rule found:", ""]
    for s in steps:
        lines.append(f"- step {s.number} ({s.rate:g} {unit}):")
        lines += [f"  - {o.rule}: {_said(o)}" for o in s.outcomes]
    lines += ["", "Each step's files (`step-NN_*`, Locust's log `step-NN.log`) are in this folder."]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _said(outcome: Outcome) -> str:
    """`pass: ...`, `fail: ...`; an outcome without evidence already says so."""
    if outcome.text.startswith(outcome.verdict.value):
        return outcome.text
    return f"{outcome.verdict.value}: {outcome.text}"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}"


def _rate(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1f}"


def _span(bounds: Sequence[float | None] | None, fmt: str) -> str:
    if not bounds:
        return "n/a"
    low, high = bounds
    return f"{'?' if low is None else fmt.format(low)}-{'?' if high is None else fmt.format(high)}"
