"""The reverse relations every renderer reads, built once per dataset, and the pieces all bodies share.

Why a module of its own: the dataset holds forward links (a budget line names its agreement); the
bodies need the other direction too (an agreement's budget lines). Building those indexes once, in
one place, keeps every renderer a dictionary lookup and lets each resource family's module depend
on this one alone.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ops_perf.sim.dataset import Dataset, Row

Body = Any


def audit(row: Row) -> dict[str, Any]:
    """The created/updated fields every OPS model carries."""
    return {
        "created_by": row.get("created_by"),
        "updated_by": row.get("created_by"),
        "created_on": row.get("created_on"),
        "updated_on": row.get("created_on"),
    }


class Relations:
    """One dataset with the reverse relations the renderers need precomputed."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.blis_by_agreement: dict[int, list[Row]] = defaultdict(list)
        self.blis_by_can: dict[int, list[Row]] = defaultdict(list)
        for bli in ds.rows("budget_line_items"):
            self.blis_by_agreement[bli["agreement_id"]].append(bli)
            self.blis_by_can[bli["can_id"]].append(bli)
        self.cans_by_portfolio: dict[int, list[Row]] = defaultdict(list)
        for can in ds.rows("cans"):
            self.cans_by_portfolio[can["portfolio_id"]].append(can)
        self.agreements_by_project: dict[int, list[Row]] = defaultdict(list)
        for agreement in ds.rows("agreements"):
            self.agreements_by_project[agreement["project_id"]].append(agreement)
        self.components_by_agreement: dict[int, list[Row]] = defaultdict(list)
        for sc in ds.rows("services_components"):
            self.components_by_agreement[sc["agreement_id"]].append(sc)
        self.budgets_by_can: dict[int, list[Row]] = defaultdict(list)
        for budget in ds.rows("can_funding_budgets"):
            self.budgets_by_can[budget["can_id"]].append(budget)
        self.received_by_can: dict[int, list[Row]] = defaultdict(list)
        for rec in ds.rows("can_funding_received"):
            self.received_by_can[rec["can_id"]].append(rec)
        self.steps_by_tracker: dict[int, list[Row]] = defaultdict(list)
        for step in ds.rows("procurement_tracker_steps"):
            self.steps_by_tracker[step["procurement_tracker_id"]].append(step)

    def _fees(self, bli: Row) -> float:
        return round(bli["amount"] * bli["proc_shop_fee_percentage"], 2)
