"""Counts and bounds that agree with the run (issue 15 item 3): one closed pages run, its outputs parsed.

The end-of-load line, the check, the report and Locust's own stats CSV must say the same numbers of API
calls and page views, each named (Locust's Aggregated row counts both); requests/s is API calls over the
load's measured time everywhere; the closed model's bound uses the API calls per view the run measured.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from run_helpers import read_stats, run_cli
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e

END = re.compile(
    r"load over after (\d+) s: (\d+) API calls \+ (\d+) page views, \d+ failed calls .*, ([\d.]+) API calls/s"
)
BOUND = re.compile(
    r"(\d+) people with ([\d.]+)-([\d.]+) s think time, viewing pages of ([\d.]+) API calls each as measured, "
    r"make at most ([\d.]+) API calls/s"
)


def test_a_pages_runs_counts_agree_everywhere(tmp_path: Path) -> None:
    with start_sim("healthy") as sim:
        done = run_cli(
            ["run", "--env", "local", "--host", sim.url, "--scenario", "normal", "-u", "4", "-r", "4", "-t", "12s",
             "--think-time", "1,2", "--results-dir", str(tmp_path / "r"), "--reports-dir", str(tmp_path / "p")],
            timeout=180,
        )  # fmt: skip
    assert done.returncode in (0, 1), done.stderr[-3000:]
    end = END.search(done.stderr)
    assert end, done.stderr[-3000:]
    calls, views = int(end.group(2)), int(end.group(3))
    assert calls > views > 0

    prefix = next((tmp_path / "r").glob("*_stats.csv"))
    stats = read_stats(Path(str(prefix)[: -len("_stats.csv")]))
    assert int(stats["Aggregated"]["Request Count"]) == calls + views  # Locust's row counts both
    assert sum(int(r["Request Count"]) for r in stats.values() if r["Type"] == "PAGE") == views

    assert f"aggregate over the {calls} API calls only ({views} page views left out of it)" in done.stdout
    record = json.loads(next((tmp_path / "r").glob("*_run.json")).read_text())
    load_s = record["load_duration_s"]
    report = next((tmp_path / "p").rglob("PERFORMANCE_REPORT.md")).read_text()
    bound = BOUND.search(report)
    assert bound, "the report's requests/s note gives the closed pages run's bound"
    people, low = int(bound.group(1)), float(bound.group(2))
    per_view, most = float(bound.group(4)), float(bound.group(5))
    assert people == 4 and per_view == pytest.approx(calls / views, abs=0.05)
    assert most == pytest.approx(people / low * calls / views, abs=0.01)
    # requests/s: API calls over the load's measured time, in the report's Overall metrics
    overall = report.split("## Overall metrics", 1)[1].split("\n## ", 1)[0]
    assert f"| {calls} |" in overall or f"| {calls:,} |" in overall
    assert f"{calls / load_s:.2f}" in overall
