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

    def as_json(self) -> dict[str, Any]:
        """Exactly the fields of the issue's contract, in its order."""
        data = asdict(self)
        return {
            k: data[k] for k in ("env", "scenario", "name", "metric", "prefix", "started_at", "direction", "change_pct")
        }

    @property
    def regression(self) -> bool:
        return self.direction == "slower"
