"""Which offered rate to try next: a coarse ramp up, then a finer search between good and bad.

Pure (no I/O), so the search can be tested step by step and replayed from `capacity.json`.

- coarse: `start`, then x`factor` per step while steps are good, ending exactly at the cap;
- fine: bisect between the highest good step below the first bad one and that bad one until they are
  within `resolution` of each other (relative to the bad rate);
- a first step that is already bad is followed by lower ones (/`factor`, at most `MAX_STEPS_DOWN`);
- the answer is the highest good rate below the first bad one (the knee is assumed to be single: a
  good step above a bad one is reported, never believed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

DEFAULT_FACTOR = 2.0
DEFAULT_RESOLUTION = 0.1
MAX_STEPS = 14
"""Bound on the number of steps whatever the inputs: each step is a real load test."""
MAX_STEPS_DOWN = 3


@dataclass(frozen=True)
class Tried:
    rate: float
    good: bool


@dataclass(frozen=True)
class Answer:
    capacity: float | None
    """Highest good rate below the first bad one; None when no step was good."""
    first_bad: float | None
    """Lowest bad rate; None when every step up to the cap was good."""
    reason: str


@dataclass(frozen=True)
class Search:
    start: float
    cap: float
    factor: float = DEFAULT_FACTOR
    resolution: float = DEFAULT_RESOLUTION

    def __post_init__(self) -> None:
        if not 0 < self.start <= self.cap:
            raise ValueError(f"start rate {self.start:g} must be above 0 and at most the cap {self.cap:g}")
        if self.factor <= 1 or not 0 < self.resolution < 1:
            raise ValueError("factor must exceed 1 and resolution lie between 0 and 1")

    def bounds(self, tried: Sequence[Tried]) -> tuple[float | None, float | None]:
        """(highest good below the first bad, first bad)."""
        bads = [t.rate for t in tried if not t.good]
        first_bad = min(bads) if bads else None
        goods = [t.rate for t in tried if t.good and (first_bad is None or t.rate < first_bad)]
        return (max(goods) if goods else None), first_bad

    def next_rate(self, tried: Sequence[Tried]) -> float | None:
        """The next rate to try, or None when the search is over (see `answer`)."""
        if not tried:
            return self.start
        if len(tried) >= MAX_STEPS:
            return None
        good, bad = self.bounds(tried)
        if bad is None:
            return None if good is not None and good >= self.cap else min(self.cap, (good or 0) * self.factor)
        if good is None:
            floor = self.start / self.factor**MAX_STEPS_DOWN
            return None if bad <= floor * (1 + 1e-9) else bad / self.factor
        if (bad - good) / bad <= self.resolution:
            return None
        return _round((good + bad) / 2)

    def phase(self, tried: Sequence[Tried]) -> str:
        """ "coarse" until the first bad step, "fine" afterwards (for the progress lines and the report)."""
        return "fine" if any(not t.good for t in tried) and self.bounds(tried)[0] is not None else "coarse"

    def answer(self, tried: Sequence[Tried]) -> Answer:
        good, bad = self.bounds(tried)
        if bad is None:
            return Answer(good, None, f"every step up to the cap of {self.cap:g} was good")
        if good is None:
            return Answer(None, bad, f"even the lowest step ({bad:g}) was not good")
        if (bad - good) / bad <= self.resolution:
            reason = f"between {good:g} (good) and {bad:g} (bad), within {100 * self.resolution:g}%"
        else:
            reason = f"between {good:g} (good) and {bad:g} (bad); stopped after {len(tried)} steps"
        return Answer(good, bad, reason)


def _round(rate: float) -> float:
    """Three significant figures: rates people can read and type."""
    return float(f"{rate:.3g}")
