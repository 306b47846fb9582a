"""What `ops-perf diagnose` plans before sending anything: the catalog's kinds, URLs, and the budget.

The end-to-end proof that it never sends more than the printed budget is in
tests/e2e/test_diagnose_e2e.py (counted in the simulator's log); these hold the planning to it.
"""

from __future__ import annotations

import pytest

from ops_perf.diagnose import catalog, plan
from ops_perf.diagnose.client import Budget, BudgetSpent, rows_of
from ops_perf.errors import OpsPerfError


def test_kinds_and_urls_come_from_the_catalog() -> None:
    detail = catalog.TARGETS["/api/v1/agreements/[id]"]
    assert (detail.kind, detail.pool, detail.url(114)) == ("detail", "agreement_ids", "/api/v1/agreements/114")
    listed = catalog.TARGETS["/api/v1/budget-line-items/?limit=10&offset=0"]
    assert listed.kind == "list" and listed.url(limit=50) == "/api/v1/budget-line-items/?limit=50&offset=0"
    assert catalog.TARGETS["/api/v1/cans/"].url(limit=25) == "/api/v1/cans/?limit=25&offset=0"
    assert catalog.TARGETS["/api/v1/portfolios/"].kind == "other"  # a plain list: OPS does not page it
    by_query = catalog.TARGETS["/api/v1/budget-line-items/?agreement_id=[id]"]
    assert by_query.kind == "detail" and by_query.url(9) == "/api/v1/budget-line-items/?agreement_id=9"
    assert catalog.TARGETS["/api/v1/reporting-summary/"].url().startswith("/api/v1/reporting-summary/?fiscal_year=")


def test_an_unknown_name_is_one_line_that_says_where_names_come_from() -> None:
    with pytest.raises(OpsPerfError, match=r"--endpoint '/api/v1/agreement/\[id\]' is not an endpoint of the catalog"):
        catalog.resolve(["/api/v1/agreement/[id]"])


def _targets(*names: str) -> list[catalog.Target]:
    return catalog.resolve(names)


def test_the_fullest_plan_that_fits_and_its_count() -> None:
    targets = _targets("/api/v1/agreements/[id]", "/api/v1/budget-line-items/", "/api/v1/version/")
    ids = {"agreement_ids": list(range(61))}
    chosen = plan.plan(targets, ids, available=400, in_flight=8)
    assert chosen.step == plan.STEPS[0] and not chosen.left_out
    by_name = {p.name: p for p in chosen.endpoints}
    sweep = 6 + 2 * (2 + 4 + 8)  # six alone, then two per slot at 2, 4 and 8 in flight
    assert len(by_name["/api/v1/agreements/[id]"].records) == 61
    assert by_name["/api/v1/agreements/[id]"].requests == 61 + 3 * 2 + sweep  # the 3 slowest asked twice more
    assert by_name["/api/v1/budget-line-items/"].requests == 3 * 3 + sweep
    assert by_name["/api/v1/version/"].requests == sweep
    assert chosen.requests == (61 + 6 + sweep) + (9 + sweep) + sweep


def test_a_small_budget_steps_down_then_leaves_endpoints_out_by_name() -> None:
    targets = _targets("/api/v1/agreements/[id]", "/api/v1/cans/[id]", "/api/v1/version/")
    ids = {"agreement_ids": list(range(61)), "can_ids": list(range(40))}
    chosen = plan.plan(targets, ids, available=200, in_flight=8)
    assert chosen.requests <= 200 and not chosen.left_out and chosen.step == plan.STEPS[1], "middle levels go first"
    assert [len(p.records) for p in chosen.endpoints] == [61, 40, 0] and chosen.endpoints[0].levels == (1, 8)
    fewer = plan.plan(targets, ids, available=120, in_flight=8)
    assert fewer.requests <= 120 and not fewer.left_out and len(fewer.endpoints[0].records) < 61
    tight = plan.plan(targets, ids, available=60, in_flight=8)
    # the smallest sizes: 8 records, 6 re-asked, and the sweep's two ends (6 alone, 16 at 8 in flight):
    # 36 for a detail endpoint, 22 for version/; cans/[id] no longer fits after agreements, version/ does
    assert tight.requests <= 60 and tight.left_out == ["/api/v1/cans/[id]"]
    assert [p.name for p in tight.endpoints] == ["/api/v1/agreements/[id]", "/api/v1/version/"]
    assert all(p.levels == (1, 8) for p in tight.endpoints)


def test_levels_spread_and_harvest_bounds() -> None:
    assert plan.levels(8) == (1, 2, 4, 8) and plan.levels(3) == (1, 2, 3) and plan.levels(1) == (1,)
    assert plan.spread(list(range(10)), 20) == list(range(10))
    spread = plan.spread(list(range(100)), 10)
    assert spread == list(range(0, 100, 10))
    assert plan.harvest_requests(["agreement_ids", "portfolio_ids"]) == 2 + 1  # paged by 50 up to 100; plain: one


def test_the_budget_refuses_the_request_beyond_it() -> None:
    budget = Budget(2)
    budget.take()
    budget.take()
    with pytest.raises(BudgetSpent):
        budget.take()
    assert budget.used == 2 and budget.left == 0


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ([1, 2, 3], (3, "items")),
        ({"data": [1, 2], "count": 9}, (2, "data")),
        ({"id": 1, "budget_line_items": [1] * 333, "team_members": [1, 2]}, (333, "budget_line_items")),
        ({"id": 1}, (None, None)),
        (None, (None, None)),
    ],
)
def test_rows_are_the_answers_longest_list(body: object, expected: tuple[object, object]) -> None:
    assert rows_of(body) == expected
