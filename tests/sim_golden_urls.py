"""The URLs a golden check of the simulator asks: every route, every query parameter it reads, bad queries.

Why: the simulator's bodies are pure functions of (seed, current fiscal year, route, id, query), so
one hash per URL pins every shape at once. A refactoring of `sim/` (splitting modules, moving
renderers) must leave every hash unchanged; a change that alters a body by mistake changes one.
Used in-process by `tests/test_sim_golden.py` (`simulator_urls`: pinned fiscal year, committed
hashes) and over HTTP by `bench/sim_golden.py` (`golden_urls`: a real simulator process, recorded
before and compared after a change).

The ids come from the dataset itself (first rows, the last, and one that does not exist), so the
list follows the seed rather than hard-coded numbers. Sources, in order: the simulator's route
table (every route, each filter / integer / flag / string parameter, pagination and its 400s), the
suite's endpoint catalog (`ENDPOINTS`, `PAGE_ONLY_ENDPOINTS`, with their pools' ids) and the page
catalog's call URLs (the frontend's exact query strings).
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from ops_perf.sim.routes import FRONTEND_ROUTES, REMOVED_ROUTES, ROUTES, Route, Shape
from ops_perf.users.endpoints.catalog import ENDPOINTS, FISCAL_YEARS, PAGE_ONLY_ENDPOINTS

Row = dict[str, Any]
Tables = Mapping[str, Sequence[Row]]

PAGES_TOML = Path(__file__).resolve().parents[1] / "ops_perf" / "data" / "pages.toml"
IDS_PER_TABLE = 3  # the first rows' ids, plus the last row's and one past it (a 404)
LOGIN_USER = "system_owner"  # the caller of every authenticated URL (only_my, per-caller bodies)

#: The catalog's id pools and the simulator table each is drawn from.
POOL_TABLES = {
    "can_ids": "cans",
    "agreement_ids": "agreements",
    "project_ids": "projects",
    "portfolio_ids": "portfolios",
    "bli_ids": "budget_line_items",
    "notification_ids": "notifications",
    "user_ids": "users",
    "division_ids": "divisions",
    "product_service_code_ids": "product_service_codes",
    "procurement_shop_ids": "procurement_shops",
    "services_component_ids": "services_components",
    "can_funding_details_ids": "can_funding_details",
    "can_funding_budget_ids": "can_funding_budgets",
    "can_funding_received_ids": "can_funding_received",
    "portfolio_url_ids": "portfolio_urls",
    "agreement_agency_ids": "agreement_agencies",
    "research_methodology_ids": "research_methodologies",
    "special_topic_ids": "special_topics",
    "procurement_tracker_ids": "procurement_trackers",
    "procurement_tracker_step_ids": "procurement_tracker_steps",
    "procurement_action_ids": "procurement_actions",
}
#: Tables whose ids a query parameter names when the route's own field does not say (selectors).
PARAM_TABLES = {
    "portfolio": "portfolios",
    "portfolio_id": "portfolios",
    "portfolio_ids": "portfolios",
    "userId": "users",
    "agreement_id": "agreements",
}
#: Tables the admin API is asked about with a filter: (table, field).
ADMIN_FILTERS = (("budget_line_items", "agreement_id"), ("cans", "portfolio_id"), ("users", "test_code"))
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def sample_ids(rows: Sequence[Row]) -> list[int]:
    """A few real ids of a table (first ones, the last) and one past the last (unknown: a 404)."""
    ids = [row["id"] for row in rows]
    if not ids:
        return [1]
    return [*sorted({*ids[:IDS_PER_TABLE], ids[-1]}), ids[-1] + 1]


def login_user(tables: Tables) -> Row:
    """The row of the user every authenticated URL is asked as."""
    return next(u for u in tables["users"] if u.get("test_code") == LOGIN_USER)


def _field_values(tables: Tables, route: Route, param: str, field: str) -> list[Any]:
    """Two values a filter parameter can take: from the route's rows, else the ids it names."""
    rows = tables.get(route.table or "", [])
    if field and rows and field in rows[0] and not isinstance(rows[0][field], list):
        values = sorted({row[field] for row in rows if row[field] is not None})
        return values[:1] + values[-1:] if values else [1]
    return sample_ids(tables.get(PARAM_TABLES.get(param, ""), []))[:2]


def _route_paths(tables: Tables, route: Route) -> list[str]:
    if "[id]" not in route.name:
        return [route.name]
    table = route.parent or route.table or ""
    return [route.name.replace("[id]", str(i)) for i in sample_ids(tables.get(table, []))]


def _route_queries(tables: Tables, route: Route, current_fy: int, oidc: str) -> Iterator[str]:
    """One query per parameter the route reads (each alone), its variants, and the pagination cases."""
    yield ""
    for variant in route.variants:
        if "[" not in variant.query:
            yield variant.query
    for param, field in route.filters:
        values = _field_values(tables, route, param, field)
        yield from (f"{param}={v}" for v in values)
        if len(values) > 1:
            yield f"{param}={values[0]}&{param}={values[1]}"
        yield f"{param}=abc"
    for param in route.int_params:
        yield from (f"{param}={fy}" for fy in (current_fy - 1, current_fy, current_fy + 5))
        yield f"{param}=abc"
    for flag in route.flags:
        yield from (f"{flag}={v}" for v in ("true", "False", "maybe"))
    for param in route.str_params:
        yield f"{param}={oidc}" if param == "oidc_id" else f"{param}=TITLE"
    for param in route.unknown_fields:
        yield f"{param}=1"
    if route.paginated:
        yield from ("limit=50&offset=0", "limit=5&offset=5", "limit=50&offset=100000")
        yield from ("limit=0", "limit=51", "limit=x", "offset=-1", "offset=y")


