"""The simulator plays the whole frontend's API: every page-load GET of ops-responses.md, real process.

Each row of ops-responses.md's endpoint table (measured on a real OPS) is replayed against a running
`python -m ops_perf.sim` with ids taken from the simulator's own data: the status must be OPS's, the
shape OPS's (plain list, wrapped list, object with the listed keys) and every field a fan-out reads
(the table's JSON paths) must be there. Then the links: the follow-ups a page computes from one
body find their ids in the next (portfolio -> CANs -> budget lines -> services components, agreement
-> budget lines -> users, project -> spending -> agreements).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from sim_helpers import SimProcess, start_sim

pytestmark = pytest.mark.e2e

KEY = "sim-frontend-test-key-at-least-32-bytes"
_ROW = re.compile(r"^\| (\d+) \| `([^`]+)` \| (`[^`]+`|=) \| (\d{3}) \| [\d.]+ \| \d+ \| ([^|]+) \| (.*) \|$")
_SKIP = {"azure/sas-token"}  # defined in the frontend but never called; OPS answers a 308 HTML redirect
_FIELD = re.compile(
    r"^[a-z_][\w]*(?:\[\d*\])?(?:\.[A-Za-z_]\w*(?:\[\d*\])?)*$|^\[\d*\](?:\.[A-Za-z_]\w*(?:\[\d*\])?)+$"
)


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_sim("healthy", time_scale=0.0, extra_args=["--jwt-key", KEY]) as process:
        yield process


@pytest.fixture(scope="module")
def me(sim: SimProcess) -> dict[str, Any]:
    body = sim.login("system_owner")
    return {"token": body["access_token"], "id": body["user"]["id"], "oidc": body["user"]["oidc_id"]}


def table(sim: SimProcess, name: str, **where: Any) -> list[dict[str, Any]]:
    response = sim.get(f"/__sim__/data/{name}", params=where)
    response.raise_for_status()
    return list(response.json()["rows"])


def _rows(reference_dir: Path) -> list[tuple[str, str, int, str, str]]:
    text = (reference_dir / "ops-responses.md").read_text(encoding="utf-8")
    section = text.split("## 1.", 1)[1].split("## 2.", 1)[0]
    out = []
    for line in section.splitlines():
        found = _ROW.match(line)
        if found:
            template, status, shape, fields = found.group(2), int(found.group(4)), found.group(5), found.group(6)
            out.append((found.group(1), template, status, shape.strip(), fields))
    return out


_ID_TABLES = {
    "agreements": "agreements",
    "users": "users",
    "budget-line-items": "budget_line_items",
    "cans": "cans",
    "procurement-shops": "procurement_shops",
    "services-components": "services_components",
    "portfolios": "portfolios",
    "portfolio-funding-summary": "portfolios",
    "portfolios-url": "portfolios",
    "projects": "projects",
    "grant-numbers": "grant_numbers",
    "divisions": "divisions",
}
_QUERY_TABLES = {"agreement_id": "agreements", "portfolio_id": "portfolios", "portfolio_ids": "portfolios"}


def _picks(sim: SimProcess, me: dict[str, Any]) -> dict[str, Any]:
    """Ids to fill templates with: ones whose bodies have something in them (a tracker, a history)."""
    trackers = {t["agreement_id"] for t in table(sim, "procurement_trackers")}
    with_trackers = [a for a in table(sim, "agreements") if a["id"] in trackers]
    return {
        "agreement_name": with_trackers[0]["name"],
        "tracked": [t["agreement_id"] for t in table(sim, "procurement_trackers")[:3]],
        "agreements": with_trackers[0]["id"],
        "users": me["id"],
        "budget_line_items": table(sim, "budget_line_items")[0]["id"],
        "cans": max(table(sim, "can_history"), key=lambda h: h["can_id"])["can_id"],
        "procurement_shops": table(sim, "procurement_shops")[0]["id"],
        "services_components": table(sim, "services_components")[0]["id"],
        "portfolios": table(sim, "portfolios")[0]["id"],
        "projects": table(sim, "projects")[0]["id"],
        "grant_numbers": table(sim, "grant_numbers")[0]["id"],
        "divisions": table(sim, "divisions")[0]["id"],
    }


def _concrete(template: str, picks: dict[str, Any], me: dict[str, Any], fy: int) -> str:
    """The template with the simulator's ids."""
    path = template.split(" (", 1)[0]
    if path.startswith("bare "):
        return "/api/v1/"
    if path.startswith("procurement-trackers/?agreement_id={a1}"):
        ids = picks["tracked"]
        path = "procurement-trackers/?" + "&".join(f"agreement_id={i}" for i in ids) + f"&limit={len(ids)}"
    first = path.split("/", 1)[0]

    def fill(match: re.Match[str]) -> str:
        return (match.group(1) or "") + value(match)

    def value(match: re.Match[str]) -> str:
        name, key = match.group(2), match.group(1)
        if name == "oidc":
            return quote(me["oidc"])
        if name == "uid":
            return str(me["id"])
        if name.startswith("FY"):
            return str(fy - int(name[3:] or 0))
        if name == "name":
            return quote(picks["agreement_name"])
        if name == "agreement_id" or (key and _QUERY_TABLES.get(key[:-1]) == "agreements"):
            return str(picks["agreements"])
        if name == "can_id":
            return str(picks["cans"])
        if name == "division_id":
            return str(picks["divisions"])
        if name == "division_director_id":
            return str(me["id"])
        if key and key[:-1] in _QUERY_TABLES:
            return str(picks[_QUERY_TABLES[key[:-1]]])
        return str(picks[_ID_TABLES[first]])

    path = re.sub(r"(\w+=)?\{([A-Za-z_]+(?:-\d)?)\}", fill, path)
    return path if path.startswith("/") else f"/api/v1/{path}"


