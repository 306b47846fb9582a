"""The simulator's dataset and rendered bodies: deterministic, portfolio-sized, consistent relations."""

from __future__ import annotations

import json

import pytest
from werkzeug.datastructures import MultiDict

from ops_perf.sim import data
from ops_perf.sim.api import Api
from ops_perf.sim.routes import FRONTEND_ROUTES, ROUTES, Shape
from ops_perf.sim.seed.org import PORTFOLIOS_WITHOUT_URL


@pytest.fixture(scope="module")
def ds() -> data.Dataset:
    return data.build()


def test_same_seed_same_rows_and_other_seed_other_rows(ds: data.Dataset) -> None:
    assert data.build().tables == ds.tables
    other = data.build(seed=7)
    assert other.ids("budget_line_items") != ds.ids("budget_line_items")


@pytest.mark.parametrize(
    ("table", "low", "high"),
    [
        ("budget_line_items", 900, 1200),  # the seed: ~1,090
        ("agreements", 55, 65),
        ("cans", 35, 45),
        ("projects", 15, 25),
        ("portfolios", 10, 14),
        ("users", 20, 30),
        ("notifications", 90, 110),
        ("divisions", 3, 10),
        ("product_service_codes", 3, 10),
        ("procurement_shops", 3, 10),
        ("agreement_agencies", 3, 10),
        ("research_methodologies", 3, 10),
        ("special_topics", 3, 10),
    ],
)
def test_tables_are_sized_like_a_real_portfolio(ds: data.Dataset, table: str, low: int, high: int) -> None:
    assert low <= len(ds.rows(table)) <= high


def test_ids_are_unique_increasing_and_not_contiguous(ds: data.Dataset) -> None:
    for table in ("budget_line_items", "agreements", "cans", "projects", "users", "notifications"):
        ids = ds.ids(table)
        assert ids == sorted(set(ids)), table
        assert ids[-1] - ids[0] + 1 > len(ids), f"{table} ids are contiguous; guessed ids would never 404"


def test_relations_point_at_existing_rows(ds: data.Dataset) -> None:
    for bli in ds.rows("budget_line_items"):
        assert ds.get("agreements", bli["agreement_id"]) is not None
        can = ds.get("cans", bli["can_id"])
        assert can is not None and bli["portfolio_id"] == can["portfolio_id"]
        if bli["services_component_id"] is not None:
            sc = ds.get("services_components", bli["services_component_id"])
            assert sc["agreement_id"] == bli["agreement_id"]
        assert ds.get("users", bli["created_by"]) is not None
    for can in ds.rows("cans"):
        assert ds.get("portfolios", can["portfolio_id"]) is not None
        assert ds.get("can_funding_details", can["funding_details_id"]) is not None
    for agreement in ds.rows("agreements"):
        assert ds.get("projects", agreement["project_id"]) is not None
    for table in ("can_funding_budgets", "can_funding_received"):
        assert all(ds.get("cans", row["can_id"]) for row in ds.rows(table))
    assert all(
        ds.get("procurement_trackers", s["procurement_tracker_id"]) for s in ds.rows("procurement_tracker_steps")
    )
    for step in ds.rows("procurement_tracker_steps"):
        for field in ("task_completed_by", "approval_requested_by", "requisition_approved_by"):
            assert step[field] is None or ds.get("users", step[field]) is not None
    for table, field, owner in (
        ("agreement_history", "agreement_id", "agreements"),
        ("can_history", "can_id", "cans"),
        ("project_history", "project_id", "projects"),
        ("grant_numbers", "agreement_id", "agreements"),
        ("documents", "agreement_id", "agreements"),
    ):
        assert ds.rows(table), table
        assert all(ds.get(owner, row[field]) for row in ds.rows(table)), table
    for notification in ds.rows("notifications"):
        assert ds.get("users", notification["recipient_id"]) is not None
        assert notification["agreement_id"] is None or ds.get("agreements", notification["agreement_id"])
    # The frontend asks portfolios-url/{portfolio id}: a URL row sits under its portfolio's id, and, as
    # in OPS's seed (7 of 10), the last few portfolios have none (never the heavy first one).
    urls = {u["id"] for u in ds.rows("portfolio_urls")}
    assert all(u["portfolio_id"] == u["id"] for u in ds.rows("portfolio_urls"))
    portfolio_ids = ds.ids("portfolios")
    assert urls == set(portfolio_ids[: len(portfolio_ids) - PORTFOLIOS_WITHOUT_URL])
    assert PORTFOLIOS_WITHOUT_URL == 3 and len(portfolio_ids) == 12


