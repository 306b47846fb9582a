"""Budget line bodies: the list item, the detail, and the `_meta` totals of `/budget-line-items/`.

Why a module of its own: budget lines are embedded in CANs, agreements and procurement actions, so
their shape is the one most bodies depend on; OPS's list item drops the detail's team members.
"""

from __future__ import annotations

from ops_perf.sim.dataset import Row
from ops_perf.sim.views.base import Body, audit
from ops_perf.sim.views.shared import SharedViews


class BudgetLineViews(SharedViews):
    """Renderers of budget lines."""

    def bli_list_item(self, bli: Row) -> Body:
        can = self.ds.get("cans", bli["can_id"]) or {}
        agreement = self.ds.get("agreements", bli["agreement_id"]) or {}
        fees = self._fees(bli)
        return {
            "id": bli["id"],
            "budget_line_item_type": bli["budget_line_item_type"],
            "agreement_id": bli["agreement_id"],
            "can_id": bli["can_id"],
            "can": {
                "id": can.get("id"),
                "display_name": can.get("number"),
                "number": can.get("number"),
                "portfolio_id": can.get("portfolio_id"),
            },
            "services_component_id": bli["services_component_id"],
            "grant_number_id": None,
            "amount": bli["amount"],
            "fees": fees,
            "total": round(bli["amount"] + fees, 2),
            "comments": bli["comments"],
            "date_needed": bli["date_needed"],
            "line_description": bli["line_description"],
            "proc_shop_fee_percentage": bli["proc_shop_fee_percentage"],
            "procurement_shop_fee_id": bli["procurement_shop_id"] * 10,
            "status": bli["status"],
            "is_obe": bli["is_obe"],
            "portfolio_id": bli["portfolio_id"],
            "fiscal_year": bli["fiscal_year"],
            "in_review": False,
            "change_requests_in_review": None,
            "agreement": {
                "id": agreement.get("id"),
                "name": agreement.get("name"),
                "agreement_type": agreement.get("agreement_type"),
                "awarding_entity_id": agreement.get("awarding_entity_id"),
            },
            **audit(bli),
        }

    def bli_detail(self, bli: Row) -> Body:
        body = self.bli_list_item(bli)
        can = self.ds.get("cans", bli["can_id"]) or {}
        body["can"] = self.can_basic(can) if can else None
        agreement = self.ds.get("agreements", bli["agreement_id"]) or {}
        body["team_members"] = [self.safe_user(u) for u in agreement.get("team_member_ids", [])]
        portfolio = self.ds.get("portfolios", bli["portfolio_id"]) or {}
        body["portfolio_team_leaders"] = [self.safe_user(u) for u in portfolio.get("team_leader_ids", [])]
        body["procurement_action_id"] = None
        body["clin_id"] = None
        body["requestor_notes"] = None
        body["_meta"] = {
            "isEditable": bli["status"] in ("DRAFT", "PLANNED"),
            "isDeletable": bli["status"] == "DRAFT",
            "lockedMessage": None,
        }
        return body

    def bli_totals(self, blis: list[Row]) -> dict[str, float]:
        """The `_meta` totals OPS adds to each item of `/budget-line-items/` (over the filtered set)."""
        totals = {
            "total_amount": 0.0,
            "total_draft_amount": 0.0,
            "total_planned_amount": 0.0,
            "total_in_execution_amount": 0.0,
            "total_obligated_amount": 0.0,
            "total_overcome_by_events_amount": 0.0,
        }
        for bli in blis:
            total = bli["amount"] + self._fees(bli)
            totals["total_amount"] += total
            key = "total_overcome_by_events_amount" if bli["is_obe"] else f"total_{bli['status'].lower()}_amount"
            totals[key] += total
        return {k: round(v, 2) for k, v in totals.items()}
