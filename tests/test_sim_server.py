"""The simulator as users run it: a real `python -m ops_perf.sim` process on 127.0.0.1, hit over HTTP.

Covers the facts file's contract end to end: every route and its response shape, pagination and
filters, the request rules (bearer, Referer, JSON Content-Type), the token life cycle, profiles
(latency, 504 at the gateway, planted regressions, emptied tables), the admin API and the CLI.
"""

from __future__ import annotations

import json
import re
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sim_helpers import REPO_ROOT, SimProcess, facts_rows, start_sim

from ops_perf.sim import data
from ops_perf.sim.routes import REMOVED_ROUTES, ROUTES, Route, Shape
from ops_perf.sim.tokens import mint

KEY = "sim-process-test-key-at-least-32-bytes"
DS = data.build()  # the process's dataset: same default seed
NOT_AUTHORIZED = "The request is not authorized. Please log in again."

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_sim("healthy", time_scale=0.0, extra_args=["--jwt-key", KEY]) as process:
        yield process


@pytest.fixture(scope="module")
def token() -> str:
    """A token minted with the simulator's key (no session: immune to the login tests)."""
    return mint(KEY, "00000000-0000-1111-a111-000000000500", lifetime_s=3600)


def _url(route: Route, index: int = 0) -> str:
    path = route.name
    if "[id]" in path:
        path = path.replace("[id]", str(DS.ids(route.table)[index]))
    if route.required:
        path += "?" + "&".join(f"{name}={DS.ids('users')[0]}" for name in route.required)
    return path


DETAIL_WITHOUT_ID = {"portfolio_funding_summary", "portfolio_status"}  # OPS bodies with no `id` of their own


def _check_shape(route: Route, body: Any) -> None:
    size = len(DS.rows(route.table)) if route.table else 0
    if route.shape is Shape.WRAPPED:
        assert isinstance(body, dict) and {"data", "count", "limit", "offset"} <= set(body), route.name
        assert body["limit"] == 10 and body["offset"] == 0 and len(body["data"]) <= 10
        if not route.required:
            assert body["count"] == size
    elif route.shape is Shape.PLAIN:
        assert isinstance(body, list) and len(body) == size, route.name
    elif route.shape is Shape.PLAIN_PAGED:
        assert isinstance(body, list) and len(body) == min(10, size), route.name
    elif route.shape is Shape.BLI:
        assert isinstance(body, list) and len(body) == 10
        assert all(item["_meta"]["total_count"] == size for item in body)
    elif route.shape is Shape.ITEM and route.name.endswith("[id]") and route.render in DETAIL_WITHOUT_ID:
        assert isinstance(body, (dict, str)), route.name
    elif route.shape is Shape.ITEM and route.name.endswith("[id]"):
        assert isinstance(body, dict) and body["id"] == DS.ids(route.table)[0], route.name


# ---- routes and shapes ---------------------------------------------------------------------------


def test_every_route_answers_200_with_its_shape(sim: SimProcess, token: str) -> None:
    sim.reset()
    for route in ROUTES:
        response = sim.get(_url(route), token)
        assert response.status_code == 200, (route.name, response.text[:200])
        assert response.headers["Content-Type"].startswith("application/json")
        _check_shape(route, response.json())
    by_name = sim.counts()["by_name"]
    assert all(by_name.get(route.name) == 1 for route in ROUTES if not route.required)


def test_list_extras_as_in_ops(sim: SimProcess, token: str) -> None:
    agreements = sim.get("/api/v1/agreements/", token).json()
    assert {"totals", "procurement_overview", "procurement_step_summary"} <= set(agreements)
    assert agreements["totals"]["count"] == len(DS.rows("agreements"))
    assert "summary" in sim.get("/api/v1/projects/", token).json()
    assert sim.get("/api/v1/lookups/portfolio-status/1", token).json() == "IN_PROCESS"