def _check_shape(shape: str, body: Any, where: str) -> None:
    if shape.startswith("list("):
        assert isinstance(body, list), where
    elif shape.startswith("obj data="):
        assert isinstance(body, dict) and isinstance(body.get("data"), list) and "count" in body, where
        extras = re.search(r"\+([\w,]+)", shape)
        if extras:
            assert set(extras.group(1).split(",")) <= set(body), where
    elif shape.startswith("obj{"):
        keys = set(shape[4 : shape.index("}")].split(","))
        assert isinstance(body, dict) and keys <= set(body), f"{where}: missing {keys - set(body or {})}"
    elif shape.startswith("obj("):
        assert isinstance(body, dict), where
    elif shape == "`{}`":
        assert body == {}, where
    else:
        raise AssertionError(f"{where}: unknown shape {shape!r}")


def _has(body: Any, path: str) -> bool:
    """True when the JSON path (`data[].x.y`, `[0].id`, `x`) resolves, vacuously through empty lists."""
    current = [body]
    for segment in re.findall(r"[A-Za-z_]\w*|\[\d*\]", path):
        nxt: list[Any] = []
        for value in current:
            if segment.startswith("["):
                if not isinstance(value, list):
                    return False
                nxt += value[: 1 if segment == "[0]" else None]
            elif isinstance(value, list):
                for item in value:
                    if not isinstance(item, dict) or segment not in item:
                        return False
                    nxt.append(item[segment])
            elif isinstance(value, dict):
                if segment not in value:
                    return False
                nxt.append(value[segment])
            elif value is None:
                continue  # a null relation (e.g. no alternate officer) has nothing below it
            else:
                return False
        current = nxt
    return True


def test_every_page_load_get_of_ops_responses(sim: SimProcess, me: dict[str, Any], reference_dir: Path) -> None:
    fy = sim.get("/__sim__/info").json()["current_fiscal_year"]
    rows = _rows(reference_dir)
    assert len(rows) >= 90  # 94 URLs in the table
    checked = 0
    picks = _picks(sim, me)
    for number, template, status, shape, fields in rows:
        if template in _SKIP:
            continue
        url = _concrete(template, picks, me, fy)
        response = sim.get(url, me["token"])
        where = f"row {number} {template} -> {url}"
        assert response.status_code == status, f"{where}: {response.status_code} {response.text[:200]}"
        body = response.json()
        _check_shape(shape, body, where)
        for token in re.findall(r"`([^`]+)`", re.sub(r"\([^)]*\)", "", fields)):  # (asides) are prose
            token = token.split("=", 1)[0]
            bare = "." not in token and "[" not in token
            if bare and isinstance(body, dict) and "data" in body:
                continue  # prose about the items ("objects holding only `id`"), not a top-level key
            if _FIELD.match(token) and response.status_code == 200:
                assert _has(body, token), f"{where}: no field {token}"
        checked += 1
    assert checked >= 90


