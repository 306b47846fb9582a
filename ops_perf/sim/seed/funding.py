"""CANs and their funding: funding details, the CANs, and per fiscal year their budgets and funding received.

Why a module of its own: a CAN's body, its funding tab and every portfolio's funding summary sum
these rows; CANs are spread over the portfolios in turn so every portfolio has some.
"""

from __future__ import annotations

import random

from ops_perf.sim.dataset import Row
from ops_perf.sim.seed.common import Tables, new_ids, stamp
from ops_perf.sim.seed.words import TOPIC_WORDS


def add_cans(rng: random.Random, t: Tables, years: tuple[int, ...]) -> None:
    """`can_funding_details`, `cans` (over `t["portfolios"]`), `can_funding_budgets`, `can_funding_received`."""
    portfolio_ids = [p["id"] for p in t["portfolios"]]
    details: list[Row] = []
    for fd_id in new_ids(rng, 1, 30, 3):
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
                "created_on": stamp(rng),
            }
        )
    t["can_funding_details"] = details
    cans: list[Row] = []
    for i, can_id in enumerate(new_ids(rng, 500, 40, 4)):
        fd = details[i % len(details)] if i < len(details) else rng.choice(details)
        number = "G99" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(4))
        cans.append(
            {
                "id": can_id,
                "number": number,
                "portfolio_id": portfolio_ids[i % len(portfolio_ids)],
                "nick_name": f"{rng.choice(TOPIC_WORDS)} {rng.randint(1, 99)}",
                "description": f"{rng.choice(TOPIC_WORDS)} funding line",
                "funding_details_id": fd["id"],
                "active_period": fd["active_period"],
                "obligate_by": fd["obligate_by"],
                "created_on": stamp(rng),
            }
        )
    t["cans"] = cans
    budgets: list[Row] = []
    received: list[Row] = []
    budget_ids = iter(new_ids(rng, 1, 40 * len(years), 3))
    received_ids = iter(new_ids(rng, 500, 40 * len(years), 4))
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
                        "created_on": stamp(rng),
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
                            "created_on": stamp(rng),
                        }
                    )
    t["can_funding_budgets"] = budgets
    t["can_funding_received"] = received
