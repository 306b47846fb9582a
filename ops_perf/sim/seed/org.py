"""Who and what is funded: divisions, users (the seven test users first), portfolios and their URLs.

Why a module of its own: every later table links to these (creators, team leaders, a CAN's
portfolio), and the test users' stable ids are what logins and the notification poll rely on.
"""

from __future__ import annotations

import random

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import PORTFOLIO_STATUSES, TEST_USERS
from ops_perf.sim.seed.common import Tables, new_ids, stamp
from ops_perf.sim.seed.words import DIVISIONS, FIRST_NAMES, LAST_NAMES, PORTFOLIOS

USERS = 25  # the test users, then colleagues
#: The last portfolios (by id) have no URL, as OPS's seed has `portfolio_url` rows for portfolios 1-7
#: of 10 only: `portfolios-url/{id}` answers 404 `{}` for them and the portfolio page renders without
#: its "See more on the website" link (frontend-failure-modes.md). Never the first portfolio (the
#: heavy one, whose spending tab is the seed's largest fan-out).
PORTFOLIOS_WITHOUT_URL = 3
INACTIVE_RATE = 0.1  # colleagues (never a test user) who are INACTIVE


def add_people(rng: random.Random, t: Tables) -> None:
    """`divisions` and `users`, then each division's director and deputy (users)."""
    t["divisions"] = [
        {"id": div_id, "name": name, "abbreviation": abbr}
        for div_id, (name, abbr) in zip(new_ids(rng, 1, len(DIVISIONS), 2), DIVISIONS, strict=True)
    ]
    division_ids = [d["id"] for d in t["divisions"]]

    # Users: the seven test users first (stable ids for logins), then colleagues.
    users: list[Row] = []
    user_ids = new_ids(rng, 500, USERS, 3)
    for i, user_id in enumerate(user_ids):
        if i < len(TEST_USERS):
            code = list(TEST_USERS)[i]
            first, last, roles = TEST_USERS[code]
            email = f"{code.replace('_', '.')}@example.com"
        else:
            code = None
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
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
                "status": "ACTIVE" if i < len(TEST_USERS) or rng.random() > INACTIVE_RATE else "INACTIVE",
                "created_on": stamp(rng),
            }
        )
    t["users"] = users
    for division in t["divisions"]:
        division["division_director_id"] = rng.choice(user_ids)
        division["deputy_division_director_id"] = rng.choice(user_ids)


def add_portfolios(rng: random.Random, t: Tables) -> None:
    """`portfolios` (in divisions, led by users) and `portfolio_urls`, one per portfolio but the last few."""
    division_ids = [d["id"] for d in t["divisions"]]
    user_ids = [u["id"] for u in t["users"]]
    t["portfolios"] = [
        {
            "id": pid,
            "name": name,
            "abbreviation": abbr,
            "status": rng.choice(PORTFOLIO_STATUSES),
            "division_id": rng.choice(division_ids),
            "team_leader_ids": rng.sample(user_ids, 2),
            "description": f"The {name} portfolio funds research and evaluation in {name.lower()}.",
            "created_on": stamp(rng),
        }
        for pid, (name, abbr) in zip(new_ids(rng, 1, len(PORTFOLIOS), 2), PORTFOLIOS, strict=True)
    ]
    # One URL per portfolio but the last `PORTFOLIOS_WITHOUT_URL`, under the portfolio's id: the
    # frontend asks `portfolios-url/{portfolio id}`. No RNG draw here: the later tables do not move.
    t["portfolio_urls"] = [
        {
            "id": p["id"],
            "portfolio_id": p["id"],
            "url": f"https://acf.gov/opre/topic/{p['name'].lower().replace(' ', '-').replace('&', 'and')}",
        }
        for p in t["portfolios"][: len(t["portfolios"]) - PORTFOLIOS_WITHOUT_URL]
    ]
