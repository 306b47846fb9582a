"""`GET /__sim__/data/...`: questions tests ask of the simulator's own dataset (not OPS).

Why: a test of the page user must compare what a page sent with what the data says it should have
sent ("one `budget-line-items/{id}` per distinct budget line of the portfolio's CANs in the fiscal
year"). Asking the simulator that serves the data, rather than rebuilding the dataset in the test,
keeps the answer exact whatever seed, fiscal year or profile the simulator runs with.

    GET /__sim__/data/                                   tables and sizes, current fiscal year
    GET /__sim__/data/<table>[?<field>=<value>...]      rows of one table, filtered by equality
    GET /__sim__/data/portfolio-budget-lines?portfolio_id=P&fiscal_year=FY
        -> {"portfolio_id", "fiscal_year", "can_ids", "budget_line_item_ids", "count"}
    GET /__sim__/data/portfolios-without-url
        -> {"portfolio_ids", "count", "with_url"}: whose `portfolios-url/{id}` answers 404 `{}`
    GET /__sim__/data/embedded-rows?endpoint=/api/v1/agreements/[id]
        -> {"endpoint", "table", "field", "rows": {"<id>": n}, "heaviest": {"id", "rows"}}: each record's
           embedded rows (what a per-row cost and an N+1's 2 + rows statements are priced by; causes.py)
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from ops_perf.sim.api import Api
from ops_perf.sim.causes import EMBEDDED, Causes, RowCounter, route_of
from ops_perf.sim.dataset import Dataset

Answer = tuple[int, bytes]
HEAVY_ENDPOINT = "/api/v1/agreements/[id]"  # where the seed's heavy record is (like OPS's agreements/1)


def _dumps(body: object) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _bad(message: str) -> Answer:
    return 400, _dumps({"message": message})


def portfolio_budget_lines(ds: Dataset, portfolio_id: int, fiscal_year: int) -> dict[str, object]:
    """The distinct budget lines of the portfolio's CANs in the fiscal year (what its spending tab fetches)."""
    can_ids = sorted(c["id"] for c in ds.rows("cans") if c["portfolio_id"] == portfolio_id)
    wanted = set(can_ids)
    bli_ids = sorted(
        {b["id"] for b in ds.rows("budget_line_items") if b["can_id"] in wanted and b["fiscal_year"] == fiscal_year}
    )
    return {
        "portfolio_id": portfolio_id,
        "fiscal_year": fiscal_year,
        "can_ids": can_ids,
        "budget_line_item_ids": bli_ids,
        "count": len(bli_ids),
    }


def portfolios_without_url(ds: Dataset) -> dict[str, object]:
    """The portfolios without a URL row: the frontend's `portfolios-url/{portfolio id}` gets 404 for them."""
    with_url = {u["portfolio_id"] for u in ds.rows("portfolio_urls")}
    without = [pid for pid in ds.ids("portfolios") if pid not in with_url]
    return {"portfolio_ids": without, "count": len(without), "with_url": sorted(with_url)}


def heavy_records(api: Api, counter: RowCounter) -> list[dict[str, Any]]:
    """Per route of `causes.EMBEDDED`, its record with the most embedded rows, with its body's bytes
    and the median bytes of the route's records (each record rendered once)."""
    out = []
    for name in sorted(EMBEDDED):
        route = route_of(name)
        heavy = counter.heaviest(name)
        sizes = sorted(len(api.respond(route, row_id, MultiDict())[1]) for row_id in counter.embedded[name])
        heavy["bytes"] = len(api.respond(route, heavy["id"], MultiDict())[1])
        heavy["median_bytes"] = sizes[len(sizes) // 2] if sizes else 0
        out.append(heavy)
    return out


def causes_report(causes: Causes, ds: Dataset, heavy: list[dict[str, Any]]) -> dict[str, Any]:
    """`/__sim__/info` `causes`: what is planted, and the facts a diagnosis is held to."""
    return causes.describe() | {
        "heavy_record": next(h for h in heavy if h["endpoint"] == HEAVY_ENDPOINT),
        "heavy_records": heavy,
        "portfolios_without_url": portfolios_without_url(ds)["portfolio_ids"],
    }


def data_query(ds: Dataset, what: str, args: Mapping[str, str]) -> Answer:
    """Answer one `/__sim__/data/<what>` request."""
    if what == "":
        return 200, _dumps({"current_fiscal_year": ds.current_fy, "tables": ds.sizes()})
    if what == "portfolio-budget-lines":
        try:
            portfolio_id = int(args["portfolio_id"])
            fiscal_year = int(args.get("fiscal_year", ds.current_fy))
        except (KeyError, ValueError):
            return _bad("portfolio-budget-lines needs ?portfolio_id=<int>[&fiscal_year=<int>]")
        return 200, _dumps(portfolio_budget_lines(ds, portfolio_id, fiscal_year))
    if what == "portfolios-without-url":
        return 200, _dumps(portfolios_without_url(ds))
    if what == "embedded-rows":
        endpoint = args.get("endpoint", "")
        if endpoint not in EMBEDDED:
            return _bad(f"embedded-rows needs ?endpoint=<one of {', '.join(sorted(EMBEDDED))}>")
        counts = RowCounter(ds).embedded[endpoint]
        heavy = RowCounter.heaviest_of(counts)
        spec = EMBEDDED[endpoint]
        return 200, _dumps(
            {
                "endpoint": endpoint,
                "table": spec.child,
                "field": spec.field,
                "rows": {str(k): v for k, v in counts.items()},
                "heaviest": {"id": heavy, "rows": counts[heavy]},
            }
        )
    if what not in ds.tables:
        return 404, _dumps({"message": f"no table {what!r}; tables: {', '.join(sorted(ds.tables))}"})
    rows = ds.rows(what)
    for field, value in args.items():
        rows = [r for r in rows if str(r.get(field)) == value]
    return 200, _dumps({"table": what, "count": len(rows), "rows": rows})
