"""Render dataset rows as OPS response bodies (a realistic subset of `ops-openapi.yml`'s schemas).

Why a separate module: `data.py` holds relations, `routes.py` holds which route serves what; this
module alone knows what an OPS body looks like, so a schema change in OPS touches one place.
List items are slimmer than detail bodies, as in OPS (e.g. `BudgetLineItemListItem` drops team
members; `CANList` vs `CAN`). Every function here is pure: the app renders once and serves the
pre-serialised bytes, so none of this runs per request.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ops_perf.sim.data import (
    AGREEMENT_REASONS,
    AGREEMENT_TYPES,
    BLI_STATUSES,
    PORTFOLIO_STATUSES,
    RESEARCH_TYPES,
    ROLES,
    Dataset,
    Row,
)

Body = Any

SIM_VERSION = "1.312.0-sim"


def _audit(row: Row) -> dict[str, Any]:
    """The created/updated fields every OPS model carries."""
    return {
        "created_by": row.get("created_by"),
        "updated_by": row.get("created_by"),
        "created_on": row.get("created_on"),
        "updated_on": row.get("created_on"),
    }


class Views:
    """Body renderers over one dataset, with the reverse relations they need precomputed."""

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

    # ---- small shared pieces -------------------------------------------------------------------
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

    def _fees(self, bli: Row) -> float:
        return round(bli["amount"] * bli["proc_shop_fee_percentage"], 2)

    # ---- budget lines --------------------------------------------------------------------------
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
            **_audit(bli),
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

    # ---- CANs ----------------------------------------------------------------------------------
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

    # ---- portfolios ----------------------------------------------------------------------------
    def portfolio(self, row: Row, full: bool) -> Body:
        urls = [self.portfolio_url(u) for u in self.ds.rows("portfolio_urls") if u["portfolio_id"] == row["id"]]
        body = {
            "id": row["id"],
            "name": row["name"],
            "abbreviation": row["abbreviation"],
            "status": row["status"],
            "division_id": row["division_id"],
            "urls": urls,
            "team_leaders": [self.safe_user(u) for u in row["team_leader_ids"]],
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
            "created_by": None,
            "updated_by": None,
        }
        division = self.ds.get("divisions", row["division_id"])
        body["division"] = self.division(division) if division else None
        body["cans"] = [c["id"] for c in self.cans_by_portfolio.get(row["id"], [])]  # OPS: ints, list and detail
        if full:
            body["description"] = row["description"]
        return body

    def portfolio_url(self, row: Row) -> Body:
        return {
            "id": row["id"],
            "portfolio_id": row["portfolio_id"],
            "url": row["url"],
            "created_on": "2023-10-01T00:00:00Z",
            "updated_on": "2023-10-01T00:00:00Z",
            "created_by": None,
            "updated_by": None,
        }

    def portfolio_cans(self, portfolio: Row) -> Body:
        return [self.can(c, full=False) for c in self.cans_by_portfolio.get(portfolio["id"], [])]

    def portfolio_funding_summary(self, portfolio: Row, fiscal_year: int | None = None) -> Body:
        amounts = self.can_funding_amounts(
            [c["id"] for c in self.cans_by_portfolio.get(portfolio["id"], [])], fiscal_year
        )
        total = amounts["total_funding"] or 1.0

        def line(amount: float, percent: str | None = None) -> dict[str, Any]:
            return {"amount": amount, "percent": percent if percent is not None else f"{round(100 * amount / total)}"}

        return {
            "total_funding": line(amounts["total_funding"], "Total"),
            "carry_forward_funding": line(amounts["carry_forward_funding"], "Carry-Forward"),
            "new_funding": line(amounts["new_funding"], "New"),
            "draft_funding": line(amounts["in_draft_funding"]),
            "planned_funding": line(amounts["planned_funding"]),
            "obligated_funding": line(amounts["obligated_funding"]),
            "in_execution_funding": line(amounts["in_execution_funding"]),
            "available_funding": line(amounts["available_funding"]),
        }

    def portfolio_funding_summaries(
        self, fiscal_year: int | None = None, portfolio_ids: tuple[int, ...] | None = None
    ) -> Body:
        out = []
        for portfolio in self.ds.rows("portfolios"):
            if portfolio_ids is not None and portfolio["id"] not in portfolio_ids:
                continue
            division = self.ds.get("divisions", portfolio["division_id"])
            out.append(
                {
                    "id": portfolio["id"],
                    "name": portfolio["name"],
                    "abbreviation": portfolio["abbreviation"],
                    "division_id": portfolio["division_id"],
                    "division": (
                        {"id": division["id"], "name": division["name"], "abbreviation": division["abbreviation"]}
                        if division
                        else None
                    ),
                    **self.portfolio_funding_summary(portfolio, fiscal_year),
                }
            )
        return {"portfolios": out}

    # ---- projects ------------------------------------------------------------------------------
    def _project_totals(self, project: Row) -> tuple[dict[str, str], float]:
        per_fy: dict[int, float] = defaultdict(float)
        for agreement in self.agreements_by_project.get(project["id"], []):
            for bli in self.blis_by_agreement.get(agreement["id"], []):
                if bli["status"] != "DRAFT":
                    per_fy[bli["fiscal_year"]] += bli["amount"] + self._fees(bli)
        return {str(fy): f"{per_fy[fy]:.2f}" for fy in sorted(per_fy)}, round(sum(per_fy.values()), 2)

    def project(self, row: Row, full: bool) -> Body:
        body = {
            "id": row["id"],
            "project_type": row["project_type"],
            "title": row["title"],
            "short_title": row["short_title"],
            "description": row["description"],
            "url": row["url"],
            "origination_date": row["origination_date"],
            "created_on": row["created_on"],
            "updated_on": row["created_on"],
        }
        agreements = self.agreements_by_project.get(row["id"], [])
        if full:
            leaders = [self.safe_user(u) for u in row["team_leader_ids"]]
            officers = [
                {
                    "id": a["project_officer_id"],
                    "name": (self.safe_user(a["project_officer_id"]) or {}).get("full_name"),
                }
                for a in agreements
            ]
            body |= {
                "team_leaders": leaders,
                "division_directors": [],
                "project_officers": officers,
                "alternate_project_officers": [
                    {"id": u, "name": (self.safe_user(u) or {}).get("full_name")}
                    for u in sorted({a["alternate_project_officer_id"] for a in agreements} - {None})
                ],
                "team_members": [
                    self.safe_user(u) for u in sorted({u for a in agreements for u in a["team_member_ids"]})
                ],
                "created_by": row["created_by"],
                "_meta": {"isEditable": True},
            }
        else:
            fy_totals, total = self._project_totals(row)
            dates = sorted(a["start_date"] for a in agreements) or [None]
            ends = sorted(a["end_date"] for a in agreements) or [None]
            body |= {
                "start_date": dates[0],
                "end_date": ends[-1],
                "fiscal_year_totals": fy_totals,
                "project_total": f"{total:.2f}",
                "agreement_name_list": [{"id": a["id"], "name": a["name"]} for a in agreements],
            }
        return body

    def project_summary(self, projects: list[Row]) -> Body:
        counts = {"RESEARCH": 0, "ADMINISTRATIVE_AND_SUPPORT": 0}
        amounts = {"RESEARCH": 0.0, "ADMINISTRATIVE_AND_SUPPORT": 0.0}
        for project in projects:
            counts[project["project_type"]] += 1
            amounts[project["project_type"]] += self._project_totals(project)[1]
        grand = sum(amounts.values()) or 1.0
        return {
            "total_projects": len(projects),
            "projects_by_type": counts,
            "amounts_by_type": {
                k: {"amount": round(v, 2), "percent": round(100 * v / grand, 1)} for k, v in amounts.items()
            },
        }

    def project_funding(self, project: Row, fiscal_year: int | None) -> Body:
        by_can: dict[int, float] = defaultdict(float)
        by_portfolio: dict[int, float] = defaultdict(float)
        by_fy: dict[int, float] = defaultdict(float)
        for agreement in self.agreements_by_project.get(project["id"], []):
            for bli in self.blis_by_agreement.get(agreement["id"], []):
                if bli["status"] == "DRAFT":
                    continue
                amount = bli["amount"] + self._fees(bli)
                by_fy[bli["fiscal_year"]] += amount
                if fiscal_year is None or bli["fiscal_year"] == fiscal_year:
                    by_can[bli["can_id"]] += amount
                    by_portfolio[bli["portfolio_id"]] += amount
        portfolios = [
            {
                "portfolio_id": pid,
                "portfolio": (self.ds.get("portfolios", pid) or {}).get("name"),
                "amount": round(v, 2),
            }
            for pid, v in sorted(by_portfolio.items())
        ]
        cans = []
        for can_id in sorted(by_can):
            can = self.ds.get("cans", can_id)
            if can:
                cans.append(
                    {
                        "id": can_id,
                        "number": can["number"],
                        "portfolio_id": can["portfolio_id"],
                        "active_period": can["active_period"],
                        "amount": round(by_can[can_id], 2),
                    }
                )
        return {
            "funding_by_portfolio": portfolios,
            "funding_by_can": {str(k): round(v, 2) for k, v in sorted(by_can.items())},
            "funding_by_fiscal_year": [{"fiscal_year": fy, "amount": round(by_fy[fy], 2)} for fy in sorted(by_fy)],
            "cans": cans,
        }

    # ---- agreements ----------------------------------------------------------------------------
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
            **_audit(row),
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

    # ---- procurement, components, misc ---------------------------------------------------------
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

    # ---- filters and lookups -------------------------------------------------------------------
    def agreements_filters(self) -> Body:
        fys = sorted({b["fiscal_year"] for b in self.ds.rows("budget_line_items")}, reverse=True)
        agreements = self.ds.rows("agreements")
        return {
            "fiscal_years": fys,
            "portfolios": sorted(
                ({"id": p["id"], "name": p["name"]} for p in self.ds.rows("portfolios")), key=lambda p: p["name"]
            ),
            "project_titles": sorted(
                ({"id": p["id"], "name": p["title"]} for p in self.ds.rows("projects")), key=lambda p: p["name"]
            ),
            "agreement_types": sorted({a["agreement_type"] for a in agreements}),
            "agreement_names": sorted(
                ({"id": a["id"], "name": a["name"]} for a in agreements), key=lambda a: a["name"]
            ),
            "contract_numbers": sorted(a["contract_number"] for a in agreements if a["contract_number"]),
            "research_types": [],
        }

    def cans_filters(self) -> Body:
        budgets = [b["budget"] for b in self.ds.rows("can_funding_budgets")] or [0.0]
        return {
            "portfolios": sorted(
                (
                    {"id": p["id"], "name": p["name"], "abbreviation": p["abbreviation"]}
                    for p in self.ds.rows("portfolios")
                ),
                key=lambda p: p["name"],
            ),
            "can_numbers": sorted(
                ({"id": c["id"], "number": c["number"]} for c in self.ds.rows("cans")), key=lambda c: c["number"]
            ),
            "fy_budget_range": {"min": min(budgets), "max": max(budgets)},
        }

    def bli_filters(self) -> Body:
        blis = self.ds.rows("budget_line_items")
        totals = [b["amount"] + self._fees(b) for b in blis] or [0.0]
        return {
            "fiscal_years": sorted({b["fiscal_year"] for b in blis}, reverse=True),
            "statuses": list(BLI_STATUSES),
            "portfolios": sorted(
                ({"id": p["id"], "name": p["name"]} for p in self.ds.rows("portfolios")), key=lambda p: p["name"]
            ),
            "budget_line_total_range": {"min": round(min(totals), 2), "max": round(max(totals), 2)},
            "agreement_names": sorted(
                ({"id": a["id"], "name": a["name"]} for a in self.ds.rows("agreements")), key=lambda a: a["name"]
            ),
            "agreement_types": sorted({a["agreement_type"] for a in self.ds.rows("agreements")}),
            "can_active_periods": sorted({c["active_period"] for c in self.ds.rows("cans")}),
        }

    @staticmethod
    def lookups() -> dict[str, Body]:
        return {
            "portfolio-status": list(PORTFOLIO_STATUSES),
            "research-types": dict(RESEARCH_TYPES),
            "agreement-reasons": list(AGREEMENT_REASONS),
            "agreement-types": list(AGREEMENT_TYPES),
        }

    @staticmethod
    def health() -> Body:
        return {"status": "OK", "alarm_level": 0, "checks": {"database": {"alarm_level": 0}}}

    @staticmethod
    def version() -> Body:
        return {"version": SIM_VERSION, "skip_cr_for_draft_planned": False}
