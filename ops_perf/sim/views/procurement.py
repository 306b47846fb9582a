"""Procurement bodies: procurement actions, trackers and their steps.

Why a module of its own: the procurement tracker tab reads these (steps name the users who did
each task), and actions embed budget lines with their amounts as OPS's string decimals.
"""

from __future__ import annotations

from ops_perf.sim.dataset import Row
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.budget_lines import BudgetLineViews


class ProcurementViews(BudgetLineViews):
    """Renderers of procurement actions, trackers and steps."""

    def procurement_action(self, row: Row) -> Body:
        blis = [self.ds.get("budget_line_items", b) for b in row["budget_line_item_ids"]]
        total = round(sum(b["amount"] for b in blis if b), 2)
        shop = self.ds.get("procurement_shops", row["procurement_shop_id"])
        return {
            "id": row["id"],
            "agreement_id": row["agreement_id"],
            "agreement_mod_id": None,
            "award_type": row["award_type"],
            "mod_type": None,
            "status": row["status"],
            "procurement_shop_id": row["procurement_shop_id"],
            "procurement_shop": {"id": shop["id"], "name": shop["name"], "abbr": shop["abbr"]} if shop else None,
            "psc_action_number": row["psc_action_number"],
            "need_by_date": row["need_by_date"],
            "requisition_deadline": None,
            "date_awarded_obligated": None,
            "desired_days_on_street": 30,
            "action_description": f"Procurement action for agreement {row['agreement_id']}",
            "comments": "",
            "psc_fee_percentage": f"{shop['fee_percentage'] if shop else 0:.2f}",
            "award_total": f"{total:.2f}",
            "agreement_total": f"{total:.2f}",
            "display_name": f"PA-{row['id']}",
            "mod_number": None,
            "is_modification": False,
            "budget_lines_total": f"{total:.2f}",
            "totals_match": True,
            "budget_line_items": [self.bli_list_item(b) for b in blis if b],
            "requisitions": [],
            "created_by": None,
            "updated_by": None,
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
        }

    def tracker_step(self, row: Row) -> Body:
        body = {
            k: row[k]
            for k in (
                "id",
                "procurement_tracker_id",
                "step_number",
                "step_type",
                "status",
                "step_start_date",
                "step_completed_date",
            )
        }
        body |= {
            "task_completed_by": row.get("task_completed_by"),
            "date_completed": row["step_completed_date"],
            "notes": None,
            "approval_requested_by": row.get("approval_requested_by"),  # set on steps 5-6 only
            "requisition_approved_by": row.get("requisition_approved_by"),  # set on step 5 only
        }
        return body

    def tracker(self, row: Row) -> Body:
        return {
            "id": row["id"],
            "agreement_id": row["agreement_id"],
            "status": row["status"],
            "procurement_action": None,
            "tracker_type": row["tracker_type"],
            "active_step_number": row["active_step_number"],
            "steps": [self.tracker_step(s) for s in self.steps_by_tracker.get(row["id"], [])],
        }
