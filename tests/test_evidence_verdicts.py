"""Issue 15, item 1: verdicts in proportion to evidence, the same in the report, check, JUnit and compare.

One run, two endpoints against `[endpoint]`'s p95 (critical above 2,000 ms): `/api/v1/cans/` with 3
requests, one of them 2,600 ms (its point p95 is that request: critical by the old rule), and
`/api/v1/users/` with 300 requests of which 30 (10 %) take 2,500-3,000 ms (its p95's whole interval lies
above 2,000 ms). The first is "not enough evidence" with its interval, the second critical, everywhere.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from test_verdict import Sample, lognormal, write_run

from ops_perf.exitcodes import ExitCode
from ops_perf.report import write_report
from ops_perf.runfiles.load import open_runs
from ops_perf.settings.targets import load_targets
from ops_perf.verdict import check_main, compare_main
from ops_perf.verdict.compare import compare_runs
from ops_perf.verdict.compare.delta import Change

FEW = "/api/v1/cans/"
MANY = "/api/v1/users/"


def _candidate(directory: Path) -> Path:
    slow = list(np.random.default_rng(7).uniform(2500, 3000, 30))
    return write_run(
        directory, "local-smoke",
        {FEW: Sample([120.0, 180.0, 2600.0]), MANY: Sample(lognormal(100, 270, 5) + slow)},
    )  # fmt: skip


def _baseline(directory: Path) -> Path:
    return write_run(
        directory, "local-smoke", {FEW: Sample([110.0, 150.0, 170.0]), MANY: Sample(lognormal(100, 300, 6))}
    )  # fmt: skip


@pytest.fixture
def runs(tmp_path: Path) -> tuple[Path, Path]:
    return _baseline(tmp_path / "base"), _candidate(tmp_path / "cand")


def test_few_requests_are_not_enough_evidence_many_are_critical_in_check_and_junit(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, cand = runs
    junit = tmp_path / "check.xml"
    assert check_main([str(cand), "--junit", str(junit)]) == ExitCode.THRESHOLDS_BREACHED
    out = capsys.readouterr().out
    assert re.search(rf"BREACH {re.escape(MANY)}: p95_ms [\d,]+ ms is critical \(> 2,000 ms; 95 % interval", out)
    assert f"UNPROVEN {FEW}: p95_ms 2,600 ms: not enough evidence: p95 at least" in out
    assert f"BREACH {FEW}" not in out
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    assert cases[MANY].find("failure") is not None
    skipped = cases[FEW].find("skipped")
    assert skipped is not None and "not enough evidence: p95 at least" in (skipped.get("message") or "")


def test_the_report_says_the_same(runs: tuple[Path, Path], tmp_path: Path) -> None:
    _, cand = runs
    text = write_report([cand], tmp_path / "report").read_text()
    critical = text.split("### 🔴 Critical")[1].split("### ")[0]
    assert MANY in critical and "95 % interval" in critical and FEW not in critical
    concerns = text.split("### 🟠 Concerns")[1].split("### ")[0]
    assert f"{FEW} (p95_ms 2,600 ms" in concerns and "not enough evidence" in concerns
    assert "⚪" in text  # the endpoint counts name the rows without enough evidence


def test_compare_gives_the_few_no_verdict_and_the_many_a_regression(
    runs: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    base, cand = open_runs(list(runs))
    comparison = compare_runs([base], cand, load_targets().noise)
    rows = {r.name: r for r in comparison.endpoints}
    assert rows[FEW].verdict is Change.NO_DATA and "cannot bound" in rows[FEW].headline()
    assert rows[MANY].verdict is Change.REGRESSED
    out = tmp_path / "COMPARISON.md"
    assert compare_main([str(runs[0]), str(runs[1]), "-o", str(out)]) == ExitCode.REGRESSION
    assert "not enough evidence" in out.read_text()
