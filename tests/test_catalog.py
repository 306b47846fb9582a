"""The catalog against the OPS API's own spec and the team's endpoint table (both read in place)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops_perf.users.endpoints import catalog
from ops_perf.users.endpoints.catalog import API, ENDPOINTS, POOLS, catalog_fingerprint, pools_in_use

PATH_LINE = re.compile(r"^  (/\S*):\s*$")
METHOD_LINE = re.compile(r"^    (get|post|put|patch|delete):\s*$")


def openapi_gets(spec: Path) -> set[str]:
    """GET paths of the spec, placeholders normalised to `{}` (a line scan: the spec's layout is fixed)."""
    gets: set[str] = set()
    current = None
    for line in spec.read_text(encoding="utf-8").splitlines():
        if m := PATH_LINE.match(line):
            current = re.sub(r"\{[^}]+\}", "{}", m.group(1))
        elif (m := METHOD_LINE.match(line)) and current and m.group(1) == "get":
            gets.add(current)
        elif line and not line.startswith(" "):
            current = None
    return gets


def facts_rows(facts: Path) -> list[dict[str, str]]:
    """The 64-row endpoint table of ops-api-facts.md."""
    rows = []
    for line in facts.read_text(encoding="utf-8").splitlines():
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if len(cells) == 6 and cells[0].isdigit():
            rows.append(dict(zip(("n", "path", "query", "name", "weight", "pool"), cells, strict=True)))
    return rows


def test_every_catalog_path_is_a_get_in_the_openapi_spec(reference_dir: Path) -> None:
    gets = openapi_gets(reference_dir / "ops-openapi.yml")
    assert len(gets) > 50, "the line scan found too few paths: has the spec's layout changed?"
    missing = []
    for ep in ENDPOINTS:
        relative = re.sub(r"\{[^}]+\}", "{}", ep.path.removeprefix(API))
        relative = relative.replace("/lookups/portfolio-status/1", "/lookups/portfolio-status/{}")
        if relative not in gets:
            missing.append(ep.path)
    assert missing == []


def test_pool_list_endpoints_are_gets_in_the_spec(reference_dir: Path) -> None:
    gets = openapi_gets(reference_dir / "ops-openapi.yml")
    assert [p.list_path for p in POOLS.values() if p.list_path.removeprefix(API) not in gets] == []


def test_catalog_matches_the_facts_table_row_for_row(reference_dir: Path) -> None:
    rows = facts_rows(reference_dir / "ops-api-facts.md")
    assert len(rows) == 64, "the reference's table has 64 rows: has its layout changed?"
    # The facts file's rows come first, in its order; a team's own additions (README, "Add an
    # endpoint") follow them and are checked against the OpenAPI spec like the rest.
    assert len(ENDPOINTS) >= len(rows)
    for ep, row in zip(ENDPOINTS, rows, strict=False):
        assert ep.path == row["path"], row["n"]
        assert ep.query == ("" if row["query"] == "—" else row["query"]), row["n"]
        assert ep.locust_name == row["name"], row["n"]
        assert ep.weight == int(row["weight"]), row["n"]
        assert (ep.pool or "—") == row["pool"], row["n"]


def test_at_least_46_distinct_endpoints_and_unique_names() -> None:
    assert len(catalog.distinct_routes()) >= 46
    names = [ep.locust_name for ep in ENDPOINTS]
    assert len(names) == len(set(names)) == len(ENDPOINTS)


def test_names_follow_the_historic_convention() -> None:
    names = catalog.by_name()
    assert "/api/v1/projects/[id]/funding/?fiscal_year=[fy]" in names
    assert "/api/v1/budget-line-items/?limit=10&offset=0" in names
    assert "/api/v1/change-requests/?userId=[id]" in names
    assert all("{" not in n for n in names)


def test_every_detail_pool_has_a_list_endpoint() -> None:
    used = pools_in_use()
    assert set(used) == {ep.pool for ep in ENDPOINTS if ep.pool}
    assert all(p.list_path.startswith(API) and p.list_path.endswith("/") for p in used.values())


def test_fingerprint_is_stable_and_sensitive() -> None:
    assert catalog_fingerprint() == catalog_fingerprint()
    assert catalog_fingerprint(mix="weighted") == catalog_fingerprint()  # historic runs keep theirs
    assert catalog_fingerprint(mix="even") != catalog_fingerprint()  # another mix, other requests
    changed = (*ENDPOINTS[:-1], catalog.Endpoint(ENDPOINTS[-1].path, ENDPOINTS[-1].weight + 1))
    assert catalog_fingerprint(changed) != catalog_fingerprint()


def test_validate_rejects_a_pool_without_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = (*ENDPOINTS, catalog.Endpoint("/api/v1/x/", 1, "can_ids"))
    monkeypatch.setattr(catalog, "ENDPOINTS", bad)
    with pytest.raises(ValueError, match="placeholder"):
        catalog.validate()


def journeys_missing_table(journeys: Path) -> list[tuple[str, bool | None]]:
    """Section 4 of frontend-journeys.md: (path as sent, in openapi: True/False/None for n/a)."""
    rows, inside = [], False
    for line in journeys.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            inside = line.startswith("## 4.")
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if inside and len(cells) == 4 and cells[0].startswith("`"):
            rows.append((cells[0].strip("`"), {"yes": True, "no": False}.get(cells[3])))
    return rows


def _route_of(sent: str) -> str:
    """`cans/{id}/history/?limit=5..` -> `/api/v1/cans/{}/history/` (`/auth/..` stays outside /api/v1)."""
    path = sent.split(" ")[0].strip("`").split("?")[0]
    path = re.sub(r"\{[^}]+\}", "{}", path)
    return path if path.startswith("/") else f"{API}/{path}"


def test_the_fifteen_frontend_endpoints_join_the_catalog(reference_dir: Path) -> None:
    rows = journeys_missing_table(reference_dir / "frontend-journeys.md")
    assert len(rows) == 15, "frontend-journeys.md section 4 should list 15 endpoints"
    page_only = {re.sub(r"\{[^}]+\}", "{}", ep.path) for ep in catalog.PAGE_ONLY_ENDPOINTS}
    assert {_route_of(sent) for sent, _ in rows} == page_only
    assert len(catalog.PAGE_ONLY_ENDPOINTS) == 15
    for sent, in_spec in rows:
        ep = next(e for e in catalog.PAGE_ONLY_ENDPOINTS if re.sub(r"\{[^}]+\}", "{}", e.path) == _route_of(sent))
        assert (ep.locust_name not in catalog.NOT_IN_OPENAPI) == bool(in_spec), sent


def test_page_only_endpoints_are_in_the_spec_unless_named_as_missing(reference_dir: Path) -> None:
    gets = openapi_gets(reference_dir / "ops-openapi.yml")
    for ep in catalog.PAGE_ONLY_ENDPOINTS:
        relative = re.sub(r"\{[^}]+\}", "{}", ep.path.removeprefix(API))
        assert (relative in gets) == (ep.locust_name not in catalog.NOT_IN_OPENAPI), ep.locust_name


def test_page_only_endpoints_leave_the_endpoint_mix_alone() -> None:
    assert all(ep.weight == 0 for ep in catalog.PAGE_ONLY_ENDPOINTS)
    assert set(catalog.by_name()) == {ep.locust_name for ep in catalog.ALL_ENDPOINTS}
    assert len(catalog.by_name()) == len(ENDPOINTS) + len(catalog.PAGE_ONLY_ENDPOINTS)
    names = set(catalog.by_name(ENDPOINTS))
    assert not names & {ep.locust_name for ep in catalog.PAGE_ONLY_ENDPOINTS}
    assert all("{" not in n and "?" not in n for n in (ep.locust_name for ep in catalog.PAGE_ONLY_ENDPOINTS))


def test_validate_rejects_a_weighted_page_only_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = (*catalog.PAGE_ONLY_ENDPOINTS, catalog.Endpoint("/api/v1/x/", 2))
    monkeypatch.setattr(catalog, "PAGE_ONLY_ENDPOINTS", bad)
    with pytest.raises(ValueError, match="weight 0"):
        catalog.validate()


def test_designed_answers_are_per_endpoint_and_leave_the_fingerprint_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    names = catalog.by_name()
    url = names["/api/v1/portfolios-url/[id]"]
    assert url.designed_statuses == (404,) and url.designed_note
    assert names["/api/v1/users/[id]"].designed_statuses == () and names["/api/v1/users/[id]"].designed_note == ""
    before = catalog_fingerprint()
    monkeypatch.setattr(catalog, "DESIGNED_ANSWERS", {})
    assert catalog_fingerprint() == before  # facts about OPS's answers, not the requests a run made
    assert url.designed_statuses == ()


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"/api/v1/nope/": catalog.DesignedAnswer((404,), "x", "f")}, "lacks"),
        ({"/api/v1/portfolios-url/[id]": catalog.DesignedAnswer((200,), "x", "f")}, "error statuses"),
        ({"/api/v1/portfolios-url/[id]": catalog.DesignedAnswer((404,), "", "f")}, "with a note"),
        ({}, "empty_is_404"),
    ],
)
def test_validate_rejects_a_broken_designed_answer(
    monkeypatch: pytest.MonkeyPatch, answers: dict[str, catalog.DesignedAnswer], message: str
) -> None:
    monkeypatch.setattr(catalog, "DESIGNED_ANSWERS", answers)
    with pytest.raises(ValueError, match=message):
        catalog.validate()
