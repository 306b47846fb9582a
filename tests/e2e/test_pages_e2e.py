"""The page user against the simulator, as real processes: PAGE rows, fan-outs, in-flight limit, polls.

The four runs (one person each, 7-10 s) are made once, at the same time, each against a simulator of
its own (a fixture shared by the tests), so the module takes one run's time instead of four. Sharing
two cores makes each person slower, never faster: a tour of the 31 pages takes ~30 page views and a
run alone makes ~380 in 8 s, ~180-250 with two more tours beside it, so every page is still viewed
several times over. The poll run reads for 60 s after one view, so it adds almost no load; its
check is "never early" (a loaded machine only delays) and a median gap within 3 periods.
"""

from __future__ import annotations

import csv
import itertools
import json
import re
import statistics
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from run_helpers import read_stats, run_locust
from sim_helpers import SimProcess, start_sim

from ops_perf.users.pages.catalog import CATALOG
from ops_perf.users.pages.person import MAX_IN_FLIGHT
from ops_perf.users.pages.view import DEFECT_SUFFIX

pytestmark = pytest.mark.e2e
CONDITION_NEVER_MET = {
    "/api/v1/procurement-shops/[id]": "only with a procurement-shop change request in review: none in the seed data"
}
PROJECT_SPENDING = re.compile(r"^/api/v1/projects/(\d+)/spending/$")
AGREEMENT_SPENDING = "/api/v1/agreements/[id]/spending/"
"""Sent by `/projects/:id/spending` once per agreement of the project in the fiscal year: a few seeded
projects have none, so a run whose views of that page all drew one of them (a loaded machine makes
few views) rightly sends none. The fixture asks the simulator which case the run was."""
"""Frontend endpoints that only a condition the data never meets would send."""
SPENDING_CANS = re.compile(r"^/api/v1/portfolios/(\d+)/cans/$")
BLI = re.compile(r"^/api/v1/budget-line-items/(\d+)$")
POLL_S = 1.0
DELAY_MS = 1500
"""The slow-history profile's `/api/v1/agreements/[id]/history/` latency."""
TOUR = ["--page-tour", "--think-time", "0"]
RUNS: dict[str, tuple[int, list[str]]] = {
    "tour": (10, TOUR),
    "polls": (7, ["--think-time", "60", "--notification-poll", str(POLL_S)]),  # one view, then a long read
    "delayed": (8, [*TOUR, "--stop-timeout", "5"]),  # its last view finishes: no request left unfinished
    "defects": (8, [*TOUR, "--frontend-defects"]),
}
"""Each run: its seconds of load and its options."""


def pages_run(sim_url: str, prefix: Path, seconds: int, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_locust(
        ["--ops-env", "local", "--host", sim_url, "--scenario", "smoke", "--user", "pages", "-u", "1", "-r", "1",
         "-t", f"{seconds}s", "--csv", str(prefix), "--only-summary", *extra],
        timeout=120,
    )  # fmt: skip


def slow_history_profile(directory: Path) -> Path:
    profile = directory / "slow-history.json"
    profile.write_text(
        json.dumps(
            {
                "name": "slow-history",
                "extends": "healthy",
                "endpoints": {"/api/v1/agreements/[id]/history/": {"latency_ms": [[0, DELAY_MS], [100, DELAY_MS]]}},
            }
        )
    )
    return profile


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, dict[str, Any]]]:
    """The four runs at once, each with its simulator; each run's result, prefix and load requests."""
    root = tmp_path_factory.mktemp("pages-e2e")
    profiles = {"delayed": str(slow_history_profile(root))}
    sims: dict[str, SimProcess] = {}
    try:
        for name in RUNS:
            sims[name] = start_sim(profiles.get(name, "healthy"))

        def run(name: str) -> dict[str, Any]:
            seconds, extra = RUNS[name]
            prefix = root / name / "local-pages"
            prefix.parent.mkdir()
            result = pages_run(sims[name].url, prefix, seconds, *extra)
            return {"result": result, "prefix": prefix, "log": load_requests(sims[name].requests())}

        with ThreadPoolExecutor(len(RUNS)) as pool:
            done = dict(zip(RUNS, pool.map(run, RUNS), strict=True))
        # What the tour's fan-out should have sent, from the simulator's own data (while it runs).
        tour = sims["tour"]
        fiscal_year = tour.get("/__sim__/data/").json()["current_fiscal_year"]
        done["without_url"] = set(tour.get("/__sim__/data/portfolios-without-url").json()["portfolio_ids"])
        views = spending_views(done["tour"]["log"])
        done["tour"]["views"] = views
        done["tour"]["expected"] = {
            pid: tour.get(f"/__sim__/data/portfolio-budget-lines?portfolio_id={pid}&fiscal_year={fiscal_year}").json()
            for pid in {pid for pid, _ in views}
        }
        # Did any /projects/:id/spending view of the tour call for agreements/{id}/spending/?
        token = tour.login("power_user")["access_token"]
        projects = {int(m.group(1)) for r in done["tour"]["log"] if (m := PROJECT_SPENDING.match(r["path"]))}
        done["tour"]["agreement_spending_due"] = any(
            tour.get(f"/api/v1/projects/{pid}/spending/", token).json()["agreements_by_fy"].get(str(fiscal_year))
            for pid in projects
        )
    finally:
        for sim in sims.values():
            sim.close()
    yield done


