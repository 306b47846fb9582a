"""Planted causes of slowness, in-process: validation, the row counts and formulas they are priced by.

The timing claims (ms per row recovered from a page-size sweep, a serialised route's flat
throughput, the health pool under load, real SQL) are proven over HTTP against real processes in
`test_sim_causes_http.py` and `test_sim_causes_sql.py`; here the exact arithmetic behind them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from werkzeug.datastructures import MultiDict

from ops_perf.sim import data, profiles
from ops_perf.sim.api import Api
from ops_perf.sim.app import SimConfig, Simulator, create_app
from ops_perf.sim.causes import EMBEDDED, LOGIN_PAGE, CauseError, Causes, RowCounter, build
from ops_perf.sim.pool import PoolGauge, health_body
from ops_perf.sim.routes import ROUTES_BY_NAME, match
from ops_perf.sim.sql import SqlError, plan_for, redact
from ops_perf.sim.tokens import mint

KEY = "sim-causes-unit-test-key-at-least-32-bytes"
TOKEN = mint(KEY, "00000000-0000-1111-a111-000000000500", lifetime_s=3600)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture(scope="module")
def ds() -> data.Dataset:
    return data.build(data.DEFAULT_SEED, current_fy=2026)


def _client(**config: Any) -> tuple[Simulator, Any]:
    sim = Simulator(SimConfig(jwt_key=KEY, time_scale=0.001, **config))  # > 0: a ceiling of 0 s is a 504
    return sim, create_app(sim).test_client()


# ---- the profile keys and flags -----------------------------------------------------------------
def test_profile_keys_plant_causes_and_bad_ones_are_refused_with_the_reason(tmp_path: Path) -> None:
    causes = profiles.load("causes").causes
    assert causes.per_row_ms == {"/api/v1/budget-line-items/": 2.0, "/api/v1/agreements/[id]": 1.0}
    assert causes.n_plus_one == ("/api/v1/agreements/[id]",) and causes.serialised == {"/api/v1/cans/[id]": 1}
    assert profiles.load("healthy").causes == Causes()
    bad = {
        '{"per_row_ms": {"/api/v1/nope/": 1}}': "unknown endpoint name '/api/v1/nope/'",
        '{"per_row_ms": {"/api/v1/health/": 1}}': "answers no rows to price",
        '{"per_row_ms": {"/api/v1/cans/": -1}}': "milliseconds must be >= 0",
        '{"serialised": {"/api/v1/cans/[id]": 0}}': "whole number of requests >= 1",
        '{"serialised": {"/api/v1/cans/[id]": 1.5}}': "whole number of requests >= 1",
        '{"n_plus_one": "/api/v1/agreements/[id]"}': "must be a list of endpoint names",
        '{"n_plus_one": ["/api/v1/version/"]}': "answers no rows to price",
        '{"html_200": ["/nope"]}': "unknown endpoint name",
        '{"health": {"pool_status": "no"}}': "health must be an object",
    }
    for keys, message in bad.items():
        path = tmp_path / "bad.json"
        path.write_text(json.dumps({"extends": "healthy", **json.loads(keys)}), encoding="utf-8")
        with pytest.raises(profiles.ProfileError, match=message.replace("[", r"\[").replace("]", r"\]")):
            profiles.load(str(path))


def test_a_route_name_covers_its_variants_and_a_variant_only_itself() -> None:
    causes = build({"/api/v1/budget-line-items/": 2.0, "/api/v1/cans/?portfolio_id=[id]": 5.0})
    assert causes.row_ms("/api/v1/budget-line-items/?limit=10&offset=0") == 2.0
    assert causes.row_ms("/api/v1/budget-line-items/?agreement_id=[id]") == 2.0
    assert causes.row_ms("/api/v1/cans/?portfolio_id=[id]") == 5.0
    assert causes.row_ms("/api/v1/cans/") == 0.0
    merged = causes.merged(build({"/api/v1/budget-line-items/": 3.0}, n_plus_one=["/api/v1/cans/[id]"]))
    assert merged.row_ms("/api/v1/budget-line-items/") == 3.0 and merged.plants_n_plus_one("/api/v1/cans/[id]")
    assert not merged.merged(Causes(health_pool_status=False)).health_pool_status


# ---- rows ---------------------------------------------------------------------------------------
def test_rows_are_the_page_items_of_a_list_and_the_embedded_rows_of_a_record(ds: data.Dataset) -> None:
    api, counter = Api(ds), RowCounter(ds)
    route = ROUTES_BY_NAME["/api/v1/budget-line-items/"]
    for limit in (10, 25, 50):
        status, _body, items = api.respond_counted(route, None, MultiDict({"limit": str(limit)}))
        assert counter.count(route, None, status, items) == limit
    status, _body, items = api.respond_counted(route, None, MultiDict({"limit": "x"}))
    assert status == 400 and counter.count(route, None, status, items) == 0
    for name, spec in EMBEDDED.items():
        route = ROUTES_BY_NAME[name]
        for parent in ds.rows(spec.parent)[:5]:
            expected = sum(1 for row in ds.rows(spec.child) if row[spec.field] == parent["id"])
            status, _body, items = api.respond_counted(route, parent["id"], MultiDict())
            assert status == 200 and counter.count(route, parent["id"], status, items) == expected, name
    route = ROUTES_BY_NAME["/api/v1/agreements/[id]"]
    assert counter.count(route, 999_999, 404, None) == 0


def test_one_agreement_is_the_heavy_record_far_above_the_others(ds: data.Dataset) -> None:
    """Like OPS's agreements/1 (~1,000 budget lines, megabytes): one record with hundreds of rows."""
    counter = RowCounter(ds)
    heavy = counter.heaviest("/api/v1/agreements/[id]")
    others = [n for i, n in counter.embedded["/api/v1/agreements/[id]"].items() if i != heavy["id"]]
    assert heavy["rows"] >= 300 and heavy["rows"] >= 10 * max(others)
    api = Api(ds)
    route = ROUTES_BY_NAME["/api/v1/agreements/[id]"]
    sizes = {i: len(api.respond(route, i, MultiDict())[1]) for i in ds.ids("agreements")}
    assert max(sizes, key=sizes.__getitem__) == heavy["id"]
    assert sizes[heavy["id"]] >= 10 * sorted(sizes.values())[-2]


