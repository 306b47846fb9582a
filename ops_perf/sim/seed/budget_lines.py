"""Budget lines: 6-18 per agreement over three of its CANs, then the heavy agreement's hundreds.

Why a module of its own: budget lines are the largest table and drive the heaviest page views; the
heavy agreement (like the seed's agreement 1) gives one portfolio exactly `HEAVY_PORTFOLIO_BLIS`
lines in the current fiscal year, so `/portfolios/:id/spending` fans out as far as in OPS.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import date

from ops_perf.sim.dataset import Row
from ops_perf.sim.enums import BLI_STATUSES
from ops_perf.sim.seed.agreements import heavy_agreement
from ops_perf.sim.seed.common import Tables, day, new_ids, stamp
from ops_perf.sim.seed.words import TOPIC_WORDS

HEAVY_PORTFOLIO_BLIS = 231  # distinct budget lines of the heaviest portfolio in the current FY (seed's max)
BLI_CREATORS = 5  # the seed's budget lines have five distinct creators
NULL_SC_RATE = 0.05  # budget lines without a services component (seed: 70 of 1,088)


def add_budget_lines(
    rng: random.Random, t: Tables, current_fy: int, years: tuple[int, ...], sc_ids: Iterator[int]
) -> None:
    """`budget_line_items`; appends the heavy agreement to `agreements` and its components (from `sc_ids`)."""
    agreements, components, cans, projects = t["agreements"], t["services_components"], t["cans"], t["projects"]
    user_ids = [u["id"] for u in t["users"]]
    portfolio_ids = [p["id"] for p in t["portfolios"]]
    can_ids = [c["id"] for c in cans]
    sc_by_agreement: dict[int, list[int]] = {}
    for sc in components:
        sc_by_agreement.setdefault(sc["agreement_id"], []).append(sc["id"])

    # Budget line items: 6-18 per agreement (~700), then one heavy agreement (see `_heavy_agreement`).
    blis: list[Row] = []
    bli_ids = iter(new_ids(rng, 15000, 60 * 18 + 2 * HEAVY_PORTFOLIO_BLIS, 3))
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
            "date_needed": day(rng, date(fy - 1, 10, 1), 364),
            "line_description": f"{rng.choice(TOPIC_WORDS)} line {rng.randint(1, 99)}",
            "proc_shop_fee_percentage": shop["fee_percentage"] / 100,
            "procurement_shop_id": shop["id"],
            "comments": "",
            "is_obe": rng.random() < 0.02,
            "created_by": rng.choice(creators),
            "created_on": stamp(rng),
        }

    for agreement in agreements:
        agreement_cans = rng.sample(can_ids, 3)
        for _ in range(rng.randint(6, 18)):
            blis.append(new_bli(agreement, can_by_id[rng.choice(agreement_cans)], rng.choice(years)))
    heavy = heavy_agreement(rng, agreements, projects, user_ids)
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
