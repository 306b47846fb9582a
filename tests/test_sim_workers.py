"""A simulator with a real capacity (`--workers N`), a slowed one (`--slowdown`), one slow endpoint (`--delay`).

Real `python -m ops_perf.sim` processes, hit by an open-loop client (requests start on a schedule,
whether earlier ones have answered or not). What is asserted comes from the simulator's own request
log where it can be exact: never more than N requests in service at once, a FIFO queue, a 504 only
for a request whose wait (or wait + service) reached the gateway ceiling. Throughput, a timing, is
asserted loosely: it cannot beat N / service time, and must reach most of it.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from sim_helpers import SimProcess, start_sim

from ops_perf.sim.tokens import mint

pytestmark = pytest.mark.e2e

KEY = "sim-workers-test-key-at-least-32-bytes-long"
TOKEN = mint(KEY, "00000000-0000-1111-a111-000000000500", lifetime_s=3600)
_local = threading.local()
_EPSILON_S = 1e-4  # the log's float rounding: epoch seconds + milliseconds from another request


def _get(url: str) -> requests.Response:
    session = getattr(_local, "session", None)
    if session is None:
        session = _local.session = requests.Session()
        session.trust_env = False
    return session.get(url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


def open_loop(sim: SimProcess, path: str, rate: float, count: int) -> list[requests.Response]:
    """`count` GETs of `path` started `1/rate` s apart, each on its own thread (bounded: count <= 200)."""
    assert count <= 200
    start = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        futures = []
        for i in range(count):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(_get, sim.url + path))
        return [f.result() for f in futures]


def in_service_peak(log: list[dict[str, Any]], until: str = "service") -> int:
    """Most requests holding a worker at one instant: from t + queued_ms for service_ms (the
    workers' timeline), or until t_end (`until="t_end"`, without workers: the answer's own time)."""
    events = []
    for entry in log:
        begin = entry["t"] + entry["queued_ms"] / 1000.0
        end = begin + entry["service_ms"] / 1000.0 if until == "service" else entry["t_end"]
        events += [(begin, 1), (end - _EPSILON_S, -1)]  # a hand-over at one instant is no overlap
    peak = current = 0
    for _, step in sorted(events, key=lambda e: (e[0], e[1])):  # an end before a start at the same instant
        current += step
        peak = max(peak, current)
    return peak


def test_throughput_plateaus_at_workers_over_service_time() -> None:
    """fixed-50ms x time-scale 4 = 200 ms per request, 4 workers: capacity 20/s; offered 40/s."""
    workers, service_s = 4, 0.2
    capacity = workers / service_s
    with start_sim("fixed-50ms", time_scale=4.0, extra_args=["--jwt-key", KEY, "--workers", str(workers)]) as sim:
        info = sim.get("/__sim__/info").json()
        assert info["workers"] == workers and info["profile"] == "fixed-50ms"
        assert info["mean_service_ms"]["/api/v1/vendors/"] == pytest.approx(service_s * 1000)
        sim.reset()
        responses = open_loop(sim, "/api/v1/vendors/", rate=2 * capacity, count=60)
        assert [r.status_code for r in responses] == [200] * 60
        log = sim.requests()
        counts = sim.counts()
    assert len(log) == 60
    assert in_service_peak(log) == workers  # exact: never more than N at once, and all N used
    assert counts["queue"]["in_service_high_water"] == workers
    assert counts["queue"]["queue_high_water"] >= 5  # arrivals at twice the capacity pile up
    # Each request holds its worker for its service time, and is answered only after it.
    assert all(e["service_ms"] == pytest.approx(service_s * 1000) for e in log)
    assert all(e["t_end"] >= e["t"] + (e["queued_ms"] + e["service_ms"]) / 1000 - 0.001 for e in log)
    # FIFO: service starts in arrival order.
    starts = [e["t"] + e["queued_ms"] / 1000 for e in sorted(log, key=lambda e: e["t"])]
    assert all(b >= a - 0.002 for a, b in itertools.pairwise(starts))
    # Throughput over the busy period: at most the capacity, and near it (loose: a loaded machine).
    first_start, last_end = min(starts), max(e["t_end"] for e in log)  # the client's view: answers
    throughput = len(log) / (last_end - first_start)
    assert throughput <= capacity * 1.03
    assert throughput >= capacity * 0.85, f"{throughput:.1f}/s against a capacity of {capacity:.0f}/s"


def test_waiting_past_the_gateway_ceiling_gets_the_gateways_504(tmp_path: Path) -> None:
    """1 worker, 300 ms per request, a 1 s gateway: 8 requests at once cannot all make it."""
    profile = tmp_path / "slow-gateway.json"
    profile.write_text(
        json.dumps(
            {
                "name": "slow-gateway",
                "gateway_timeout_s": 1.0,
                "default": {"latency_ms": [[0, 300], [100, 300]]},
            }
        ),
        encoding="utf-8",
    )
    with start_sim(str(profile), extra_args=["--jwt-key", KEY, "--workers", "1"]) as sim:
        sim.reset()
        responses = open_loop(sim, "/api/v1/procurement-shops/", rate=1000.0, count=8)
        log = sorted(sim.requests(), key=lambda e: e["t"])
        counts = sim.counts()
    statuses = [r.status_code for r in responses]
    assert set(statuses) == {200, 504} and statuses.count(200) >= 2
    gateway = next(r for r in responses if r.status_code == 504)
    assert "text/html" in gateway.headers["Content-Type"] and "504 Gateway Time-out" in gateway.text
    for entry in log:
        queued_s, took_s = entry["queued_ms"] / 1000, entry["t_end"] - entry["t"]
        if entry["status"] == 504:
            assert queued_s + 0.3 >= 1.0 - 0.01  # waited, or waited + served, to the ceiling
            assert 1.0 - 0.01 <= took_s < 1.5  # answered at the ceiling, not later
        else:
            assert entry["status"] == 200 and queued_s + 0.3 < 1.0 + 0.01
    assert counts["queue"]["timed_out_in_queue"] + counts["queue"]["timed_out_in_service"] == statuses.count(504)
    assert counts["queue"]["timed_out_in_queue"] >= 1 and counts["queue"]["queue_high_water"] >= 5


def test_slowdown_and_one_delayed_endpoint() -> None:
    """--slowdown 4 makes every answer 4x slower; --delay slows one endpoint only. No --workers: no queue."""
    args = ["--jwt-key", KEY, "--slowdown", "4", "--delay", "/api/v1/vendors/=300"]
    with start_sim("fixed-50ms", extra_args=args) as sim:
        info = sim.get("/__sim__/info").json()
        assert info["slowdown"] == 4 and info["delays_ms"] == {"/api/v1/vendors/": 300}
        assert info["workers"] is None and info["queue"] is None
        sim.reset()
        responses = open_loop(sim, "/api/v1/procurement-shops/", rate=1000.0, count=20)
        _get(sim.url + "/api/v1/vendors/")
        log = sim.requests()
    assert all(r.status_code == 200 for r in responses)
    shops = [e for e in log if e["name"] == "/api/v1/procurement-shops/"]
    # 20 at once, infinite capacity: each takes its own 200 ms, none waits for another.
    assert all(0.2 - 0.005 <= e["t_end"] - e["t"] < 0.6 and e["queued_ms"] == 0 for e in shops)
    assert in_service_peak(shops, until="t_end") >= 10
    vendors = next(e for e in log if e["name"] == "/api/v1/vendors/")
    assert vendors["t_end"] - vendors["t"] >= 0.5 - 0.005  # 4 x 50 ms + 300 ms


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--workers", "0"], "workers must be >= 1"),
        (["--slowdown", "0"], "slowdown must be >= 0.001"),
        (["--delay", "oops"], "--delay takes NAME=MS"),
        (["--delay", "/api/v1/nope/=5"], "unknown endpoint name"),
    ],
)
def test_bad_capacity_arguments_are_one_line_errors(args: list[str], message: str) -> None:
    import subprocess
    import sys

    from sim_helpers import REPO_ROOT

    proc = subprocess.run(
        [sys.executable, "-m", "ops_perf.sim", "--port", "0", *args],
        capture_output=True,
        text=True,
        timeout=30,
        cwd=REPO_ROOT,
    )
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], proc.stderr