# ---- health and its pool ------------------------------------------------------------------------
def test_the_pool_opens_lazily_keeps_size_and_closes_overflow() -> None:
    usage = [(0, 0)]
    gauge = PoolGauge(4, lambda: usage[0])
    figures = {
        (0, 0): (0, 0, -4),  # (in use, peak) -> (checked_out, checked_in, overflow)
        (1, 1): (1, 0, -3),
        (3, 3): (3, 0, -1),
        (1, 3): (1, 2, -1),  # two returned: kept open, idle
        (6, 6): (6, 0, 2),  # beyond size: overflow
        (2, 6): (2, 2, 0),  # overflow closed on return, size kept
    }
    for state, (out, idle, overflow) in figures.items():
        usage[0] = state
        assert gauge.status() == {"size": 4, "checked_in": idle, "overflow": overflow, "checked_out": out}


def test_health_answers_opss_shape_with_or_without_pool_status() -> None:
    body = health_body({"size": 10, "checked_in": 0, "overflow": -9, "checked_out": 1})
    assert body["status"] == "OK" and body["alarm_level"] == 0
    assert body["checks"]["auth_services"] == {"status_code": 200, "alarm_level": 0}
    database = body["checks"]["database_connection"]
    assert database["db_conn_is_ok"] is True and set(database["pool_status"]) == {
        "size",
        "checked_out",
        "checked_in",
        "overflow",
    }
    assert "pool_status" not in health_body(None)["checks"]["database_connection"]
    sim, client = _client(causes=Causes(health_pool_status=False))
    assert "pool_status" not in client.get("/api/v1/health/").get_json()["checks"]["database_connection"]
    sim, client = _client(workers=3)
    pool = client.get("/api/v1/health/").get_json()["checks"]["database_connection"]["pool_status"]
    assert pool == {"size": 3, "checked_in": 0, "overflow": -2, "checked_out": 1}  # itself, holding a worker
    sim, client = _client(pool_size=20)
    pool = client.get("/api/v1/health/").get_json()["checks"]["database_connection"]["pool_status"]
    assert pool == {"size": 20, "checked_in": 0, "overflow": -19, "checked_out": 1}  # OPS's -19 of 20
    assert sim.pool.status()["checked_out"] == 0 and client.get("/__sim__/info").get_json()["pool"]["size"] == 20


