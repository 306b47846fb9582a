"""Honest details in the report (issue 11 item 10): gaps not zeros, connection errors, profile, interrupts."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import matplotlib.axes
import pandas as pd
import pytest
from fixtures_report.synth import Ep, Run, write_run

from ops_perf.exitcodes import ExitCode
from ops_perf.report import write_report
from ops_perf.report.charts import render_charts, without_empty_windows
from ops_perf.runfiles.load import discover_runs, load_run
from ops_perf.verdict import check_main

REFUSED = "ConnectionRefusedError(111, 'Connection refused')"


def _meta(prefix: str, **extra: Any) -> dict[str, Any]:
    return {
        "schema": 1,
        "prefix": prefix,
        "env": "local",
        "scenario": "smoke",
        "host": "http://127.0.0.1:9",
        "users": 3,
        "duration_s": 60.0,
        "think_time_s": [1.0, 3.0],
        "started_at": "2026-11-27T03:00:00Z",
        "load_started_at": "2026-11-27T03:00:05Z",
        "ended_at": "2026-11-27T03:01:05Z",
        "status": "completed",
        **extra,
    }


def test_percentiles_without_data_are_gaps_not_zero_ms() -> None:
    frame = pd.DataFrame({"ts": [1, 2, 3, 4], "rps": [0.0, 2.0, 0.0, 3.0], "p95": [0.0, 120.0, 0.0, float("nan")]})
    out = without_empty_windows(frame)
    assert [None if math.isnan(v) else v for v in out["p95"]] == [None, 120.0, None, None]
    assert list(out["rps"]) == [0.0, 2.0, 0.0, 3.0]  # no requests per second is a real 0


def test_timeline_chart_draws_no_zero_ms_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    prefix = write_run(tmp_path / "r", Run("local-smoke", [Ep("/api/v1/cans/", 40)], full_history=True))
    history = Path(f"{prefix}_stats_history.csv")
    lines = history.read_text().splitlines()
    header = lines[0].split(",")
    p95 = header.index("95%")
    rows = [line.split(",") for line in lines[1:]]
    for row in rows[20:30]:  # a stall: Locust writes 0 when its window holds no request
        row[header.index("50%")] = row[p95] = row[header.index("99%")] = "0"
    history.write_text("\n".join([lines[0], *(",".join(r) for r in rows)]) + "\n")
    drawn: list[tuple[str, list[float]]] = []
    original = matplotlib.axes.Axes.plot

    def spy(self: Any, x: Any, y: Any, *args: Any, **kwargs: Any) -> Any:
        drawn.append((str(kwargs.get("label")), [float(v) for v in y]))
        return original(self, x, y, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "plot", spy)
    run = load_run(discover_runs([prefix])[0])
    charts = render_charts(run, tmp_path)
    assert set(charts) == {"timeline", "endpoints"}
    latency = [y for label, y in drawn if label in ("median", "p95", "p99", "/api/v1/cans/")]
    assert len(latency) == 4
    for y in latency:
        assert 0.0 not in y and any(math.isnan(v) for v in y)


def test_connection_errors_point_at_the_host_and_the_network(tmp_path: Path) -> None:
    endpoints = [Ep("/api/v1/cans/", 20, 20), Ep("/api/v1/agreements/", 30, 3), Ep("/api/v1/users/", 30)]
    failures = [("/api/v1/cans/", REFUSED, 20), ("/api/v1/agreements/", REFUSED, 3)]
    prefix = write_run(tmp_path / "r", Run("local-smoke", endpoints, failures, run_json=_meta("local-smoke")))
    text = write_report([prefix], tmp_path / "out").read_text()
    recs = text.split("## Recommendations")[1].split("\n## ")[0]
    cans = next(line for line in recs.splitlines() if "`/api/v1/cans/` failed every request" in line)
    assert "Check the host and the network, not the route" in cans
    assert "the route and its speed" not in recs
    assert "Connection errors in local-smoke: the requests never reached OPS. Check the host and the network" in recs


def test_report_names_the_simulator_profile(tmp_path: Path) -> None:
    meta = _meta("local-smoke", sim_profile="prod-2025-10-15")
    prefix = write_run(tmp_path / "r", Run("local-smoke", [Ep("/api/v1/cans/", 40)], run_json=meta))
    text = write_report([prefix], tmp_path / "out").read_text()
    config = text.split("## Test configuration")[1].split("\n## ")[0]
    assert "the target was the OPS simulator with profile `prod-2025-10-15`" in config
    plain = write_run(tmp_path / "s", Run("local-smoke", [Ep("/api/v1/cans/", 40)], run_json=_meta("local-smoke")))
    assert "OPS simulator with profile" not in write_report([plain], tmp_path / "out2").read_text()


def test_an_interrupted_run_says_so_with_its_real_load_time(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    meta = _meta("local-smoke", status="interrupted", ended_at="2026-11-27T03:00:29Z", load_duration_s=18.0)
    prefix = write_run(tmp_path / "r", Run("local-smoke", [Ep("/api/v1/cans/", 40)], run_json=meta))
    text = write_report([prefix], tmp_path / "out").read_text()
    assert "interrupted (Ctrl-C): cut short after 18 s (0.3 min) of load of 60 s (1.0 min) planned" in text
    assert "| 18 s (0.3 min) of 60 s (1.0 min) planned (interrupted) |" in text  # not "60 s" of load
    assert "| local-smoke | 3 x 0.3 |" in text
    critical = text.split("### 🔴 Critical")[1].split("### ")[0]
    assert "the run was interrupted (Ctrl-C) after 18 s of load of 60 s planned" in critical
    assert "⛔ INVALID (exit 4)" in text
    assert check_main([str(prefix)]) == ExitCode.RUN_INVALID
    assert "run invalid: the run was interrupted (Ctrl-C) after 18 s of load of 60 s planned" in capsys.readouterr().out
    # without load_duration_s (older runs): from the load's start to load_ended_at
    meta = _meta("local-smoke", status="interrupted", load_ended_at="2026-11-27T03:00:17Z")
    prefix = write_run(tmp_path / "s", Run("local-smoke", [Ep("/api/v1/cans/", 40)], run_json=meta))
    assert "cut short after 12 s (0.2 min) of load" in write_report([prefix], tmp_path / "out2").read_text()
