"""The gateway ceiling: the response time at which a gateway cuts requests off with a 504.

Why it matters to the judgement: a gateway that times out at 20 s caps every latency it touches. An
endpoint whose p95 is "20,000 ms" took at least that long, and an aggregate p95 at the ceiling says
that at least 5% of all requests waited as long as the gateway allows. A capped figure is a lower
bound, so it can never be a positive finding, and the report and the check say it is capped.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ops_perf.judge.numbers import round_half_up
from ops_perf.judge.rows import Row

CEILING_TOLERANCE = 0.05
"""Max response times within 5% of each other count as one ceiling (20,043-20,230 ms is one 20 s gate)."""


@dataclass(frozen=True)
class CeilingEndpoint:
    label: str
    max_ms: float
    gateway_timeouts: int
    requests: int
    p95: float | None


@dataclass(frozen=True)
class Ceiling:
    low_ms: float
    high_ms: float
    seconds: float
    """The ceiling in whole seconds from 10 s up, else to 0.1 s (what a gateway timeout is set in)."""
    endpoints: list[CeilingEndpoint]
    established_in: str


@dataclass
class Gateway:
    total_504: int
    endpoints_504: list[CeilingEndpoint]
    ceiling: Ceiling | None = None
    consistent_with: Ceiling | None = None
    """A ceiling established in another run of the same environment that this run's 504s fit."""
    aggregate_p95_at_ceiling: bool = False
    aggregate_p99_at_ceiling: bool = False

    @property
    def effective(self) -> Ceiling | None:
        """The ceiling that caps this run's figures: its own, else the one its 504s are consistent with."""
        return self.ceiling or self.consistent_with

    def caps(self, value: float | None) -> bool:
        """Is `value` at the ceiling (so a lower bound of the real figure)?"""
        ceiling = self.effective
        return ceiling is not None and near(value, ceiling)


def _ceiling_from(candidates: list[CeilingEndpoint], rows: Sequence[Row], prefix: str) -> Ceiling | None:
    """Find the response time at which most 504-hit endpoints top out (needs two or more).

    A gateway that cuts requests at N seconds leaves its mark as many endpoints sharing one max
    response time just above N. Slide a +5% window over the sorted maxima and keep the fullest.
    """
    maxima = sorted(c.max_ms for c in candidates)
    best_count, best_low = 0, 0.0
    for low in maxima:
        count = sum(1 for m in maxima if low <= m <= low * (1 + CEILING_TOLERANCE))
        if count > best_count:
            best_count, best_low = count, low
    if best_count < 2:
        return None
    high = max(m for m in maxima if best_low <= m <= best_low * (1 + CEILING_TOLERANCE))
    by_label = {c.label: c for c in candidates}
    at = []
    for r in rows:
        if r.max is not None and best_low <= r.max <= high:
            hit = by_label.get(r.label)
            at.append(CeilingEndpoint(r.label, r.max, hit.gateway_timeouts if hit else 0, r.requests, r.p95))
    at.sort(key=lambda c: (-c.gateway_timeouts, c.label))
    seconds = float(round_half_up(best_low / 1000.0, 0 if best_low >= 10_000 else 1))
    return Ceiling(best_low, high, seconds, at, prefix)


def find_gateway(prefix: str, rows: Sequence[Row], by_label: dict[str, int]) -> Gateway:
    row_of = {r.label: r for r in rows}
    hit = []
    for label, n in by_label.items():
        r = row_of.get(label)
        if r is not None and r.max is not None:
            hit.append(CeilingEndpoint(label, r.max, n, r.requests, r.p95))
    hit.sort(key=lambda c: (-c.gateway_timeouts, c.label))
    gateway = Gateway(total_504=sum(by_label.values()), endpoints_504=hit)
    gateway.ceiling = _ceiling_from(hit, rows, prefix)
    return gateway


def near(value: float | None, ceiling: Ceiling) -> bool:
    """Locust's percentiles are rounded (20000 for ~20.1 s): compare within the tolerance."""
    return value is not None and ceiling.low_ms / (1 + CEILING_TOLERANCE) <= value <= ceiling.high_ms * (
        1 + CEILING_TOLERANCE
    )


def link_runs(gateways: Sequence[tuple[str | None, Gateway]]) -> None:
    """A ceiling seen in one run explains lone 504s in another run of the same environment."""
    for env, g in gateways:
        if g.total_504 and g.ceiling is None:
            for other_env, other in gateways:
                c = other.ceiling
                if c is not None and other_env == env and all(near(e.max_ms, c) for e in g.endpoints_504):
                    g.consistent_with = c
                    break
