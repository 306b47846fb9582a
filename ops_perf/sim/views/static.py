"""Bodies that do not depend on the request: the filter lists, the lookups, health and version.

Why a module of its own: these are rendered once per dataset (routes of shape STATIC); the filter
lists summarise whole tables (every fiscal year, portfolio, agreement name) rather than one row.
"""

from __future__ import annotations

from ops_perf.sim.enums import AGREEMENT_REASONS, AGREEMENT_TYPES, BLI_STATUSES, PORTFOLIO_STATUSES, RESEARCH_TYPES
from ops_perf.sim.pool import IDLE_POOL, health_body
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.shared import SharedViews

SIM_VERSION = "1.312.0-sim"


class StaticViews(SharedViews):
    """Renderers of the request-independent bodies."""

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
        """The idle answer (one request in service); the app answers with its live pool (`pool.py`)."""
        return health_body(IDLE_POOL)

    @staticmethod
    def version() -> Body:
        return {"version": SIM_VERSION, "skip_cr_for_draft_planned": False}
