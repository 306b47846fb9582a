"""What change detection works on and finds: a series of one metric over valid runs, and a change in it.

Apart from `detect` (Apache Otava's change points, the history) and `recent` (the newest-runs step test
that fails the nightly), which both take and give these.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

FLOOR_MS = 0.1
"""Values are analysed as logarithms; a 0 ms median (a sub-millisecond simulator) is taken as this."""


OPS = None
"""`Series.measured` of a run against OPS itself (any environment)."""


def measured_by(sim_profile: str | None, sim_time_scale: float | None) -> str | None:
    """What a run measured, as its series are kept apart: OPS (None), or the simulator with its profile
    and time scale. A replay of the prod profile at 1/20 of real time is not the healthy demo slowed
    down: in one series its 7 -> 1,000 ms would read as a trend (issue 15)."""
    if not sim_profile:
        return OPS
    scale = 1.0 if sim_time_scale is None else float(sim_time_scale)
    return f"simulator {sim_profile}" + ("" if scale == 1.0 else f" at time scale {scale:g}")


def where(env: str | None, scenario: str | None, measured: str | None = OPS) -> str:
    """`env/scenario`, and what was measured where it was not OPS: how every line and title names a series."""
    place = "/".join(x for x in (env, scenario) if x)
    return f"{place} ({measured})" if measured else place


@dataclass(frozen=True)
class Point:
    run_id: str
    prefix: str
    started_at: str
    value: float
    var: float = math.nan
    """The sampling variance of log(value) as the run's own histogram tells it (NaN: unknown; stats.log_variance)."""


@dataclass(frozen=True)
class Series:
    env: str | None
    scenario: str | None
    kind: str
    name: str
    metric: str
    points: tuple[Point, ...]
    why: str = ""
    """Why the series follows this metric (configured; or a CSV cell standing in for a histogram metric,
    for runs without histograms) and where its values come from: what `detect` says per series."""
    measured: str | None = OPS
    """OPS (None) or the simulator profile and time scale (`measured_by`): never one series for both."""

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.name, self.metric)


@dataclass(frozen=True)
class Change:
    """One change point: `prefix`/`started_at` name the first run after the change."""

    env: str | None
    scenario: str | None
    name: str
    metric: str
    prefix: str
    started_at: str
    direction: str
    change_pct: float
    kind: str
    index: int
    """Position of the first run after the change in the series (0 = oldest)."""
    runs_since: int
    """How many runs of the series, this one included, are at or after the change."""
    mean_before: float
    mean_after: float
    pvalue: float
    alarm_level: float = 1.0
    """The p-value a slower change must be below to fail the nightly: the series' share of the night's
    false-alarm budget (history/recent.py). 1.0 where no budget was applied (`changes_in` alone)."""
    measured: str | None = OPS
    """The series' `measured`: a change in a simulator's series says so."""

    def as_json(self) -> dict[str, Any]:
        """Exactly the fields of the issue's contract, in its order (`measured` only for a simulator's)."""
        data = asdict(self)
        out = {
            k: data[k] for k in ("env", "scenario", "name", "metric", "prefix", "started_at", "direction", "change_pct")
        }
        if self.measured:
            out["measured"] = self.measured
        return out

    @property
    def regression(self) -> bool:
        return self.direction == "slower"