def route_urls(tables: Tables, current_fy: int) -> list[str]:
    """Every route of the simulator with each query parameter it reads; the removed routes (404)."""
    oidc = login_user(tables)["oidc_id"]
    urls: list[str] = []
    for route in (*ROUTES, *FRONTEND_ROUTES):
        queries = list(_route_queries(tables, route, current_fy, oidc))
        for path in _route_paths(tables, route):
            urls += [f"{path}?{q}" if q else path for q in queries]
        if route.shape is Shape.ITEM and "[id]" in route.name:
            urls.append(route.name.replace("[id]", "abc"))  # not an id: no route (404)
    urls += [name.replace("[id]", "1") for name in REMOVED_ROUTES]
    return urls


def _fill(template: str, values: Mapping[str, int], row_id: int) -> str:
    """A catalog template with its fiscal year, user id and (any other placeholder) the pool's id."""
    return _PLACEHOLDER.sub(lambda m: str(values.get(m.group(1), row_id)), template)


def catalog_urls(tables: Tables, current_fy: int) -> list[str]:
    """The suite's endpoint catalog with each pool's sample ids and each catalog fiscal year."""
    user = login_user(tables)
    urls: list[str] = []
    for endpoint in (*ENDPOINTS, *PAGE_ONLY_ENDPOINTS):
        template = endpoint.path + (f"?{endpoint.query}" if endpoint.query else "")
        ids = sample_ids(tables.get(POOL_TABLES.get(endpoint.pool or "", ""), [])) if endpoint.pool else [0]
        for row_id in ids:
            for fy in (*FISCAL_YEARS, current_fy):
                urls.append(_fill(template, {"fiscal_year": fy, "user_id": user["id"]}, row_id))
    return urls


def _calls(node: Any, pool: str | None) -> Iterator[tuple[str, str | None]]:
    """(url, the page's id pool) of every call in the page catalog."""
    if isinstance(node, dict):
        pool = node.get("id_pool", pool)
        if isinstance(node.get("url"), str):
            yield node["url"], pool
        for value in node.values():
            yield from _calls(value, pool)
    elif isinstance(node, list):
        for value in node:
            yield from _calls(value, pool)


def page_urls(tables: Tables, current_fy: int) -> list[str]:
    """The page catalog's call URLs with the page's sample ids (fan-out placeholders left out)."""
    user = login_user(tables)
    catalog = tomllib.loads(PAGES_TOML.read_text(encoding="utf-8"))
    urls: list[str] = []
    for url, pool in _calls(catalog, None):
        if any(p in url for p in ("{item}", "{items}", "{n}")):
            continue
        full = url if url.startswith("/") else f"/api/v1/{url}"
        full = full.replace("{uid}", str(user["id"])).replace("{oidc}", user["oidc_id"])
        full = re.sub(r"\{FY(-\d+)?\}", lambda m: str(current_fy + int(m.group(1) or 0)), full)
        ids = sample_ids(tables.get(POOL_TABLES.get(pool or "", ""), []))[:2] if "{id}" in full else [0]
        urls += [full.replace("{id}", str(i)) for i in ids]
    return urls


def admin_urls(tables: Tables, current_fy: int) -> list[str]:
    """`/__sim__/data/...`: the summary, every table, a filter per table of `ADMIN_FILTERS`, the spending set."""
    urls = ["/__sim__/data/", "/__sim__/data/no-such-table"]
    urls += [f"/__sim__/data/{table}" for table in sorted(tables)]
    for table, field in ADMIN_FILTERS:
        rows = tables.get(table, [])
        if rows:
            urls.append(f"/__sim__/data/{table}?{field}={rows[0][field]}")
    for portfolio_id in sample_ids(tables.get("portfolios", []))[:2]:
        urls.append(f"/__sim__/data/portfolio-budget-lines?portfolio_id={portfolio_id}&fiscal_year={current_fy}")
        urls.append(f"/__sim__/data/portfolio-budget-lines?portfolio_id={portfolio_id}")
    urls.append("/__sim__/data/portfolio-budget-lines?portfolio_id=x")
    urls.append("/__sim__/data/portfolios-without-url")
    urls += [f"/__sim__/data/embedded-rows?endpoint={name}" for name in ("/api/v1/agreements/[id]", "/api/v1/users/")]
    return urls


def simulator_urls(tables: Tables, current_fy: int) -> list[str]:
    """The URLs drawn from the simulator's own route table and admin API only, each once.

    What the committed hashes cover: a change to the suite's catalogs (another slice's data) must
    not move them, only a change to what the simulator answers.
    """
    return list(dict.fromkeys(route_urls(tables, current_fy) + admin_urls(tables, current_fy)))


def golden_urls(tables: Tables, current_fy: int) -> list[str]:
    """All of the above, each once, in a stable order (the API's first, then the admin API's)."""
    api = route_urls(tables, current_fy) + catalog_urls(tables, current_fy) + page_urls(tables, current_fy)
    return list(dict.fromkeys(api + admin_urls(tables, current_fy)))
