"""The page user's planning, without a server: fan-outs, nulls, batches, pages, conditions, tabs."""

from __future__ import annotations

from typing import Any

from ops_perf.users.pages.catalog import CATALOG
from ops_perf.users.pages.person import PersonUser
from ops_perf.users.pages.view import DEFECT_SUFFIX, PLANS, SHELL, TOUR, Result, View


class _Person:
    frontend_defects = False


def view(route: str, responses: dict[str, Any], defects: bool = False, page_id: Any = 7) -> View:
    person = _Person()
    person.frontend_defects = defects
    v = View(person, CATALOG.pages[route], page_id, {"FY": "2027", "oidc": "o-1", "uid": "520", "id": str(page_id)})  # type: ignore[arg-type]
    for key, body in responses.items():
        bodies = body if isinstance(body, tuple) else (body,)
        results = []
        for b in bodies:
            r = Result("x", b"{}", 1.0, 0.0, False)
            r.body = b
            results.append(r)
        v.responses[key] = results
    return v


def call(route: str, url: str) -> Any:
    return next(c for c in CATALOG.pages[route].calls if c.url == url)


def test_spending_sends_one_budget_line_per_distinct_id() -> None:
    cans = [{"id": 1, "budget_line_items": [11, 12, 13]}, {"id": 2, "budget_line_items": [13, 14]}]
    v = view("/portfolios/:id/spending", {"portfolio_cans": cans})
    urls = [u for u, _, _ in v.requests_of(call("/portfolios/:id/spending", "budget-line-items/{item}"))]
    assert urls == [f"/api/v1/budget-line-items/{i}" for i in (11, 12, 13, 14)]


def test_follow_ups_read_each_response_of_a_fan_out() -> None:
    v = view("/portfolios/:id/spending", {"budget_lines": ({"created_by": 5}, {"created_by": 5}, {"created_by": 6})})
    reqs = v.requests_of(next(c for c in CATALOG.pages["/portfolios/:id/spending"].calls if c.wave == 4 and c.each))
    assert [u for u, _, _ in reqs] == ["/api/v1/users/5", "/api/v1/users/6"]


def test_nulls_are_dropped_unless_the_defects_switch_is_on() -> None:
    rows = [{"services_component_id": 3}, {"services_component_id": None}, {"services_component_id": 3}]
    sc = call("/budget-lines", "services-components/{item}")
    assert view("/budget-lines", {"list": rows}).requests_of(sc) == [
        ("/api/v1/services-components/3", "/api/v1/services-components/[id]", False)
    ]
    with_defects = view("/budget-lines", {"list": rows}, defects=True).requests_of(sc)
    assert ("/api/v1/services-components/0", "/api/v1/services-components/0" + DEFECT_SUFFIX, True) in with_defects


def test_a_defect_call_is_off_by_default() -> None:
    bare = call("/agreements/:id", "/api/v1/")
    assert view("/agreements/:id", {}).requests_of(bare) == []
    assert view("/agreements/:id", {}, defects=True).requests_of(bare) == [
        ("/api/v1/", "/api/v1/" + DEFECT_SUFFIX, True)
    ]


def test_more_pages_and_batches() -> None:
    page = "/procurement-dashboard"
    more = next(c for c in CATALOG.pages[page].calls if c.key == "agreements_more")
    first = {"count": 120, "data": [{"id": i} for i in range(50)]}
    v = view(page, {"agreements": first, "agreements_more": ({"data": [{"id": i} for i in range(50, 100)]},)})
    assert [u.rsplit("=", 1)[1] for u, _, _ in v.requests_of(more)] == ["50", "100"]
    trackers = next(c for c in CATALOG.pages[page].calls if c.batch)
    reqs = v.requests_of(trackers)
    assert len(reqs) == 2 and reqs[0][0].endswith("&limit=50") and "agreement_id=0&agreement_id=1&" in reqs[0][0]


def test_conditions_gate_a_call() -> None:
    shops = call("/agreements/:id", "procurement-shops/{item}")
    plain = {"change_requests_in_review": [], "project_officer_id": 1}
    assert view("/agreements/:id", {"agreement": plain}).requests_of(shops) == []
    change = {"has_proc_shop_change": True, "requested_change_diff": {"awarding_entity_id": {"old": 1, "new": 2}}}
    reqs = view("/agreements/:id", {"agreement": {"change_requests_in_review": [change]}}).requests_of(shops)
    assert [u for u, _, _ in reqs] == ["/api/v1/procurement-shops/1", "/api/v1/procurement-shops/2"]


def test_fiscal_year_and_user_placeholders() -> None:
    v = view("/agreements", {})
    assert v.requests_of(call("/agreements", "agreements/?fiscal_year={FY}&limit=25&offset=0"))[0][0] == (
        "/api/v1/agreements/?fiscal_year=2027&limit=25&offset=0"
    )
    previous = call("/cans/:id", "cans/{id}/funding/?fiscal_year={FY-1}")
    assert view("/cans/:id", {}).requests_of(previous)[0][0] == "/api/v1/cans/7/funding/?fiscal_year=2026"
    spending = call("/projects/:id/spending", "agreements/{item}/spending/")
    body = {"agreements_by_fy": {"2027": [3, 4], "2026": [9]}}
    assert [u for u, _, _ in view("/projects/:id/spending", {"spending": body}).requests_of(spending)] == [
        "/api/v1/agreements/3/spending/",
        "/api/v1/agreements/4/spending/",
    ]


def test_plans_add_the_shell_and_keep_layout_calls() -> None:
    for route, plans in PLANS.items():
        shell = plans[0]
        assert shell.call.key == SHELL and shell.call.kept
        assert (shell.needs != ()) == (CATALOG.pages[route].shell_wave == 2)
    assert set(TOUR) == set(CATALOG.pages)
    assert PersonUser.concurrency == 6


def test_a_visit_has_the_catalogs_length() -> None:
    low, high = CATALOG.navigation.views_per_visit
    assert 1 <= low <= high
    assert hasattr(PersonUser, "run_one_arrival")


def test_a_move_is_drawn_as_random_choices_draws_it() -> None:
    """`weighted` keeps running totals per table; the draw stays `random.choices(keys, weights)[0]`."""
    import random

    from ops_perf.users.pages.person import weighted

    nav = CATALOG.navigation
    for table in (nav.land, nav.top, *nav.links.values(), {"only": 3}):
        for seed in range(50):
            random.seed(seed)
            ours = weighted(table)
            random.seed(seed)
            assert ours == random.choices(list(table), weights=list(table.values()))[0]
