"""A straight line through points by least squares, with how well it fits (r^2).

Why its own module: "time grows with size", "ms per row" and "statements per row" are all one slope
over a probe's or a run's points, and a rule that reads r^2 must get the same r^2 wherever the
slope is wanted (the judge's causes, diagnose's charts).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median


@dataclass(frozen=True)
class Fit:
    """y = intercept + slope * x over `n` points."""

    slope: float
    intercept: float
    r2: float
    """Share of y's variance the line explains: 1 for points on the line, 0 for a flat cloud; 0 also
    when x or y does not vary (nothing to explain, or no slope to find)."""
    n: int
    x_low: float
    x_high: float

    def at(self, x: float) -> float:
        return self.intercept + self.slope * x

    @property
    def growth(self) -> float:
        """What the line adds from the smallest x to the largest."""
        return self.slope * (self.x_high - self.x_low)


def least_squares(xs: Sequence[float], ys: Sequence[float]) -> Fit | None:
    """The fit, or None with fewer than two points or a single x value (no slope to find)."""
    n = len(xs)
    if n != len(ys) or n < 2:
        return None
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    if sxx == 0:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True))
    syy = sum((y - mean_y) ** 2 for y in ys)
    slope = sxy / sxx
    r2 = (sxy * sxy) / (sxx * syy) if syy > 0 else 0.0
    return Fit(slope, mean_y - slope * mean_x, r2, n, min(xs), max(xs))


def median_or_none(values: Sequence[float]) -> float | None:
    return median(values) if values else None