def succeeded(run: dict[str, Any]) -> None:
    result = run["result"]
    assert result.returncode == 0, result.stderr[-3000:]


def page_rows(prefix: Path) -> dict[str, dict[str, str]]:
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh) if row["Type"] == "PAGE"}


def load_requests(log: list[dict]) -> list[dict]:
    return [r for r in log if "(locust" in (r["user_agent"] or "")]


def max_in_flight(log: list[dict]) -> int:
    """The most requests open at once, from the simulator's arrival and end times."""
    edges = sorted([(r["t"], 1) for r in log] + [(r["t_end"], -1) for r in log], key=lambda e: (e[0], e[1]))
    most = current = 0
    for _, step in edges:
        current += step
        most = max(most, current)
    return most


def spending_views(log: list[dict]) -> list[tuple[int, list[int]]]:
    """(portfolio id, budget line ids sent) per /portfolios/:id/spending view in the log.

    A view's fan-out starts when `portfolios/{id}/cans/?..includeInactive=true` has answered: its budget
    lines are queued together and sent as the browser's slots free up (always: their hook is a lazy
    trigger, never the frontend's cache). It is over at the view's `cans/?limit=50&offset=0` (wave 4: it
    waits for every budget line, and a lazy trigger is always sent). Other requests that reach the server
    in between are passed over. (The end used to be guessed from timing: the first other request after
    every budget line so far had answered. On a loaded machine that once cut a view one budget line short.)
    """
    views = []
    for i, r in enumerate(log):
        match = SPENDING_CANS.match(r["path"])
        if not match or "includeInactive=true" not in (r["query"] or ""):
            continue
        sent: list[int] = []
        for later in log[i + 1 :]:
            if later["t"] < r["t_end"]:
                continue
            if (m := BLI.match(later["path"])) is not None:
                sent.append(int(m.group(1)))
            elif later["path"] == "/api/v1/cans/" and "limit=50" in (later["query"] or ""):
                break
        else:
            continue  # the run ended inside this view
        views.append((int(match.group(1)), sent))
    return views


def designed_only(log: list[dict[str, Any]], without_url: set[int]) -> None:
    """Every error answer in the log is OPS's designed one: `portfolios-url/{id}` of a portfolio that has
    no website URL (404 by design: issue 15), never anything else."""
    errors = [(r["status"], r["path"]) for r in log if r["status"] >= 400]
    designed = {(404, f"/api/v1/portfolios-url/{pid}") for pid in without_url}
    assert [e for e in errors if e not in designed] == []


