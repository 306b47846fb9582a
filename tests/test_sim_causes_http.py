"""Planted causes measured over HTTP against real simulator processes, as a diagnosis would measure them.

Each cause is recovered from the outside with the quantity the suite's `diagnose` uses, and checked
against the figure planted: ms per row by least squares over a page-size sweep (within 15 %), the
heavy record's time and size against the others', a serialised route's flat throughput against a
healthy route that scales, the health pool's figures while requests are held in service. Timings are
medians over repetitions with the simulator time-scaled so that the planted effect is tens to
hundreds of ms; margins are wide because the machine is shared (2 cores, another test beside). Where
the simulator's log can say it exactly (rows per answer, requests in service at once), it is exact.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sim_helpers import REPO_ROOT, SimProcess, start_sim

from ops_perf.sim.tokens import mint

pytestmark = pytest.mark.e2e

KEY = "sim-causes-http-test-key-at-least-32-bytes"
TOKEN = mint(KEY, "00000000-0000-1111-a111-000000000500", lifetime_s=3600)
HEADERS = {"Authorization": f"Bearer {TOKEN}"}
DB_PASSWORD = "n0t-a-real-s3cret"
_local = threading.local()


def _session() -> requests.Session:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.trust_env = False
    return session


def timed_get(sim: SimProcess, path: str, token: bool = True) -> tuple[float, requests.Response]:
    """(client-side milliseconds, response) of one GET on this thread's keep-alive session."""
    started = time.perf_counter()
    response = _session().get(sim.url + path, headers=HEADERS if token else {}, timeout=30)
    return (time.perf_counter() - started) * 1000.0, response


def least_squares_slope(xs: list[float], ys: list[float]) -> float:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)


def throughput(sim: SimProcess, path: str, clients: int, each: int) -> float:
    """Requests/s of `clients` threads each sending `each` GETs back to back (a closed loop)."""

    def client(_: int) -> None:
        for _i in range(each):
            assert timed_get(sim, path)[1].status_code == 200

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return clients * each / (time.perf_counter() - started)


def in_service_peak(entries: list[dict[str, Any]], service: bool) -> int:
    """Most requests in service at once: from t + queued_ms for service_ms (a slot's timeline), or t..t_end."""
    events = []
    for e in entries:
        begin = e["t"] + (e["queued_ms"] / 1000.0 if service else 0.0)
        end = begin + e["service_ms"] / 1000.0 if service else e["t_end"]
        events += [(begin, 1), (end - 1e-4, -1)]  # a hand-over at one instant is no overlap
    peak = current = 0
    for _, step in sorted(events):
        current += step
        peak = max(peak, current)
    return peak


# ---- per-row cost -------------------------------------------------------------------------------
def test_ms_per_row_is_recovered_from_a_page_size_sweep() -> None:
    """causes: 2 ms per budget line answered, x time scale 2 = 4 ms per row; base 20-25 ms x 2."""
    scale, planted = 2.0, 2.0
    with start_sim("causes", time_scale=scale, extra_args=["--jwt-key", KEY]) as sim:
        info = sim.get("/__sim__/info").json()
        assert info["causes"]["per_row_ms"]["/api/v1/budget-line-items/"] == planted
        times: dict[int, list[float]] = {10: [], 25: [], 50: []}
        timed_get(sim, "/api/v1/budget-line-items/?limit=50&offset=0")  # a first call renders and caches
        sim.reset()
        for _rep in range(13):
            for limit in times:
                ms, response = timed_get(sim, f"/api/v1/budget-line-items/?limit={limit}&offset=0")
                assert response.status_code == 200 and len(response.json()) == limit
                times[limit].append(ms)
        log = sim.requests()
    assert sorted({e["rows"] for e in log}) == [10, 25, 50]
    assert all(e["rows"] == int(e["query"].split("limit=")[1].split("&")[0]) for e in log)
    limits = list(times)
    slope = least_squares_slope([float(x) for x in limits], [statistics.median(times[x]) for x in limits])
    assert slope == pytest.approx(planted * scale, rel=0.15), {k: statistics.median(v) for k, v in times.items()}


