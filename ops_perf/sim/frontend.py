"""Bodies and row selection for what the OPS frontend's pages ask beyond the endpoint catalog.

Why a module of its own: the frontend sends query strings the endpoint user never sends
(`fiscal_year=`, `only_my=true`, `oidc_id=`, `budgetFiscalYear=&includeInactive=true`, ...) and reads
15 routes the catalog lacks (summaries, histories, spending, grant numbers, documents, vendors, the
pending procurement steps, `/auth/roles/`). Each page's follow-up calls take their ids from these
bodies, so what matters most here is that every id a body names exists in the dataset: a spending
tab's `portfolios/{id}/cans/` lists exactly the budget lines the page then fetches one by one.
Shapes follow `ops-responses.md`'s measured bodies (keys the fan-outs read, wrapped or plain).
Pure functions over `Views`; `api.py` renders once and caches the bytes.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from ops_perf.sim.dataset import Row
from ops_perf.sim.views import Body, Views

_DOCUMENTS_URL = "https://opsdocuments.blob.core.windows.net/documents"
_SORT_FIELDS = {"TITLE": "title", "PROJECT_TYPE": "project_type", "PROJECT_START": "origination_date"}


class FrontendViews:
    """Selectors and renderers for the frontend's queries and routes, over one `Views`."""

    def __init__(self, views: Views) -> None:
        self.v = views
        self.ds = ds = views.ds
        self._children: dict[tuple[str, str], dict[int, list[Row]]] = {}
        self.fys_by_agreement: dict[int, set[int]] = defaultdict(set)
        self.portfolios_by_agreement: dict[int, set[int]] = defaultdict(set)
        self.fys_by_can: dict[int, set[int]] = defaultdict(set)
        for bli in ds.rows("budget_line_items"):
            self.fys_by_agreement[bli["agreement_id"]].add(bli["fiscal_year"])
            self.portfolios_by_agreement[bli["agreement_id"]].add(bli["portfolio_id"])
            self.fys_by_can[bli["can_id"]].add(bli["fiscal_year"])
        for budget in ds.rows("can_funding_budgets"):
            self.fys_by_can[budget["can_id"]].add(budget["fiscal_year"])
        self.budget_fys_by_can: dict[int, set[int]] = defaultdict(set)
        for budget in ds.rows("can_funding_budgets"):
            self.budget_fys_by_can[budget["can_id"]].add(budget["fiscal_year"])
        self.users_by_oidc = {u["oidc_id"]: u for u in ds.rows("users")}

    # ---- helpers -------------------------------------------------------------------------------
    def children(self, table: str, field: str, parent_id: int) -> list[Row]:
        """Rows of `table` whose `field` is `parent_id`, in table order (an index built on first use)."""
        index = self._children.get((table, field))
        if index is None:
            index = defaultdict(list)
            for row in self.ds.rows(table):
                index[row[field]].append(row)
            self._children[(table, field)] = index
        return index.get(parent_id, [])

    def _mine(self, agreement: Row, user_id: int | None) -> bool:
        """OPS's "my agreements": the caller is its project officer, alternate, team member or creator."""
        return user_id is not None and user_id in (
            agreement["project_officer_id"],
            agreement["alternate_project_officer_id"],
            agreement["created_by"],
            *agreement["team_member_ids"],
        )

    # ---- selectors (rows, parsed query) -> rows ------------------------------------------------
    def select_users(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        if "oidc_id" in q:
            rows = [r for r in rows if r["oidc_id"] == q["oidc_id"]]
        if q.get("exclude_read_only"):
            rows = [r for r in rows if "READ_ONLY" not in r["roles"]]
        if q.get("exclude_system_admin"):
            rows = [r for r in rows if "SYSTEM_OWNER" not in r["roles"]]
        return rows

    def select_notifications(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        if "oidc_id" in q:
            user = self.users_by_oidc.get(q["oidc_id"])
            rows = [r for r in rows if user is not None and r["recipient_id"] == user["id"]]
        if "is_read" in q:
            rows = [r for r in rows if r["is_read"] == q["is_read"]]
        return rows

    def select_agreements(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        if "fiscal_year" in q:
            rows = [r for r in rows if q["fiscal_year"] in self.fys_by_agreement.get(r["id"], ())]
        if "portfolio" in q:
            wanted = set(q["portfolio"])
            rows = [r for r in rows if self.portfolios_by_agreement.get(r["id"], set()) & wanted]
        if q.get("only_my"):
            rows = [r for r in rows if self._mine(r, q.get("me"))]
        if "name" in q:
            rows = [r for r in rows if r["name"] == q["name"]]
        return rows

    def select_blis(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        if q.get("only_my"):
            me = q.get("me")
            rows = [
                r
                for r in rows
                if r["created_by"] == me or self._mine(self.ds.get("agreements", r["agreement_id"]) or {}, me)
            ]
        return rows

    def select_cans(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        if "fiscal_year" in q:
            rows = [r for r in rows if q["fiscal_year"] in self.fys_by_can.get(r["id"], ())]
        return rows

    def select_projects(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        fy, portfolio = q.get("fiscal_year"), q.get("portfolio_id")
        if fy is not None or portfolio is not None:
            keep = []
            for project in rows:
                agreements = self.v.agreements_by_project.get(project["id"], [])
                fys = set().union(*(self.fys_by_agreement.get(a["id"], set()) for a in agreements))
                portfolios = set().union(*(self.portfolios_by_agreement.get(a["id"], set()) for a in agreements))
                if (fy is None or fy in fys) and (portfolio is None or portfolio in portfolios):
                    keep.append(project)
            rows = keep
        field = _SORT_FIELDS.get(str(q.get("sort_field", "")).upper())
        if field:
            rows = sorted(rows, key=lambda r: r[field], reverse=str(q.get("sort_descending")).lower() == "true")
        return rows

    def select_agencies(self, rows: list[Row], q: dict[str, Any]) -> list[Row]:
        for flag in ("requesting", "servicing"):
            if flag in q:
                rows = [r for r in rows if r[flag] == q[flag]]
        return rows

    # ---- row renderers -------------------------------------------------------------------------
    def portfolio_cans(self, portfolio: Row, fiscal_year: int | None, include_inactive: bool | None) -> Body:
        """`portfolios/{id}/cans/`: the portfolio's CANs with `budget_line_items` as int ids.

        With `budgetFiscalYear`, each CAN lists only its budget lines of that year (the spending tab
        fetches each of them), and CANs without a funding budget that year count as inactive: they
        are left out unless `includeInactive=true` (as OPS leaves out seed portfolio 2's CANs).
        """
        out = []
        for can in self.v.cans_by_portfolio.get(portfolio["id"], []):
            active = fiscal_year is None or fiscal_year in self.budget_fys_by_can.get(can["id"], ())
            if not active and not include_inactive:
                continue
            body = self.v.can(can, full=False)
            blis = self.v.blis_by_can.get(can["id"], [])
            body["budget_line_items"] = [
                b["id"] for b in blis if fiscal_year is None or b["fiscal_year"] == fiscal_year
            ]
            out.append(body)
        return out

    def history(self, row: Row) -> Body:
        return dict(row)

    def grant_number(self, row: Row) -> Body:
        return dict(row) | {"updated_by": row["created_by"], "updated_on": row["created_on"]}

    def _bli_total(self, bli: Row) -> float:
        return bli["amount"] + round(bli["amount"] * bli["proc_shop_fee_percentage"], 2)

    def agreement_spending(self, agreement: Row) -> Body:
        """`agreements/{id}/spending/`: the agreement's non-draft total per fiscal year."""
        per_fy: dict[int, float] = defaultdict(float)
        for bli in self.v.blis_by_agreement.get(agreement["id"], []):
            if bli["status"] != "DRAFT":
                per_fy[bli["fiscal_year"]] += self._bli_total(bli)
        return {"fy_total": {str(fy): round(per_fy[fy], 2) for fy in sorted(per_fy)}}

    def project_spending(self, project: Row) -> Body:
        """`projects/{id}/spending/`: `agreements_by_fy.{FY}` lists the agreement ids the tab fetches."""
        by_fy: dict[int, set[int]] = defaultdict(set)
        total_by_fy: dict[int, float] = defaultdict(float)
        type_by_fy: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
        for agreement in self.v.agreements_by_project.get(project["id"], []):
            for bli in self.v.blis_by_agreement.get(agreement["id"], []):
                by_fy[bli["fiscal_year"]].add(agreement["id"])
                if bli["status"] != "DRAFT":
                    amount = self._bli_total(bli)
                    total_by_fy[bli["fiscal_year"]] += amount
                    type_by_fy[bli["fiscal_year"]][agreement["agreement_type"]] += amount
        return {
            "agreements_by_fy": {str(fy): sorted(ids) for fy, ids in sorted(by_fy.items())},
            "spending_type_by_fiscal_year": {
                str(fy): {k: round(v, 2) for k, v in sorted(types.items())} for fy, types in sorted(type_by_fy.items())
            },
            "total_by_fiscal_year": {str(fy): round(v, 2) for fy, v in sorted(total_by_fy.items())},
            "total": round(sum(total_by_fy.values()), 2),
        }

    # ---- bodies computed from the query --------------------------------------------------------
    def portfolio_funding_summaries(self, q: dict[str, Any]) -> Body:
        return self.v.portfolio_funding_summaries(q.get("fiscal_year"), q.get("portfolio_ids"))

    def reporting_summary(self, q: dict[str, Any]) -> Body:
        """`reporting-summary/`: counts and spending over a fiscal year and (optionally) portfolios."""
        fy, portfolios = q.get("fiscal_year"), q.get("portfolio_ids")
        blis = [
            b
            for b in self.ds.rows("budget_line_items")
            if (fy is None or b["fiscal_year"] == fy) and (portfolios is None or b["portfolio_id"] in portfolios)
        ]
        agreement_ids = {b["agreement_id"] for b in blis}
        agreements = [a for a in self.ds.rows("agreements") if a["id"] in agreement_ids]
        new = [a for a in agreements if fy is None or min(self.fys_by_agreement.get(a["id"], {fy})) == fy]
        by_type: dict[str, float] = defaultdict(float)
        for bli in blis:
            if bli["status"] != "DRAFT":
                by_type[bli["budget_line_item_type"]] += self._bli_total(bli)
        return {
            "counts": {
                "agreements": len(agreements),
                "budget_lines": len(blis),
                "projects": len({a["project_id"] for a in agreements}),
                "new_agreements": len(new),
                "continuing_agreements": len(agreements) - len(new),
            },
            "spending": {
                "total_spending": round(sum(by_type.values()), 2),
                "agreement_types": [{"type": k, "total": round(v, 2)} for k, v in sorted(by_type.items())],
            },
        }

    def cans_funding(self, q: dict[str, Any]) -> Body:
        """`cans/funding/`: the funding of every CAN active in the fiscal year, summed."""
        fy = q.get("fiscal_year")
        cans = [c for c in self.ds.rows("cans") if fy is None or fy in self.fys_by_can.get(c["id"], ())]
        return {
            "fiscal_year": fy,
            "cans": [self.v.can_basic(c) for c in cans],
            "funding": self.v.can_funding_amounts([c["id"] for c in cans], fy),
        }

    def documents(self, q: dict[str, Any]) -> Body:
        wanted = q.get("agreement_id")
        docs = [d for d in self.ds.rows("documents") if wanted is None or d["agreement_id"] in wanted]
        return {"url": _DOCUMENTS_URL, "documents": docs}

    def projects_filters(self) -> Body:
        projects = self.ds.rows("projects")
        return {
            "fiscal_years": sorted(self.ds.fiscal_years, reverse=True),
            "portfolios": sorted(
                ({"id": p["id"], "name": p["name"]} for p in self.ds.rows("portfolios")), key=lambda p: p["name"]
            ),
            "project_titles": sorted(({"id": p["id"], "name": p["title"]} for p in projects), key=lambda p: p["name"]),
            "project_types": sorted({p["project_type"] for p in projects}),
            "agreement_names": sorted(
                ({"id": a["id"], "name": a["name"]} for a in self.ds.rows("agreements")), key=lambda a: a["name"]
            ),
        }

    def pending_steps(self, kind: str) -> Body:
        """The steps awaiting someone (tab badges on `/agreements`): pre-award approvals (step 5
        active with an approval requested), requisitions (step 5 active), award approvals (step 6)."""
        wanted = {
            "award_approvals": lambda s: s["step_number"] == 6,
            "requisitions": lambda s: s["step_number"] == 5,
            "approvals": lambda s: s["step_number"] == 5 and s.get("approval_requested_by") is not None,
        }[kind]
        out = [s for s in self.ds.rows("procurement_tracker_steps") if s["status"] == "ACTIVE" and wanted(s)]
        return [self.v.tracker_step(s) | {"agreement_id": s["agreement_id"]} for s in out]
