"""The OPS routes the simulator serves, as data, and the matcher from a concrete request to its route.

Why data: the facts file lists 58 routes whose behaviour differs only in a handful of properties
(response shape, table, filters, the odd rule). One table row per route keeps the whole surface
reviewable on one screen and lets tests iterate over it. The matcher also yields the request's
*Locust name* (`/api/v1/cans/[id]`, query kept as in the facts table), which is what profiles are
keyed by; it is written here rather than imported from the suite's catalog because the simulator
must never depend on the code it is used to test.

Two tables: `ROUTES`, the facts file's 58 (what the endpoint user requests), and `FRONTEND_ROUTES`,
the GETs only the frontend's pages send (frontend-journeys.md section 4). Both are served alike;
the split lets tests hold each against its own reference and the prod profile say which routes
it measured and which borrow a sibling's curve.
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
    CHILDREN = "children"  # wrapped paged rows of `table` whose `parent_field` is the path's id (histories)
    CUSTOM = "custom"  # a body computed from the query (summaries); renderer gets (id, params)


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
    # (query parameter, row field) of integer filters; repeated values OR together. An empty field
    # means the route's selector (or custom renderer) applies it.
    filters: tuple[tuple[str, str], ...] = ()
    int_params: tuple[str, ...] = ()  # integer query parameters passed to the renderer (e.g. fiscal_year)
    flags: tuple[str, ...] = ()  # boolean query parameters read ("true"/"false", any case, as OPS parses them)
    str_params: tuple[str, ...] = ()  # string query parameters read (e.g. oidc_id)
    select: str | None = None  # row selector (api.py) applying the flags/strings/ints the plain filters cannot
    max_limit: int = 50  # OPS caps `limit` at 50 on every paged list but change-requests
    parent: str | None = None  # CHILDREN: the table whose id is in the path (unknown id -> 404)
    parent_field: str | None = None  # CHILDREN: the row field holding that id
    not_found: str | None = None  # the 404 body's resource type when OPS answers {details, message}
    per_caller: bool = False  # the body depends on who asks (users/{id}: yourself in full, others by name)
    unknown_fields: tuple[str, ...] = ()  # query parameters OPS's schema refuses with 400 "Unknown field."
    required: tuple[str, ...] = ()  # query parameters without which OPS answers 400
    extras: str | None = None  # renderer adding keys next to `data` (totals, summary)
    variants: tuple[Variant, ...] = ()
    auth: bool = True  # False only for /health/
    json_get_400: bool = False  # GET with Content-Type: application/json (no body) -> 400 {}
    empty_404: bool = False  # list answers 404 {} when its table is empty (divisions, product-service-codes)

    @property
    def paginated(self) -> bool:
        return self.shape in (Shape.WRAPPED, Shape.PLAIN_PAGED, Shape.BLI, Shape.CHILDREN)

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
    Route(
        f"{API}/users/",
        Shape.PLAIN,
        "user_list",
        "users",
        str_params=("oidc_id",),
        flags=("exclude_read_only", "exclude_system_admin"),
        select="users",
        unknown_fields=("limit", "offset"),  # OPS's users list is not paged and says so
        json_get_400=True,
    ),
    Route(f"{API}/users/[id]", Shape.ITEM, "user_item", "users", json_get_400=True, per_caller=True),
    Route(
        f"{API}/cans/",
        Shape.WRAPPED,
        "can_list",
        "cans",
        filters=(("portfolio_id", "portfolio_id"),),
        int_params=("fiscal_year",),
        select="cans",
        variants=_v("portfolio_id=[id]"),
    ),
    Route(f"{API}/cans/[id]", Shape.ITEM, "can", "cans"),
    Route(f"{API}/cans/[id]/funding/", Shape.ITEM, "can_funding", "cans", int_params=("fiscal_year",)),
    Route(
        f"{API}/agreements/",
        Shape.WRAPPED,
        "agreement_list",
        "agreements",
        filters=(("project_id", "project_id"), ("portfolio", "")),
        int_params=("fiscal_year",),
        flags=("only_my", "include_procurement"),
        str_params=("name",),
        select="agreements",
        extras="agreement_extras",
        variants=_v("project_id=[id]"),
        json_get_400=True,
    ),
    Route(f"{API}/agreements/[id]", Shape.ITEM, "agreement", "agreements", json_get_400=True, not_found="Agreement"),
    Route(
        f"{API}/notifications/",
        Shape.PLAIN,
        "notification",
        "notifications",
        filters=(("agreement_id", "agreement_id"),),
        str_params=("oidc_id",),
        flags=("is_read",),
        select="notifications",
    ),
    Route(f"{API}/notifications/[id]", Shape.ITEM, "notification", "notifications"),
    Route(
        f"{API}/budget-line-items/",
        Shape.BLI,
        "bli_list",
        "budget_line_items",
        filters=(("agreement_id", "agreement_id"), ("can_id", "can_id"), ("fiscal_year", "fiscal_year")),
        flags=("only_my", "include_fees"),
        select="blis",
        variants=_v("agreement_id=[id]", "can_id=[id]", "limit=10&offset=0"),
    ),
    Route(f"{API}/budget-line-items/[id]", Shape.ITEM, "bli", "budget_line_items", not_found="BudgetLineItem"),
    Route(
        f"{API}/projects/",
        Shape.WRAPPED,
        "project_list",
        "projects",
        int_params=("fiscal_year", "portfolio_id"),
        str_params=("sort_field", "sort_descending"),
        select="projects",
        extras="project_summary",
    ),
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
    Route(
        f"{API}/portfolios/[id]/cans/",
        Shape.ITEM,
        "portfolio_cans",
        "portfolios",
        int_params=("budgetFiscalYear",),
        flags=("includeInactive",),
    ),
    Route(
        f"{API}/portfolio-funding-summary/",
        Shape.CUSTOM,
        "portfolio_funding_summaries",
        filters=(("portfolio_ids", "id"),),
        int_params=("fiscal_year",),
    ),
    Route(
        f"{API}/portfolio-funding-summary/[id]",
        Shape.ITEM,
        "portfolio_funding_summary",
        "portfolios",
        int_params=("fiscal_year",),
    ),
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
    Route(
        f"{API}/agreement-agencies/",
        Shape.PLAIN_PAGED,
        "row",
        "agreement_agencies",
        flags=("requesting", "servicing"),
        select="agencies",
    ),
    Route(f"{API}/agreement-agencies/[id]", Shape.ITEM, "row", "agreement_agencies"),
    *_crud("divisions", "divisions", Shape.PLAIN, "division", empty_404=True),
    *_crud("product-service-codes", "product_service_codes", Shape.PLAIN, "row", empty_404=True),
    Route(f"{API}/budget-line-items-filters/", Shape.STATIC, "bli_filters"),
    Route(f"{API}/cans-filters/", Shape.STATIC, "cans_filters"),
    Route(f"{API}/agreements-filters/", Shape.STATIC, "agreements_filters"),
    Route(
        f"{API}/services-components/",
        Shape.PLAIN,
        "services_component",
        "services_components",
        filters=(("agreement_id", "agreement_id"),),
    ),
    Route(
        f"{API}/services-components/[id]",
        Shape.ITEM,
        "services_component",
        "services_components",
        not_found="ServicesComponent",
    ),
    *_crud("procurement-shops", "procurement_shops", Shape.PLAIN, "shop"),
    Route(
        f"{API}/procurement-trackers/",
        Shape.WRAPPED,
        "tracker",
        "procurement_trackers",
        filters=(("agreement_id", "agreement_id"),),
    ),
    Route(f"{API}/procurement-trackers/[id]", Shape.ITEM, "tracker", "procurement_trackers"),
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
        max_limit=10_000,  # the frontend's For Review list sends limit=1000 and OPS accepts it
    ),
)

#: The GET endpoints only the frontend's pages use (frontend-journeys.md section 4): 15 routes plus
#: `grant-numbers/[id]` and `vendors/[id]`, which the frontend defines but no page calls.
FRONTEND_ROUTES: tuple[Route, ...] = (
    Route(
        f"{API}/reporting-summary/",
        Shape.CUSTOM,
        "reporting_summary",
        filters=(("portfolio_ids", "portfolio_id"),),
        int_params=("fiscal_year",),
    ),
    Route(f"{API}/cans/funding/", Shape.CUSTOM, "cans_funding", int_params=("fiscal_year",)),
    Route(
        f"{API}/cans/[id]/history/",
        Shape.CHILDREN,
        "history",
        "can_history",
        filters=(("fiscal_year", "fiscal_year"),),
        parent="cans",
        parent_field="can_id",
    ),
    Route(
        f"{API}/agreements/[id]/history/",
        Shape.CHILDREN,
        "history",
        "agreement_history",
        parent="agreements",
        parent_field="agreement_id",
    ),
    Route(
        f"{API}/projects/[id]/history/",
        Shape.CHILDREN,
        "history",
        "project_history",
        parent="projects",
        parent_field="project_id",
    ),
    Route(f"{API}/projects/[id]/spending/", Shape.ITEM, "project_spending", "projects"),
    Route(f"{API}/agreements/[id]/spending/", Shape.ITEM, "agreement_spending", "agreements"),
    Route(f"{API}/projects-filters/", Shape.STATIC, "projects_filters"),
    Route(
        f"{API}/grant-numbers/",
        Shape.PLAIN,
        "grant_number",
        "grant_numbers",
        filters=(("agreement_id", "agreement_id"),),
    ),
    Route(f"{API}/grant-numbers/[id]", Shape.ITEM, "grant_number", "grant_numbers"),
    Route(f"{API}/documents/", Shape.CUSTOM, "documents", filters=(("agreement_id", "agreement_id"),)),
    *_crud("vendors", "vendors", Shape.PLAIN, "row"),
    Route(f"{API}/procurement-tracker-steps/pending-approvals/", Shape.STATIC, "pending_approvals"),
    Route(f"{API}/procurement-tracker-steps/pending-requisitions/", Shape.STATIC, "pending_requisitions"),
    Route(f"{API}/procurement-tracker-steps/pending-award-approvals/", Shape.STATIC, "pending_award_approvals"),
    Route("/auth/roles/", Shape.PLAIN, "row", "roles"),
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

ROUTES_BY_NAME: dict[str, Route] = {route.name: route for route in (*ROUTES, *FRONTEND_ROUTES)}


def all_names() -> list[str]:
    """Every Locust name the simulator can produce (the keys a profile may use)."""
    return [name for route in (*ROUTES, *FRONTEND_ROUTES) for name in route.names()]


def catalog_names() -> list[str]:
    """The names of the facts file's 58 routes (the endpoint user's catalog), without the frontend's."""
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
