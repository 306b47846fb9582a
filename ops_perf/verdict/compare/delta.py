"""One metric's change between runs (`MetricDelta`, `Change`) and how every output writes it.

Why together: the rules decide a `MetricDelta`, and the Markdown, the JUnit cases and the terminal
lines all print one the same way (`describe_delta`, `cell`), so a change reads alike everywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from ops_perf.verdict import noise


class Change(StrEnum):
    REGRESSED = "regressed"
    IMPROVED = "improved"
    UNCHANGED = "unchanged"
    NO_DATA = "not enough evidence"
    NEW = "new"
    GONE = "gone"
    NOT_SENT = "not sent (no warm-up ids)"


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


UNIT = {"p50_ms": " ms", "p95_ms": " ms", "p99_ms": " ms", "avg_ms": " ms", "failure_pct": " pp", "rps": " req/s"}
TITLES = {
    "p50_ms": "p50",
    "p95_ms": "p95",
    "p99_ms": "p99",
    "avg_ms": "average",
    "failure_pct": "failure %",
    "rps": "RPS",
}


def value(number: float, metric: str) -> str:
    if math.isnan(number):
        return "—"
    if metric == "failure_pct":
        return f"{number:.2f}%"
    if metric == "rps":
        return f"{number:.2f}"
    return f"{number:,.0f}"


def signed(number: float, metric: str) -> str:
    if math.isnan(number):
        return "—"
    if metric == "failure_pct":
        return f"{number:+.2f}"
    if metric == "rps":
        return f"{number:+.2f}"
    return f"{number:+,.0f}"


def pct(number: float) -> str:
    if math.isnan(number):
        return "—"
    if math.isinf(number):
        return "new" if number > 0 else "—"
    return f"{number:+.0f}%"


def describe_delta(m: MetricDelta) -> str:
    """`p95 +60 ms (+50%), 95% CI +40..+80`."""
    text = f"{TITLES[m.metric]} {signed(m.delta, m.metric)}{UNIT[m.metric]}"
    if m.metric != "failure_pct":
        text += f" ({pct(m.pct)})"
    if m.interval is not None:
        ci = m.interval
        text += f", {ci.confidence:.0%} CI {signed(ci.low, m.metric)}..{signed(ci.high, m.metric)}"
    return text


def cell(m: MetricDelta) -> str:
    """A table cell, `100 → 160 (+60, +60%)`, marked by its change (bold ▲ regressed, italic ▼ improved)."""
    if math.isnan(m.base) and math.isnan(m.cand):
        return "—"
    text = f"{value(m.base, m.metric)} → {value(m.cand, m.metric)}"
    if not (math.isnan(m.base) or math.isnan(m.cand)):
        text += f" ({signed(m.delta, m.metric)}"
        text += f", {pct(m.pct)})" if m.metric != "failure_pct" else " pp)"
    if m.change is Change.REGRESSED:
        return f"**{text}** ▲"
    if m.change is Change.IMPROVED:
        return f"*{text}* ▼"
    if m.change is Change.NO_DATA:
        return f"{text} †"
    return text