def test_a_portfolio_spending_view_finds_every_budget_line_it_asks_for(sim: SimProcess, me: dict[str, Any]) -> None:
    """portfolio -> its CANs in the FY -> each budget line -> its services component, creator, CAN."""
    fy = sim.get("/__sim__/info").json()["current_fiscal_year"]
    token = me["token"]
    sizes = []
    for portfolio in table(sim, "portfolios"):
        pid = portfolio["id"]
        cans = sim.get(f"/api/v1/portfolios/{pid}/cans/?budgetFiscalYear={fy}&includeInactive=true", token).json()
        ids = sorted({b for can in cans for b in can["budget_line_items"]})
        expected = sim.get("/__sim__/data/portfolio-budget-lines", params={"portfolio_id": pid, "fiscal_year": fy})
        assert ids == expected.json()["budget_line_item_ids"], pid
        sizes.append(len(ids))
        for bli_id in ids[:40]:
            bli = sim.get(f"/api/v1/budget-line-items/{bli_id}", token)
            assert bli.status_code == 200, bli_id
            body = bli.json()
            assert body["fiscal_year"] == fy and body["portfolio_id"] == pid
            assert sim.get(f"/api/v1/users/{body['created_by']}", token).status_code == 200
            assert sim.get(f"/api/v1/cans/{body['can_id']}", token).status_code == 200
            if body["services_component_id"] is not None:
                assert sim.get(f"/api/v1/services-components/{body['services_component_id']}", token).ok
    assert max(sizes) == 231  # the seed's heaviest spending tab


def test_agreement_and_project_pages_find_their_follow_ups(sim: SimProcess, me: dict[str, Any]) -> None:
    token, fy = me["token"], sim.get("/__sim__/info").json()["current_fiscal_year"]
    page = sim.get(f"/api/v1/agreements/?fiscal_year={fy}&limit=25&offset=0", token).json()
    assert 0 < len(page["data"]) <= 25 and page["count"] >= len(page["data"])
    for item in page["data"][:10]:
        agreement = sim.get(f"/api/v1/agreements/{item['id']}", token).json()
        assert any(b["fiscal_year"] == fy for b in agreement["budget_line_items"])
        for user in {agreement["project_officer_id"], agreement["alternate_project_officer_id"]} - {None}:
            assert sim.get(f"/api/v1/users/{user}", token).status_code == 200
        for bli in agreement["budget_line_items"]:
            assert sim.get(f"/api/v1/users/{bli['created_by']}", token).status_code == 200
        scs = sim.get(f"/api/v1/services-components/?agreement_id={item['id']}", token).json()
        assert all(sc["agreement_id"] == item["id"] for sc in scs)
        trackers = sim.get(f"/api/v1/procurement-trackers/?agreement_id={item['id']}", token).json()["data"]
        for step in (s for t in trackers for s in t["steps"]):
            if step["task_completed_by"] is not None:
                assert sim.get(f"/api/v1/users/{step['task_completed_by']}", token).status_code == 200
    project = table(sim, "projects")[0]["id"]
    spending = sim.get(f"/api/v1/projects/{project}/spending/", token).json()
    agreement_ids = [a for ids in spending["agreements_by_fy"].values() for a in ids]
    assert agreement_ids
    for agreement_id in agreement_ids:
        assert "fy_total" in sim.get(f"/api/v1/agreements/{agreement_id}/spending/", token).json()


