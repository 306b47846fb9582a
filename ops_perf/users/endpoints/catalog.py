"""The OPS read API as data: every request the suite makes, and where detail ids come from.

Two tables, one catalog: `ENDPOINTS` (the 64 weighted requests of the endpoint user) and
`PAGE_ONLY_ENDPOINTS` (the frontend's GETs that the 64 lack, weight 0, sent only by page views).
The first drives everything: the Locust tasks are generated from it, the warm-up harvests the pools it
names, the report lists the endpoints it never saw, and `catalog_fingerprint()` ties a run's results to
the exact catalog that produced them. Locust names follow the historic convention (`[id]` for ids,
`[fy]` for fiscal years, query kept) so that new runs line up with the 2025-10-15 results.
`DESIGNED_ANSWERS` states, per endpoint, the error statuses OPS gives by design (a portfolio without
a URL: 404), so that a run records them as that answer and not as failures; it stays out of the
fingerprint (it says how to read an answer, not which requests a run made).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from enum import StrEnum

API = "/api/v1"
FISCAL_YEARS: tuple[int, ...] = (2023, 2024, 2025, 2026)
"""Years substituted for `{fiscal_year}`; `[fy]` in the Locust name."""

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


class ListShape(StrEnum):
    """How a list endpoint answers, which decides how the warm-up pages through it."""

    WRAPPED = "wrapped"
    """`{data, count, limit, offset}`: page with limit/offset, `count` says when to stop."""
    PLAIN_PAGED = "plain_paged"
    """A bare JSON list that honours limit/offset (max 50) but reports no count: page until a short page."""
    PLAIN = "plain"
    """A bare JSON list with everything; limit/offset are not sent."""


@dataclass(frozen=True, slots=True)
class Pool:
    """An id pool: the list endpoint that fills it and how that endpoint pages."""

    name: str
    list_path: str
    shape: ListShape
    empty_is_404: bool = False
    """`/divisions/` and `/product-service-codes/` answer 404 `{}` when their table is empty."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One request of the catalog.

    `path` may hold one `{placeholder}`, filled from `pool` (or from `FISCAL_YEARS` for
    `{fiscal_year}`); `query` is a query-string template of the same kind.
    """

    path: str
    weight: int
    pool: str | None = None
    query: str = ""
    name: str = ""
    tags: tuple[str, ...] = ()

    @property
    def locust_name(self) -> str:
        return self.name or _name_for(self.path, self.query)

    @property
    def is_detail(self) -> bool:
        return self.pool is not None

    @property
    def designed_statuses(self) -> tuple[int, ...]:
        """Error statuses OPS gives by design on this endpoint (`DESIGNED_ANSWERS`): that answer, not a failure."""
        found = DESIGNED_ANSWERS.get(self.locust_name)
        return found.statuses if found else ()

    @property
    def designed_note(self) -> str:
        """Why those statuses are by design, in a few words (for the report's API-design note)."""
        found = DESIGNED_ANSWERS.get(self.locust_name)
        return found.note if found else ""


@dataclass(frozen=True, slots=True)
class DesignedAnswer:
    """An error status OPS answers by design when what is asked for does not exist for that record
    (a portfolio without a website URL, a table with no rows). A client must handle it anyway; a load
    test that counts it as a failure fails a run in which no person saw anything wrong."""

    statuses: tuple[int, ...]
    note: str
    source: str
    """The reference file (../shared/reference/) that states it."""


def _name_for(path: str, query: str) -> str:
    def sub(match: re.Match[str]) -> str:
        return "[fy]" if match.group(1) == "fiscal_year" else "[id]"

    name = _PLACEHOLDER.sub(sub, path)
    return f"{name}?{_PLACEHOLDER.sub(sub, query)}" if query else name


POOLS: Mapping[str, Pool] = {
    pool.name: pool
    for pool in (
        Pool("can_ids", f"{API}/cans/", ListShape.WRAPPED),
        Pool("agreement_ids", f"{API}/agreements/", ListShape.WRAPPED),
        Pool("project_ids", f"{API}/projects/", ListShape.WRAPPED),
        Pool("portfolio_ids", f"{API}/portfolios/", ListShape.PLAIN),
        Pool("bli_ids", f"{API}/budget-line-items/", ListShape.PLAIN_PAGED),
        Pool("notification_ids", f"{API}/notifications/", ListShape.PLAIN),
        Pool("user_ids", f"{API}/users/", ListShape.PLAIN),
        Pool("division_ids", f"{API}/divisions/", ListShape.PLAIN, empty_is_404=True),
        Pool("product_service_code_ids", f"{API}/product-service-codes/", ListShape.PLAIN, empty_is_404=True),
        Pool("procurement_shop_ids", f"{API}/procurement-shops/", ListShape.PLAIN),
        Pool("services_component_ids", f"{API}/services-components/", ListShape.PLAIN),
        Pool("can_funding_details_ids", f"{API}/can-funding-details/", ListShape.PLAIN),
        Pool("can_funding_budget_ids", f"{API}/can-funding-budgets/", ListShape.PLAIN),
        Pool("can_funding_received_ids", f"{API}/can-funding-received/", ListShape.PLAIN),
        Pool("portfolio_url_ids", f"{API}/portfolios-url/", ListShape.PLAIN),
        Pool("agreement_agency_ids", f"{API}/agreement-agencies/", ListShape.PLAIN_PAGED),
        Pool("research_methodology_ids", f"{API}/research-methodologies/", ListShape.PLAIN_PAGED),
        Pool("special_topic_ids", f"{API}/special-topics/", ListShape.PLAIN_PAGED),
        Pool("procurement_tracker_ids", f"{API}/procurement-trackers/", ListShape.WRAPPED),
        Pool("procurement_tracker_step_ids", f"{API}/procurement-tracker-steps/", ListShape.WRAPPED),
        Pool("procurement_action_ids", f"{API}/procurement-actions/", ListShape.WRAPPED),
    )
}


def _e(path: str, weight: int, pool: str | None = None, *tags: str, query: str = "", name: str = "") -> Endpoint:
    return Endpoint(f"{API}{path}", weight, pool, query, name, tags)


# The 64 requests of ops-api-facts.md, in its order. Tags group them for `--tags` / `--exclude-tags`.
ENDPOINTS: tuple[Endpoint, ...] = (
    _e("/users/", 3, None, "users"),
    _e("/users/{user_id}", 2, "user_ids", "users"),
    _e("/cans/", 7, None, "cans"),
    _e("/cans/{can_id}", 5, "can_ids", "cans"),
    _e("/agreements/", 10, None, "agreements", "heavy"),
    _e("/agreements/{agreement_id}", 5, "agreement_ids", "agreements", "heavy"),
    _e("/notifications/", 10, None, "notifications"),
    _e("/notifications/{notification_id}", 5, "notification_ids", "notifications"),
    _e("/budget-line-items/{bli_id}", 4, "bli_ids", "budget"),
    _e("/projects/", 7, None, "projects"),
    _e("/projects/{project_id}", 4, "project_ids", "projects"),
    _e("/projects/{project_id}/funding/", 3, "project_ids", "projects", "funding"),
    _e("/projects/{project_id}/funding/", 2, "project_ids", "projects", "funding", query="fiscal_year={fiscal_year}"),
    _e("/portfolios/", 6, None, "portfolios"),
    _e("/portfolios/{portfolio_id}", 3, "portfolio_ids", "portfolios"),
    _e("/agreements/", 5, "project_ids", "agreements", query="project_id={project_id}"),
    _e("/budget-line-items/", 5, "agreement_ids", "budget", query="agreement_id={agreement_id}"),
    _e("/budget-line-items/", 4, "can_ids", "budget", query="can_id={can_id}"),
    _e("/health/", 1, None, "system"),
    _e("/version/", 1, None, "system"),
    _e("/can-funding-budgets/", 3, None, "funding"),
    _e("/can-funding-budgets/{can_funding_budget_id}", 2, "can_funding_budget_ids", "funding"),
    _e("/can-funding-details/", 3, None, "funding"),
    _e("/can-funding-details/{can_id}", 2, "can_funding_details_ids", "funding"),
    _e("/can-funding-received/", 3, None, "funding"),
    _e("/can-funding-received/{can_funding_received_id}", 2, "can_funding_received_ids", "funding"),
    _e("/cans/{can_id}/funding/", 3, "can_ids", "cans", "funding"),
    _e("/cans/", 2, "portfolio_ids", "cans", query="portfolio_id={portfolio_id}"),
    _e("/portfolio-funding-summary/{portfolio_id}", 2, "portfolio_ids", "portfolios", "funding"),
    _e("/portfolio-funding-summary/", 2, None, "portfolios", "funding"),
    _e("/portfolios/{portfolio_id}/cans/", 2, "portfolio_ids", "portfolios", "cans"),
    _e("/lookups/portfolio-status/", 4, None, "lookups"),
    _e("/lookups/portfolio-status/1", 2, None, "lookups", name=f"{API}/lookups/portfolio-status/[id]"),
    _e("/portfolios-url/", 3, None, "portfolios"),
    _e("/portfolios-url/{portfolio_url_id}", 1, "portfolio_url_ids", "portfolios"),
    _e("/lookups/research-types/", 3, None, "lookups"),
    _e("/research-methodologies/", 3, None, "reference"),
    _e("/research-methodologies/{methodology_id}", 2, "research_methodology_ids", "reference"),
    _e("/special-topics/", 3, None, "reference"),
    _e("/special-topics/{topic_id}", 2, "special_topic_ids", "reference"),
    _e("/agreement-agencies/", 4, None, "reference"),
    _e("/agreement-agencies/{agency_id}", 2, "agreement_agency_ids", "reference"),
    _e("/lookups/agreement-reasons/", 3, None, "lookups"),
    _e("/lookups/agreement-types/", 3, None, "lookups"),
    _e("/divisions/", 4, None, "reference"),
    _e("/divisions/{division_id}", 2, "division_ids", "reference"),
    _e("/budget-line-items-filters/", 3, None, "filters"),
    _e("/cans-filters/", 3, None, "filters"),
    _e("/agreements-filters/", 3, None, "filters"),
    _e("/product-service-codes/", 4, None, "reference"),
    _e("/product-service-codes/{code_id}", 2, "product_service_code_ids", "reference"),
    _e("/services-components/", 4, None, "procurement"),
    _e("/services-components/{component_id}", 2, "services_component_ids", "procurement"),
    _e("/procurement-shops/", 4, None, "procurement"),
    _e("/procurement-shops/{shop_id}", 2, "procurement_shop_ids", "procurement"),
    _e("/procurement-trackers/", 5, None, "procurement"),
    _e("/procurement-trackers/{tracker_id}", 3, "procurement_tracker_ids", "procurement"),
    _e("/procurement-tracker-steps/", 4, None, "procurement"),
    _e("/procurement-tracker-steps/{step_id}", 2, "procurement_tracker_step_ids", "procurement"),
    _e("/procurement-actions/", 4, None, "procurement"),
    _e("/procurement-actions/{action_id}", 2, "procurement_action_ids", "procurement"),
    _e("/change-requests/", 2, "user_ids", "users", query="userId={user_id}"),
    _e("/budget-line-items/", 20, None, "budget", query="limit=10&offset=0"),
    _e("/budget-line-items/", 20, None, "budget"),
)


# The 15 GET endpoints the OPS frontend uses that the 64 above lack (frontend-journeys.md section 4).
# Weight 0: the endpoint user (smoke, baseline: the nightly) never picks them, so its mix and
# `catalog_fingerprint()` stay exactly those of the historic runs; the page user sends them as the
# frontend does (ops_perf/users/pages/pages.toml). Names follow the house style without the query string.
PAGE_ONLY_ENDPOINTS: tuple[Endpoint, ...] = (
    _e(
        "/reporting-summary/", 0, None, "reporting", query="fiscal_year={fiscal_year}", name=f"{API}/reporting-summary/"
    ),
    _e("/cans/funding/", 0, None, "cans", "funding", query="fiscal_year={fiscal_year}", name=f"{API}/cans/funding/"),
    _e("/cans/{can_id}/history/", 0, "can_ids", "cans", "history"),
    _e("/agreements/{agreement_id}/history/", 0, "agreement_ids", "agreements", "history"),
    _e("/projects/{project_id}/history/", 0, "project_ids", "projects", "history"),
    _e("/projects/{project_id}/spending/", 0, "project_ids", "projects", "funding"),
    _e("/agreements/{agreement_id}/spending/", 0, "agreement_ids", "agreements", "funding"),
    _e("/projects-filters/", 0, None, "filters"),
    _e(
        "/grant-numbers/",
        0,
        "agreement_ids",
        "procurement",
        query="agreement_id={agreement_id}",
        name=f"{API}/grant-numbers/",
    ),
    _e("/documents/", 0, "agreement_ids", "procurement", query="agreement_id={agreement_id}", name=f"{API}/documents/"),
    _e("/vendors/", 0, None, "procurement"),
    _e("/procurement-tracker-steps/pending-approvals/", 0, None, "procurement"),
    _e("/procurement-tracker-steps/pending-requisitions/", 0, None, "procurement"),
    _e("/procurement-tracker-steps/pending-award-approvals/", 0, None, "procurement"),
    Endpoint("/auth/roles/", 0, None, "", "", ("users",)),
)

NOT_IN_OPENAPI: Mapping[str, str] = {
    f"{API}/vendors/": "in backend/ops_api/ops/urls.py, missing from ops-openapi.yml",
    f"{API}/procurement-tracker-steps/pending-requisitions/": "in the backend's urls.py, missing from ops-openapi.yml",
    f"{API}/procurement-tracker-steps/pending-award-approvals/": "in the backend's urls.py, missing from ops-openapi.yml",
    "/auth/roles/": "outside /api/v1 (the auth blueprint); the API spec does not cover /auth/",
}
"""Catalog entries that `ops-openapi.yml` lacks, and why: checked against the spec like the rest."""

# Statuses OPS gives by design, per endpoint (Locust name). Not here: the "404 is the normal answer"
# lookups the frontend sends for ids that do not exist (users/-1, services-components/0,
# portfolios/null, bare /api/v1/): those are the frontend's defects, marked per call in
# ops_perf/users/pages/pages.toml; a 404 of users/[id] and the like stays a failure. Nor the 404s
# agreement-agencies/ gave in production in October 2025: the route was not yet deployed there
# (ops-api-facts.md, "Failure signatures"), and it answers a plain list, empty or not.
DESIGNED_ANSWERS: Mapping[str, DesignedAnswer] = {
    # frontend-failure-modes.md, /portfolios/:id and "Calls that really return an error on the seed
    # data": portfolios-url/{8,9,10} answer 404 (the seed has URLs for portfolios 1-7 only); the page
    # reads only `data` and leaves out the "See more on the website" link.
    f"{API}/portfolios-url/[id]": DesignedAnswer(
        (404,), "404 for a portfolio without a website URL", "frontend-failure-modes.md"
    ),
    # ops-api-facts.md, "Where ids come from": these two lists answer 404 {} when their table is empty
    # (the Pool's `empty_is_404`), where every other list answers an empty 200.
    f"{API}/divisions/": DesignedAnswer((404,), "404 {} when there are no divisions at all", "ops-api-facts.md"),
    f"{API}/product-service-codes/": DesignedAnswer(
        (404,), "404 {} when there are no product service codes at all", "ops-api-facts.md"
    ),
}

ALL_ENDPOINTS: tuple[Endpoint, ...] = ENDPOINTS + PAGE_ONLY_ENDPOINTS
"""Every GET the suite knows: the endpoint user's weighted 64, then the page-only 15."""


def by_name(endpoints: tuple[Endpoint, ...] = ALL_ENDPOINTS) -> dict[str, Endpoint]:
    return {endpoint.locust_name: endpoint for endpoint in endpoints}


def pools_in_use(endpoints: tuple[Endpoint, ...] = ENDPOINTS) -> dict[str, Pool]:
    """The pools the given endpoints draw from: only these are harvested."""
    return {ep.pool: POOLS[ep.pool] for ep in endpoints if ep.pool is not None}


def distinct_routes(endpoints: tuple[Endpoint, ...] = ENDPOINTS) -> set[str]:
    return {ep.path for ep in endpoints}


def fingerprint_of(payload: str) -> str:
    """`sha256:<16 hex>` of a catalog's canonical JSON: the one format of every catalog fingerprint in run.json."""
    return "sha256:" + hashlib.sha256(payload.encode()).hexdigest()[:16]


def catalog_fingerprint(endpoints: tuple[Endpoint, ...] = ENDPOINTS, mix: str = "weighted") -> str:
    """A stable hash of the catalog: two runs with the same fingerprint exercised the same mix.

    The scenario's `mix` is part of it (an even mix sends other requests from the same catalog); the
    weighted mix hashes as it always did, so earlier runs keep their fingerprint.
    """
    data: dict[str, object] = {
        "endpoints": [asdict(ep) for ep in endpoints],
        "pools": {k: asdict(v) for k, v in POOLS.items()},
    }
    if mix != "weighted":
        data["mix"] = mix
    return fingerprint_of(json.dumps(data, sort_keys=True))


def validate() -> None:
    """Catch catalog typos at import time rather than as odd results an hour into a run."""
    names = [ep.locust_name for ep in ENDPOINTS + PAGE_ONLY_ENDPOINTS]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"duplicate Locust names in catalog: {sorted(duplicates)}")
    for ep in ENDPOINTS + PAGE_ONLY_ENDPOINTS:
        placeholders = _PLACEHOLDER.findall(ep.path + ep.query)
        id_placeholders = [p for p in placeholders if p != "fiscal_year"]
        if ep.pool is None and id_placeholders:
            raise ValueError(f"{ep.locust_name}: placeholder without a pool")
        if ep.pool is not None and (ep.pool not in POOLS or len(id_placeholders) != 1):
            raise ValueError(f"{ep.locust_name}: pool {ep.pool!r} needs exactly one id placeholder and a known pool")
    for ep in ENDPOINTS:
        if ep.weight <= 0:
            raise ValueError(f"{ep.locust_name}: weight must be positive (weight 0 belongs in PAGE_ONLY_ENDPOINTS)")
    for ep in PAGE_ONLY_ENDPOINTS:
        if ep.weight != 0:
            raise ValueError(f"{ep.locust_name}: a page-only endpoint has weight 0 (the endpoint user's mix is fixed)")
    unknown = set(NOT_IN_OPENAPI) - {ep.locust_name for ep in ENDPOINTS + PAGE_ONLY_ENDPOINTS}
    if unknown:
        raise ValueError(f"NOT_IN_OPENAPI names endpoints the catalog lacks: {sorted(unknown)}")
    _validate_designed()


def _validate_designed() -> None:
    """Designed answers name catalog endpoints and error statuses, and agree with the pools' facts."""
    names = {ep.locust_name: ep for ep in ENDPOINTS + PAGE_ONLY_ENDPOINTS}
    if unknown := set(DESIGNED_ANSWERS) - set(names):
        raise ValueError(f"DESIGNED_ANSWERS names endpoints the catalog lacks: {sorted(unknown)}")
    for name, answer in DESIGNED_ANSWERS.items():
        if not answer.statuses or any(not 400 <= s <= 599 for s in answer.statuses) or not answer.note:
            raise ValueError(f"{name}: a designed answer is one or more error statuses (4xx/5xx) with a note")
    for pool in POOLS.values():
        listed = DESIGNED_ANSWERS.get(pool.list_path)
        if pool.empty_is_404 != bool(listed and 404 in listed.statuses):
            raise ValueError(f"{pool.list_path}: empty_is_404 of pool {pool.name} and DESIGNED_ANSWERS disagree")


validate()