def test_sizes_like_the_seed_where_pages_fan_out(ds: data.Dataset) -> None:
    """The heaviest page (a portfolio's spending tab) fans out to 231 budget lines in the current FY,
    the others to a few dozen; budget lines have five creators and a few lack a services component."""
    per_portfolio: dict[int, int] = {}
    for bli in ds.rows("budget_line_items"):
        if bli["fiscal_year"] == ds.current_fy:
            per_portfolio[bli["portfolio_id"]] = per_portfolio.get(bli["portfolio_id"], 0) + 1
    counts = sorted(per_portfolio.values(), reverse=True)
    assert counts[0] == data.HEAVY_PORTFOLIO_BLIS
    assert 5 <= counts[1] <= 60
    blis = ds.rows("budget_line_items")
    assert len({b["created_by"] for b in blis}) == data.BLI_CREATORS
    nulls = sum(b["services_component_id"] is None for b in blis)
    assert 0 < nulls < 0.1 * len(blis)
    heavy = max(ds.ids("agreements"), key=lambda a: sum(b["agreement_id"] == a for b in blis))
    assert sum(b["agreement_id"] == heavy for b in blis) > 300


def test_fiscal_years_span_the_current_federal_one() -> None:
    from datetime import date

    assert data.federal_fiscal_year(date(2026, 9, 30)) == 2026
    assert data.federal_fiscal_year(date(2026, 10, 1)) == 2027
    pinned = data.build(current_fy=2026)
    assert pinned.current_fy == 2026 and 2026 in pinned.fiscal_years and 2027 in pinned.fiscal_years
    assert {b["fiscal_year"] for b in pinned.rows("budget_line_items")} <= set(pinned.fiscal_years)
    assert data.build(current_fy=2026).tables == pinned.tables


def test_the_seven_test_users_exist_with_roles(ds: data.Dataset) -> None:
    codes = {row["test_code"]: row for row in ds.rows("users") if row["test_code"]}
    assert set(codes) == set(data.TEST_USERS)
    assert all(row["roles"] and row["status"] == "ACTIVE" for row in codes.values())


def test_empty_tables_only_for_the_emptiable_ones() -> None:
    emptied = data.build(empty_tables=["divisions", "product_service_codes"])
    assert emptied.rows("divisions") == [] and emptied.rows("product_service_codes") == []
    assert emptied.rows("cans")
    with pytest.raises(ValueError, match="cannot empty"):
        data.build(empty_tables=["cans"])


def test_every_route_renders_valid_json_for_a_real_id(ds: data.Dataset) -> None:
    api = Api(ds)
    for route in (*ROUTES, *FRONTEND_ROUTES):
        row_id = ds.ids(route.parent or route.table)[0] if route.shape in (Shape.ITEM, Shape.CHILDREN) else None
        args = MultiDict({name: "500" for name in route.required})
        status, body = api.respond(route, row_id, args)
        assert status == 200, route.name
        json.loads(body)


def test_bodies_are_served_from_cache_not_re_rendered(ds: data.Dataset) -> None:
    api = Api(ds)
    route = next(r for r in ROUTES if r.name == "/api/v1/agreements/")
    first = api.respond(route, None, MultiDict())
    assert api.respond(route, None, MultiDict({"unrelated": "x"}))[1] is first[1]
