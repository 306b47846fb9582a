"""The reference tables agreements point at: procurement shops, product service codes, agencies, methodologies, topics.

Why a module of its own: small fixed lists (from `words.py`) with seeded ids, generated before the
agreements that draw from them; `EMPTIABLE_TABLES` profiles may empty two of them afterwards.
"""

from __future__ import annotations

import random

from ops_perf.sim.seed.common import Tables, new_ids
from ops_perf.sim.seed.words import AGENCIES, METHODOLOGIES, PROCUREMENT_SHOPS, PRODUCT_SERVICE_CODES, SPECIAL_TOPICS


def add_reference_tables(rng: random.Random, t: Tables) -> None:
    """`procurement_shops`, `product_service_codes`, `agreement_agencies`, `research_methodologies`, `special_topics`."""
    t["procurement_shops"] = [
        {"id": shop_id, "name": name, "abbr": abbr, "fee_percentage": fee}
        for shop_id, (name, abbr, fee) in zip(
            new_ids(rng, 1, len(PROCUREMENT_SHOPS), 2), PROCUREMENT_SHOPS, strict=True
        )
    ]
    t["product_service_codes"] = [
        {
            "id": psc_id,
            "naics": naics,
            "name": name,
            "support_code": f"R{rng.randint(400, 499)}",
            "description": f"{name} (NAICS {naics})",
        }
        for psc_id, (naics, name) in zip(
            new_ids(rng, 1, len(PRODUCT_SERVICE_CODES), 2), PRODUCT_SERVICE_CODES, strict=True
        )
    ]
    t["agreement_agencies"] = [
        {"id": ag_id, "name": name, "abbreviation": abbr, "requesting": req, "servicing": serv}
        for ag_id, (name, abbr, req, serv) in zip(new_ids(rng, 1, len(AGENCIES), 2), AGENCIES, strict=True)
    ]
    t["research_methodologies"] = [
        {"id": m_id, "name": name.split(" (")[0], "detailed_name": name}
        for m_id, name in zip(new_ids(rng, 1, len(METHODOLOGIES), 2), METHODOLOGIES, strict=True)
    ]
    t["special_topics"] = [
        {"id": st_id, "name": name}
        for st_id, name in zip(new_ids(rng, 1, len(SPECIAL_TOPICS), 2), SPECIAL_TOPICS, strict=True)
    ]