def test_a_pages_run_views_every_page_and_sends_what_the_frontend_sends(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["tour"]
    succeeded(run)
    prefix, log, views, expected = run["prefix"], run["log"], run["views"], run["expected"]
    stats = read_stats(prefix)
    pages = page_rows(prefix)
    assert sorted(r for r in CATALOG.pages if int(pages.get(r, {}).get("Request Count", 0)) < 1) == []
    unused = CATALOG.endpoints() - set(CONDITION_NEVER_MET)
    if not run["agreement_spending_due"]:  # every project viewed had no agreement in the year
        assert AGREEMENT_SPENDING not in stats, "sent for a project without agreements in the fiscal year"
        unused.discard(AGREEMENT_SPENDING)
    assert sorted(e for e in unused if int(stats.get(e, {}).get("Request Count", 0)) < 1) == []
    assert int(stats["Aggregated"]["Failure Count"]) == 0
    designed_only(log, runs["without_url"])

    # One budget-line-items/{id} per distinct budget line of the portfolio's CANs in the fiscal year.
    assert views, "no complete /portfolios/:id/spending view in the log"
    for pid, sent in views:
        assert sorted(sent) == expected[pid]["budget_line_item_ids"], f"portfolio {pid}"
        assert len(sent) == len(set(sent)) == expected[pid]["count"]
    assert any(expected[pid]["count"] > MAX_IN_FLIGHT for pid, _ in views), "no view fanned out wide"

    # A browser's limit: never more than 6 requests of the person open at once (and it does use them).
    assert 2 <= max_in_flight(log) <= MAX_IN_FLIGHT

    # The sidecar: every page's views and calls, consistent with the PAGE rows.
    sidecar = json.loads(Path(f"{prefix}_pages.json").read_text())
    assert sidecar["schema"] == 1
    for route, row in pages.items():
        assert sidecar["pages"][route]["views"] == int(row["Request Count"])
    assert sidecar["pages"]["/portfolios/:id/spending"]["calls"] > sidecar["pages"]["/portfolios/:id/spending"]["views"]
    record = json.loads(Path(f"{prefix}_run.json").read_text())
    assert record["user"] == "pages" and record["frontend_defects"] is False


def test_notification_polls_keep_their_period(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["polls"]  # one page view, then a long read: what the person sends meanwhile is the poll
    succeeded(run)
    prefix, log = run["prefix"], run["log"]
    assert sum(int(r["Request Count"]) for r in page_rows(prefix).values()) == 1, "one view, then reading"
    notifications = [r for r in log if r["path"] == "/api/v1/notifications/" and "agreement_id" not in r["query"]]
    polls = [r["t"] for r in notifications[1:]]  # the first is the one page view's own (the header's)
    assert len(polls) >= 3, f"expected a poll every {POLL_S:g}s, saw {len(polls)}"
    gaps = [b - a for a, b in itertools.pairwise(polls)]
    assert min(gaps) >= POLL_S * 0.95, "a poll came early"
    assert statistics.median(gaps) <= POLL_S * 3


def test_a_delayed_second_wave_call_shows_in_its_page_only(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["delayed"]
    succeeded(run)
    delay_ms = DELAY_MS
    pages = page_rows(run["prefix"])
    assert float(pages["/agreements/:id"]["Min Response Time"]) >= delay_ms
    others = {r: float(row["Median Response Time"]) for r, row in pages.items() if r != "/agreements/:id"}
    assert len(others) == len(CATALOG.pages) - 1
    assert sorted(r for r, ms in others.items() if ms >= delay_ms) == []


def test_frontend_defects_are_announced_named_and_not_counted_as_failures(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["defects"]
    succeeded(run)
    prefix, log, result = run["prefix"], run["log"], run["result"]
    assert "frontend defects ON" in result.stderr
    stats = read_stats(prefix)
    defects = {name: row for name, row in stats.items() if name.endswith(DEFECT_SUFFIX)}
    assert defects, "the tour passes pages whose data make the frontend send its defective calls"
    assert all(int(row["Failure Count"]) == 0 for row in defects.values())
    assert int(stats["Aggregated"]["Failure Count"]) == 0
    sent = {r["path"] for r in log if r["status"] == 404 and "/portfolios-url/" not in r["path"]}
    assert sent and all(path.endswith(("/-1", "/0", "/null")) or path == "/api/v1/" for path in sent)
    assert json.loads(Path(f"{prefix}_run.json").read_text())["frontend_defects"] is True