def test_query_strings_the_frontend_sends_are_honoured(sim: SimProcess, me: dict[str, Any]) -> None:
    token, uid, fy = me["token"], me["id"], sim.get("/__sim__/info").json()["current_fiscal_year"]
    blis = table(sim, "budget_line_items")
    # budget-line-items: paging at 25, fees, a fiscal year, only mine.
    page = sim.get("/api/v1/budget-line-items/?limit=25&offset=0&include_fees=true", token).json()
    assert len(page) == 25 and page[0]["_meta"]["total_count"] == len(blis)
    assert sim.get(f"/api/v1/budget-line-items/?offset={len(blis) + 5}&limit=25", token).json() == []
    by_fy = sim.get(f"/api/v1/budget-line-items/?fiscal_year={fy}&limit=25&offset=0", token).json()
    assert by_fy[0]["_meta"]["total_count"] == sum(b["fiscal_year"] == fy for b in blis)
    mine = sim.get("/api/v1/budget-line-items/?limit=25&offset=0&only_my=true&include_fees=true", token).json()
    assert 0 < mine[0]["_meta"]["total_count"] < len(blis)
    # agreements: by fiscal year, only mine; cans by fiscal year; notifications of one user.
    everything = sim.get("/api/v1/agreements/?limit=25&offset=0", token).json()["count"]
    in_fy = sim.get(f"/api/v1/agreements/?fiscal_year={fy}&limit=25&offset=0", token).json()["count"]
    my = sim.get(f"/api/v1/agreements/?fiscal_year={fy}&only_my=true&limit=25&offset=0", token).json()["count"]
    assert everything > in_fy >= my > 0
    assert sim.get(f"/api/v1/cans/?fiscal_year={fy}&limit=25&offset=0", token).json()["count"] < len(table(sim, "cans"))
    notes = sim.get(f"/api/v1/notifications/?oidc_id={me['oidc']}", token).json()
    assert notes and all(n["recipient"]["id"] == uid for n in notes)
    unread = sim.get(f"/api/v1/notifications/?oidc_id={me['oidc']}&is_read=False", token).json()
    assert all(not n["is_read"] for n in unread) and len(unread) <= len(notes)
    users = sim.get("/api/v1/users/?exclude_read_only=true&exclude_system_admin=true", token).json()
    everyone = table(sim, "users")
    kept = [u["id"] for u in everyone if not {"READ_ONLY", "SYSTEM_OWNER"} & set(u["roles"])]
    assert [u["id"] for u in users] == kept and 0 < len(kept) < len(everyone)
    assert all(set(u) == {"id", "full_name"} for u in users)  # OPS's user list: names only
    myself = sim.get(f"/api/v1/users/?oidc_id={me['oidc']}", token).json()
    assert [u["id"] for u in myself] == [uid] and myself[0]["roles"][0]["name"]  # "who am I": the full user
    other = next(u["id"] for u in everyone if u["id"] != uid)
    assert set(sim.get(f"/api/v1/users/{other}", token).json()) == {"id", "full_name"}
    assert sim.get(f"/api/v1/users/{uid}", token).json()["oidc_id"] == me["oidc"]
    # change-requests take limit=1000 (no cap at 50); other lists refuse 51.
    assert sim.get(f"/api/v1/change-requests/?userId={uid}&limit=1000&offset=0", token).status_code == 200
    assert sim.get("/api/v1/cans/?limit=51", token).status_code == 400
    refused = sim.get("/api/v1/users/?limit=25&offset=0", token)
    assert (refused.status_code, refused.json()) == (400, {"limit": ["Unknown field."], "offset": ["Unknown field."]})
    assert sim.get("/api/v1/cans/?limit=50&offset=0", token).json()["limit"] == 50
    history = sim.get(f"/api/v1/cans/{table(sim, 'cans')[0]['id']}/history/?limit=51", token)
    assert history.status_code == 400
    agencies = sim.get("/api/v1/agreement-agencies/?requesting=true&limit=50&offset=0", token).json()
    assert agencies and all(a["requesting"] for a in agencies)


def test_admin_data_and_the_log_fields(sim: SimProcess, me: dict[str, Any]) -> None:
    info = sim.get("/__sim__/info").json()
    assert info["profile"] == "healthy" and info["current_fiscal_year"] in info["fiscal_years"]
    assert sim.get("/__sim__/data/nope").status_code == 404
    assert sim.get("/__sim__/data/portfolio-budget-lines").status_code == 400
    sim.reset()
    sim.get("/api/v1/vendors/", me["token"])
    sim.get("/auth/roles/", me["token"])
    log = sim.requests()
    assert [e["name"] for e in log] == ["/api/v1/vendors/", "/auth/roles/"]
    assert all(e["t_end"] >= e["t"] and e["queued_ms"] == 0 for e in log)
