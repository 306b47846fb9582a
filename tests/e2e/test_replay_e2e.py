"""A replay is never judged as OPS (issue 15 item 4): `ops-perf demo --profile prod-2025-10-15 --time-scale 0.05`.

Its run.json records the profile and the scale, its results and its report are named as the simulator's,
it is judged against the targets scaled by 0.05 (the replay of a failing production run fails, exit 1,
at its scale: 20 s is 1 s there), and its report says so.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from run_helpers import run_cli

from ops_perf.exitcodes import ExitCode

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
