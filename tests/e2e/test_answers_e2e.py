"""What counts as OPS's answer, through real runs (issue 15 items 2 and 6).

Four runs, made at once against simulators of their own (each 10-15 s of load):
- `designed`: a page tour against the healthy simulator, whose seed has portfolios without a website URL:
  OPS answers their `portfolios-url/{id}` with 404 by design. Zero failures; the portfolio pages' views
  are degraded (counted and named per page and call), and the report's API-design note says it once.
- `blocking`: the same, with the portfolio detail (`portfolios/{id}`, which blocks its pages) failing with
  500: those views fail, naming the call.
- `html`: the endpoint user against a simulator whose `/api/v1/cans/` answers 200 with an HTML login page
  (a proxy's): the warm-up flags it, and every load request to it fails as not JSON; the run fails.
- `hanging`: the endpoint user for 12 s against a simulator that takes 30 s on `/api/v1/cans/[id]`: the
  requests still open when the load stops are recorded as unfinished with their time so far, in the
  failures file and the report, and the run does not pass.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from run_helpers import read_failures, read_stats, run_cli
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e

PAGES = ["--scenario", "smoke", "--user", "pages", "--page-tour", "--think-time", "0", "-u", "1", "-r", "1"]
ENDPOINTS = ["--scenario", "smoke", "-u", "4", "-r", "4", "--think-time", "0.1,0.2"]
RUNS: dict[str, tuple[str, list[str], list[str]]] = {
    "designed": ("healthy", [], [*PAGES, "-t", "14s"]),
    "blocking": ("PROFILE", [], [*PAGES, "-t", "14s"]),
    "html": ("healthy", ["--html-200", "/api/v1/cans/"], [*ENDPOINTS, "-t", "10s", "--", "--tags", "cans"]),
    "hanging": ("healthy", ["--delay", "/api/v1/cans/[id]=30000"], [*ENDPOINTS, "-t", "12s", "--", "--tags", "cans"]),
}
"""Each run: the simulator's profile and flags, and `ops-perf run`'s options."""
BLOCKING_PROFILE = {
    "name": "portfolio-500",
    "extends": "healthy",
    "endpoints": {"/api/v1/portfolios/[id]": {"errors": {"500": 1.0}}},
}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    root = tmp_path_factory.mktemp("answers")
    profile = root / "portfolio-500.json"
    profile.write_text(json.dumps(BLOCKING_PROFILE))
    sims = {}
    try:
        for name, (sim_profile, sim_args, _) in RUNS.items():
            sims[name] = start_sim(str(profile) if sim_profile == "PROFILE" else sim_profile, extra_args=sim_args)
        without_url = set(sims["designed"].get("/__sim__/data/portfolios-without-url").json()["portfolio_ids"])

        def one(name: str) -> dict[str, Any]:
            results = root / name
            done = run_cli(
                ["run", "--env", "local", "--host", sims[name].url, "--results-dir", str(results),
                 "--reports-dir", str(root / f"{name}-report"), *RUNS[name][2]],
                timeout=240,
            )  # fmt: skip
            stats = sorted(results.glob("*_stats.csv"))
            prefix = Path(str(stats[0])[: -len("_stats.csv")]) if stats else None
            report = next((root / f"{name}-report").rglob("PERFORMANCE_REPORT.md"), None)
            return {"result": done, "prefix": prefix, "report": report.read_text() if report else ""}

        with ThreadPoolExecutor(len(RUNS)) as pool:
            done = dict(zip(RUNS, pool.map(one, RUNS), strict=True))
        done["without_url"] = without_url
        yield done
    finally:
        for sim in sims.values():
            sim.close()


def test_designed_answers_are_not_failures_and_degrade_the_views(runs: dict[str, Any]) -> None:
    run = runs["designed"]
    assert run["result"].returncode in (0, 1), run["result"].stderr[-3000:]
    prefix = run["prefix"]
    stats = read_stats(prefix)
    assert int(stats["Aggregated"]["Failure Count"]) == 0, "a designed 404 is OPS's answer, not a failure"
    record = json.loads(Path(f"{prefix}_run.json").read_text())
    designed = record["designed_answers"].get("/api/v1/portfolios-url/[id]", {})
    assert designed.get("404", 0) > 0, "the tour views portfolios without a URL"
    pages = json.loads(Path(f"{prefix}_pages.json").read_text())["pages"]
    degraded = {
        route: counts
        for route, counts in pages.items()
        if counts.get("degraded", {}).get("/api/v1/portfolios-url/[id]")
    }
    assert "/portfolios/:id/spending" in degraded or "/portfolios/:id/funding" in degraded
    assert all(counts["degraded_views"] <= counts["views"] for counts in degraded.values())
    # Every completed view of a portfolio without a URL is degraded: the ones that asked (404) and the tabs
    # that kept that answer. A view the run's end cut short is in neither count; its 404 may be in OPS's.
    views = json.loads(Path(f"{prefix}_records.json").read_text())["names"]
    without_url_views = sum(
        counts["requests"]
        for route in ("/portfolios/:id/spending", "/portfolios/:id/funding")
        for pid, counts in views.get(route, {}).get("records", {}).items()
        if int(pid) in runs["without_url"]
    )
    assert sum(c["degraded"]["/api/v1/portfolios-url/[id]"] for c in degraded.values()) == without_url_views
    assert designed["404"] <= without_url_views + 1, "one person: at most its last view ends with the run"
    report = run["report"]
    assert report.count("## API design notes") == 1
    assert "`/api/v1/portfolios-url/[id]` answered **404**" in report
    assert "Degraded views (the page rendered without a part)" in report


def test_a_blocking_calls_500_still_fails_the_view(runs: dict[str, Any]) -> None:
    run = runs["blocking"]
    prefix = run["prefix"]
    spending = read_stats(prefix)["/portfolios/:id/spending"]  # the tour opens the portfolio on this tab first
    assert int(spending["Request Count"]) > 0 and int(spending["Failure Count"]) == int(spending["Request Count"])
    pages = json.loads(Path(f"{prefix}_pages.json").read_text())["pages"]
    failed = pages["/portfolios/:id/spending"]["failures"]
    assert any("/api/v1/portfolios/[id]" in call for call in failed), failed
    # The page user reports its requests itself (locust_compat.get_unreported): Locust's own words for a 500.
    errors = {f["Error"] for f in read_failures(prefix) if f["Name"] == "/api/v1/portfolios/[id]"}
    assert errors == {"LocustBadStatusCode(code=500)"}
    assert run["result"].returncode == 1, run["result"].stdout[-2000:]


def test_a_2xx_that_is_not_json_fails_its_requests_and_the_run(runs: dict[str, Any]) -> None:
    run = runs["html"]
    prefix = run["prefix"]
    assert run["result"].returncode == 1, run["result"].stdout[-2000:]
    warmup = json.loads(Path(f"{prefix}_warmup.json").read_text())
    assert any(f["endpoint"] == "/api/v1/cans/" and "not JSON" in f["error"] for f in warmup["failures"])
    cans = read_stats(prefix)["/api/v1/cans/"]
    assert int(cans["Request Count"]) > 0 and int(cans["Failure Count"]) == int(cans["Request Count"])
    errors = {f["Error"] for f in read_failures(prefix) if f["Name"] == "/api/v1/cans/"}
    assert errors == {"CatchResponseError('HTTP 200 with a text/html body, not JSON')"}
    assert "carried no JSON" in run["report"]


def test_requests_open_when_the_load_stops_are_recorded_as_unfinished(runs: dict[str, Any]) -> None:
    run = runs["hanging"]
    prefix = run["prefix"]
    assert run["result"].returncode == 1, run["result"].stdout[-2000:]
    detail = read_stats(prefix)["/api/v1/cans/[id]"]
    unfinished = [f for f in read_failures(prefix) if f["Name"] == "/api/v1/cans/[id]"]
    assert unfinished and unfinished[0]["Error"] == "UnfinishedRequest('no answer before the load stopped')"
    assert int(detail["Failure Count"]) == int(unfinished[0]["Occurrences"]) == int(detail["Request Count"])
    # each was timed until the load stopped: at most the 12 s of load, never the 30 s it would have taken
    assert 0 < float(detail["Max Response Time"]) <= 13_000
    assert "still had no answer when the load stopped" in run["report"]
