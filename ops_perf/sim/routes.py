"""The OPS routes the simulator serves, as data, and the matcher from a concrete request to its route.

Why data: the facts file lists 58 routes whose behaviour differs only in a handful of properties
(response shape, table, filters, the odd rule). One table row per route keeps the whole surface
reviewable on one screen and lets tests iterate over it. The matcher also yields the request's
*Locust name* (`/api/v1/cans/[id]`, query kept as in the facts table), which is what profiles are
keyed by; it is written here rather than imported from the suite's catalog because the simulator
must never depend on the code it is used to test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum

API = "/api/v1"


class Shape(StrEnum):
    """How a 200 body is laid out (per the facts table "Where ids come from")."""

    WRAPPED = "wrapped"  # {"data": [...], "count", "limit", "offset"} (+ extras); limit 1..50, default 10
    PLAIN = "plain"  # a bare JSON list of every row, unpaginated
    PLAIN_PAGED = "plain_paged"  # a bare list sliced by limit/offset (default 10, max 50), no count
    BLI = "bli"  # bare paged list whose items carry `_meta.total_count` (budget line items)
    ITEM = "item"  # one row by the id in the path; unknown id -> 404
    STATIC = "static"  # one body that does not depend on the request


@dataclass(frozen=True)
class Variant:
    """A query-string variant with its own Locust name, e.g. `project_id=[id]` or `limit=10&offset=0`."""

    query: str  # as written in the facts table's Locust name
    keys: frozenset[str] = field(init=False)
    literals: Mapping[str, str] = field(init=False)

    def __post_init__(self) -> None:
        pairs = [part.split("=", 1) for part in self.query.split("&")]
        object.__setattr__(self, "keys", frozenset(k for k, _ in pairs))
        # Placeholders like [id] / [fy] match any value; anything else must match literally.
        object.__setattr__(self, "literals", {k: v for k, v in pairs if not v.startswith("[")})

    def matches(self, args: Mapping[str, str]) -> bool:
        return set(args) == self.keys and all(args.get(k) == v for k, v in self.literals.items())


@dataclass(frozen=True)
class Route:
    """One OPS route. `name` is its Locust name without query (`[id]` where the path holds an id)."""

    name: str
    shape: Shape
    render: str  # key of the renderer (see api.py) applied to each row / the one body
    table: str | None = None  # dataset table behind the route
    filters: tuple[tuple[str, str], ...] = ()  # (query parameter, row field); repeated values OR together
    int_params: tuple[str, ...] = ()  # integer query parameters passed to the renderer (e.g. fiscal_year)
    required: tuple[str, ...] = ()  # query parameters without which OPS answers 400
    extras: str | None = None  # renderer adding keys next to `data` (totals, summary)
    variants: tuple[Variant, ...] = ()
    auth: bool = True  # False only for /health/
    json_get_400: bool = False  # GET with Content-Type: application/json (no body) -> 400 {}
    empty_404: bool = False  # list answers 404 {} when its table is empty (divisions, product-service-codes)

    @property
    def paginated(self) -> bool:
        return self.shape in (Shape.WRAPPED, Shape.PLAIN_PAGED, Shape.BLI)

    def names(self) -> list[str]:
        return [self.name] + [f"{self.name}?{v.query}" for v in self.variants]


def _v(*queries: str) -> tuple[Variant, ...]:
    return tuple(Variant(q) for q in queries)


def _crud(
    path: str,
    table: str,
    list_shape: Shape,
    item: str,
    list_item: str | None = None,
    *,
    json_get_400: bool = False,
    empty_404: bool = False,
) -> list[Route]:
    """The usual pair: `/things/` (a list) and `/things/[id]` (one row)."""
    return [
        Route(f"{API}/{path}/", list_shape, list_item or item, table, json_get_400=json_get_400, empty_404=empty_404),
        Route(f"{API}/{path}/[id]", Shape.ITEM, item, table, json_get_400=json_get_400),
    ]


ROUTES: tuple[Route, ...] = (
    *_crud("users", "users", Shape.PLAIN, "user", json_get_400=True),
    Route(
        f"{API}/cans/",
        Shape.WRAPPED,
        "can_list",
        "cans",
        filters=(("portfolio_id", "portfolio_id"),),
        variants=_v("portfolio_id=[id]"),
    ),
    Route(f"{API}/cans/[id]", Shape.ITEM, "can", "cans"),
    Route(f"{API}/cans/[id]/funding/", Shape.ITEM, "can_funding", "cans"),
    Route(
        f"{API}/agreements/",
        Shape.WRAPPED,
        "agreement_list",
        "agreements",
        filters=(("project_id", "project_id"),),
        extras="agreement_extras",
        variants=_v("project_id=[id]"),
        json_get_400=True,
    ),
    Route(f"{API}/agreements/[id]", Shape.ITEM, "agreement", "agreements", json_get_400=True),
    *_crud("notifications", "notifications", Shape.PLAIN, "notification"),
    Route(
        f"{API}/budget-line-items/",
        Shape.BLI,
        "bli_list",
        "budget_line_items",
        filters=(("agreement_id", "agreement_id"), ("can_id", "can_id")),
        variants=_v("agreement_id=[id]", "can_id=[id]", "limit=10&offset=0"),
    ),
    Route(f"{API}/budget-line-items/[id]", Shape.ITEM, "bli", "budget_line_items"),
    Route(f"{API}/projects/", Shape.WRAPPED, "project_list", "projects", extras="project_summary"),
    Route(f"{API}/projects/[id]", Shape.ITEM, "project", "projects"),
    Route(
        f"{API}/projects/[id]/funding/",
        Shape.ITEM,
        "project_funding",
        "projects",
        int_params=("fiscal_year",),
        variants=_v("fiscal_year=[fy]"),
    ),
    *_crud("portfolios", "portfolios", Shape.PLAIN, "portfolio", "portfolio_list"),
    Route(f"{API}/portfolios/[id]/cans/", Shape.ITEM, "portfolio_cans", "portfolios"),
    Route(f"{API}/portfolio-funding-summary/", Shape.STATIC, "portfolio_funding_summaries"),
    Route(f"{API}/portfolio-funding-summary/[id]", Shape.ITEM, "portfolio_funding_summary", "portfolios"),
    *_crud("portfolios-url", "portfolio_urls", Shape.PLAIN, "portfolio_url"),
    Route(f"{API}/health/", Shape.STATIC, "health", auth=False),
    Route(f"{API}/version/", Shape.STATIC, "version"),
    *_crud("can-funding-budgets", "can_funding_budgets", Shape.PLAIN, "funding_budget", "funding_budget_list"),
    *_crud("can-funding-details", "can_funding_details", Shape.PLAIN, "funding_details", "funding_details_list"),
    *_crud("can-funding-received", "can_funding_received", Shape.PLAIN, "funding_received", "funding_received_list"),
    Route(f"{API}/lookups/portfolio-status/", Shape.STATIC, "lookup_portfolio_status"),
    Route(f"{API}/lookups/portfolio-status/[id]", Shape.ITEM, "portfolio_status", "portfolio_statuses"),
    Route(f"{API}/lookups/research-types/", Shape.STATIC, "lookup_research_types"),
    Route(f"{API}/lookups/agreement-reasons/", Shape.STATIC, "lookup_agreement_reasons"),
    Route(f"{API}/lookups/agreement-types/", Shape.STATIC, "lookup_agreement_types"),
    *_crud("research-methodologies", "research_methodologies", Shape.PLAIN_PAGED, "row"),
    *_crud("special-topics", "special_topics", Shape.PLAIN_PAGED, "row"),
    *_crud("agreement-agencies", "agreement_agencies", Shape.PLAIN_PAGED, "row"),
    *_crud("divisions", "divisions", Shape.PLAIN, "division", empty_404=True),
    *_crud("product-service-codes", "product_service_codes", Shape.PLAIN, "row", empty_404=True),
    Route(f"{API}/budget-line-items-filters/", Shape.STATIC, "bli_filters"),
    Route(f"{API}/cans-filters/", Shape.STATIC, "cans_filters"),
    Route(f"{API}/agreements-filters/", Shape.STATIC, "agreements_filters"),
    *_crud("services-components", "services_components", Shape.PLAIN, "services_component"),
    *_crud("procurement-shops", "procurement_shops", Shape.PLAIN, "shop"),
    *_crud("procurement-trackers", "procurement_trackers", Shape.WRAPPED, "tracker"),
    *_crud("procurement-tracker-steps", "procurement_tracker_steps", Shape.WRAPPED, "tracker_step"),
    *_crud("procurement-actions", "procurement_actions", Shape.WRAPPED, "procurement_action", json_get_400=True),
    Route(
        f"{API}/change-requests/",
        Shape.WRAPPED,
        "change_request",
        "change_requests",
        required=("userId",),
        filters=(("userId", "user_ids"),),
        variants=_v("userId=[id]"),
    ),
)

#: Routes OPS has removed (they answer 404 like any unknown path); listed so tests can check them.
REMOVED_ROUTES: tuple[str, ...] = (
    f"{API}/agreement-history/[id]",
    f"{API}/can-history/?can_id=[id]",
    f"{API}/research-projects/",
    f"{API}/research-projects/[id]",
    f"{API}/administrative-and-support-projects/",
    f"{API}/administrative-and-support-projects/[id]",
    f"{API}/ops-db-histories/",
)

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in ROUTES}


def all_names() -> list[str]:
    """Every Locust name the simulator can produce (the keys a profile may use)."""
    return [name for route in ROUTES for name in route.names()]


def _is_id(segment: str) -> bool:
    return segment.isascii() and segment.isdigit()


def match(path: str) -> tuple[Route, int | None] | None:
    """The route serving `path` and the id in it, or None (OPS answers 404 to unknown paths).

    Ids are the all-digit segments, as OPS's `<int:id>` converters accept; a route template is the
    path with those segments replaced by `[id]`, which is also its Locust name. One dict lookup.
    """
    segments = path.split("/")
    row_id: int | None = None
    for i, segment in enumerate(segments):
        if segment and _is_id(segment):
            row_id = int(segment)
            segments[i] = "[id]"
    route = ROUTES_BY_NAME.get("/".join(segments))
    return (route, row_id) if route else None


def locust_name(route: Route, args: Mapping[str, str]) -> str:
    """The Locust name of a request to `route` with query `args` (first value per key).

    A query that is exactly one of the route's variants keeps it in the name (as the suite names
    it); any other query maps to the bare route name, so a harvester paging with `?limit=50&offset=100`
    is still timed like the route it hits.
    """
    if args:
        for variant in route.variants:
            if variant.matches(args):
                return f"{route.name}?{variant.query}"
    return route.name
