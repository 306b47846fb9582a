"""The simulator's portfolio: a deterministic, seeded set of OPS rows with consistent relations.

Why generated and not copied: the project must ship only data it produces itself, and a seeded
generator gives every newcomer, test and benchmark the same portfolio (same ids, same sizes) without
any OPS access. Sizes follow a real OPRE portfolio (hundreds of budget lines, dozens of agreements
and CANs) so id pools, pagination and body sizes behave like production. Ids are non-contiguous on
purpose: a harvester that guesses ids instead of reading them gets 404s, as it would against OPS.

Rows are plain dicts holding *relations* (ids), not rendered bodies; `views/` renders them.
Nothing here reads the clock: timestamps derive from a fixed epoch, so the same seed always yields
byte-identical responses.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

DEFAULT_SEED = 20251015

Row = dict[str, Any]

#: The seven fake-auth test users OPS enables on local, dev and stg, with the role each one plays.
TEST_USERS: dict[str, tuple[str, str, list[str]]] = {
    "system_owner": ("System", "Owner", ["SYSTEM_OWNER", "USER_ADMIN"]),
    "basic_user": ("Basic", "User", ["VIEWER_EDITOR"]),
    "division_director": ("Director", "Derrek", ["VIEWER_EDITOR", "REVIEWER_APPROVER"]),
    "budget_team": ("Budget", "Team", ["VIEWER_EDITOR", "BUDGET_TEAM"]),
    "procurement_team": ("Procurement", "Team", ["VIEWER_EDITOR", "PROCUREMENT_TEAM"]),
    "power_user": ("Power", "User", ["SUPER_USER"]),
    "read_only_user": ("Read", "Only", ["READ_ONLY"]),
}

#: Tables `--profile` options may empty (OPS answers their list endpoints 404 `{}` when empty).
EMPTIABLE_TABLES = ("divisions", "product_service_codes")

#: The fiscal years the portfolio spans: four before the current federal one to one after it. The
#: frontend sends the current federal fiscal year (`getCurrentFiscalYear`), so the data must have it;
#: `build(current_fy=...)` pins it (tests, reproducible bodies), else it comes from today's date.
FY_BEFORE, FY_AFTER = 4, 1
HEAVY_PORTFOLIO_BLIS = 231  # distinct budget lines of the heaviest portfolio in the current FY (seed's max)
BLI_CREATORS = 5  # the seed's budget lines have five distinct creators
NULL_SC_RATE = 0.05  # budget lines without a services component (seed: 70 of 1,088)
ROLES = (
    "SYSTEM_OWNER",
    "VIEWER_EDITOR",
    "REVIEWER_APPROVER",
    "USER_ADMIN",
    "BUDGET_TEAM",
    "PROCUREMENT_TEAM",
    "SUPER_USER",
    "READ_ONLY",
)
BLI_STATUSES = ("DRAFT", "PLANNED", "IN_EXECUTION", "OBLIGATED")
AGREEMENT_TYPES = ("CONTRACT", "GRANT", "DIRECT_OBLIGATION", "IAA", "AA")
AGREEMENT_REASONS = ("NEW_REQ", "RECOMPETE", "LOGICAL_FOLLOW_ON")
PORTFOLIO_STATUSES = ("IN_PROCESS", "NOT_STARTED", "SANDBOX")
RESEARCH_TYPES = {"APPLIED_RESEARCH": 1, "EVALUATIVE_RESEARCH": 2, "PROGRAM_SUPPORT": 3}

_EPOCH = datetime(2023, 10, 1, 14, 0, 0)

_FIRST = (
    "Amelia",
    "Benjamin",
    "Carmen",
    "Dmitri",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Imani",
    "Jonas",
    "Keiko",
    "Luis",
    "Maya",
    "Nikolai",
    "Olga",
    "Priya",
    "Quinn",
    "Rosa",
    "Samuel",
    "Tamsin",
)
_LAST = (
    "Abara",
    "Brennan",
    "Castillo",
    "Dubois",
    "Eriksen",
    "Fontaine",
    "Gallagher",
    "Hughes",
    "Iqbal",
    "Jansen",
    "Kowalski",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Petrov",
    "Quint",
    "Rahman",
)
_DIVISIONS = (
    ("Division of Child and Family Development", "DCFD"),
    ("Division of Economic Independence", "DEI"),
    ("Division of Family Strengthening", "DFS"),
    ("Division of Data and Improvement", "DDI"),
    ("Office of the Director", "OD"),
    ("Office of Planning, Research, and Evaluation", "OPRE"),
    ("Non-OPRE Division", "NONOPRE"),
)
_PORTFOLIOS = (
    ("Child Care Research", "CC"),
    ("Child Welfare Research", "CWR"),
    ("Head Start Research", "HS"),
    ("Healthy Marriage & Responsible Fatherhood", "HMRF"),
    ("Home Visiting", "HV"),
    ("Welfare Research", "WR"),
    ("Adolescent Pregnancy Prevention", "APP"),
    ("Economic Mobility", "EM"),
    ("Family Self-Sufficiency", "FSS"),
    ("Data Innovation", "DI"),
    ("Director's Office", "DO"),
    ("Research Capacity", "RC"),
)
_TOPICS = (
    "Annual Performance Plans and Reports",
    "Child Care",
    "Economic Mobility",
    "Fatherhood",
    "Home Visiting",
    "Teen Pregnancy",
    "Tribal Communities",
    "Workforce Development",
)
_METHODS = (
    "Knowledge Development (Lit Review, Expert Consultations)",
    "Descriptive Study",
    "Impact Study",
    "Implementation Study",
    "Process Study",
    "Cost Study",
    "Data Collection Methods",
    "Technical Assistance",
)
_PSCS = (
    (541690, "Other Scientific and Technical Consulting Services"),
    (541720, "Research and Development in the Social Sciences and Humanities"),
    (541611, "Administrative Management and General Management Consulting Services"),
    (541511, "Custom Computer Programming Services"),
    (611710, "Educational Support Services"),
    (518210, "Data Processing, Hosting, and Related Services"),
)
_SHOPS = (
    ("Product Service Center", "PSC", 0.0),
    ("General Services Administration", "GSA", 1.0),
    ("National Institutes of Health", "NIH", 0.5),
    ("Interior Business Center", "IBC", 4.8),
)
_AGENCIES = (
    ("Administration for Children and Families", "ACF", True, True),
    ("Department of Health and Human Services", "HHS", True, False),
    ("Department of the Interior", "DOI", False, True),
    ("National Institutes of Health", "NIH", True, True),
    ("Department of Labor", "DOL", True, False),
    ("Census Bureau", "CENSUS", False, True),
)
_VENDORS = (
    "Mathematica",
    "MDRC",
    "Abt Global",
    "Urban Institute",
    "RTI International",
    "Westat",
    "Child Trends",
    "NORC",
    "ICF",
    "Manhattan Strategy Group",
)
_TOPIC_WORDS = (
    "Early Care",
    "Family Support",
    "Youth Outcomes",
    "Employment Pathways",
    "Parenting",
    "Child Development",
    "Program Evaluation",
    "Data Capacity",
    "Healthy Relationships",
    "Income Security",
    "Workforce",
    "Home Visiting",
    "Kinship Care",
    "Community Supports",
)


@dataclass
class Dataset:
    """All tables, as id-sorted row lists plus an id index per table."""

    seed: int
    current_fy: int
    fiscal_years: tuple[int, ...]
    tables: dict[str, list[Row]] = field(default_factory=dict)
    index: dict[str, dict[int, Row]] = field(default_factory=dict)

    def rows(self, table: str) -> list[Row]:
        return self.tables.get(table, [])

    def get(self, table: str, row_id: int) -> Row | None:
        return self.index.get(table, {}).get(row_id)

    def ids(self, table: str) -> list[int]:
        return [row["id"] for row in self.rows(table)]

    def sizes(self) -> dict[str, int]:
        return {name: len(rows) for name, rows in sorted(self.tables.items())}


def _ids(rng: random.Random, start: int, count: int, max_gap: int) -> list[int]:
    """`count` increasing ids from `start`, with random gaps so neighbours of a real id may 404."""
    out, current = [], start
    for _ in range(count):
        out.append(current)
        current += rng.randint(1, max_gap)
    return out


def _stamp(rng: random.Random, days: int = 700) -> str:
    moment = _EPOCH + timedelta(
        days=rng.randint(0, days), seconds=rng.randint(0, 86399), microseconds=rng.randint(0, 999999)
    )
    return moment.isoformat() + "Z"


def _day(rng: random.Random, first: date, span_days: int) -> str:
    return (first + timedelta(days=rng.randint(0, span_days))).isoformat()


def federal_fiscal_year(day: date) -> int:
    """The US federal fiscal year of `day` (October to September), as the OPS frontend computes it."""
    return day.year + 1 if day.month >= 10 else day.year


def fiscal_years(current_fy: int) -> tuple[int, ...]:
    """The fiscal years a portfolio built for `current_fy` spans."""
    return tuple(range(current_fy - FY_BEFORE, current_fy + FY_AFTER + 1))


def _frontend_tables(rng: random.Random, t: dict[str, list[Row]], user_ids: list[int], years: tuple[int, ...]) -> None:
    """Tables only the frontend's pages read: grant numbers, documents, vendors, the three histories."""
    grants = [a for a in t["agreements"] if a["agreement_type"] == "GRANT"]
    gn_ids = iter(_ids(rng, 1, 3 * len(grants), 2))
    t["grant_numbers"] = [
        {
            "id": next(gn_ids),
            "agreement_id": a["id"],
            "grant_number": f"90XX{rng.randint(1000, 9999)}",
            "fain": f"{rng.randint(10**9, 10**10 - 1)}",
            "created_by": a["created_by"],
            "created_on": _stamp(rng),
        }
        for a in grants
        for _ in range(rng.randint(1, 3))
    ]
    doc_ids = iter(_ids(rng, 1, 2 * len(t["agreements"]), 3))
    t["documents"] = [
        {
            "id": next(doc_ids),
            "agreement_id": a["id"],
            "document_type": rng.choice(("STATEMENT_OF_REQUIREMENTS", "ITP", "SIGNED_CONTRACT")),
            "document_name": f"agreement-{a['id']}-document-{n + 1}.pdf",
            "document_size": rng.randint(50_000, 5_000_000),
            "status": "UPLOADED",
            "created_by": a["created_by"],
            "created_on": _stamp(rng),
        }
        for a in t["agreements"]
        for n in range(rng.choice((0, 0, 1, 2)))
    ]
    t["vendors"] = [
        {"id": v_id, "name": name, "duns": f"{rng.randint(10**8, 10**9 - 1)}", "active": True}
        for v_id, name in zip(_ids(rng, 1, len(_VENDORS), 2), _VENDORS, strict=True)
    ]
    t["roles"] = [{"id": i, "name": name} for i, name in enumerate(ROLES, start=1)]
    t["agreement_history"] = _history(rng, "agreement_id", t["agreements"], (1, 6), user_ids, years)
    t["can_history"] = _history(rng, "can_id", t["cans"], (0, 20), user_ids, years)
    t["project_history"] = _history(rng, "project_id", t["projects"], (0, 4), user_ids, years)


