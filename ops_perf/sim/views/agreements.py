"""Agreement bodies: list item and detail (per agreement type), and the extras of `/agreements/`.

Why a module of its own: the agreement is OPS's largest body (its budget lines in full, project,
shop, people, services components) and `/agreements/` adds totals and procurement overviews over
the filtered set; contract-like and IAA-like agreements carry their own fields.
"""

from __future__ import annotations

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import BLI_STATUSES
from ops_perf.sim.views.base import Body, audit
from ops_perf.sim.views.budget_lines import BudgetLineViews
from ops_perf.sim.views.projects import ProjectViews


class AgreementViews(ProjectViews, BudgetLineViews):
    """Renderers of agreements."""

    def _agreement_common(self, row: Row) -> Body:
        project = self.ds.get("projects", row["project_id"])
        psc = self.ds.get("product_service_codes", row["product_service_code_id"])
        shop = self.ds.get("procurement_shops", row["awarding_entity_id"])
        body = {
            "id": row["id"],
            "name": row["name"],
            "nick_name": row["nick_name"],
            "display_name": row["name"],
            "agreement_type": row["agreement_type"],
            "description": row["description"],
            "agreement_reason": row["agreement_reason"],
            "project_id": row["project_id"],
            "project": self.project(project, full=False) if project else None,
            "product_service_code_id": row["product_service_code_id"],
            "product_service_code": psc,
            "awarding_entity_id": row["awarding_entity_id"],
            "procurement_shop": self.shop(shop) if shop else None,
            "project_officer_id": row["project_officer_id"],
            "alternate_project_officer_id": row["alternate_project_officer_id"],
            "team_members": [self.safe_user(u) for u in row["team_member_ids"]],
            "research_methodologies": [
                self.ds.get("research_methodologies", m) for m in row["research_methodology_ids"]
            ],
            "special_topics": [self.ds.get("special_topics", s) for s in row["special_topic_ids"]],
            "services_components": [
                self.services_component(sc) for sc in self.components_by_agreement.get(row["id"], [])
            ],
            "start_date": row["start_date"],
            "end_date": row["end_date"],
            "notes": row["notes"],
            "maps_sys_id": None,
            "service_requirement_type": "SEVERABLE",
            "is_awarded": any(b["status"] == "OBLIGATED" for b in self.blis_by_agreement.get(row["id"], [])),
            "award_type": "NEW",
            **audit(row),
        }
        if row["agreement_type"] in ("CONTRACT", "AA"):
            body |= {
                "contract_number": row["contract_number"],
                "vendor": row["vendor"],
                "vendor_id": None,
                "contract_type": "FIRM_FIXED_PRICE",
                "task_order_number": None,
                "po_number": None,
                "acquisition_type": "FULL_AND_OPEN",
                "contract_category": "SERVICE",
                "delivered_status": False,
                "support_contacts": [],
            }
        if row["agreement_type"] in ("IAA", "AA"):
            body |= {
                "requesting_agency_id": row["requesting_agency_id"],
                "servicing_agency_id": row["servicing_agency_id"],
            }
        return body

    def agreement(self, row: Row, full: bool) -> Body:
        body = self._agreement_common(row)
        blis = self.blis_by_agreement.get(row["id"], [])
        if full:
            body["budget_line_items"] = [self.bli_detail(b) for b in blis]
            body |= {
                "division_directors": [],
                "team_leaders": [],
                "in_review": False,
                "is_award_approval_requested": False,
                "is_post_pre_award_locked": False,
                "authorized_user_ids": sorted({row["project_officer_id"], *row["team_member_ids"]}),
                "change_requests_in_review": None,
            }
        else:
            body["budget_line_items"] = [
                {
                    "id": b["id"],
                    "amount": b["amount"],
                    "fees": self._fees(b),
                    "status": b["status"],
                    "fiscal_year": b["fiscal_year"],
                    "date_needed": b["date_needed"],
                    "can_id": b["can_id"],
                    "is_obe": b["is_obe"],
                }
                for b in blis
            ]
        body["_meta"] = {"isEditable": True}
        return body

    def agreement_extras(self, agreements: list[Row]) -> dict[str, Body]:
        """`totals`, `procurement_overview`, `procurement_step_summary` and days-in-step of `/agreements/`."""
        by_status = {s: 0.0 for s in BLI_STATUSES}
        agreements_by_status = {s: 0 for s in BLI_STATUSES}
        fees = 0.0
        for agreement in agreements:
            seen: set[str] = set()
            for bli in self.blis_by_agreement.get(agreement["id"], []):
                by_status[bli["status"]] += bli["amount"]
                fees += self._fees(bli)
                seen.add(bli["status"])
            for status in seen:
                agreements_by_status[status] += 1
        total_amount = sum(by_status.values()) or 1.0
        count = len(agreements) or 1
        status_data = [
            {
                "status": s,
                "label": s.replace("_", " ").title(),
                "amount": round(by_status[s], 2),
                "amount_percent": round(100 * by_status[s] / total_amount, 1),
                "agreements": agreements_by_status[s],
                "agreements_percent": round(100 * agreements_by_status[s] / count, 1),
            }
            for s in BLI_STATUSES
        ]
        trackers = {t["agreement_id"]: t for t in self.ds.rows("procurement_trackers")}
        step_counts = dict.fromkeys(range(1, 7), 0)
        days: dict[str, dict[str, int]] = {}
        for agreement in agreements:
            tracker = trackers.get(agreement["id"])
            if tracker:
                step = tracker["active_step_number"]
                step_counts[step] += 1
                days.setdefault(str(step), {})[str(agreement["id"])] = (agreement["id"] * 7) % 90
        tracked = sum(step_counts.values()) or 1
        return {
            "totals": {
                "count": len(agreements),
                "obligated": round(by_status["OBLIGATED"], 2),
                "fees": round(fees, 2),
                "in_draft": round(by_status["DRAFT"], 2),
                "planned": round(by_status["PLANNED"], 2),
                "executing": round(by_status["IN_EXECUTION"], 2),
            },
            "procurement_overview": {
                "status_data": status_data,
                "total_amount": round(sum(by_status.values()), 2),
                "total_agreements": len(agreements),
            },
            "procurement_step_summary": {
                "step_data": [
                    {"step": s, "agreements": n, "agreements_percent": round(100 * n / tracked, 1), "amount": 0.0}
                    for s, n in step_counts.items()
                ],
                "total_agreement_count": sum(step_counts.values()),
            },
            "procurement_days_in_step": days,
        }
