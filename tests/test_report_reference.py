"""The report on the real 2025-10-15 results: every figure must equal what the CSVs say.

The hand-written report of that day disagrees with its own CSVs in many cells; ops-api-facts.md holds
the true Aggregated figures. These tests pin them, and pin the cells where the old report was wrong.
The CSVs are read in place from ../shared (skipped with a reason when absent), never copied.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ops_perf.report.analyse import Analysis, analyse
from ops_perf.report.cli import catalog_names, write_report
from ops_perf.runfiles.load import discover_runs, load_run
from ops_perf.settings.targets import load_targets

EXPECTED_ROWS = [
    # run, users x min, requests, failures, fail %, median, p95, p99, average, RPS
    ["dev-baseline", "3 x 10", "496", "10", "2.02", "190", "3500", "7200", "1192.6", "0.83"],
    ["stg-baseline", "3 x 10", "496", "3", "0.60", "180", "2100", "4700", "1459.7", "0.83"],
    ["stg-baseline-normal", "10 x 20", "3097", "3", "0.10", "460", "6300", "25000", "1810.3", "2.58"],
    ["production-baseline", "3 x 10", "564", "19", "3.37", "210", "4100", "20000", "986.3", "0.94"],
    ["production-baseline-normal", "10 x 20", "2146", "224", "10.44", "940", "20000", "20000", "3389.6", "1.80"],
]


def _table(markdown: str, header_start: str) -> list[list[str]]:
    """The rows of the Markdown table whose header line starts with `header_start`."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(header_start))
    rows = []
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip().strip("|").split("|")])
    return rows


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    from conftest import REFERENCE_RESULTS

    if not REFERENCE_RESULTS.is_dir():
        pytest.skip(f"reference CSVs not found at {REFERENCE_RESULTS}")
    out = tmp_path_factory.mktemp("ref") / "report"
    path = write_report([REFERENCE_RESULTS], out)
    return out, path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    from conftest import REFERENCE_RESULTS

    if not REFERENCE_RESULTS.is_dir():
        pytest.skip(f"reference CSVs not found at {REFERENCE_RESULTS}")
    runs = [load_run(i) for i in discover_runs([REFERENCE_RESULTS])]
    targets = {r.prefix: load_targets(env=r.meta.env) for r in runs}
    return analyse(runs, targets, load_targets(), catalog_names())


def test_overall_table_is_exact(report: tuple[Path, str]) -> None:
    rows = _table(report[1], "| run (file prefix) | users x min |")
    assert rows == EXPECTED_ROWS


def test_overall_table_equals_facts_cell_for_cell(report: tuple[Path, str], reference_dir: Path) -> None:
    facts = (reference_dir / "ops-api-facts.md").read_text(encoding="utf-8")
    expected = _table(facts, "| run (file prefix) |")
    assert len(expected) == 5
    assert _table(report[1], "| run (file prefix) |") == expected


def test_cells_the_hand_written_report_got_wrong(report: tuple[Path, str]) -> None:
    rows = {r[0]: r for r in _table(report[1], "| run (file prefix) |")}
    # The old report gave stg-baseline-normal production-baseline's figures: 564 / 19 / 3.37% / 210 / 0.47.
    assert rows["stg-baseline-normal"][2:5] == ["3097", "3", "0.10"]
    assert rows["stg-baseline-normal"][5] == "460" and rows["stg-baseline-normal"][9] == "2.58"
    # Its p95 cells: dev 1700, stg 1200, prod 1800; p99: dev 14000, stg 240000.
    assert [rows[p][6] for p in ("dev-baseline", "stg-baseline", "production-baseline")] == ["3500", "2100", "4100"]
    assert [rows[p][7] for p in ("dev-baseline", "stg-baseline")] == ["7200", "4700"]
    # Its averages: stg-baseline 4044, production-baseline 1956, production-baseline-normal 6613.
    assert [rows[p][8] for p in ("stg-baseline", "production-baseline", "production-baseline-normal")] == [
        "1459.7",
        "986.3",
        "3389.6",
    ]


def test_production_normal_failure_analysis(analysis: Analysis) -> None:
    run = analysis.run("production-baseline-normal")
    assert len(run.failing_endpoints) == 50  # the old report said 36
    assert run.class_count("gateway_timeout") == 165
    assert run.class_count("http_4xx", 404) == 59
    assert run.failures_in_file == run.overall.failures == 224
    assert {f.label for f in run.all_failed} == {"/api/v1/agreement-agencies/", "/api/v1/ops-db-histories/"}
    classes = {c.title: (c.occurrences, c.endpoints) for c in run.failure_classes}
    assert classes == {"504 Gateway Time-out": (165, 50), "404 Not Found": (59, 2)}