_HISTORY_TYPES = (
    "CREATED",
    "UPDATED",
    "BUDGET_LINE_ITEM_CREATED",
    "BUDGET_LINE_ITEM_UPDATED",
    "STATUS_CHANGED",
    "FUNDING_RECEIVED_ADDED",
)


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
    ids = iter(_ids(rng, 1, per_owner[1] * len(owners), 3))
    for owner in owners:
        events = []
        for _ in range(rng.randint(*per_owner)):
            history_type = rng.choice(_HISTORY_TYPES)
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
                    "timestamp": _stamp(rng),
                }
            )
        events.sort(key=lambda e: e["timestamp"], reverse=True)
        rows += events
    rows.sort(key=lambda e: e["id"])
    return rows


def _heavy_agreement(rng: random.Random, agreements: list[Row], projects: list[Row], user_ids: list[int]) -> Row:
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
        "vendor": rng.choice(_VENDORS),
        "contract_number": f"HHSP2332015{rng.randint(10000, 99999)}",
        "requesting_agency_id": None,
        "servicing_agency_id": None,
        "created_by": user_ids[0],
        "created_on": _stamp(rng),
    }


def build(
    seed: int = DEFAULT_SEED, empty_tables: tuple[str, ...] | list[str] = (), current_fy: int | None = None
) -> Dataset:
    """Generate the whole portfolio from `seed` (same seed and current FY: same rows, same ids)."""
    if current_fy is None:
        current_fy = federal_fiscal_year(date.today())
    years = fiscal_years(current_fy)
    unknown = sorted(set(empty_tables) - set(EMPTIABLE_TABLES))
    if unknown:
        raise ValueError(f"cannot empty table(s) {', '.join(unknown)}; emptiable: {', '.join(EMPTIABLE_TABLES)}")
    rng = random.Random(seed)
    t: dict[str, list[Row]] = {}

    t["divisions"] = [
        {"id": div_id, "name": name, "abbreviation": abbr}
        for div_id, (name, abbr) in zip(_ids(rng, 1, len(_DIVISIONS), 2), _DIVISIONS, strict=True)
    ]
    division_ids = [d["id"] for d in t["divisions"]]

    # Users: the seven test users first (stable ids for logins), then colleagues.
    users: list[Row] = []
    user_ids = _ids(rng, 500, 25, 3)
    for i, user_id in enumerate(user_ids):
        if i < len(TEST_USERS):
            code = list(TEST_USERS)[i]
            first, last, roles = TEST_USERS[code]
            email = f"{code.replace('_', '.')}@example.com"
        else:
            code = None
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            roles = rng.choice((["VIEWER_EDITOR"], ["VIEWER_EDITOR"], ["REVIEWER_APPROVER"], ["BUDGET_TEAM"]))
            email = f"{first.lower()}.{last.lower()}{i}@acf.hhs.gov"
        users.append(
            {
                "id": user_id,
                "test_code": code,
                "first_name": first,
                "last_name": last,
                "email": email,
                "oidc_id": f"00000000-0000-1111-a111-{user_id:012d}",
                "hhs_id": f"{rng.randint(10**9, 10**10 - 1)}",
                "roles": roles,
                "division": rng.choice(division_ids),
                "status": "ACTIVE" if i < len(TEST_USERS) or rng.random() > 0.1 else "INACTIVE",
                "created_on": _stamp(rng),
            }
        )
    t["users"] = users
    for division in t["divisions"]:
        division["division_director_id"] = rng.choice(user_ids)
        division["deputy_division_director_id"] = rng.choice(user_ids)

    t["portfolios"] = [
        {
            "id": pid,
            "name": name,
            "abbreviation": abbr,
            "status": rng.choice(PORTFOLIO_STATUSES),
            "division_id": rng.choice(division_ids),
            "team_leader_ids": rng.sample(user_ids, 2),
            "description": f"The {name} portfolio funds research and evaluation in {name.lower()}.",
            "created_on": _stamp(rng),
        }
        for pid, (name, abbr) in zip(_ids(rng, 1, len(_PORTFOLIOS), 2), _PORTFOLIOS, strict=True)
    ]
    portfolio_ids = [p["id"] for p in t["portfolios"]]
    # One URL per portfolio, under the portfolio's id: the frontend asks `portfolios-url/{portfolio id}`.
    t["portfolio_urls"] = [
        {
            "id": p["id"],
            "portfolio_id": p["id"],
            "url": f"https://acf.gov/opre/topic/{p['name'].lower().replace(' ', '-').replace('&', 'and')}",
        }
        for p in t["portfolios"]
    ]

    # CANs and their funding.
    details: list[Row] = []
    for fd_id in _ids(rng, 1, 30, 3):
        fy = rng.choice(years[:3])
        period = rng.choice((1, 1, 5))
        details.append(
            {
                "id": fd_id,
                "fiscal_year": fy,
                "fund_code": f"AAXXXX{fy}{period}DAD",
                "active_period": period,
                "allotment": f"{rng.randint(1000000, 9999999)}",
                "allowance": f"{rng.randint(1000000, 9999999)}",
                "appropriation": f"75-{fy % 100}-{rng.randint(1000, 9999)}",
                "funding_method": rng.choice(("Direct", "Reimbursable")),
                "funding_received": rng.choice(("Quarterly", "Annually")),
                "funding_type": rng.choice(("Discretionary", "Mandatory")),
                "funding_partner": rng.choice(("ACF", "HHS", "OPRE")),
                "funding_source": rng.choice(("OPRE", "ACF", "HHS")),
                "method_of_transfer": rng.choice(("DIRECT", "COST_SHARE", "IAA", "IDDA")),
                "sub_allowance": f"{rng.randint(1000000, 9999999)}",
                "obligate_by": fy + period,
                "created_on": _stamp(rng),
            }
        )
    t["can_funding_details"] = details
    cans: list[Row] = []
    for i, can_id in enumerate(_ids(rng, 500, 40, 4)):
        fd = details[i % len(details)] if i < len(details) else rng.choice(details)
        number = "G99" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(4))
        cans.append(
            {
                "id": can_id,
                "number": number,
                "portfolio_id": portfolio_ids[i % len(portfolio_ids)],
                "nick_name": f"{rng.choice(_TOPIC_WORDS)} {rng.randint(1, 99)}",
                "description": f"{rng.choice(_TOPIC_WORDS)} funding line",
                "funding_details_id": fd["id"],
                "active_period": fd["active_period"],
                "obligate_by": fd["obligate_by"],
                "created_on": _stamp(rng),
            }
        )
    t["cans"] = cans
    can_ids = [c["id"] for c in cans]
    budgets: list[Row] = []
    received: list[Row] = []
    budget_ids = iter(_ids(rng, 1, 40 * len(years), 3))
    received_ids = iter(_ids(rng, 500, 40 * len(years), 4))
    for can in cans:
        for fy in years:
            if rng.random() < 0.55:
                amount = float(rng.randint(20, 900) * 10000)
                budgets.append(
                    {
                        "id": next(budget_ids),
                        "can_id": can["id"],
                        "fiscal_year": fy,
                        "budget": amount,
                        "notes": "",
                        "created_on": _stamp(rng),
                    }
                )
                if rng.random() < 0.8:
                    received.append(
                        {
                            "id": next(received_ids),
                            "can_id": can["id"],
                            "fiscal_year": fy,
                            "funding": round(amount * rng.uniform(0.3, 1.0), -3),
                            "notes": "",
                            "created_on": _stamp(rng),
                        }
                    )
    t["can_funding_budgets"] = budgets
    t["can_funding_received"] = received

    # Reference tables.
    t["procurement_shops"] = [
        {"id": shop_id, "name": name, "abbr": abbr, "fee_percentage": fee}
        for shop_id, (name, abbr, fee) in zip(_ids(rng, 1, len(_SHOPS), 2), _SHOPS, strict=True)
    ]
    t["product_service_codes"] = [
        {
            "id": psc_id,
            "naics": naics,
            "name": name,
            "support_code": f"R{rng.randint(400, 499)}",
            "description": f"{name} (NAICS {naics})",
        }
        for psc_id, (naics, name) in zip(_ids(rng, 1, len(_PSCS), 2), _PSCS, strict=True)
    ]
    t["agreement_agencies"] = [
        {"id": ag_id, "name": name, "abbreviation": abbr, "requesting": req, "servicing": serv}
        for ag_id, (name, abbr, req, serv) in zip(_ids(rng, 1, len(_AGENCIES), 2), _AGENCIES, strict=True)
    ]
    t["research_methodologies"] = [
        {"id": m_id, "name": name.split(" (")[0], "detailed_name": name}
        for m_id, name in zip(_ids(rng, 1, len(_METHODS), 2), _METHODS, strict=True)
    ]
    t["special_topics"] = [
        {"id": st_id, "name": name} for st_id, name in zip(_ids(rng, 1, len(_TOPICS), 2), _TOPICS, strict=True)
    ]

    # Projects and agreements.
    projects: list[Row] = []
    for i, project_id in enumerate(_ids(rng, 1000, 20, 3)):
        words = rng.sample(_TOPIC_WORDS, 2)
        research = i % 5 != 4
        projects.append(
            {
                "id": project_id,
                "project_type": "RESEARCH" if research else "ADMINISTRATIVE_AND_SUPPORT",
                "title": f"{words[0]} and {words[1]} {'Study' if research else 'Support'} {i + 1}",
                "short_title": "".join(w[0] for w in " ".join(words).split()).upper() + str(i + 1),
                "description": f"A {'research' if research else 'support'} project on {words[0].lower()}.",
                "url": f"https://acf.gov/opre/project/project-{project_id}",
                "origination_date": _day(rng, date(2019, 1, 1), 1500),
                "team_leader_ids": rng.sample(user_ids, 2),
                "created_by": rng.choice(user_ids),
                "created_on": _stamp(rng),
            }
        )
    t["projects"] = projects
    shop_ids = [s["id"] for s in t["procurement_shops"]]
    psc_ids = [p["id"] for p in t["product_service_codes"]]
    agency_ids = [a["id"] for a in t["agreement_agencies"]]
    type_plan = ["CONTRACT"] * 30 + ["GRANT"] * 12 + ["DIRECT_OBLIGATION"] * 6 + ["IAA"] * 8 + ["AA"] * 4
    rng.shuffle(type_plan)
    agreements: list[Row] = []
    for i, (agreement_id, a_type) in enumerate(zip(_ids(rng, 1, 60, 3), type_plan, strict=True)):
        project = projects[i % len(projects)] if i < len(projects) else rng.choice(projects)
        words = rng.sample(_TOPIC_WORDS, 2)
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
                "vendor": rng.choice(_VENDORS) if a_type in ("CONTRACT", "AA") else None,
                "contract_number": f"HHSP2332015{rng.randint(10000, 99999)}" if a_type in ("CONTRACT", "AA") else None,
                "requesting_agency_id": rng.choice(agency_ids) if a_type in ("IAA", "AA") else None,
                "servicing_agency_id": rng.choice(agency_ids) if a_type in ("IAA", "AA") else None,
                "research_methodology_ids": rng.sample([m["id"] for m in t["research_methodologies"]], 2),
                "special_topic_ids": rng.sample([s["id"] for s in t["special_topics"]], 1),
                "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=365 * rng.randint(1, 5))).isoformat(),
                "notes": "",
                "created_by": rng.choice(user_ids),
                "created_on": _stamp(rng),
            }
        )
    t["agreements"] = agreements

    components: list[Row] = []
    sc_ids = iter(_ids(rng, 1, 60 * 4, 3))
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
                    "created_on": _stamp(rng),
                }
            )
    t["services_components"] = components
    sc_by_agreement: dict[int, list[int]] = {}
    for sc in components:
        sc_by_agreement.setdefault(sc["agreement_id"], []).append(sc["id"])

    # Budget line items: 6-18 per agreement (~700), then one heavy agreement (see `_heavy_agreement`).
    blis: list[Row] = []
    bli_ids = iter(_ids(rng, 15000, 60 * 18 + 2 * HEAVY_PORTFOLIO_BLIS, 3))
    can_by_id = {c["id"]: c for c in cans}
    creators = [user_ids[0], *rng.sample(user_ids[1:], BLI_CREATORS - 1)]

    def new_bli(agreement: Row, can: Row, fy: int) -> Row:
        shop = rng.choice(t["procurement_shops"])
        scs = sc_by_agreement.get(agreement["id"], [])
        return {
            "id": next(bli_ids),
            "agreement_id": agreement["id"],
            "can_id": can["id"],
            "portfolio_id": can["portfolio_id"],
            "budget_line_item_type": agreement["agreement_type"],
            "services_component_id": (rng.choice(scs) if scs and rng.random() >= NULL_SC_RATE else None),
            "amount": float(rng.randint(5, 2000) * 1000),
            "fiscal_year": fy,
            "status": rng.choices(BLI_STATUSES, weights=(2, 4, 2, 3))[0],
            "date_needed": _day(rng, date(fy - 1, 10, 1), 364),
            "line_description": f"{rng.choice(_TOPIC_WORDS)} line {rng.randint(1, 99)}",
            "proc_shop_fee_percentage": shop["fee_percentage"] / 100,
            "procurement_shop_id": shop["id"],
            "comments": "",
            "is_obe": rng.random() < 0.02,
            "created_by": rng.choice(creators),
            "created_on": _stamp(rng),
        }

    for agreement in agreements:
        agreement_cans = rng.sample(can_ids, 3)
        for _ in range(rng.randint(6, 18)):
            blis.append(new_bli(agreement, can_by_id[rng.choice(agreement_cans)], rng.choice(years)))
    heavy = _heavy_agreement(rng, agreements, projects, user_ids)
    agreements.append(heavy)
    for number in (1, 2, 3):
        sc = dict(components[0]) | {
            "id": next(sc_ids),
            "agreement_id": heavy["id"],
            "number": number,
            "optional": number > 2,
            "description": f"Services component {number} of agreement {heavy['id']}",
        }
        components.append(sc)
        sc_by_agreement.setdefault(heavy["id"], []).append(sc["id"])
    heavy_cans = [c for c in cans if c["portfolio_id"] == portfolio_ids[0]]
    already = sum(1 for b in blis if b["portfolio_id"] == portfolio_ids[0] and b["fiscal_year"] == current_fy)
    for i in range(max(0, HEAVY_PORTFOLIO_BLIS - already)):
        blis.append(new_bli(heavy, heavy_cans[i % len(heavy_cans)], current_fy))
    for i in range(HEAVY_PORTFOLIO_BLIS // 2):
        blis.append(new_bli(heavy, heavy_cans[i % len(heavy_cans)], rng.choice(years[:-2])))
    blis.sort(key=lambda b: b["id"])
    t["budget_line_items"] = blis

    # Procurement: actions for awarded contract-like agreements, trackers with six steps each.
    actions: list[Row] = []
    trackers: list[Row] = []
    steps: list[Row] = []
    action_ids = iter(_ids(rng, 1, 60, 3))
    tracker_ids = iter(_ids(rng, 1, 60, 3))
    step_ids = iter(_ids(rng, 1, 60 * 6, 2))
    step_types = ("ACQUISITION_PLANNING", "PRE_SOLICITATION", "SOLICITATION", "EVALUATION", "PRE_AWARD", "AWARD")
    for agreement in agreements:
        if agreement["agreement_type"] not in ("CONTRACT", "AA", "IAA"):
            continue
        if rng.random() < 0.85:
            tracker_id = next(tracker_ids)
            active = rng.randint(1, 6)
            trackers.append(
                {
                    "id": tracker_id,
                    "agreement_id": agreement["id"],
                    "active_step_number": active,
                    "status": "ACTIVE" if active < 6 else "COMPLETED",
                    "tracker_type": "DEFAULT",
                }
            )
            for number, step_type in enumerate(step_types, start=1):
                started = _day(rng, date(2024, 1, 1), 500) if number <= active else None
                steps.append(
                    {
                        "id": next(step_ids),
                        "procurement_tracker_id": tracker_id,
                        "agreement_id": agreement["id"],
                        "step_number": number,
                        "step_type": step_type,
                        "status": "COMPLETED" if number < active else ("ACTIVE" if number == active else "PENDING"),
                        "step_start_date": started,
                        "step_completed_date": _day(rng, date(2024, 6, 1), 300) if number < active else None,
                        # Who did what: the tracker tab looks these users up (users/{id}).
                        "task_completed_by": rng.choice(user_ids) if number < active else None,
                        "approval_requested_by": rng.choice(user_ids) if number >= 5 and number <= active else None,
                        "requisition_approved_by": rng.choice(user_ids) if number == 5 and number < active else None,
                    }
                )
        if rng.random() < 0.7:
            agreement_blis = [b for b in blis if b["agreement_id"] == agreement["id"]]
            actions.append(
                {
                    "id": next(action_ids),
                    "agreement_id": agreement["id"],
                    "status": rng.choice(("PLANNED", "IN_PROGRESS", "AWARDED")),
                    "award_type": rng.choice(("NEW_AWARD", "MODIFICATION")),
                    "procurement_shop_id": agreement["awarding_entity_id"],
                    "budget_line_item_ids": [b["id"] for b in agreement_blis[:4]],
                    "need_by_date": _day(rng, date(2025, 1, 1), 600),
                    "psc_action_number": f"PSC-{rng.randint(10000, 99999)}",
                    "created_on": _stamp(rng),
                }
            )
    t["procurement_actions"] = actions
    t["procurement_trackers"] = trackers
    t["procurement_tracker_steps"] = steps

    # Change requests (for /change-requests/?userId=) and notifications (some about them).
    change_requests: list[Row] = []
    for cr_id in _ids(rng, 1, 30, 4):
        bli = rng.choice(blis)
        creator, reviewers = rng.choice(user_ids), rng.sample(user_ids, 3)
        change_requests.append(
            {
                "id": cr_id,
                "agreement_id": bli["agreement_id"],
                "budget_line_item_id": bli["id"],
                "created_by": creator,
                "reviewer_ids": reviewers,
                "user_ids": sorted({creator, *reviewers}),
                "change_request_type": "BUDGET_LINE_ITEM_CHANGE_REQUEST",
                "status": rng.choice(("IN_REVIEW", "IN_REVIEW", "APPROVED", "REJECTED")),
                "has_budget_change": True,
                "new_amount": float(rng.randint(5, 2000) * 1000),
                "created_on": _stamp(rng),
            }
        )
    t["change_requests"] = change_requests
    notifications: list[Row] = []
    for i, n_id in enumerate(_ids(rng, 1, 100, 5)):
        cr = rng.choice(change_requests) if rng.random() < 0.4 else None
        notifications.append(
            {
                "id": n_id,
                # Every test user has notifications (the header polls `notifications/?oidc_id=`).
                "recipient_id": user_ids[i % len(TEST_USERS)] if i < 3 * len(TEST_USERS) else rng.choice(user_ids),
                "agreement_id": cr["agreement_id"]
                if cr
                else (rng.choice(agreements)["id"] if rng.random() < 0.3 else None),
                "is_read": rng.random() < 0.5,
                "notification_type": "CHANGE_REQUEST_NOTIFICATION" if cr else "NOTIFICATION",
                "change_request_id": cr["id"] if cr else None,
                "title": f"Budget change request {cr['id']}" if cr else f"Notification {n_id}",
                "message": "A budget change needs your review." if cr else "Your agreement was updated.",
                "expires": _day(rng, date(2026, 1, 1), 365),
                "created_on": _stamp(rng),
            }
        )
    t["notifications"] = notifications

    _frontend_tables(rng, t, user_ids, years)

    # Not a table in OPS (an enum), but served by id like one: /lookups/portfolio-status/{id}.
    t["portfolio_statuses"] = [{"id": i, "name": name} for i, name in enumerate(PORTFOLIO_STATUSES, start=1)]

    for table in empty_tables:
        t[table] = []
    index = {name: {row["id"]: row for row in rows} for name, rows in t.items()}
    return Dataset(seed=seed, current_fy=current_fy, fiscal_years=years, tables=t, index=index)
