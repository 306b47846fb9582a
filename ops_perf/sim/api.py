"""Answer one OPS route: validate the query, filter, paginate, shape, and serve pre-serialised bytes.

Why a cache of bytes: the dataset never changes while the simulator runs, so a body depends only on
(route, id, the query parameters the route reads). Rendering and `json.dumps` happen once per
distinct key; every later request is a dict lookup. That keeps per-request cost small enough for the
simulator to outpace the load generator it is benchmarked against. Query parameters a route does not
read are left out of the key, as OPS ignores them too.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from werkzeug.datastructures import MultiDict

from ops_perf.sim.dataset import Dataset, Row
from ops_perf.sim.frontend import FrontendViews
from ops_perf.sim.routes import Route, Shape
from ops_perf.sim.views import Body, Views

DEFAULT_LIMIT = 10
MAX_LIMIT = 50  # the usual cap; a route may raise it (`Route.max_limit`)
_TRUE, _FALSE = frozenset({"true", "1", "yes"}), frozenset({"false", "0", "no"})
CACHE_CAP = 50_000  # distinct (route, id, query) bodies kept; the whole cache is dropped when exceeded

EMPTY = b"{}"
Answer = tuple[int, bytes]
Counted = tuple[int, bytes, int | None]  # + the items of a list answer (None: not a list)


def dumps(body: Body) -> bytes:
    """Compact JSON, as Flask's `jsonify` sends it outside debug mode."""
    return json.dumps(body, separators=(",", ":")).encode()


def _error(field: str, message: str) -> Answer:
    """A 400 shaped like OPS's marshmallow validation errors: `{"field": ["message"]}`."""
    return 400, dumps({field: [message]})


class BadQuery:
    """A query that failed validation, carrying the 400 answer."""

    __slots__ = ("answer",)

    def __init__(self, answer: Answer) -> None:
        self.answer = answer


