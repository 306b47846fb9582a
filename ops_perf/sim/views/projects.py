"""Project bodies: list item (with fiscal-year totals), detail (with its people), summary and funding.

Why a module of its own: a project's figures come from its agreements' budget lines (drafts left
out, as OPS does); agreements embed the project's list item, so this family sits below agreements.
"""

from __future__ import annotations

from collections import defaultdict

from ops_perf.sim.dataset import Row
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.shared import SharedViews


class ProjectViews(SharedViews):
    """Renderers of projects."""

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