#: The facts table's id pools and the tables they are harvested from.
POOL_TABLES = {
    "user_ids": "users",
    "can_ids": "cans",
    "agreement_ids": "agreements",
    "notification_ids": "notifications",
    "bli_ids": "budget_line_items",
    "project_ids": "projects",
    "portfolio_ids": "portfolios",
    "can_funding_budget_ids": "can_funding_budgets",
    "can_funding_details_ids": "can_funding_details",
    "can_funding_received_ids": "can_funding_received",
    "portfolio_url_ids": "portfolio_urls",
    "research_methodology_ids": "research_methodologies",
    "special_topic_ids": "special_topics",
    "agreement_agency_ids": "agreement_agencies",
    "division_ids": "divisions",
    "product_service_code_ids": "product_service_codes",
    "services_component_ids": "services_components",
    "procurement_shop_ids": "procurement_shops",
    "procurement_tracker_ids": "procurement_trackers",
    "procurement_tracker_step_ids": "procurement_tracker_steps",
    "procurement_action_ids": "procurement_actions",
}


def test_every_request_of_the_facts_table_answers_200(sim: SimProcess, token: str, reference_dir: Path) -> None:
    sim.reset()
    rows = facts_rows(reference_dir)
    for path, query, _, pool in rows:
        url = path + (f"?{query}" if query else "")
        real_id = str(DS.ids(POOL_TABLES[pool])[-1]) if pool else "1"
        url = re.sub(r"\{fiscal_year\}", "2025", url)
        response = sim.get(re.sub(r"\{[a-z_]+\}", real_id, url), token)
        assert response.status_code == 200, (url, response.status_code)
    assert set(sim.counts()["by_name"]) == {name for _, _, name, _ in rows}


def test_pagination_bounds_and_harvest_by_offset(sim: SimProcess, token: str) -> None:
    for query in ("limit=0", "limit=51", "offset=-1", "limit=abc"):
        response = sim.get(f"/api/v1/cans/?{query}", token)
        assert response.status_code == 400, query
    assert len(sim.get("/api/v1/cans/?limit=50", token).json()["data"]) == 40
    for path, table in (
        ("/api/v1/agreements/", "agreements"),
        ("/api/v1/procurement-tracker-steps/", "procurement_tracker_steps"),
    ):
        seen: list[int] = []
        for offset in range(0, 1000, 50):  # bounded: the tables are far smaller
            page = sim.get(f"{path}?limit=50&offset={offset}", token).json()
            seen += [row["id"] for row in page["data"]]
            if offset + 50 >= page["count"]:
                break
        assert seen == DS.ids(table)
    blis: list[int] = []
    for offset in range(0, 5000, 50):
        page = sim.get(f"/api/v1/budget-line-items/?limit=50&offset={offset}", token).json()
        blis += [row["id"] for row in page]
        if not page or offset + 50 >= page[0]["_meta"]["total_count"]:
            break
    assert blis == DS.ids("budget_line_items")


def test_query_filters(sim: SimProcess, token: str) -> None:
    project = DS.rows("agreements")[0]["project_id"]
    body = sim.get(f"/api/v1/agreements/?project_id={project}&limit=50", token).json()
    assert body["count"] == sum(a["project_id"] == project for a in DS.rows("agreements")) > 0
    assert {a["project_id"] for a in body["data"]} == {project}
    agreement = DS.ids("agreements")[3]
    items = sim.get(f"/api/v1/budget-line-items/?agreement_id={agreement}&limit=50", token).json()
    assert items and {b["agreement_id"] for b in items} == {agreement}
    assert items[0]["_meta"]["total_count"] == sum(b["agreement_id"] == agreement for b in DS.rows("budget_line_items"))
    used = {b["can_id"] for b in DS.rows("budget_line_items")}
    can = sorted(used)[5]
    assert {b["can_id"] for b in sim.get(f"/api/v1/budget-line-items/?can_id={can}", token).json()} == {can}
    for unused in sorted(set(DS.ids("cans")) - used)[:1]:
        assert sim.get(f"/api/v1/budget-line-items/?can_id={unused}", token).json() == []
    portfolio = DS.ids("portfolios")[2]
    cans = sim.get(f"/api/v1/cans/?portfolio_id={portfolio}", token).json()
    assert cans["count"] > 0 and {c["portfolio_id"] for c in cans["data"]} == {portfolio}
    assert sim.get("/api/v1/cans/?portfolio_id=x", token).status_code == 400
    funded = next(p for p in DS.ids("projects") if sim.get(f"/api/v1/projects/{p}/funding/", token).json()["cans"])
    all_years = sim.get(f"/api/v1/projects/{funded}/funding/", token).json()
    years = {row["fiscal_year"] for row in all_years["funding_by_fiscal_year"]}
    one_year = sim.get(f"/api/v1/projects/{funded}/funding/?fiscal_year={min(years)}", token).json()
    assert one_year != all_years or len(years) == 1


