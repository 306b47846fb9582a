"""The open model under master + workers (issue 10): the rate is split, arrivals counted across them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import free_port
from distributed_helpers import load_by_pid, master, worker
from run_helpers import finish, read_stats
from sim_helpers import start_sim
from test_open_e2e import fixed_profile, open_scenario

pytestmark = pytest.mark.e2e

RATE, SECONDS = 20, 6  # open_scenario's stage: 6 s


def run_distributed(url: str, prefix: Path, scenario: Path, extra: Sequence[str] = ()) -> tuple[int, str]:
    """A master and two workers (test_distributed's helpers; -u is the pool cap, -t the scenario's 6 s)."""
    port = free_port()
    boss = master(url, port, prefix, workers=2, seconds=SECONDS, extra=["--scenario", str(scenario), *extra])
    workers = [worker(port), worker(port)]
    code, err = finish(boss)
    for proc in workers:
        finish(proc, timeout=30)
    return code, err


def test_two_workers_share_the_rate_and_the_master_adds_up_their_arrivals(tmp_path: Path) -> None:
    prefix = tmp_path / "local-open"
    scenario = open_scenario(tmp_path, rate=RATE, max_users=6, arrivals="constant")
    with start_sim(str(fixed_profile(tmp_path))) as sim:
        code, err = run_distributed(sim.url, prefix, scenario)
        log = sim.requests()
    assert code == 0, err[-3000:]
    record = json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))
    assert record["workers"] == 2 and record["model"] == "open" and record["arrival_processes"] == 2
    assert record["arrivals"] == RATE * SECONDS, "each worker offers half; the master sums both"
    assert record["dropped_arrivals"] == 0 and record["status"] == "completed"
    requests = int(read_stats(prefix)["Aggregated"]["Request Count"])
    assert RATE * SECONDS - 4 <= requests <= RATE * SECONDS, "one request per arrival (a few cut by the end)"
    per_worker = sorted(
        sum(1 for r in log if f"pid {pid})" in (r["user_agent"] or "") and "(locust" in r["user_agent"])
        for pid in load_by_pid(log)
    )
    assert len(per_worker) == 2 and per_worker[0] >= 0.4 * sum(per_worker), f"the rate is split: {per_worker}"
    assert "offered by 2 worker(s)" in err


def test_drops_on_every_worker_are_counted_and_invalidate_the_run(tmp_path: Path) -> None:
    """Every arrival the plan offered is counted: started, dropped, or still queued at the end (unstarted).

    Before: the workers' plans ran on their own clocks, from their spawn, so the stop cut the last arrivals
    of each off, and the arrivals still queued (under 1 s old) when the load ended were neither started
    nor dropped: of the 180 offered, about 160 were counted. Constant arrivals make the plan's count exact.
    """
    prefix = tmp_path / "local-open"
    rate = 30
    scenario = open_scenario(tmp_path, rate=rate, max_users=2, arrivals="constant")
    with start_sim(str(fixed_profile(tmp_path)), time_scale=4.0) as sim:  # 200 ms per answer, 1 user per worker
        code, err = run_distributed(sim.url, prefix, scenario, ["-u", "2"])
        sent = sum(1 for r in sim.requests() if "(locust" in (r["user_agent"] or ""))
    assert code == 4, err[-3000:]
    record = json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))
    assert record["status"] == "invalid" and record["dropped_arrivals"] > 0.5 * record["arrivals"]
    assert record["arrival_processes"] == 2, "both workers' counters are in the totals"
    # The plan's 180 (a worker may miss its very last one, 1/15 s before the end, if the stop overtakes it).
    assert rate * SECONDS - 2 <= record["arrivals"] <= rate * SECONDS, record
    started = record["arrivals"] - record["dropped_arrivals"] - record["unstarted_arrivals"]
    assert sent == started, "each started arrival is one request, a dropped or unstarted one none"
    assert "run invalid" in err