# ---- the heavy record -----------------------------------------------------------------------------
def test_the_heavy_record_is_far_larger_and_slower_than_the_others() -> None:
    """causes: agreements/[id] costs 1 ms per budget line; the heavy agreement has hundreds of them."""
    with start_sim("causes", time_scale=1.0, extra_args=["--jwt-key", KEY]) as sim:
        heavy = sim.get("/__sim__/info").json()["causes"]["heavy_record"]
        rows = sim.get("/__sim__/data/embedded-rows?endpoint=/api/v1/agreements/[id]").json()["rows"]
        others = [int(i) for i in rows if int(i) != heavy["id"]][:6]
        times: dict[int, list[float]] = {}
        sizes: dict[int, int] = {}
        for _rep in range(5):
            for agreement_id in [heavy["id"], *others]:
                ms, response = timed_get(sim, f"/api/v1/agreements/{agreement_id}")
                assert response.status_code == 200
                times.setdefault(agreement_id, []).append(ms)
                sizes[agreement_id] = len(response.content)
        log = [e for e in sim.requests() if e["name"] == "/api/v1/agreements/[id]"]
    medians = {i: statistics.median(t) for i, t in times.items()}
    others_median = statistics.median(medians[i] for i in others)
    assert medians[heavy["id"]] >= 3 * others_median, medians  # "one record dominates"
    assert sizes[heavy["id"]] == heavy["bytes"] >= 10 * max(sizes[i] for i in others)
    heavy_entries = [e for e in log if e["path"].endswith(f"/{heavy['id']}")]
    assert {e["rows"] for e in heavy_entries} == {heavy["rows"]}
    # server time = base (20-25 ms) + 1 ms x rows: never below the per-row part
    assert min((e["t_end"] - e["t"]) * 1000.0 for e in heavy_entries) >= heavy["rows"] * 1.0


# ---- a route that serialises ----------------------------------------------------------------------
def test_a_serialised_route_stays_flat_while_a_healthy_route_scales() -> None:
    """causes: cans/[id] one at a time (~44 ms each at time scale 2); projects/[id] unlimited."""
    with start_sim("causes", time_scale=2.0, extra_args=["--jwt-key", KEY]) as sim:
        can_id = sim.get("/__sim__/data/cans").json()["rows"][0]["id"]
        project_id = sim.get("/__sim__/data/projects").json()["rows"][0]["id"]
        serial, healthy = f"/api/v1/cans/{can_id}", f"/api/v1/projects/{project_id}"
        timed_get(sim, serial), timed_get(sim, healthy)  # rendered and cached
        sim.reset()
        serial_1, serial_8 = throughput(sim, serial, 1, 10), throughput(sim, serial, 8, 4)
        healthy_1, healthy_8 = throughput(sim, healthy, 1, 10), throughput(sim, healthy, 8, 4)
        log = sim.requests()
    serial_log = [e for e in log if e["name"] == "/api/v1/cans/[id]"]
    healthy_log = [e for e in log if e["name"] == "/api/v1/projects/[id]"]
    assert in_service_peak(serial_log, service=True) == 1  # exact: never two in service at once
    assert max(e["queued_ms"] for e in serial_log) > 100  # 8 clients queued behind one slot
    assert in_service_peak(healthy_log, service=False) >= 4
    figures = f"serialised {serial_1:.1f} -> {serial_8:.1f}/s, healthy {healthy_1:.1f} -> {healthy_8:.1f}/s"
    assert serial_8 < 1.5 * serial_1, figures  # diagnose's "serialises"
    assert healthy_8 > 3.0 * healthy_1, figures  # scales (8x in theory)


def test_a_serialised_route_in_front_of_workers_takes_one_worker_at_a_time() -> None:
    """--workers 4 with vendors/[id] serialised: its requests queue for their slot, the others use the workers."""
    args = ["--workers", "4", "--serialise", "/api/v1/vendors/[id]=1", "--jwt-key", KEY]
    with start_sim("fixed-50ms", time_scale=2.0, extra_args=args) as sim:
        vendor = sim.get("/__sim__/data/vendors").json()["rows"][0]["id"]
        project = sim.get("/__sim__/data/projects").json()["rows"][0]["id"]
        paths = [f"/api/v1/vendors/{vendor}"] * 6 + [f"/api/v1/projects/{project}"] * 3
        with ThreadPoolExecutor(max_workers=len(paths)) as pool:
            assert {r.status_code for _ms, r in pool.map(lambda p: timed_get(sim, p), paths)} == {200}
        log = sim.requests()
    serial = [e for e in log if e["name"] == "/api/v1/vendors/[id]"]
    assert in_service_peak(serial, service=True) == 1  # one at a time, on the workers' timeline
    assert max(e["queued_ms"] for e in serial) >= 4 * 100 * 0.8  # the sixth waited for five 100 ms services
    assert in_service_peak(log, service=True) >= 2  # the projects were served beside it


# ---- health and its pool ------------------------------------------------------------------------
def _hold(sim: SimProcess, path: str, n: int, in_service: Callable[[], int]) -> ThreadPoolExecutor:
    """Start `n` GETs of a slow `path` and return once the simulator has them all in service."""
    pool = ThreadPoolExecutor(max_workers=n)
    for _ in range(n):
        pool.submit(timed_get, sim, path)
    deadline = time.monotonic() + 10
    while in_service() < n:
        assert time.monotonic() < deadline, "the held requests never were in service together"
        time.sleep(0.02)
    return pool


def _pool_status(sim: SimProcess) -> tuple[float, dict[str, int]]:
    ms, response = timed_get(sim, "/api/v1/health/", token=False)  # no token needed, as in OPS
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "OK" and body["alarm_level"] == 0
    return ms, body["checks"]["database_connection"]["pool_status"]


