"""Portfolio bodies: the portfolio, its URL, its CANs and the funding summaries (one and all).

Why a module of its own: portfolios sum their CANs' funding, so this is the one family built on the
CAN renderers; nothing below it depends on portfolios.
"""

from __future__ import annotations

from typing import Any

from ops_perf.sim.dataset import Row
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.cans import CanViews


class PortfolioViews(CanViews):
    """Renderers of portfolios and their funding summaries."""

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
