"""Master and workers (issue 6): one warm-up, ids and tokens by message, one set of results."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import pytest
from conftest import free_port
from distributed_helpers import assert_each_worker_covers_the_mix, assert_one_harvest, load_by_pid, master, worker
from run_helpers import assert_stats_cover_the_mix, finish, read_stats, run_locust
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e


def test_master_and_two_workers(tmp_path: Path) -> None:
    prefix = tmp_path / "local-smoke"
    port = free_port()
    with start_sim("healthy", extra_args=["--token-lifetime", "6"]) as sim:
        boss = master(sim.url, port, prefix, workers=2, seconds=15)
        workers = [worker(port), worker(port)]
        code, err = finish(boss)
        for w in workers:
            finish(w, timeout=30)
        log = sim.requests()
    assert code == 0, err[-2000:]
    assert_one_harvest(log)
    by_pid = load_by_pid(log)
    assert len(by_pid) == 2, f"expected two load processes, saw {sorted(by_pid)}"
    assert_each_worker_covers_the_mix(log, by_pid)
    stats = read_stats(prefix)
    assert_stats_cover_the_mix(stats)
    assert int(stats["Aggregated"]["Failure Count"]) == 0, "zero failures, including zero 401s across renewals"
    assert not [r for r in log if r["status"] == 401]
    record = json.loads(Path(f"{prefix}_run.json").read_text())
    assert record["workers"] == 2
    assert record["auth"]["renewals"] >= 1, "a 6 s token over a 15 s run must have been renewed"


def test_late_worker_gets_the_ids(tmp_path: Path) -> None:
    prefix = tmp_path / "local-smoke"
    port = free_port()
    with start_sim("healthy") as sim:
        # --enable-rebalancing: Locust's own switch for moving users onto workers that join mid-run.
        boss = master(sim.url, port, prefix, workers=1, seconds=16, extra=["--enable-rebalancing"])
        first = worker(port)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any("(locust" in (r["user_agent"] or "") for r in sim.requests()):
            time.sleep(0.5)
        time.sleep(2)
        late = worker(port)
        code, err = finish(boss)
        finish(first, timeout=30)
        finish(late, timeout=30)
        log = sim.requests()
    assert code == 0, err[-2000:]
    assert_one_harvest(log)
    by_pid = load_by_pid(log)
    assert str(late.pid) in by_pid, f"the late worker sent no requests; master log: {err[-3000:]}"
    detail = [p for p in by_pid[str(late.pid)] if re.search(r"/\d+", p)]
    assert len(detail) > 5, "the late worker never exercised a detail endpoint (no ids?)"


def test_processes_flag_gives_the_same_guarantees(tmp_path: Path) -> None:
    prefix = tmp_path / "local-smoke"
    with start_sim("healthy") as sim:
        port = free_port()  # Locust's default 5557 is shared by every run on the machine: their workers swap
        result = run_locust(["--processes", "2", "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port),
                             "--master-port", str(port), "--ops-env", "local", "--host", sim.url, "-u", "6", "-r", "6",
                             "-t", "8s", "--think-time", "0,0.05", "--csv", str(prefix)])  # fmt: skip
        log = sim.requests()
    assert result.returncode == 0, result.stderr[-2000:]
    assert_one_harvest(log)
    assert len(load_by_pid(log)) == 2
    stats = read_stats(prefix)
    assert_stats_cover_the_mix(stats)
    assert int(stats["Aggregated"]["Failure Count"]) == 0
    assert json.loads(Path(f"{prefix}_run.json").read_text())["workers"] == 2
