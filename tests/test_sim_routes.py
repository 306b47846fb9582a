"""The simulator's route table and its request -> Locust name matcher, checked against the facts file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sim_helpers import facts_rows

from ops_perf.sim.routes import (
    FRONTEND_ROUTES,
    REMOVED_ROUTES,
    ROUTES,
    all_names,
    catalog_names,
    locust_name,
    match,
)


def test_a_route_per_catalog_path_and_the_query_variants() -> None:
    """The simulator serves every request of the endpoint catalog (the test compares; the simulator
    itself never imports the catalog), plus the bare /change-requests/ (which only ever answers 400)."""
    from ops_perf.users.endpoints.catalog import ENDPOINTS, PAGE_ONLY_ENDPOINTS

    assert len({r.name for r in ROUTES}) == len(ROUTES)
    assert len({r.name for r in (*ROUTES, *FRONTEND_ROUTES)}) == len(ROUTES) + len(FRONTEND_ROUTES)
    served = set(all_names())
    assert {ep.locust_name for ep in ENDPOINTS} <= served, "every request of the endpoint user is served"
    assert {ep.locust_name for ep in PAGE_ONLY_ENDPOINTS} <= served
    # the endpoint user's routes are the catalog's (plus the bare /change-requests/, which answers 400)
    assert set(catalog_names()) - {"/api/v1/change-requests/"} <= {ep.locust_name for ep in ENDPOINTS}


def test_route_table_matches_the_facts_file(reference_dir: Path) -> None:
    rows = facts_rows(reference_dir)
    assert len(rows) == 64, "the reference's table has 64 rows: has its layout changed?"
    facts_names = {name for _, _, name, _ in rows}
    assert facts_names <= set(catalog_names()) - {"/api/v1/change-requests/"}


_SECTION_4_ROW = re.compile(r"^\| `([^`]+)`[^|]*\|.*\| (yes|no|n/a) \|$")


def test_the_frontends_extra_endpoints_are_all_served(reference_dir: Path) -> None:
    """frontend-journeys.md section 4: the 15 GET endpoints the frontend uses beyond the catalog."""
    text = (reference_dir / "frontend-journeys.md").read_text(encoding="utf-8")
    section = text.split("## 4.", 1)[1].split("## 5.", 1)[0]
    paths = [m.group(1) for line in section.splitlines() if (m := _SECTION_4_ROW.match(line))]
    assert len(paths) == 15
    for sent in paths:
        path = sent.split("?", 1)[0]
        path = re.sub(r"\{[a-z_]+\}", "7", path)
        full = path if path.startswith("/auth/") else f"/api/v1/{path}"
        found = match(full)
        assert found is not None, sent
        assert found[0] in FRONTEND_ROUTES, sent


@pytest.mark.parametrize(
    ("path", "query", "name"),
    [
        ("/api/v1/cans/", {}, "/api/v1/cans/"),
        ("/api/v1/cans/512", {}, "/api/v1/cans/[id]"),
        ("/api/v1/cans/512/funding/", {}, "/api/v1/cans/[id]/funding/"),
        ("/api/v1/cans/", {"portfolio_id": "3"}, "/api/v1/cans/?portfolio_id=[id]"),
        ("/api/v1/budget-line-items/", {"limit": "10", "offset": "0"}, "/api/v1/budget-line-items/?limit=10&offset=0"),
        # Other paging is timed as the bare route, not as a new name per page.
        ("/api/v1/budget-line-items/", {"limit": "50", "offset": "100"}, "/api/v1/budget-line-items/"),
        ("/api/v1/budget-line-items/", {"can_id": "501"}, "/api/v1/budget-line-items/?can_id=[id]"),
        ("/api/v1/projects/1000/funding/", {"fiscal_year": "2024"}, "/api/v1/projects/[id]/funding/?fiscal_year=[fy]"),
        ("/api/v1/change-requests/", {"userId": "500"}, "/api/v1/change-requests/?userId=[id]"),
        ("/api/v1/lookups/portfolio-status/1", {}, "/api/v1/lookups/portfolio-status/[id]"),
        ("/api/v1/agreements/", {"project_id": "1000", "x": "1"}, "/api/v1/agreements/"),
    ],
)
def test_locust_name_of_a_concrete_request(path: str, query: dict[str, str], name: str) -> None:
    found = match(path)
    assert found is not None
    assert locust_name(found[0], query) == name


def test_ids_are_parsed_and_non_numeric_ids_do_not_match() -> None:
    found = match("/api/v1/agreements/42")
    assert found is not None and found[1] == 42
    assert match("/api/v1/agreements/abc") is None
    assert match("/api/v1/agreements/4²") is None  # unicode digits are not ids


@pytest.mark.parametrize("name", REMOVED_ROUTES)
def test_removed_routes_are_not_served(name: str) -> None:
    assert match(name.split("?")[0].replace("[id]", "7")) is None


def test_every_facts_row_matches_its_own_locust_name(reference_dir: Path) -> None:
    for path, query, name, _ in facts_rows(reference_dir):
        concrete = re.sub(r"\{[a-z_]+\}", "17", path)
        args = dict(part.split("=", 1) for part in query.split("&")) if query else {}
        found = match(concrete)
        assert found is not None, path
        assert locust_name(found[0], args) == name
