"""The report on results of a real run against the simulator's prod-2025-10-15 profile (issue 4)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from run_helpers import read_failures, read_stats, run_cli
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def prod_like_run(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("prodlike")
    with start_sim("prod-2025-10-15", time_scale=0.01) as sim:
        result = run_cli(
            ["run", "--env", "local", "--scenario", "smoke", "--host", sim.url, "-u", "10", "-r", "10", "-t", "10s",
             "--think-time", "0,0.05", "--results-dir", str(root / "results"), "--reports-dir", str(root / "reports")]
        )  # fmt: skip
    name = "local-smoke-sim-prod-2025-10-15"  # a run of another profile than the healthy one is named for it
    prefix = root / "results" / name
    report = root / "reports" / name / "PERFORMANCE_REPORT.md"
    return {"result": result, "prefix": prefix, "report": report}


def test_run_writes_the_report_and_judges_it(prod_like_run: dict) -> None:
    result = prod_like_run["result"]
    assert "Traceback" not in result.stderr
    assert result.returncode == 1, "the prod profile breaches the failure-rate and p95 limits"
    assert prod_like_run["report"].is_file()
    assert f"report written to {prod_like_run['report']}" in result.stdout
    assert Path(f"{prod_like_run['prefix']}_junit.xml").is_file()
    charts = list((prod_like_run["report"].parent / "charts").glob("*.png"))
    assert charts, "the report's charts"


def test_report_figures_come_from_the_run_csvs(prod_like_run: dict) -> None:
    text = prod_like_run["report"].read_text()
    total = read_stats(prod_like_run["prefix"])["Aggregated"]
    row = (
        rf"\| local-smoke-sim-prod-2025-10-15 \| 10 x [\d.]+ \| {total['Request Count']} \| {total['Failure Count']} \|"
    )
    assert re.search(row, text), "the overall row must carry the CSV's own request and failure counts"
    failures = read_failures(prod_like_run["prefix"])
    n504 = sum(int(f["Occurrences"]) for f in failures if "504" in f["Error"])
    n404 = sum(int(f["Occurrences"]) for f in failures if "404" in f["Error"])
    assert n504 > 0 and n404 > 0
    assert re.search(rf"\b{n504} gateway timeouts \(504\)", text), f"{n504} x 504 not stated in the report"
    assert re.search(rf"\b{n404} x 404\b", text), f"{n404} x 404 not stated in the report"


def test_report_finds_the_scaled_gateway_ceiling(prod_like_run: dict) -> None:
    # 20 s at time scale 0.01: the simulator's gateway answers 504 after about 200 ms.
    text = prod_like_run["report"].read_text()
    section = text.split("## Gateway-timeout analysis")[1].split("\n## ")[0]
    assert re.search(r"\b2\d\d ms\b|0\.2 s", section), section[:1500]


def test_report_uses_run_json_and_warmup(prod_like_run: dict) -> None:
    record = json.loads(Path(f"{prod_like_run['prefix']}_run.json").read_text())
    text = prod_like_run["report"].read_text()
    assert record["host"] in text
    assert "†" not in text.split("## Test configuration")[1].split("\n## ")[0], "nothing inferred: run.json exists"
    assert "arm-up" in text, "the warm-up summary"
