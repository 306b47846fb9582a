"""Tables only the frontend's pages read: grant numbers, documents, vendors, roles, the three histories.

Why a module of its own: the endpoint catalog never asks for these; they exist so the page user's
views (an agreement's documents, a CAN's history tab) get bodies whose ids exist.
"""

from __future__ import annotations

import random

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import ROLES
from ops_perf.sim.seed.common import Tables, new_ids, stamp
from ops_perf.sim.seed.words import HISTORY_TYPES, VENDORS


def add_frontend_tables(rng: random.Random, t: Tables, years: tuple[int, ...]) -> None:
    """`grant_numbers`, `documents`, `vendors`, `roles`, `agreement_history`, `can_history`, `project_history`."""
    user_ids = [u["id"] for u in t["users"]]
    grants = [a for a in t["agreements"] if a["agreement_type"] == "GRANT"]
    gn_ids = iter(new_ids(rng, 1, 3 * len(grants), 2))
    t["grant_numbers"] = [
        {
            "id": next(gn_ids),
            "agreement_id": a["id"],
            "grant_number": f"90XX{rng.randint(1000, 9999)}",
            "fain": f"{rng.randint(10**9, 10**10 - 1)}",
            "created_by": a["created_by"],
            "created_on": stamp(rng),
        }
        for a in grants
        for _ in range(rng.randint(1, 3))
    ]
    doc_ids = iter(new_ids(rng, 1, 2 * len(t["agreements"]), 3))
    t["documents"] = [
        {
            "id": next(doc_ids),
            "agreement_id": a["id"],
            "document_type": rng.choice(("STATEMENT_OF_REQUIREMENTS", "ITP", "SIGNED_CONTRACT")),
            "document_name": f"agreement-{a['id']}-document-{n + 1}.pdf",
            "document_size": rng.randint(50_000, 5_000_000),
            "status": "UPLOADED",
            "created_by": a["created_by"],
            "created_on": stamp(rng),
        }
        for a in t["agreements"]
        for n in range(rng.choice((0, 0, 1, 2)))
    ]
    t["vendors"] = [
        {"id": v_id, "name": name, "duns": f"{rng.randint(10**8, 10**9 - 1)}", "active": True}
        for v_id, name in zip(new_ids(rng, 1, len(VENDORS), 2), VENDORS, strict=True)
    ]
    t["roles"] = [{"id": i, "name": name} for i, name in enumerate(ROLES, start=1)]
    t["agreement_history"] = _history(rng, "agreement_id", t["agreements"], (1, 6), user_ids, years)
    t["can_history"] = _history(rng, "can_id", t["cans"], (0, 20), user_ids, years)
    t["project_history"] = _history(rng, "project_id", t["projects"], (0, 4), user_ids, years)


def _history(
    rng: random.Random,
    owner_field: str,
    owners: list[Row],
    per_owner: tuple[int, int],
    user_ids: list[int],
    years: tuple[int, ...],
) -> list[Row]:
    """History events (`.../{id}/history/`), newest first per owner, as OPS lists them."""
    rows: list[Row] = []
    ids = iter(new_ids(rng, 1, per_owner[1] * len(owners), 3))
    for owner in owners:
        events = []
        for _ in range(rng.randint(*per_owner)):
            history_type = rng.choice(HISTORY_TYPES)
            events.append(
                {
                    "id": next(ids),
                    owner_field: owner["id"],
                    "history_type": history_type,
                    "event_type": "NEW" if history_type.endswith("CREATED") else "UPDATED",
                    "history_title": history_type.replace("_", " ").title(),
                    "history_message": f"{history_type.replace('_', ' ').lower()} by a team member",
                    "fiscal_year": rng.choice(years),
                    "created_by": rng.choice(user_ids),
                    "timestamp": stamp(rng),
                }
            )
        events.sort(key=lambda e: e["timestamp"], reverse=True)
        rows += events
    rows.sort(key=lambda e: e["id"])
    return rows