class Api:
    """Renders and caches the bodies of every route in `routes.ROUTES` over one dataset."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.views = v = Views(ds)
        self.frontend = f = FrontendViews(v)
        self._cache: dict[tuple[Any, ...], Counted] = {}
        lookups = v.lookups()
        # Renderers per row (item and list routes) and per route (static routes).
        self.row_renderers: dict[str, Callable[[Row, dict[str, int]], Body]] = {
            "user": lambda r, q: v.user(r),
            # OPS: another user's record is `{full_name, id}`, your own the full user; lists are
            # `{id, full_name}` unless asked by oidc_id (the shell's "who am I").
            "user_item": lambda r, q: v.user(r) if r["id"] == q.get("me") else v.user_name(r),
            "user_list": lambda r, q: v.user(r) if "oidc_id" in q else v.user_name(r),
            "can_list": lambda r, q: v.can(r, full=False),
            "can": lambda r, q: v.can(r, full=True),
            "can_funding": lambda r, q: v.can_funding(r, q.get("fiscal_year")),
            "agreement_list": lambda r, q: v.agreement(r, full=False),
            "agreement": lambda r, q: v.agreement(r, full=True),
            "notification": lambda r, q: v.notification(r),
            "bli_list": lambda r, q: v.bli_list_item(r),
            "bli": lambda r, q: v.bli_detail(r),
            "project_list": lambda r, q: v.project(r, full=False),
            "project": lambda r, q: v.project(r, full=True),
            "project_funding": lambda r, q: v.project_funding(r, q.get("fiscal_year")),
            "portfolio_list": lambda r, q: v.portfolio(r, full=False),
            "portfolio": lambda r, q: v.portfolio(r, full=True),
            "portfolio_cans": lambda r, q: f.portfolio_cans(r, q.get("budgetFiscalYear"), q.get("includeInactive")),
            "portfolio_funding_summary": lambda r, q: v.portfolio_funding_summary(r, q.get("fiscal_year")),
            "portfolio_url": lambda r, q: v.portfolio_url(r),
            "funding_budget": lambda r, q: v.funding_budget(r, full=True),
            "funding_budget_list": lambda r, q: v.funding_budget(r, full=False),
            "funding_details": lambda r, q: v.funding_details(r, full=True),
            "funding_details_list": lambda r, q: v.funding_details(r, full=False),
            "funding_received": lambda r, q: v.funding_received(r, full=True),
            "funding_received_list": lambda r, q: v.funding_received(r, full=False),
            "portfolio_status": lambda r, q: r["name"],
            "division": lambda r, q: v.division(r),
            "services_component": lambda r, q: v.services_component(r),
            "shop": lambda r, q: v.shop(r),
            "tracker": lambda r, q: v.tracker(r),
            "tracker_step": lambda r, q: v.tracker_step(r),
            "procurement_action": lambda r, q: v.procurement_action(r),
            "change_request": lambda r, q: v.change_request(r),
            "row": lambda r, q: dict(r),
            "history": lambda r, q: f.history(r),
            "project_spending": lambda r, q: f.project_spending(r),
            "agreement_spending": lambda r, q: f.agreement_spending(r),
            "grant_number": lambda r, q: f.grant_number(r),
        }
        self.static_renderers: dict[str, Callable[[], Body]] = {
            "health": v.health,
            "version": v.version,
            "lookup_portfolio_status": lambda: lookups["portfolio-status"],
            "lookup_research_types": lambda: lookups["research-types"],
            "lookup_agreement_reasons": lambda: lookups["agreement-reasons"],
            "lookup_agreement_types": lambda: lookups["agreement-types"],
            "bli_filters": v.bli_filters,
            "cans_filters": v.cans_filters,
            "agreements_filters": v.agreements_filters,
            "projects_filters": f.projects_filters,
            "pending_approvals": lambda: f.pending_steps("approvals"),
            "pending_requisitions": lambda: f.pending_steps("requisitions"),
            "pending_award_approvals": lambda: f.pending_steps("award_approvals"),
        }
        # Bodies computed from the query alone (summaries over a fiscal year and a set of portfolios).
        self.custom_renderers: dict[str, Callable[[dict[str, Any]], Body]] = {
            "portfolio_funding_summaries": f.portfolio_funding_summaries,
            "reporting_summary": f.reporting_summary,
            "cans_funding": f.cans_funding,
            "documents": f.documents,
        }
        # Row selectors for what plain integer filters cannot say (fiscal years, "only mine", ...).
        self.selectors: dict[str, Callable[[list[Row], dict[str, Any]], list[Row]]] = {
            "users": f.select_users,
            "notifications": f.select_notifications,
            "agreements": f.select_agreements,
            "blis": f.select_blis,
            "cans": f.select_cans,
            "projects": f.select_projects,
            "agencies": f.select_agencies,
        }
        self.extras_renderers: dict[str, Callable[[list[Row]], dict[str, Body]]] = {
            "agreement_extras": v.agreement_extras,
            "project_summary": lambda rows: {"summary": v.project_summary(rows)},
        }

    # ---------------------------------------------------------------------------------------------
    def respond(
        self, route: Route, row_id: int | None, args: MultiDict[str, str], user_id: int | None = None
    ) -> Answer:
        """(status, JSON bytes) for a request that passed the auth rules (`user_id`: the caller's)."""
        status, body, _items = self.respond_counted(route, row_id, args, user_id)
        return status, body

    def respond_counted(
        self, route: Route, row_id: int | None, args: MultiDict[str, str], user_id: int | None = None
    ) -> Counted:
        """`respond` plus the number of items a list answer holds (what a per-row cost is priced by)."""
        parsed = self._parse(route, args, user_id)
        if isinstance(parsed, BadQuery):
            return (*parsed.answer, None)
        key = (route.name, row_id, parsed)
        answer = self._cache.get(key)
        if answer is None:
            answer = self._answer(route, row_id, dict(parsed))
            if len(self._cache) >= CACHE_CAP:
                self._cache.clear()
            self._cache[key] = answer
        return answer

    def _parse(self, route: Route, args: MultiDict[str, str], user_id: int | None) -> tuple[Any, ...] | BadQuery:
        """The query parameters the route reads, validated, as a hashable key; or a 400 answer."""
        for name in route.required:
            if not args.get(name):
                return BadQuery(_error(name, "Missing data for required field."))
        unknown = [name for name in route.unknown_fields if name in args]
        if unknown:
            return BadQuery((400, dumps({name: ["Unknown field."] for name in unknown})))
        out: list[tuple[str, Any]] = []
        for name, _field in route.filters:
            values = args.getlist(name)
            if values:
                try:
                    out.append((name, tuple(sorted({int(v) for v in values}))))
                except ValueError:
                    return BadQuery(_error(name, "Not a valid integer."))
        for name in route.int_params:
            value = args.get(name)
            if value is not None:
                try:
                    out.append((name, int(value)))
                except ValueError:
                    return BadQuery(_error(name, "Not a valid integer."))
        for name in route.flags:
            value = args.get(name)
            if value is not None:
                lowered = value.strip().lower()
                if lowered not in _TRUE | _FALSE:
                    return BadQuery(_error(name, "Not a valid boolean."))
                out.append((name, lowered in _TRUE))
                if name == "only_my" and lowered in _TRUE:
                    out.append(("me", user_id))
        for name in route.str_params:
            value = args.get(name)
            if value is not None:
                out.append((name, value))
        if route.per_caller:
            out.append(("me", user_id))
        if route.paginated:
            try:
                limit = int(args.get("limit", DEFAULT_LIMIT))
            except ValueError:
                return BadQuery(_error("limit", "Not a valid integer."))
            try:
                offset = int(args.get("offset", 0))
            except ValueError:
                return BadQuery(_error("offset", "Not a valid integer."))
            if not 1 <= limit <= route.max_limit:
                return BadQuery(
                    _error("limit", f"Must be greater than or equal to 1 and less than or equal to {route.max_limit}.")
                )
            if offset < 0:
                return BadQuery(_error("offset", "Must be greater than or equal to 0."))
            out += [("limit", limit), ("offset", offset)]
        return tuple(out)

    def _not_found(self, route: Route, row_id: int | None) -> Counted:
        if route.not_found is None:
            return 404, EMPTY, None
        return (
            404,
            dumps(
                {
                    "details": {"resource_id": row_id, "resource_type": route.not_found},
                    "message": f"{route.not_found} with id {row_id} not found",
                }
            ),
            None,
        )

    def _answer(self, route: Route, row_id: int | None, params: dict[str, Any]) -> Counted:
        if route.shape is Shape.STATIC:
            return 200, dumps(self.static_renderers[route.render]()), None
        if route.shape is Shape.CUSTOM:
            return 200, dumps(self.custom_renderers[route.render](params)), None
        render = self.row_renderers[route.render]
        assert route.table is not None
        if route.shape is Shape.ITEM:
            row = self.ds.get(route.table, row_id) if row_id is not None else None
            return (200, dumps(render(row, params)), None) if row is not None else self._not_found(route, row_id)

        if route.shape is Shape.CHILDREN:
            assert route.parent is not None and route.parent_field is not None
            if row_id is None or self.ds.get(route.parent, row_id) is None:
                return 404, EMPTY, None
            rows = self.frontend.children(route.table, route.parent_field, row_id)
        else:
            rows = self.ds.rows(route.table)
            if route.empty_404 and not rows:
                return 404, EMPTY, None
        if route.select:
            rows = self.selectors[route.select](rows, params)
        for name, field in route.filters:
            wanted = params.get(name)
            if wanted is not None and field:
                rows = [r for r in rows if _matches(r[field], wanted)]
        if route.shape is Shape.PLAIN:
            return 200, dumps([render(r, params) for r in rows]), len(rows)

        limit, offset = params["limit"], params["offset"]
        page = rows[offset : offset + limit]
        items = [render(r, params) for r in page]
        if route.shape is Shape.PLAIN_PAGED:
            return 200, dumps(items), len(items)
        if route.shape is Shape.BLI:
            if not items:
                return 200, dumps([]), 0  # OPS: a page past the end is a bare [] (no `_meta` to carry)
            meta = {
                "total_count": len(rows),
                "number_of_pages": -(-len(rows) // limit),
                "limit": limit,
                "offset": offset,
                "query_parameters": {k: v for k, v in params.items() if k not in ("limit", "offset", "me")},
                **self.views.bli_totals(rows),
            }
            for item in items:
                item["_meta"] = meta
            return 200, dumps(items), len(items)
        body: dict[str, Body] = {"data": items, "count": len(rows), "limit": limit, "offset": offset}
        if route.extras:
            body |= self.extras_renderers[route.extras](rows)
        return 200, dumps(body), len(items)


def _matches(value: Any, wanted: tuple[int, ...]) -> bool:
    """A filter matches when the row's value (or any of its values, for list fields) is wanted."""
    if isinstance(value, list):
        return any(v in wanted for v in value)
    return value in wanted
