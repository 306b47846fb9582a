"""The simulator's dataset as the renderers read it: tables of rows with an id index, and its fiscal years.

Why a module of its own: the generator (`data.py`, `seed/`) writes a `Dataset` once; the renderers
(`views/`, `frontend.py`), the API and the admin routes only read it. Keeping the container apart
from the generator lets those readers depend on the shape of the data, not on how it was made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

Row = dict[str, Any]

#: Tables `--profile` options may empty (OPS answers their list endpoints 404 `{}` when empty).
EMPTIABLE_TABLES = ("divisions", "product_service_codes")

#: The fiscal years the portfolio spans: four before the current federal one to one after it. The
#: frontend sends the current federal fiscal year (`getCurrentFiscalYear`), so the data must have it;
#: `build(current_fy=...)` pins it (tests, reproducible bodies), else it comes from today's date.
FY_BEFORE, FY_AFTER = 4, 1


@dataclass
class Dataset:
    """All tables, as id-sorted row lists plus an id index per table."""

    seed: int
    current_fy: int
    fiscal_years: tuple[int, ...]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    index: dict[str, dict[int, Row]] = field(default_factory=dict)

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])

    def get(self, table: str, row_id: int) -> Row | None:
        return self.index.get(table, {}).get(row_id)

    def ids(self, table: str) -> list[int]:
        return [row["id"] for row in self.rows(table)]

    def sizes(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in sorted(self.tables.items())}


def federal_fiscal_year(day: date) -> int:
    """The US federal fiscal year of `day` (October to September), as the OPS frontend computes it."""
    return day.year + 1 if day.month >= 10 else day.year


def fiscal_years(current_fy: int) -> tuple[int, ...]:
    """The fiscal years a portfolio built for `current_fy` spans."""
    return tuple(range(current_fy - FY_BEFORE, current_fy + FY_AFTER + 1))
