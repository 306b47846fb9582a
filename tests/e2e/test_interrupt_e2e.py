"""Ctrl-C keeps the run (issue 11, item 2), with real processes and a real SIGINT.

`ops-perf run` is started in its own session (so it and its Locust child form one process group,
as in a terminal), the load is seen arriving at the simulator, then:

- `os.killpg(pgid, SIGINT)`, what Ctrl-C does: both processes get the signal. Three times, since
  before the fix two tries in three died in Locust's shutdown with a `KeyboardInterrupt` traceback;
- `os.kill(pid, SIGINT)` to `ops-perf run` alone, which before the fix ran on to `completed`, exit 0,
  and a report claiming the planned 60 s of load.

Each must keep every file, say `interrupted` with the load time really run, exit 130 and print no
traceback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_helpers import REPO_ROOT, clean_env, read_stats
from sim_helpers import SimProcess, start_sim

from ops_perf.exitcodes import ExitCode

pytestmark = pytest.mark.e2e

PLANNED_S = 40
LOAD_BEFORE_SIGNAL_S = 2.0
FILES = ("_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", ".html", ".json", "_run.json",
         "_warmup.json")  # fmt: skip


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_sim("healthy") as running:
        yield running


def load_requests(sim: SimProcess) -> list[dict[str, Any]]:
    return [r for r in sim.requests() if "(locust" in (r["user_agent"] or "")]


def interrupted_run(sim: SimProcess, out: Path, send: str, report: bool, *extra: str) -> dict[str, Any]:
    """Start `ops-perf run` in its own process group, wait for its load, SIGINT it, collect everything."""
    sim.reset()
    cmd = [sys.executable, "-m", "ops_perf", "run", "--env", "local", "--scenario", "smoke", "--host", sim.url,
           "-u", "3", "-r", "3", "-t", f"{PLANNED_S}s", "--think-time", "0,0.1",
           "--results-dir", str(out / "results"), "--reports-dir", str(out / "reports"),
           *([] if report else ["--no-report"]), *extra]  # fmt: skip
    started = time.time()
    proc = subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while not load_requests(sim) and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.2)
        assert load_requests(sim), "the load never started"
        time.sleep(LOAD_BEFORE_SIGNAL_S)
        signalled = time.time()
        if send == "group":
            os.killpg(proc.pid, signal.SIGINT)  # ops-perf run and its Locust child, as Ctrl-C does
        else:
            os.kill(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    ended = time.time()
    prefix = out / "results" / "local-smoke"
    return {"proc": proc, "stdout": stdout, "stderr": stderr, "prefix": prefix, "started": started,
            "signalled": signalled, "ended": ended, "log": load_requests(sim)}  # fmt: skip


def check_kept(run: dict[str, Any]) -> dict[str, Any]:
    proc, prefix = run["proc"], run["prefix"]
    output = run["stdout"] + run["stderr"]
    assert proc.returncode == ExitCode.INTERRUPTED == 130, (proc.returncode, run["stderr"][-3000:])
    assert "Traceback" not in output and "KeyboardInterrupt" not in output, run["stderr"][-3000:]
    missing = [suffix for suffix in FILES if not Path(f"{prefix}{suffix}").is_file()]
    assert missing == [], f"the interrupted run lost {missing}"
    assert not Path(f"{prefix}_run.lock").exists(), "the prefix reservation was left behind"
    stats = read_stats(prefix)
    assert int(stats["Aggregated"]["Request Count"]) > 0
    history = Path(f"{prefix}_stats_history.csv").read_text(encoding="utf-8").splitlines()
    assert len(history) > 1, "no history rows"
    record = json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))
    assert record["status"] == "interrupted" and record["exit_code"] == 130
    assert record["planned_duration_s"] == PLANNED_S
    # The real load time: at least what we waited before the signal, at most the whole process's life.
    assert LOAD_BEFORE_SIGNAL_S - 0.5 <= record["duration_s"] <= run["ended"] - run["started"]
    assert record["duration_s"] < PLANNED_S and record["duration_s"] == record["load_duration_s"]
    load_ended = _ts(record["load_ended_at"])
    assert _ts(record["load_started_at"]) < load_ended <= _ts(record["ended_at"])
    assert run["signalled"] - 1 <= load_ended, "the load end is not when the interrupt came"
    # No load after the interrupt was handled (a little slack: requests already in flight).
    assert max(r["t"] for r in run["log"]) <= load_ended + 1.0
    assert "interrupted" in run["stdout"]
    return record


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


@pytest.mark.parametrize("attempt", range(3))
def test_ctrl_c_to_the_process_group_keeps_the_run(sim: SimProcess, tmp_path: Path, attempt: int) -> None:
    run = interrupted_run(sim, tmp_path, "group", report=attempt == 0)
    check_kept(run)
    if attempt == 0:
        report = (tmp_path / "reports" / "local-smoke" / "PERFORMANCE_REPORT.md").read_text(encoding="utf-8")
        assert "interrupted" in report
        assert f"{PLANNED_S} s (" not in report, "the report claims the planned load time"


def test_sigint_to_ops_perf_alone_keeps_the_run(sim: SimProcess, tmp_path: Path) -> None:
    run = interrupted_run(sim, tmp_path, "parent", report=True)
    check_kept(run)
    report = (tmp_path / "reports" / "local-smoke" / "PERFORMANCE_REPORT.md").read_text(encoding="utf-8")
    assert "interrupted" in report


def test_ctrl_c_with_local_worker_processes_keeps_the_run(sim: SimProcess, tmp_path: Path) -> None:
    """`--processes 2`: master and two forked workers in the group; before, the master's CSV writer
    also died on its closed files while `atexit` waited for the workers."""
    run = interrupted_run(sim, tmp_path, "group", False, "--processes", "2")
    record = check_kept(run)
    assert record["workers"] == 2


def test_ctrl_c_before_the_load_exits_130_and_leaves_nothing(tmp_path: Path) -> None:
    """While the probe waits for a slow server (before any load): exit 130 at once, one line, no files."""
    profile = tmp_path / "slow-version.json"
    profile.write_text(json.dumps({"name": "slow-version", "description": "the probe's GET waits 20 s",
                                   "extends": "healthy",
                                   "endpoints": {"/api/v1/version/": {"latency_ms": [[0, 20000], [100, 20000]]}}}))  # fmt: skip
    out = tmp_path / "out"
    with start_sim(str(profile)) as slow:
        cmd = [sys.executable, "-m", "ops_perf", "run", "--env", "local", "--scenario", "smoke", "--host", slow.url,
               "--results-dir", str(out / "results"), "--reports-dir", str(out / "reports")]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True, start_new_session=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while proc.poll() is None and time.monotonic() < deadline:
                if any(r["path"] == "/api/v1/version/" for r in slow.requests()):
                    break
                time.sleep(0.2)
            assert any(r["path"] == "/api/v1/version/" for r in slow.requests()), "the probe never came"
            os.killpg(proc.pid, signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.communicate()
        log = slow.requests()
    assert proc.returncode == 130, stderr[-3000:]
    assert "Traceback" not in stdout + stderr and "KeyboardInterrupt" not in stderr, stderr[-3000:]
    assert "interrupted before the load started" in stderr
    # It left at once: the probe would have had its answer after 20 s and the run gone on to the warm-up.
    assert not [r for r in log if "(warmup" in (r["user_agent"] or "") or "(locust" in (r["user_agent"] or "")]
    results = out / "results"
    assert not results.exists() or not any(results.iterdir()), sorted(results.iterdir())