def _gap(table: str) -> int:
    """An id inside the table's range that no row has (ids are non-contiguous on purpose)."""
    ids = DS.ids(table)
    return next(i for i in range(ids[0], ids[-1]) if i not in set(ids))


def test_unknown_ids_removed_routes_and_missing_user_id(sim: SimProcess, token: str) -> None:
    for path in (
        f"/api/v1/cans/{_gap('cans')}",
        "/api/v1/lookups/portfolio-status/9",
        f"/api/v1/projects/{_gap('projects')}/funding/",
        "/api/v1/users/-1",  # the tracker tab's `?? -1`: Flask's <int:id> does not match negatives
        "/api/v1/portfolios/null",
        "/api/v1/",
    ):
        response = sim.get(path, token)
        assert (response.status_code, response.json()) == (404, {}), path
    # Some resources name what was missing, as OPS does (ops-responses.md, "Calls that error").
    for path, resource in (
        (f"/api/v1/agreements/{_gap('agreements')}", "Agreement"),
        ("/api/v1/agreements/999999", "Agreement"),
        (f"/api/v1/budget-line-items/{_gap('budget_line_items')}", "BudgetLineItem"),
        ("/api/v1/services-components/0", "ServicesComponent"),
    ):
        response = sim.get(path, token)
        assert response.status_code == 404, path
        body = response.json()
        assert body["details"]["resource_type"] == resource and "not found" in body["message"], path
    for name in REMOVED_ROUTES:
        path, _, query = name.partition("?")
        response = sim.get(path.replace("[id]", "1") + (f"?{query.replace('[id]', '1')}" if query else ""), token)
        assert response.status_code == 404, name
    assert sim.get("/api/v1/change-requests/", token).status_code == 400
    assert sim.get("/api/v1/cans", token, allow_redirects=False).status_code == 308


# ---- request rules -------------------------------------------------------------------------------


def test_bearer_is_required_except_for_health(sim: SimProcess) -> None:
    response = sim.get("/api/v1/version/")
    assert response.status_code == 401 and response.json()["message"] == NOT_AUTHORIZED
    assert sim.get("/api/v1/cans/", headers={"Authorization": "Basic abc"}).status_code == 401
    assert sim.get("/api/v1/health/").status_code == 200


