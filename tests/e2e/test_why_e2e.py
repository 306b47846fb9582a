"""Every run says why: per-record figures and OPS's pool, from real pages runs against the simulator.

- A healthy simulator with a heavy record (the seed's heavy agreement, 333 budget lines, made slow by
  4 ms per budget line): the report names the record and its size, draws the pool from the health
  samples, and says the pool was not the limit.
- The same page load against `--workers 2` (a server of two threads, its pool of two): "pool at its
  limit" in the report and in the check's lines.
- A health endpoint without `pool_status` (another OPS version): one line, no pool figures, and the
  run is not failed for it.

The agreement pool of the first run is the heavy one and five others (a `--warmup-ids` file made from
a real harvest), so that a 40-second run views the heavy record many times, not by luck. Its pool
has 100 connections: without `--workers` the simulator serves every request at once, and 20 people
with 6 requests in flight each hold some 20-30 of them at the peak (a healthy OPS is one whose pool
is larger than what its threads can hold, as a real OPS's 2 x 4 threads hold at most 8).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from run_helpers import run_cli
from sim_helpers import SimProcess, start_sim

from ops_perf.users import warmup_file
from ops_perf.users.endpoints.catalog import pools_in_use
from ops_perf.users.warmup import harvest

pytestmark = pytest.mark.e2e

AGREEMENT = "/api/v1/agreements/[id]"
PAGES = [
    "--scenario",
    "smoke",
    "--user",
    "pages",
    "-u",
    "20",
    "-r",
    "20",
    "--think-time",
    "0.5,1",
    "--health-interval",
    "1",
]


def run(sim: SimProcess, tmp: Path, *args: str, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    results, reports = tmp / "results", tmp / "reports"
    done = run_cli(
        ["run", "--env", "local", "--host", sim.url, *args, "--results-dir", str(results), "--reports-dir", str(reports),
         *(("--", *extra) if extra else ())],
        timeout=240,
    )  # fmt: skip
    # Named for the simulator's profile where it is not the healthy one (local-smoke-sim-causes).
    found = sorted(results.glob("local-smoke*_run.json"))
    prefix = results / (found[0].name.removesuffix("_run.json") if found else "local-smoke")
    report = reports / prefix.name / "PERFORMANCE_REPORT.md"
    return {
        "done": done,
        "prefix": prefix,
        "report": report.read_text() if report.exists() else "",
        "charts": reports / prefix.name / "charts",
        "server": json.loads(Path(f"{prefix}_server.json").read_text())
        if Path(f"{prefix}_server.json").exists()
        else None,
        "records": json.loads(Path(f"{prefix}_records.json").read_text())
        if Path(f"{prefix}_records.json").exists()
        else None,
    }


def why(report: str) -> str:
    return report.split("## Why it is slow", 1)[1].split("\n## ", 1)[0] if "## Why it is slow" in report else ""


@pytest.fixture(scope="module")
def heavy_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    tmp = tmp_path_factory.mktemp("heavy")
    with start_sim("healthy", extra_args=["--per-row", f"{AGREEMENT}=4", "--pool-size", "100"]) as sim:
        heavy = sim.get("/__sim__/info").json()["causes"]["heavy_record"]
        token = sim.login()["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Referer": "http://localhost:3000/",
        }
        ids, summary = harvest(sim.url, lambda: headers, pools_in_use(), ids_per_pool=200, deadline_s=60, timeout_s=10)
        others = [i for i in ids["agreement_ids"] if i != heavy["id"]][:5]
        ids["agreement_ids"] = [heavy["id"], *others]
        ids_file = tmp / "ids.json"
        warmup_file.save(ids_file, ids, summary)
        outcome = run(sim, tmp, *PAGES, "-t", "40s", extra=("--warmup-ids", str(ids_file)))
        outcome["heavy"] = heavy
        yield outcome


def test_the_report_names_the_heavy_record_and_its_size(heavy_run: dict[str, Any]) -> None:
    done, heavy = heavy_run["done"], heavy_run["heavy"]
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    records = heavy_run["records"]["names"][AGREEMENT]["records"]
    assert str(heavy["id"]) in records and records[str(heavy["id"])]["requests"] >= 3
    section = why(heavy_run["report"])
    row = next(line for line in section.splitlines() if "one record dominates" in line and AGREEMENT in line)
    kb = round(heavy["bytes"] / 1024)
    assert f"id {heavy['id']} takes" in row and re.search(rf"it is ({kb - 1}|{kb}|{kb + 1}) KB", row), row
    assert f"why: {AGREEMENT}: one record dominates: id {heavy['id']}" in done.stdout


def test_the_pool_is_drawn_from_the_health_samples_and_was_not_the_limit(heavy_run: dict[str, Any]) -> None:
    server = heavy_run["server"]
    assert server is not None and len(server["baseline"]) == 3 and len(server["samples"]) >= 20
    assert all(s["pool"]["size"] == 100 for s in server["samples"] if s["pool"])
    chart = heavy_run["charts"] / f"{heavy_run['prefix'].name}-pool.png"
    assert chart.is_file() and f"(charts/{chart.name})" in heavy_run["report"]
    section = why(heavy_run["report"])
    assert "the pool was not the limit" in section and "pool at its limit" not in section


def test_pool_at_its_limit_with_two_workers_and_twenty_people(tmp_path: Path) -> None:
    with start_sim("causes", extra_args=["--workers", "2"]) as sim:
        outcome = run(sim, tmp_path, *PAGES, "-t", "30s")
    done = outcome["done"]
    assert done.returncode in (0, 1), done.stdout[-3000:] + done.stderr[-3000:]
    pooled = [s for s in outcome["server"]["samples"] if s["pool"]]
    assert len(pooled) >= 10 and {s["pool"]["size"] for s in pooled} == {2}
    assert "**pool at its limit**" in why(outcome["report"])
    assert "why: OPS: pool at its limit" in done.stdout


def test_a_health_answer_without_pool_status_is_one_line_and_no_failure(tmp_path: Path) -> None:
    with start_sim("healthy", extra_args=["--health-without-pool-status"]) as sim:
        outcome = run(sim, tmp_path, "--scenario", "smoke", "-u", "3", "-t", "8s", "--health-interval", "1")
    done = outcome["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    output = done.stdout + done.stderr
    assert output.count("without checks.database_connection.pool_status") == 1
    server = outcome["server"]
    assert server["pool_status"] is False and server["samples"] and all(s["pool"] is None for s in server["samples"])
    assert "carried no pool_status" in why(outcome["report"])
