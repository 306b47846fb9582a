"""Notification bodies and the change requests they are about.

Why a module of its own: the header polls notifications on every page view, and a notification
embeds its change request (with the budget line's old and new amount) and its recipient.
"""

from __future__ import annotations

from ops_perf.sim.dataset import Row
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.shared import SharedViews


class NotificationViews(SharedViews):
    """Renderers of notifications and change requests."""

    def notification(self, row: Row) -> Body:
        cr = self.ds.get("change_requests", row["change_request_id"]) if row["change_request_id"] else None
        return {
            "id": row["id"],
            "notification_type": row["notification_type"],
            "title": row["title"],
            "message": row["message"],
            "is_read": row["is_read"],
            "expires": row["expires"],
            "recipient": self.safe_user(row["recipient_id"]),
            "change_request": self.change_request(cr) if cr else None,
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
            "created_by": None,
            "updated_by": None,
        }

    def change_request(self, row: Row) -> Body:
        bli = self.ds.get("budget_line_items", row["budget_line_item_id"]) or {}
        return {
            "id": row["id"],
            "change_request_type": row["change_request_type"],
            "status": row["status"],
            "agreement_id": row["agreement_id"],
            "budget_line_item_id": row["budget_line_item_id"],
            "requested_change_data": {"amount": row["new_amount"]},
            "requested_change_diff": {"amount": {"old": bli.get("amount"), "new": row["new_amount"]}},
            "requestor_notes": None,
            "reviewed_by": None,
            "reviewed_on": None,
            "reviewer_notes": None,
            "has_budget_change": row["has_budget_change"],
            "has_status_change": False,
            "has_delete_change": False,
            "has_proc_shop_change": False,
            "managing_division_id": (self.ds.get("portfolios", bli.get("portfolio_id")) or {}).get("division_id"),
            "created_by": row["created_by"],
            "created_by_user": self.safe_user(row["created_by"]),
            "created_on": row["created_on"],
            "updated_by": None,
            "updated_on": row["created_on"],
        }
