"""Master and workers (issue 6): one warm-up, ids and tokens by message, one set of results."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import free_port
from run_helpers import (
    LOCUSTFILE,
    REPO_ROOT,
    assert_stats_cover_the_mix,
    clean_env,
    read_stats,
    run_locust,
    unlikely_to_miss,
)
from sim_helpers import start_sim

from ops_perf.catalog import ENDPOINTS, pools_in_use

pytestmark = pytest.mark.e2e
PID = re.compile(r"pid (\d+)")


def load_by_pid(log: list[dict]) -> dict[str, set[str]]:
    """Paths each load process requested, from the pid in its User-Agent."""
    seen: dict[str, set[str]] = defaultdict(set)
    for r in log:
        ua = r["user_agent"] or ""
        if "(locust" in ua and (m := PID.search(ua)):
            seen[m.group(1)].add(r["path"] + ("?" if r["query"] else ""))
    return seen


def assert_one_harvest(log: list[dict]) -> None:
    warmup = [r for r in log if "(warmup" in (r["user_agent"] or "")]
    assert {PID.search(r["user_agent"]).group(1) for r in warmup}.__len__() == 1, "more than one process harvested"
    per_path: dict[str, list[str]] = defaultdict(list)
    for r in warmup:
        per_path[r["path"]].append(r["query"] or "")
    assert set(per_path) == {p.list_path for p in pools_in_use().values()}
    assert all(len(q) == len(set(q)) for q in per_path.values()), "a list endpoint was harvested twice"


def assert_each_worker_covers_the_mix(log: list[dict], by_pid: dict[str, set[str]]) -> None:
    """Every worker requested every route its request count made all but certain; both together, all of them.

    Together they prove each worker got the ids, without failing a CI run in fifty on a weight-1 route.
    """
    sent: dict[str, int] = defaultdict(int)
    for r in log:
        ua = r["user_agent"] or ""
        if "(locust" in ua and (m := PID.search(ua)):
            sent[m.group(1)] += 1
    by_name = {ep.locust_name: ep.path.split("{")[0] for ep in ENDPOINTS}
    for pid, paths in by_pid.items():
        assert sent[pid] >= 300, f"worker {pid} sent only {sent[pid]} requests"
        routes = {by_name[n] for n in unlikely_to_miss(sent[pid])}
        missing = [r for r in routes if not any(p.startswith(r) for p in paths)]
        assert missing == [], f"worker {pid} never requested {missing} in {sent[pid]} requests"
    together = set().union(*by_pid.values())
    unseen = [r for r in set(by_name.values()) if not any(p.startswith(r) for p in together)]
    assert unseen == [], f"no worker requested {unseen}"


def worker(master_port: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host", "127.0.0.1",
           "--master-port", str(master_port)]  # fmt: skip
    return subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def master(
    sim_url: str, port: int, prefix: Path, workers: int, seconds: int, extra: list[str] = ()
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--master",
           "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", str(workers),
           "--expect-workers-max-wait", "30", "--ops-env", "local", "--host", sim_url, "-u", "6", "-r", "6",
           "-t", f"{seconds}s", "--think-time", "0,0.05", "--csv", str(prefix), *extra]  # fmt: skip
    return subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


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