def test_bad_tokens(sim: SimProcess) -> None:
    assert sim.get("/api/v1/cans/", "not-a-jwt").status_code == 422
    assert sim.get("/api/v1/cans/", mint("some-other-key-of-32-bytes-or-more", "x")).status_code == 401
    expired = mint(KEY, "x", lifetime_s=60, now=time.time() - 120)
    assert sim.get("/api/v1/cans/", expired).status_code == 401


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/agreements/",
        "/api/v1/agreements/{agreement}",
        "/api/v1/users/",
        "/api/v1/users/{user}",
        "/api/v1/procurement-actions/",
        "/api/v1/procurement-actions/{action}",
    ],
)
def test_json_content_type_on_get_is_refused_where_ops_refuses_it(sim: SimProcess, token: str, path: str) -> None:
    url = path.format(
        agreement=DS.ids("agreements")[0], user=DS.ids("users")[0], action=DS.ids("procurement_actions")[0]
    )
    response = sim.get(url, token, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (400, {})
    assert sim.get(url, token).status_code == 200


def test_json_content_type_is_fine_elsewhere(sim: SimProcess, token: str) -> None:
    assert sim.get("/api/v1/cans/", token, headers={"Content-Type": "application/json"}).status_code == 200


def test_playing_dev_checks_the_referer() -> None:
    with start_sim("healthy", time_scale=0.0, extra_args=["--play-env", "dev", "--jwt-key", KEY]) as dev:
        token = mint(KEY, "x")
        good = {"Referer": "https://dev.ops.opre.acf.gov/agreements"}
        assert dev.get("/api/v1/cans/", token, headers=good).status_code == 200
        for referer in (None, "http://dev.ops.opre.acf.gov/", "https://stg.ops.opre.acf.gov/"):
            response = dev.get("/api/v1/cans/", token, headers={"Referer": referer} if referer else {})
            assert response.status_code == 401 and response.json()["message"] == NOT_AUTHORIZED, referer
        assert dev.get("/api/v1/health/").status_code == 200
        assert dev.login("basic_user", headers=good)["access_token"]


def test_playing_prod_refuses_the_test_login() -> None:
    with start_sim("healthy", time_scale=0.0, extra_args=["--play-env", "prod"]) as prod:
        response = prod.http.post(
            f"{prod.url}/auth/login/",
            json={"code": "system_owner", "provider": "fakeauth"},
            headers={"Referer": "https://ops.opre.acf.gov/"},
            timeout=10,
        )
        assert response.status_code == 401


# ---- tokens --------------------------------------------------------------------------------------


def test_login_refresh_expiry_and_sessions() -> None:
    with start_sim("healthy", time_scale=0.0, extra_args=["--token-lifetime", "2"]) as short:
        login = short.login("budget_team")
        assert set(login) == {"access_token", "refresh_token", "user"}
        assert login["user"]["email"] == "budget.team@example.com"
        access, refresh = login["access_token"], login["refresh_token"]
        assert short.get("/api/v1/cans/", access).status_code == 200

        def refresh_now() -> str:
            response = short.http.post(
                f"{short.url}/auth/refresh/", headers={"Authorization": f"Bearer {refresh}"}, timeout=10
            )
            assert response.status_code == 200
            return str(response.json()["access_token"])

        assert refresh_now() == access
        deadline = time.monotonic() + 5
        while short.get("/api/v1/cans/", access).status_code == 200:  # bounded: expires within 2 s
            assert time.monotonic() < deadline, "the access token never expired"
            time.sleep(0.1)
        assert short.get("/api/v1/cans/", access).json() == {"msg": "Token has expired"}
        renewed = refresh_now()
        assert renewed != access and short.get("/api/v1/cans/", renewed).status_code == 200

        again = short.login("budget_team")["access_token"]  # a new login ends the earlier session
        assert short.get("/api/v1/cans/", renewed).status_code == 401
        assert short.get("/api/v1/cans/", again).status_code == 200
        bad = short.http.post(f"{short.url}/auth/login/", json={"code": "nobody", "provider": "fakeauth"}, timeout=10)
        assert bad.status_code == 401
        assert access not in short.stderr() and access not in short.stdout()


# ---- profiles ------------------------------------------------------------------------------------


def test_gateway_timeouts_and_latency_follow_the_profile(tmp_path: Path) -> None:
    spec = {
        "extends": "healthy",
        "endpoints": {
            "/api/v1/cans/": {"errors": {"504": 1.0}},
            "/api/v1/users/": {"latency_ms": [[0, 3000], [100, 3000]]},
        },
    }
    profile = tmp_path / "gateway.json"
    profile.write_text(json.dumps(spec), encoding="utf-8")
    with start_sim(str(profile), time_scale=0.01, extra_args=["--jwt-key", KEY]) as slow:
        token = mint(KEY, "x")
        started = time.monotonic()
        response = slow.get("/api/v1/cans/", token)
        took = time.monotonic() - started
        assert response.status_code == 504 and response.headers["Content-Type"].startswith("text/html")
        assert "504 Gateway Time-out" in response.text
        assert 0.19 <= took < 2.0  # the 20 s ceiling x 0.01
        started = time.monotonic()
        assert slow.get("/api/v1/users/", token).status_code == 200
        assert time.monotonic() - started >= 0.029  # 3000 ms x 0.01
        assert [e["status"] for e in slow.requests() if e["path"] == "/api/v1/cans/"] == [504]


def test_regression_demo_fails_cans_five_percent_and_nothing_else() -> None:
    with start_sim("regression-demo", time_scale=0.0, extra_args=["--jwt-key", KEY]) as demo:
        token = mint(KEY, "x")
        statuses = [demo.get("/api/v1/cans/", token).status_code for _ in range(400)]
        assert set(statuses) <= {200, 500} and 4 <= statuses.count(500) <= 40
        assert all(demo.get(f"/api/v1/cans/{i}", token).status_code == 200 for i in DS.ids("cans")[:20])


def test_emptied_tables_answer_404_empty_object() -> None:
    with start_sim("empty-reference", time_scale=0.0, extra_args=["--jwt-key", KEY]) as empty:
        token = mint(KEY, "x")
        for path in (
            "/api/v1/divisions/",
            "/api/v1/product-service-codes/",
            f"/api/v1/divisions/{DS.ids('divisions')[0]}",
        ):
            response = empty.get(path, token)
            assert (response.status_code, response.json()) == (404, {}), path
        assert empty.get("/api/v1/cans/", token).status_code == 200


# ---- admin API -----------------------------------------------------------------------------------


def test_request_log_and_counts(sim: SimProcess, token: str) -> None:
    sim.reset()
    headers = {
        "User-Agent": "ops-perf/0.1.0 (warmup)",
        "Referer": "http://localhost:3000/",
        "Accept": "application/json",
    }
    sim.get("/api/v1/cans/?limit=5", token, headers=headers)
    sim.get("/api/v1/health/", headers={"User-Agent": "ops-perf/0.1.0 (locust)"})
    sim.get("/api/v1/nothing-here/", token)
    log = sim.requests()
    assert [(e["method"], e["path"], e["query"], e["status"]) for e in log] == [
        ("GET", "/api/v1/cans/", "limit=5", 200),
        ("GET", "/api/v1/health/", "", 200),
        ("GET", "/api/v1/nothing-here/", "", 404),
    ]
    first = log[0]
    assert first["user_agent"] == "ops-perf/0.1.0 (warmup)" and first["referer"] == "http://localhost:3000/"
    assert first["accept"] == "application/json" and first["content_type"] == "" and first["has_bearer"] is True
    assert log[1]["has_bearer"] is False and log[0]["t"] <= log[1]["t"] <= time.time()
    assert token not in json.dumps(log)
    page = sim.http.get(f"{sim.url}/__sim__/requests?offset=1&limit=1", timeout=10).json()
    assert [e["path"] for e in page["requests"]] == ["/api/v1/health/"] and page["dropped"] == 0
    counts = sim.counts()
    assert counts["total"] == 3 and counts["by_path"]["/api/v1/cans/"] == 1
    sim.reset()
    assert sim.requests() == [] and sim.counts()["total"] == 0


def test_keep_alive_requests_are_not_delayed_by_nagle(sim: SimProcess, token: str) -> None:
    """pywsgi sends headers and body apart; without TCP_NODELAY each answer would wait ~40 ms."""
    timings = []
    for _ in range(40):
        started = time.perf_counter()
        sim.get("/api/v1/version/", token)
        timings.append(time.perf_counter() - started)
    assert statistics.median(timings) < 0.02


# ---- command line --------------------------------------------------------------------------------


def _run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ops_perf.sim", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO_ROOT,
        check=False,
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--port", "70000"), "port must be"),
        (("--port", "0", "--profile", "no-such"), "unknown profile"),
        (("--port", "0", "--time-scale", "-1"), "time scale"),
        (("--port", "0", "--play-env", "qa"), "invalid choice"),
    ],
)
def test_bad_arguments_one_line_exit_2(args: tuple[str, ...], message: str) -> None:
    result = _run_cli(*args)
    assert result.returncode == 2
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert "Traceback" not in result.stderr and result.stderr.startswith("ops-perf sim: error:")


def test_a_taken_port_is_a_clear_error(sim: SimProcess) -> None:
    result = _run_cli("--port", str(sim.port))
    assert result.returncode == 2 and "cannot listen" in result.stderr and "Traceback" not in result.stderr


def test_ready_line_and_clean_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "ops_perf.sim", "--port", "0", "--profile", "prod-2025-10-15"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=REPO_ROOT,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert re.fullmatch(r"ops-perf sim: serving prod-2025-10-15 on http://127\.0\.0\.1:\d+\n", line)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
