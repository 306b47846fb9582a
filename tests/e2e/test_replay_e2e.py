"""A replay is never judged as OPS (issue 15 item 4): `ops-perf demo --profile prod-2025-10-15 --time-scale 0.05`.

Its run.json records the profile and the scale, its results and its report are named as the simulator's,
it is judged against the targets scaled by 0.05 (the replay of a failing production run fails, exit 1,
at its scale: 20 s is 1 s there), and its report says so. The store keeps it in series of its own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from run_helpers import run_cli

from ops_perf.exitcodes import ExitCode
from ops_perf.history.config import load_history_config
from ops_perf.history.detect import build_series
from ops_perf.history.store import Store

pytestmark = pytest.mark.e2e
NAME = "local-smoke-sim-prod-2025-10-15"


def test_the_replay_demo_is_named_judged_and_reported_as_a_replay(tmp_path: Path) -> None:
    done = run_cli(
        ["demo", "--profile", "prod-2025-10-15", "--time-scale", "0.05", "-t", "8s",
         "--results-dir", str(tmp_path / "r"), "--reports-dir", str(tmp_path / "p")],
        timeout=240,
    )  # fmt: skip
    assert done.returncode == ExitCode.THRESHOLDS_BREACHED, done.stdout[-2000:] + done.stderr[-2000:]
    record = json.loads((tmp_path / "r" / f"{NAME}_run.json").read_text())
    assert record["sim_profile"] == "prod-2025-10-15" and record["sim_time_scale"] == 0.05
    report = (tmp_path / "p" / NAME / "PERFORMANCE_REPORT.md").read_text()
    assert report.splitlines()[0].startswith("# OPS API Performance Report: the OPS simulator (prod-2025-10-15 at time")
    assert "a replay of the simulator's profile `prod-2025-10-15` at time scale 0.05" in report
    assert "judged against the targets x 0.05 (an endpoint's p95 target 25 ms)" in report

    # The healthy demo after it, into the same store: the replay is kept out of the healthy series (its
    # 1,000 ms would otherwise be the healthy demo's "trend"), so the healthy report has no Trends yet.
    healthy = run_cli(
        ["demo", "-t", "4s", "--results-dir", str(tmp_path / "r"), "--reports-dir", str(tmp_path / "p")], timeout=240
    )
    assert healthy.returncode == ExitCode.OK, healthy.stdout[-2000:] + healthy.stderr[-2000:]
    assert "## Trends" not in (tmp_path / "p" / "local-smoke" / "PERFORMANCE_REPORT.md").read_text()
    with Store(f"sqlite:///{tmp_path / 'history.sqlite'}", create=False) as store:
        stored = {r["prefix"]: (r["sim_profile"], r["sim_time_scale"]) for r in store.runs()}
        series = build_series(store, load_history_config(None), "local", "smoke")
    assert stored == {NAME: ("prod-2025-10-15", 0.05), "local-smoke": ("healthy", 1.0)}
    aggregate = {s.measured: len(s.points) for s in series if s.kind == "aggregate"}
    assert aggregate == {"simulator healthy": 1, "simulator prod-2025-10-15 at time scale 0.05": 1}
