"""Pages are first-class (issue 9 item 4): judged by `[page]`, left out of the aggregate, in every output.

The runs are written by Locust's own `RequestStats`/`StatsCSV` (see test_verdict.write_run), with
page views logged as Locust entries of request type PAGE, exactly as the page user records them.
The ground truth of "the aggregate over the API calls only" is Locust itself: the same API calls
written as a run without the page views.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from fixtures_report import synth
from test_verdict import Sample, lognormal, write_run

from ops_perf.exitcodes import ExitCode
from ops_perf.judge.figures import total_figures
from ops_perf.report import write_report
from ops_perf.runfiles.load import open_runs
from ops_perf.settings.targets import load_targets
from ops_perf.verdict import check_main, compare_main
from ops_perf.verdict.check import check_run
from ops_perf.verdict.compare import Change, compare_runs

API = {
    "/api/v1/agreements/[id]": Sample(lognormal(120, 300, 1)),
    "/api/v1/cans/": Sample(lognormal(80, 200, 2), failures=2),
    "/api/v1/notifications/": Sample(lognormal(30, 100, 3)),
}
PAGES = {
    "PAGE /agreements/:id": Sample(lognormal(11000, 40, 4, sigma=0.05)),  # p95 ~11.5 s > 10 s critical
    # 45 of 600 views failed (7.5 %): its 95 % interval, 5.6-9.9 %, lies wholly in the concern tier (5-10 %)
    "PAGE /cans": Sample(lognormal(900, 600, 5), failures=45),
}
SIDECAR = {
    "schema": 1,
    "pages": {
        "/agreements/:id": {"views": 40, "calls": 320, "slowest": {"/api/v1/agreements/[id]": 31, "/api/v1/cans/": 9}},
        "/cans": {"views": 60, "calls": 120, "slowest": {"/api/v1/cans/": 60}, "failures": {"/api/v1/cans/": 3}},
    },
}


@pytest.fixture
def pages_run(tmp_path: Path) -> Path:
    return write_run(tmp_path / "results", "local-normal", {**API, **PAGES}, extra={"user": "pages"})


def test_aggregate_is_over_the_api_calls_exactly_as_locust_would_count_them(pages_run: Path, tmp_path: Path) -> None:
    alone = write_run(tmp_path / "api-only", "local-normal", API)
    with_pages, without = open_runs([pages_run, alone])
    assert with_pages.total is not None  # Locust's own Aggregated row counts the page views
    assert int(with_pages.total["requests"]) == 600 + 640
    a, b = total_figures(with_pages), total_figures(without)
    assert a is not None and b is not None
    assert (a.requests, a.failures) == (b.requests, b.failures) == (600, 2)
    for metric in ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "failure_pct", "rps"):
        assert a.values[metric] == pytest.approx(b.values[metric], rel=1e-9), metric
    judged = check_run(with_pages, load_targets()).judgement
    assert judged.overall.page_views == 640 and judged.overall.percentiles_from == "histograms"
    # without <prefix>.json the API calls' percentiles are unknown, and said so rather than guessed
    Path(f"{pages_run}.json").unlink()
    blind = check_run(open_runs([pages_run])[0], load_targets()).judgement
    p95 = blind.aggregate.metric("p95_ms")
    assert p95 is not None and p95.status is None and "<prefix>.json" in p95.reason
    assert blind.overall.requests == 600


def test_check_and_junit_name_the_breaching_page(
    pages_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junit = tmp_path / "j.xml"
    assert check_main([str(pages_run), "--junit", str(junit)]) == ExitCode.THRESHOLDS_BREACHED
    out = capsys.readouterr().out
    assert "BREACH PAGE /agreements/:id: p95_ms" in out and "is critical (> 10,000 ms; 95 % interval" in out
    assert "2 page(s): 2 judged, 0 with not enough evidence on some metric" in out
    assert "(640 page views left out of it)" in out
    assert "BREACH PAGE /cans" not in out  # 7.5 % failed views is a concern, not a breach
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")}
    page = cases["PAGE /agreements/:id"]
    assert page.get("classname") == "ops-perf.check.page"
    failure = page.find("failure")
    assert failure is not None and (failure.get("message") or "").startswith("PAGE /agreements/:id: p95_ms")
    assert cases["PAGE /cans"].find("failure") is None


def test_report_pages_section(pages_run: Path, tmp_path: Path) -> None:
    Path(f"{pages_run}_pages.json").write_text(json.dumps(SIDECAR))
    text = write_report([pages_run], tmp_path / "report").read_text()
    section = text.split("## Pages")[1].split("\n## ")[0]
    rows = {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| `/")}
    assert set(rows) == {"`/agreements/:id`", "`/cans`"}
    agreements = [c.strip() for c in rows["`/agreements/:id`"].strip().strip("|").split("|")]
    assert agreements[1:4] == ["40", "0", "0.00"]
    assert agreements[7].startswith("🔴 critical")
    assert agreements[8:] == ["8.0", "`/api/v1/agreements/[id]` (31 of 40)", "none"]
    cans = [c.strip() for c in rows["`/cans`"].strip().strip("|").split("|")]
    assert cans[1:4] == ["600", "45", "7.50"] and cans[7].startswith("🟠 concern")
    assert cans[8:] == ["2.0", "`/api/v1/cans/` (60 of 600)", "`/api/v1/cans/` x3"]
    critical = text.split("### 🔴 Critical")[1].split("### ")[0]
    assert "1 page critical per config/targets.toml: PAGE /agreements/:id (p95_ms" in critical
    assert "**local-normal**: ❌ FAIL (exit 1)" in text
    overall = next(line for line in text.splitlines() if line.startswith("| local-normal | 10 x "))
    assert "| 600 | 2 |" in overall  # API calls only, not the 700 of Locust's Aggregated row


def test_report_without_the_sidecar_says_n_a(pages_run: Path, tmp_path: Path) -> None:
    text = write_report([pages_run], tmp_path / "report").read_text()
    section = text.split("## Pages")[1].split("\n## ")[0]
    row = next(line for line in section.splitlines() if line.startswith("| `/cans` |"))
    assert [c.strip() for c in row.strip().strip("|").split("|")][8:] == ["n/a", "n/a", "n/a"]
    assert "No `local-normal_pages.json`" in section


def test_page_targets_and_overrides_from_the_targets_file(pages_run: Path, tmp_path: Path) -> None:
    targets = tmp_path / "t.toml"
    targets.write_text(
        "[page]\np95_ms = { target = 3000, acceptable = 5000, critical = 10000 }\n"
        '[page_overrides."/agreements/:id"]\np95_ms = { target = 8000, acceptable = 12000, critical = 20000 }\n'
    )
    assert check_main([str(pages_run), "--targets", str(targets)]) == ExitCode.OK
    t = load_targets(targets)
    assert t.page_for("/agreements/:id")["p95_ms"].critical == 20000
    assert t.page_for("/cans")["p95_ms"].critical == 10000
    assert load_targets().page["p95_ms"].target == 3000  # the shipped default (issue 9)


def test_compare_compares_the_page_rows_of_two_pages_runs(tmp_path: Path) -> None:
    base = write_run(tmp_path / "a", "local-normal", {**API, "PAGE /cans": Sample(lognormal(900, 400, 6))})
    slower = {**API, "PAGE /cans": Sample(lognormal(1500, 400, 7))}  # the page, not its calls, is slower
    cand = write_run(tmp_path / "b", "local-normal", slower)
    a, b = open_runs([base, cand])
    result = compare_runs([a], b, load_targets().noise)
    assert [r.name for r in result.by_verdict(Change.REGRESSED)] == ["PAGE /cans"]
    assert result.aggregate is not None and result.aggregate.verdict is Change.UNCHANGED  # API calls only
    out = tmp_path / "COMPARISON.md"
    assert compare_main([str(base), str(cand), "-o", str(out)]) == ExitCode.REGRESSION
    assert "`PAGE /cans`" in out.read_text()


def test_pages_are_charted_apart_from_the_endpoints(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from ops_perf.report import charts

    drawn: dict[str, list[str]] = {}
    original = charts.endpoints_chart

    def spy(prefix: str, history: object, slowest: list[str], path: Path, what: str = "endpoints") -> None:
        drawn[what] = list(slowest)
        original(prefix, history, slowest, path, what)  # type: ignore[arg-type]

    monkeypatch.setattr(charts, "endpoints_chart", spy)
    eps = [
        synth.Ep("/api/v1/cans/", 40),
        synth.Ep("/agreements/:id", 10, median=2000, avg=2100, p95=9000, p99=9500, max=9900, method="PAGE"),
    ]
    prefix = synth.write_run(tmp_path / "r", synth.Run("local-normal", eps, full_history=True))
    out = write_report([prefix], tmp_path / "report")
    assert drawn == {"endpoints": ["/api/v1/cans/"], "pages": ["PAGE /agreements/:id"]}
    assert (out.parent / "charts" / "local-normal-pages-p95.png").is_file()
    assert "](charts/local-normal-pages-p95.png)" in out.read_text()