def test_production_normal_gateway_ceiling(analysis: Analysis, report: tuple[Path, str]) -> None:
    g = analysis.run("production-baseline-normal").gateway
    assert g.total_504 == 165 and len(g.endpoints_504) == 50
    assert g.ceiling is not None
    assert g.ceiling.seconds == 20
    assert round(g.ceiling.low_ms) == 20043 and round(g.ceiling.high_ms) == 20230
    assert len(g.ceiling.endpoints) == 50
    assert g.aggregate_p95_at_ceiling and g.aggregate_p99_at_ceiling
    # A lone 504 endpoint in the baseline run fits the same ceiling; stg's 240 s one does not.
    assert analysis.run("production-baseline").gateway.consistent_with is g.ceiling
    assert analysis.run("stg-baseline").gateway.consistent_with is None
    assert "requests are cut at about 20 s" in report[1]


def test_success_criteria(analysis: Analysis) -> None:
    verdicts = {r.prefix: {c.name: c.verdict for c in r.criteria} for r in analysis.runs}
    assert verdicts["stg-baseline-normal"]["error rate"] == "PASS"  # 0.10% at 10 users
    assert verdicts["production-baseline-normal"]["error rate"] == "FAIL"
    assert verdicts["dev-baseline"]["error rate"] == "n/a"  # 3 users: the criterion is judged at 10
    assert verdicts["dev-baseline"]["504 gateway timeouts"] == "PASS"
    assert verdicts["production-baseline"]["504 gateway timeouts"] == "FAIL"
    assert all(r.criteria_verdict == "FAIL" for r in analysis.runs)


def test_metadata_inferred_and_said_so(analysis: Analysis, report: tuple[Path, str]) -> None:
    meta = analysis.run("production-baseline-normal").meta
    assert (meta.env, meta.scenario, meta.users) == ("production", "baseline-normal", 10)
    assert meta.duration_s == 1197.0
    assert {"env", "scenario", "users", "duration_s"} <= meta.inferred
    assert "| production-baseline-normal | production † | baseline-normal † | not recorded | 10 † |" in report[1]


def test_targets_use_environment_overrides(analysis: Analysis) -> None:
    status = {r.prefix: {c.metric: c.status for c in r.targets} for r in analysis.runs}
    tiers = {r.prefix: r.judgement.aggregate.metric("p95_ms").tier for r in analysis.runs}  # type: ignore[union-attr]
    assert tiers["dev-baseline"].critical == 4000  # [env.dev.aggregate] p95 critical > 4000
    assert tiers["production-baseline"].critical == 2000  # the default
    # Judged by evidence: dev's p95 (3,500 ms) is concern by its point, its interval (2,550-5,150 ms, from the
    # CSV's cells) reaches critical under dev's own limit
    assert status["dev-baseline"]["p95_ms"] == "not enough evidence"
    assert status["production-baseline"]["p95_ms"] == "critical"
    assert status["production-baseline-normal"]["failure_pct"] == "not enough evidence"  # 9.2-11.8 % spans 10 %


def test_catalog_endpoints_never_exercised(analysis: Analysis) -> None:
    run = analysis.run("production-baseline-normal")
    assert run.never_exercised is not None and run.not_in_catalog is not None
    assert "/api/v1/lookups/agreement-types/" in run.never_exercised  # the catalog's current name
    assert "/api/v1/ops-db-histories/" in run.not_in_catalog  # a route the suite no longer calls


def test_executive_summary_ranks_findings(report: tuple[Path, str]) -> None:
    text = report[1]
    summary = text[text.index("## Executive summary") : text.index("## Test configuration")]
    critical = summary[summary.index("### 🔴 Critical") : summary.index("### 🟠 Concerns")]
    first = critical.splitlines()[2]
    assert first.startswith("- **production-baseline-normal**: 165 gateway timeouts (504) on 50 endpoints")
    concerns = summary[summary.index("### 🟠 Concerns") : summary.index("### 🟢 Positive")]
    assert "would fail the gate by their point value alone" in concerns  # e.g. its 10.44 % failed
    assert "### 🟢 Positive" in summary


def test_report_is_byte_identical_and_charts_deterministic(
    tmp_path: Path, reference_results: Path, report: tuple[Path, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1760572800")
    one = write_report([reference_results], tmp_path / "one")
    two = write_report([reference_results], tmp_path / "two")
    assert one.read_bytes() == two.read_bytes()
    assert "Generated: 2025-10-16 00:00:00 UTC by ops-perf" in one.read_text()
    pngs = sorted((tmp_path / "one" / "charts").glob("*.png"))
    assert len(pngs) == 5
    for png in pngs:
        assert png.read_bytes() == (tmp_path / "two" / "charts" / png.name).read_bytes()
        assert png.read_bytes() == (report[0] / "charts" / png.name).read_bytes()
    # Without SOURCE_DATE_EPOCH (the module's report) only the "Generated" line differs.
    strip = re.compile(r"^Generated: .*$", re.M)
    assert strip.sub("", one.read_text()) == strip.sub("", report[1])


def test_report_package_never_imports_locust(reference_results: Path, tmp_path: Path) -> None:
    code = (
        "import sys; from pathlib import Path; from ops_perf.report import write_report; "
        f"write_report([Path({str(reference_results / 'dev-baseline')!r})], Path({str(tmp_path / 'r')!r})); "
        "bad = sorted(m for m in sys.modules if m == 'locust' or m.startswith('locust.')); "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
