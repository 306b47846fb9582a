"""COMPARISON.md: the verdict, the differences, a summary, the aggregate table, the endpoint table, the method.

The template (`verdict/templates/comparison.md.j2`) holds the layout; this module makes its context.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import jinja2

from ops_perf.judge.figures import METRICS, total_figures
from ops_perf.runfiles.load import Run
from ops_perf.verdict.compare.delta import TITLES, UNIT, Change, cell, pct, signed, value
from ops_perf.verdict.compare.model import Comparison, RowComparison


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
    code = comparison.exit_code
    context = {
        "title": _title(comparison),
        "code": int(code),
        "code_name": code.name,
        "generated": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "invalid": comparison.invalid,
        "differences": [_md(d) for d in comparison.differences],
        "allowed": allow_mismatch,
        "candidate": _run_line(comparison.candidate),
        "baselines": [_run_line(r) for r in comparison.baselines],
        "regressed": _names(comparison.by_verdict(Change.REGRESSED)),
        "improved": _names(comparison.by_verdict(Change.IMPROVED)),
        "fixed": _names(comparison.fixed, why=False),
        "new": _names(comparison.by_verdict(Change.NEW), why=False),
        "gone": _names(comparison.by_verdict(Change.GONE), why=False),
        "not_sent": _names(comparison.by_verdict(Change.NOT_SENT), why=False),
        "no_data": _names(comparison.by_verdict(Change.NO_DATA), why=False),
        "unchanged": len(comparison.by_verdict(Change.UNCHANGED)),
        "aggregate": _aggregate_lines(comparison.aggregate),
        "rows": [_endpoint_line(r) for r in comparison.endpoints],
        "titles": [TITLES[m] for m in METRICS],
        "noise": s,
        "histograms": comparison.histograms_used,
        "notes": [_md(n) for n in comparison.notes],
        "multi": len(comparison.baselines) > 1,
        "family": comparison.family,
        "per_test": f"{(1 - (1 - s.confidence) / comparison.family) * 100:.4g}",
    }
    return _ENV.get_template("comparison.md.j2").render(**context)


def _title(comparison: Comparison) -> str:
    baselines = comparison.baselines
    against = baselines[0].label if len(baselines) == 1 else f"median of {len(baselines)} runs"
    return f"{comparison.candidate.label} vs {against}"


def _names(items: Sequence[RowComparison], why: bool = True) -> list[str]:
    return [f"`{r.name}`" + (f" — {r.headline()}" if why and r.headline() else "") for r in items]


def _endpoint_line(r: RowComparison) -> dict[str, object]:
    return {
        "name": _md(r.name),
        "requests": f"{r.base_requests:,.0f} → {r.cand_requests:,}",
        "cells": [cell(r.metrics[m]) for m in METRICS],
        "verdict": r.verdict.value,
        "why": _md(r.headline()),
        "fixed": r.fixed,
    }


def _aggregate_lines(agg: RowComparison | None) -> list[dict[str, str]]:
    return [
        {
            "metric": TITLES[m.metric],
            "base": value(m.base, m.metric),
            "cand": value(m.cand, m.metric),
            "delta": signed(m.delta, m.metric) + UNIT[m.metric].rstrip(),
            "pct": pct(m.pct) if m.metric != "failure_pct" else "",
            "ci": (f"{signed(m.interval.low, m.metric)}..{signed(m.interval.high, m.metric)}" if m.interval else "—"),
            "verdict": m.change.value if m.change else "—",
        }
        for m in (agg.metrics.values() if agg else [])
    ]
