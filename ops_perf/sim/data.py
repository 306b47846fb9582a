"""The simulator's portfolio: a deterministic, seeded set of OPS rows with consistent relations.

Why generated and not copied: the project must ship only data it produces itself, and a seeded
generator gives every newcomer, test and benchmark the same portfolio (same ids, same sizes) without
any OPS access. Sizes follow a real OPRE portfolio (hundreds of budget lines, dozens of agreements
and CANs) so id pools, pagination and body sizes behave like production. Ids are non-contiguous on
purpose: a harvester that guesses ids instead of reading them gets 404s, as it would against OPS.

Rows are plain dicts holding *relations* (ids), not rendered bodies; `views/` renders them.
Nothing here reads the clock: timestamps derive from a fixed epoch, so the same seed always yields
byte-identical responses.

This module is the order of generation (`build`): one RNG runs through the table families of
`seed/` in turn, so the order is part of the data. The container (`Dataset`) lives in `dataset.py`,
OPS's vocabularies in `enums.py`; their names are importable from here too.
"""

from __future__ import annotations

import random
from datetime import date

from ops_perf.sim.dataset import (
    EMPTIABLE_TABLES,
    FY_AFTER,
    FY_BEFORE,
    Dataset,
    Row,
    federal_fiscal_year,
    fiscal_years,
)
from ops_perf.sim.enums import (
    AGREEMENT_REASONS,
    AGREEMENT_TYPES,
    BLI_STATUSES,
    PORTFOLIO_STATUSES,
    RESEARCH_TYPES,
    ROLES,
    TEST_USERS,
)
from ops_perf.sim.seed.agreements import add_agreements, add_projects
from ops_perf.sim.seed.budget_lines import BLI_CREATORS, HEAVY_PORTFOLIO_BLIS, NULL_SC_RATE, add_budget_lines
from ops_perf.sim.seed.common import Tables
from ops_perf.sim.seed.frontend import add_frontend_tables
from ops_perf.sim.seed.funding import add_cans
from ops_perf.sim.seed.org import add_people, add_portfolios
from ops_perf.sim.seed.reference import add_reference_tables
from ops_perf.sim.seed.workflow import add_procurement, add_requests

__all__ = [
    "AGREEMENT_REASONS",
    "AGREEMENT_TYPES",
    "BLI_CREATORS",
    "BLI_STATUSES",
    "DEFAULT_SEED",
    "EMPTIABLE_TABLES",
    "FY_AFTER",
    "FY_BEFORE",
    "HEAVY_PORTFOLIO_BLIS",
    "NULL_SC_RATE",
    "PORTFOLIO_STATUSES",
    "RESEARCH_TYPES",
    "ROLES",
    "TEST_USERS",
    "Dataset",
    "Row",
    "build",
    "federal_fiscal_year",
    "fiscal_years",
]

DEFAULT_SEED = 20251015


def build(
    seed: int = DEFAULT_SEED, empty_tables: tuple[str, ...] | list[str] = (), current_fy: int | None = None
) -> Dataset:
    """Generate the whole portfolio from `seed` (same seed and current FY: same rows, same ids)."""
    if current_fy is None:
        current_fy = federal_fiscal_year(date.today())
    years = fiscal_years(current_fy)
    unknown = sorted(set(empty_tables) - set(EMPTIABLE_TABLES))
    if unknown:
        raise ValueError(f"cannot empty table(s) {', '.join(unknown)}; emptiable: {', '.join(EMPTIABLE_TABLES)}")
    rng = random.Random(seed)
    t: Tables = {}
    add_people(rng, t)
    add_portfolios(rng, t)
    add_cans(rng, t, years)
    add_reference_tables(rng, t)
    add_projects(rng, t)
    spare_component_ids = add_agreements(rng, t)
    add_budget_lines(rng, t, current_fy, years, spare_component_ids)
    add_procurement(rng, t)
    add_requests(rng, t)
    add_frontend_tables(rng, t, years)

    # Not a table in OPS (an enum), but served by id like one: /lookups/portfolio-status/{id}.
    t["portfolio_statuses"] = [{"id": i, "name": name} for i, name in enumerate(PORTFOLIO_STATUSES, start=1)]

    for table in empty_tables:
        t[table] = []
    index = {name: {row["id"]: row for row in rows} for name, rows in t.items()}
    return Dataset(seed=seed, current_fy=current_fy, fiscal_years=years, tables=t, index=index)
