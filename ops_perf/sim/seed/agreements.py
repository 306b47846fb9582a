"""Projects, agreements (60, of every type) and their services components.

Why a module of its own: agreements are the hub of the portfolio (budget lines, procurement,
notifications and histories hang off them); their type decides which fields they carry (vendor and
contract number for contracts, agencies for IAAs).
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date, timedelta

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import AGREEMENT_REASONS
from ops_perf.sim.seed.common import Tables, day, new_ids, stamp
from ops_perf.sim.seed.words import TOPIC_WORDS, VENDORS


def add_projects(rng: random.Random, t: Tables) -> None:
    """`projects` (every fifth an administrative and support one), led by users."""
    user_ids = [u["id"] for u in t["users"]]
    projects: list[Row] = []
    for i, project_id in enumerate(new_ids(rng, 1000, 20, 3)):
        words = rng.sample(TOPIC_WORDS, 2)
        research = i % 5 != 4
        projects.append(
            {
                "id": project_id,
                "project_type": "RESEARCH" if research else "ADMINISTRATIVE_AND_SUPPORT",
                "title": f"{words[0]} and {words[1]} {'Study' if research else 'Support'} {i + 1}",
                "short_title": "".join(w[0] for w in " ".join(words).split()).upper() + str(i + 1),
                "description": f"A {'research' if research else 'support'} project on {words[0].lower()}.",
                "url": f"https://acf.gov/opre/project/project-{project_id}",
                "origination_date": day(rng, date(2019, 1, 1), 1500),
                "team_leader_ids": rng.sample(user_ids, 2),
                "created_by": rng.choice(user_ids),
                "created_on": stamp(rng),
            }
        )
    t["projects"] = projects


def add_agreements(rng: random.Random, t: Tables) -> Iterator[int]:
    """`agreements` (on the projects, the reference tables, users) and `services_components`.

    Returns the services-component ids left unused, for the heavy agreement's (`budget_lines.py`).
    """
    projects = t["projects"]
    user_ids = [u["id"] for u in t["users"]]
    shop_ids = [s["id"] for s in t["procurement_shops"]]
    psc_ids = [p["id"] for p in t["product_service_codes"]]
    agency_ids = [a["id"] for a in t["agreement_agencies"]]
    type_plan = ["CONTRACT"] * 30 + ["GRANT"] * 12 + ["DIRECT_OBLIGATION"] * 6 + ["IAA"] * 8 + ["AA"] * 4
    rng.shuffle(type_plan)
    agreements: list[Row] = []
    for i, (agreement_id, a_type) in enumerate(zip(new_ids(rng, 1, 60, 3), type_plan, strict=True)):
        project = projects[i % len(projects)] if i < len(projects) else rng.choice(projects)
        words = rng.sample(TOPIC_WORDS, 2)
        start = date(2022, 10, 1) + timedelta(days=rng.randint(0, 900))
        agreements.append(
            {
                "id": agreement_id,
                "agreement_type": a_type,
                "project_id": project["id"],
                "name": f"{words[0]} {words[1]} {a_type.title().replace('_', ' ')} #{i + 1}",
                "nick_name": f"{''.join(w[0] for w in words)}-{i + 1}",
                "description": f"{a_type.title()} supporting {project['title']}.",
                "agreement_reason": rng.choice(AGREEMENT_REASONS),
                "product_service_code_id": rng.choice(psc_ids),
                "awarding_entity_id": rng.choice(shop_ids),
                "project_officer_id": rng.choice(user_ids),
                "alternate_project_officer_id": rng.choice(user_ids) if rng.random() < 0.7 else None,
                "team_member_ids": rng.sample(user_ids, 3),
                "vendor": rng.choice(VENDORS) if a_type in ("CONTRACT", "AA") else None,
                "contract_number": f"HHSP2332015{rng.randint(10000, 99999)}" if a_type in ("CONTRACT", "AA") else None,
                "requesting_agency_id": rng.choice(agency_ids) if a_type in ("IAA", "AA") else None,
                "servicing_agency_id": rng.choice(agency_ids) if a_type in ("IAA", "AA") else None,
                "research_methodology_ids": rng.sample([m["id"] for m in t["research_methodologies"]], 2),
                "special_topic_ids": rng.sample([s["id"] for s in t["special_topics"]], 1),
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=365 * rng.randint(1, 5))).isoformat(),
                "notes": "",
                "created_by": rng.choice(user_ids),
                "created_on": stamp(rng),
            }
        )
    t["agreements"] = agreements

    components: list[Row] = []
    sc_ids = iter(new_ids(rng, 1, 60 * 4, 3))
    for agreement in agreements:
        for number in range(1, rng.randint(1, 3) + 1):
            start = date.fromisoformat(agreement["start_date"]) + timedelta(days=365 * (number - 1))
            components.append(
                {
                    "id": next(sc_ids),
                    "agreement_id": agreement["id"],
                    "number": number,
                    "optional": number > 2,
                    "sub_component": None,
                    "description": f"Services component {number} of agreement {agreement['id']}",
                    "period_start": start.isoformat(),
                    "period_end": (start + timedelta(days=364)).isoformat(),
                    "created_on": stamp(rng),
                }
            )
    t["services_components"] = components
    return sc_ids


def heavy_agreement(rng: random.Random, agreements: list[Row], projects: list[Row], user_ids: list[int]) -> Row:
    """A contract with hundreds of budget lines on one portfolio's CANs, like the seed's agreement 1.

    It makes the heaviest page views real: `/portfolios/:id/spending` for that portfolio fans out to
    `HEAVY_PORTFOLIO_BLIS` calls in the current fiscal year, and `agreements/{id}` is a big body.
    """
    template = dict(agreements[0])
    return template | {
        "id": agreements[-1]["id"] + 2,
        "agreement_type": "CONTRACT",
        "project_id": projects[0]["id"],
        "name": "Portfolio-wide Research and Evaluation Support Contract",
        "nick_name": "PRES",
        "description": f"The portfolio's umbrella contract, supporting {projects[0]['title']}.",
        "project_officer_id": user_ids[0],
        "alternate_project_officer_id": rng.choice(user_ids),
        "vendor": rng.choice(VENDORS),
        "contract_number": f"HHSP2332015{rng.randint(10000, 99999)}",
        "requesting_agency_id": None,
        "servicing_agency_id": None,
        "created_by": user_ids[0],
        "created_on": stamp(rng),
    }