# ---- answers ------------------------------------------------------------------------------------
def test_a_planted_html_200_answers_a_login_page_and_the_log_keeps_rows(ds: data.Dataset) -> None:
    _sim, client = _client(causes=build(html_200=["/api/v1/agreements/"]))
    response = client.get("/api/v1/agreements/?limit=25", headers=AUTH)
    assert response.status_code == 200 and response.content_type.startswith("text/html")
    assert response.data == LOGIN_PAGE
    assert client.get("/api/v1/agreements/", headers={}).status_code == 401  # the rules still come first
    assert client.get("/api/v1/agreements/1", headers=AUTH).content_type == "application/json"
    entry = client.get("/__sim__/requests").get_json()["requests"][0]
    assert entry["rows"] == 25 and entry["sql_statements"] == 0


def test_portfolios_without_a_url_answer_404_and_the_admin_api_names_them(ds: data.Dataset) -> None:
    sim, client = _client()
    without = client.get("/__sim__/data/portfolios-without-url").get_json()
    assert without["count"] == 3 and len(without["with_url"]) == 9
    assert set(without["portfolio_ids"]) | set(without["with_url"]) == set(sim.dataset.ids("portfolios"))
    for pid in sim.dataset.ids("portfolios"):
        response = client.get(f"/api/v1/portfolios-url/{pid}", headers=AUTH)
        if pid in without["portfolio_ids"]:
            assert (response.status_code, response.data) == (404, b"{}")  # OPS's _get_item_with_try
        else:
            assert response.status_code == 200 and response.get_json()["portfolio_id"] == pid
    info = client.get("/__sim__/info").get_json()["causes"]
    assert info["portfolios_without_url"] == without["portfolio_ids"]


def test_the_admin_api_names_the_heavy_record_and_every_records_rows(ds: data.Dataset) -> None:
    sim, client = _client(profile="causes")
    info = client.get("/__sim__/info").get_json()
    heavy = info["causes"]["heavy_record"]
    assert heavy["endpoint"] == "/api/v1/agreements/[id]" and heavy["bytes"] >= 10 * heavy["median_bytes"]
    rows = client.get("/__sim__/data/embedded-rows?endpoint=/api/v1/agreements/[id]").get_json()
    assert rows["heaviest"] == {"id": heavy["id"], "rows": heavy["rows"]}
    assert sum(rows["rows"].values()) == sum(1 for b in sim.dataset.rows("budget_line_items"))
    assert client.get("/__sim__/data/embedded-rows?endpoint=/api/v1/users/").status_code == 400
    assert info["causes"]["n_plus_one"] == ["/api/v1/agreements/[id]"] and info["db"] is None
    client.get(f"/api/v1/agreements/{heavy['id']}", headers=AUTH)
    entry = client.get("/__sim__/requests").get_json()["requests"][-1]
    assert entry["rows"] == heavy["rows"] and entry["sql_statements"] == 0  # no --db-url: no SQL


# ---- SQL plans and the secret URL ---------------------------------------------------------------
def test_sql_plans_follow_the_route_and_the_url_is_redacted() -> None:
    item = plan_for("/api/v1/agreements/[id]")
    assert (item.table, item.child, item.field) == ("agreements", "budget_line_items", "agreement_id")
    listed = plan_for("/api/v1/budget-line-items/?limit=10&offset=0")
    assert (listed.table, listed.child) == ("budget_line_items", None)
    url = "postgresql://ops:s3cr3t-pw@db.example:5432/ops"
    text = redact(f"connection to {url} failed for ops:s3cr3t-pw", url)
    assert "s3cr3t" not in text and url not in text
    assert issubclass(SqlError, RuntimeError)
    assert match("/api/v1/agreements/5") is not None
    with pytest.raises(CauseError):
        build(n_plus_one=["/api/v1/version/"])
