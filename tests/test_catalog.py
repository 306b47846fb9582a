"""The catalog against the OPS API's own spec and the team's endpoint table (both read in place)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops_perf import catalog
from ops_perf.catalog import API, ENDPOINTS, POOLS, catalog_fingerprint, pools_in_use

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
    assert len(rows) == 64
    assert len(ENDPOINTS) == len(rows)
    for ep, row in zip(ENDPOINTS, rows, strict=True):
        assert ep.path == row["path"], row["n"]
        assert ep.query == ("" if row["query"] == "—" else row["query"]), row["n"]
        assert ep.locust_name == row["name"], row["n"]
        assert ep.weight == int(row["weight"]), row["n"]
        assert (ep.pool or "—") == row["pool"], row["n"]


def test_at_least_46_distinct_endpoints_and_unique_names() -> None:
    assert len(catalog.distinct_routes()) >= 46
    names = [ep.locust_name for ep in ENDPOINTS]
    assert len(names) == len(set(names)) == 64


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
    changed = (*ENDPOINTS[:-1], catalog.Endpoint(ENDPOINTS[-1].path, ENDPOINTS[-1].weight + 1))
    assert catalog_fingerprint(changed) != catalog_fingerprint()


def test_validate_rejects_a_pool_without_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    bad = (*ENDPOINTS, catalog.Endpoint("/api/v1/x/", 1, "can_ids"))
    monkeypatch.setattr(catalog, "ENDPOINTS", bad)
    with pytest.raises(ValueError, match="placeholder"):
        catalog.validate()
