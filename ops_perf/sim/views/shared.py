"""The small shapes many OPS bodies embed: users, a CAN's basic fields, divisions, shops, services components.

Why a module of its own: these appear inside budget lines, agreements, CANs, portfolios and
notifications alike; one definition each keeps the embedded copy identical to the served one.
"""

from __future__ import annotations

from typing import Any

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import ROLES
from ops_perf.sim.views.base import Body, Relations


class SharedViews(Relations):
    """Renderers of the shapes other bodies embed (and that some routes serve on their own)."""

    def safe_user(self, user_id: int | None) -> dict[str, Any] | None:
        user = self.ds.get("users", user_id) if user_id is not None else None
        if user is None:
            return None
        return {
            "id": user["id"],
            "full_name": f"{user['first_name']} {user['last_name']}",
            "email": user["email"],
            "oidc_id": user["oidc_id"],
        }

    @staticmethod
    def user_name(row: Row) -> Body:
        return {"id": row["id"], "full_name": f"{row['first_name']} {row['last_name']}"}

    def user(self, row: Row) -> Body:
        full = f"{row['first_name']} {row['last_name']}"
        return {
            "id": row["id"],
            "oidc_id": row["oidc_id"],
            "hhs_id": row["hhs_id"],
            "email": row["email"],
            "first_name": row["first_name"],
            "last_name": row["last_name"],
            "full_name": full,
            "display_name": full,
            "division": row["division"],
            "roles": [{"id": ROLES.index(r) + 1, "name": r} for r in row["roles"]],  # OPS: role objects
            "status": row["status"],
            "is_superuser": "SUPER_USER" in row["roles"],
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
            "created_by": None,
            "updated_by": None,
        }

    def shop(self, row: Row) -> Body:
        fee = {
            "id": row["id"] * 10,
            "procurement_shop_id": row["id"],
            "fee": row["fee_percentage"],
            "start_date": "2023-10-01",
            "end_date": None,
        }
        return {
            "id": row["id"],
            "name": row["name"],
            "abbr": row["abbr"],
            "fee_percentage": row["fee_percentage"],
            "procurement_shop_fees": [fee],
            "current_fee": fee,
            "created_on": "2023-10-01T00:00:00Z",
            "updated_on": "2023-10-01T00:00:00Z",
            "created_by": None,
            "updated_by": None,
        }

    def can_basic(self, can: Row) -> Body:
        return {
            "id": can["id"],
            "number": can["number"],
            "display_name": can["number"],
            "nick_name": can["nick_name"],
            "description": can["description"],
            "portfolio_id": can["portfolio_id"],
            "active_period": can["active_period"],
            "obligate_by": can["obligate_by"],
        }

    def division(self, row: Row) -> Body:
        return {
            "id": row["id"],
            "name": row["name"],
            "abbreviation": row["abbreviation"],
            "division_director_id": row.get("division_director_id"),
            "deputy_division_director_id": row.get("deputy_division_director_id"),
            "created_on": "2023-10-01T00:00:00Z",
            "updated_on": "2023-10-01T00:00:00Z",
            "created_by": None,
            "updated_by": None,
        }

    def services_component(self, row: Row) -> Body:
        return {
            "id": row["id"],
            "agreement_id": row["agreement_id"],
            "number": row["number"],
            "optional": row["optional"],
            "sub_component": row["sub_component"],
            "description": row["description"],
            "display_title": f"Services Component {row['number']}",
            "display_name": f"SC{row['number']}",
            "period_start": row["period_start"],
            "period_end": row["period_end"],
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
            "created_by": None,
            "updated_by": None,
        }
