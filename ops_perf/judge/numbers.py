"""Rounding and small number helpers shared by the judge and the report.

Why here: the judge rounds a figure before it judges it (the failure % the report prints is the one
that is judged), so the rule has to live with the judge; the report formats with the same rule.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any


def round_half_up(value: float, places: int = 0) -> Decimal:
    """Round the number as Locust printed it (its shortest repr), half up, as a reader would by hand.

    `format(2.675, ".2f")` gives 2.67 because of binary floats; a reviewer checking the CSV expects 2.68.
    """
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def pct(part: float, whole: float) -> float | None:
    return (part / whole * 100.0) if whole else None


def num(value: Any) -> float | None:
    """A cell as a float, None for missing, N/A or NaN."""
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


def g(value: float) -> str:
    """A config number as written: `50`, `2.5`."""
    return f"{value:g}"


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """`1 endpoint`, `2 endpoints`: findings read as sentences, not as `endpoint(s)`."""
    return f"{count} {word if count == 1 else (plural_form or word + 's')}"


def short_list(items: Any, limit: int = 3) -> str:
    """`a, b, c and 2 more`."""
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")