def test_the_health_pool_follows_the_requests_in_service_under_workers() -> None:
    """--workers 6 (pool size 6 by default): 3 held requests + health itself = 4 checked out."""
    slow = ["--delay", "/api/v1/vendors/=2000", "--workers", "6", "--jwt-key", KEY]
    with start_sim("healthy", time_scale=1.0, extra_args=slow) as sim:
        held = _hold(sim, "/api/v1/vendors/", 3, lambda: sim.get("/__sim__/info").json()["queue"]["in_service"])
        _ms, during = _pool_status(sim)
        held.shutdown(wait=True)
        _ms, after = _pool_status(sim)
        info_pool = sim.get("/__sim__/info").json()["pool"]
    assert during == {"size": 6, "checked_in": 0, "overflow": -2, "checked_out": 4}
    assert after == {"size": 6, "checked_in": 3, "overflow": -2, "checked_out": 1}  # opened, kept
    assert info_pool == {"size": 6, "checked_in": 4, "overflow": -2, "checked_out": 0}


def test_health_waits_for_a_worker_when_the_workers_are_saturated() -> None:
    """--workers 2, both held for 2 s: health queues like any request (the "workers saturated" signal)."""
    slow = ["--delay", "/api/v1/vendors/=2000", "--workers", "2", "--pool-size", "5", "--jwt-key", KEY]
    with start_sim("healthy", time_scale=1.0, extra_args=slow) as sim:
        idle_ms = min(_pool_status(sim)[0] for _ in range(3))
        held = _hold(sim, "/api/v1/vendors/", 2, lambda: sim.get("/__sim__/info").json()["queue"]["in_service"])
        saturated_ms, during = _pool_status(sim)
        held.shutdown(wait=True)
        health = [e for e in sim.requests() if e["name"] == "/api/v1/health/"][-1]
    assert during["size"] == 5 and during["checked_out"] <= 2
    assert health["queued_ms"] >= 1000 and saturated_ms >= max(1000, 5 * idle_ms)


def test_without_workers_the_pool_counts_the_requests_being_answered() -> None:
    slow = ["--delay", "/api/v1/vendors/=2000", "--pool-size", "5", "--jwt-key", KEY]
    with start_sim("healthy", time_scale=1.0, extra_args=slow) as sim:
        held = _hold(sim, "/api/v1/vendors/", 3, lambda: sim.get("/__sim__/info").json()["pool"]["checked_out"])
        _ms, during = _pool_status(sim)
        held.shutdown(wait=True)
    assert during == {"size": 5, "checked_in": 0, "overflow": -1, "checked_out": 4}


def test_health_without_pool_status_as_another_ops_version() -> None:
    with start_sim("healthy", time_scale=0.01, extra_args=["--health-without-pool-status"]) as sim:
        body = sim.get("/api/v1/health/").json()
    assert body["status"] == "OK"
    assert body["checks"]["database_connection"] == {"db_conn_is_ok": True, "alarm_level": 0}


# ---- answers: portfolios without a URL, a proxy's HTML ------------------------------------------
def test_portfolios_without_a_url_answer_404_and_the_others_200(tmp_path: Path) -> None:
    profile = tmp_path / "proxy.json"
    profile.write_text(json.dumps({"extends": "healthy", "html_200": ["/api/v1/agreements/"]}), encoding="utf-8")
    with start_sim(str(profile), time_scale=0.01, extra_args=["--jwt-key", KEY]) as sim:
        without = sim.get("/__sim__/data/portfolios-without-url").json()["portfolio_ids"]
        portfolios = [p["id"] for p in sim.get("/__sim__/data/portfolios").json()["rows"]]
        answers = {pid: timed_get(sim, f"/api/v1/portfolios-url/{pid}")[1] for pid in portfolios}
        _ms, html = timed_get(sim, "/api/v1/agreements/?limit=25&offset=0")
        _ms, detail = timed_get(sim, "/api/v1/agreements/1")
    assert len(without) == 3 and len(portfolios) == 12
    assert {pid for pid, r in answers.items() if r.status_code == 404} == set(without)
    assert all(answers[pid].content == b"{}" for pid in without)
    assert all(answers[pid].json()["portfolio_id"] == pid for pid in portfolios if pid not in without)
    assert html.status_code == 200 and html.headers["Content-Type"].startswith("text/html")
    assert html.text.lstrip().lower().startswith("<!doctype html>")
    with pytest.raises(ValueError):
        html.json()
    assert detail.headers["Content-Type"] == "application/json"


# ---- --db-url: a secret ---------------------------------------------------------------------------
def test_a_database_that_cannot_be_reached_is_one_line_without_the_url() -> None:
    url = f"postgresql://ops:{DB_PASSWORD}@127.0.0.1:9/nowhere"  # port 9 (discard): refused
    env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
    proc = subprocess.run(
        [sys.executable, "-m", "ops_perf.sim", "--port", "0", "--db-url", url],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT, env=env,
    )  # fmt: skip
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "cannot connect to the --db-url database" in lines[0], proc.stderr
    assert DB_PASSWORD not in proc.stderr + proc.stdout and url not in proc.stderr
