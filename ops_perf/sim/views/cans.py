"""CAN bodies: the CAN (list and detail), its funding budgets, received and details, and its funding sums.

Why a module of its own: a CAN's body gathers its funding rows, its portfolio with the division and
the projects its budget lines fund; the funding sums are shared with the portfolios' summaries.
"""

from __future__ import annotations

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import BLI_STATUSES
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.budget_lines import BudgetLineViews


class CanViews(BudgetLineViews):
    """Renderers of CANs and their funding."""

    def funding_budget(self, row: Row, full: bool = True) -> Body:
        body = {
            "id": row["id"],
            "can_id": row["can_id"],
            "fiscal_year": row["fiscal_year"],
            "budget": row["budget"],
            "notes": row["notes"],
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
        }
        if full:
            can = self.ds.get("cans", row["can_id"]) or {}
            body |= {
                "can": self.can_basic(can) if can else None,
                "display_name": f"CANFundingBudget#{row['id']}",
                "versions": [],
                "created_by": None,
                "updated_by": None,
            }
        return body

    def funding_received(self, row: Row, full: bool = True) -> Body:
        body = {
            "id": row["id"],
            "can_id": row["can_id"],
            "fiscal_year": row["fiscal_year"],
            "funding": row["funding"],
            "notes": row["notes"],
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
        }
        if full:
            body |= {
                "can": row["can_id"],
                "display_name": f"CANFundingReceived#{row['id']}",
                "created_by": None,
                "updated_by": None,
            }
        return body

    def funding_details(self, row: Row, full: bool = True) -> Body:
        body = {k: v for k, v in row.items() if k != "created_on"}
        body |= {
            "display_name": f"CANFundingDetails#{row['id']}",
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
        }
        if full:
            body |= {"created_by": None, "updated_by": None}
        return body

    def can(self, can: Row, full: bool) -> Body:
        details = self.ds.get("can_funding_details", can["funding_details_id"])
        blis = self.blis_by_can.get(can["id"], [])
        body = self.can_basic(can) | {
            "is_expired": can["obligate_by"] < 2025,
            "funding_method": details["funding_method"] if details else None,
            "funding_frequency": details["funding_received"] if details else None,
            "funding_type": details["funding_type"] if details else None,
            "funding_details_id": can["funding_details_id"],
            "funding_details": self.funding_details(details, full=False) if details else None,
            "funding_budgets": [self.funding_budget(b, full=False) for b in self.budgets_by_can.get(can["id"], [])],
            "funding_received": [self.funding_received(r, full=False) for r in self.received_by_can.get(can["id"], [])],
            "portfolio": self._can_portfolio(can["portfolio_id"]),
            "projects": self._can_projects(blis),
            "created_on": can["created_on"],
            "updated_on": can["created_on"],
            "created_by": None,
            "updated_by": None,
        }
        if full:
            body["budget_line_items"] = [self.bli_list_item(b) for b in blis]
        else:
            body["budget_line_items"] = [{"id": b["id"]} for b in blis]  # OPS's CAN list: objects holding only id
        return body

    def _can_portfolio(self, portfolio_id: int) -> Body:
        """The CAN's portfolio with its division: the CAN page reads `portfolio.division.division_director_id`."""
        portfolio = self.ds.get("portfolios", portfolio_id)
        if portfolio is None:
            return None
        division = self.ds.get("divisions", portfolio["division_id"])
        return {
            "id": portfolio["id"],
            "name": portfolio["name"],
            "abbreviation": portfolio["abbreviation"],
            "division_id": portfolio["division_id"],
            "division": self.division(division) if division else None,
        }

    def _can_projects(self, blis: list[Row]) -> list[Body]:
        """The projects a CAN funds (through its budget lines' agreements), as `{id, title}`."""
        project_ids = sorted(
            {a["project_id"] for a in (self.ds.get("agreements", b["agreement_id"]) for b in blis) if a}
        )
        return [{"id": pid, "title": (self.ds.get("projects", pid) or {}).get("title")} for pid in project_ids]

    def can_funding_amounts(self, can_ids: list[int], fiscal_year: int | None) -> dict[str, float]:
        def fy_ok(row: Row) -> bool:
            return fiscal_year is None or row["fiscal_year"] == fiscal_year

        total = sum(b["budget"] for c in can_ids for b in self.budgets_by_can.get(c, []) if fy_ok(b))
        received = sum(r["funding"] for c in can_ids for r in self.received_by_can.get(c, []) if fy_ok(r))
        by_status = dict.fromkeys(BLI_STATUSES, 0.0)
        for c in can_ids:
            for bli in self.blis_by_can.get(c, []):
                if fy_ok(bli):
                    by_status[bli["status"]] += bli["amount"] + self._fees(bli)
        spent = by_status["PLANNED"] + by_status["IN_EXECUTION"] + by_status["OBLIGATED"]
        return {
            "total_funding": round(total, 2),
            "received_funding": round(received, 2),
            "expected_funding": round(total - received, 2),
            "carry_forward_funding": 0.0,
            "new_funding": round(total, 2),
            "planned_funding": round(by_status["PLANNED"], 2),
            "obligated_funding": round(by_status["OBLIGATED"], 2),
            "in_execution_funding": round(by_status["IN_EXECUTION"], 2),
            "in_draft_funding": round(by_status["DRAFT"], 2),
            "available_funding": round(total - spent, 2),
        }

    def can_funding(self, can: Row, fiscal_year: int | None = None) -> Body:
        by_fy = [
            {
                "fiscal_year": fy,
                "amount": round(
                    sum(b["budget"] for b in self.budgets_by_can.get(can["id"], []) if b["fiscal_year"] == fy), 2
                ),
            }
            for fy in self.ds.fiscal_years
        ]
        return {
            "fiscal_year": fiscal_year,
            "funding": self.can_funding_amounts([can["id"]], fiscal_year),
            "funding_by_fiscal_year": by_fy,
            "can": self.can_basic(can) | {"funding_details_id": can["funding_details_id"]},
        }
