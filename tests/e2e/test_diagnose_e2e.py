"""`ops-perf diagnose` against the simulator with three planted causes and a real PostgreSQL.

The simulator (a real process) plays, each on its own route, every other route healthy:
- an N+1 on `/api/v1/agreements/[id]` with real SQL (2 + one per budget line) against a throw-away
  PostgreSQL with `pg_stat_statements` preloaded, 4 ms per budget line, and the heavy agreement
  (333 budget lines, about 560 KB) that that makes take 1.4 s against about 70 ms for the others;
- 6 ms per row answered on `/api/v1/budget-line-items/` (`limit` 10/25/50);
- `/api/v1/cans/[id]` serialised (one request in service at a time; 100 ms more of service, so the
  client's own overhead cannot blur it).
The diagnosis must name each cause on its route (statements per request exact, ms per row within 15 %
of the planted value, the heavy id named), flag nothing on five healthy routes, never send more
requests than the budget it printed first (counted in the simulator's log), be refused on prod, keep
what it measured on Ctrl-C, and without `pg_stat_statements` say so in one line and go on.
The database URL carries a password that must appear nowhere.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pg_helpers import Postgres, skip_reason
from run_helpers import REPO_ROOT, clean_env, run_cli
from sim_helpers import SimProcess, start_sim

from ops_perf.judge.causes import DiagnosisJudgement, judge_diagnosis
from ops_perf.runfiles.diagnosis_json import parse_diagnosis
from ops_perf.settings.targets import load_targets

pytestmark = [pytest.mark.e2e, pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")]

PASSWORD = "n0t-a-real-diagn0se-s3cret"  # trust auth ignores it; it must still never show
AGREEMENT, BLI, CAN = "/api/v1/agreements/[id]", "/api/v1/budget-line-items/", "/api/v1/cans/[id]"
PER_ROW = {AGREEMENT: 4.0, BLI: 6.0}
HEALTHY = ("/api/v1/portfolios/", "/api/v1/cans/", "/api/v1/projects/[id]", "/api/v1/divisions/", "/api/v1/version/")
SIM_ARGS = [
    "--per-row", f"{AGREEMENT}={PER_ROW[AGREEMENT]:g}", "--per-row", f"{BLI}={PER_ROW[BLI]:g}",
    "--delay", f"{CAN}=100",
]  # fmt: skip


@pytest.fixture(scope="module")
def db_url(postgres_statements: Postgres) -> str:
    return postgres_statements.new_statements_database("diagnose_n_plus_one", PASSWORD)


@pytest.fixture(scope="module")
def sim(db_url: str) -> Iterator[SimProcess]:
    os.environ["OPS_SIM_DB_URL"] = db_url  # the simulator's N+1 runs its SQL there (kept off the command line)
    try:
        running = start_sim("causes", time_scale=1.0, extra_args=SIM_ARGS, timeout_s=60)
    finally:
        del os.environ["OPS_SIM_DB_URL"]
    with running:
        yield running


def diagnose(
    args: list[str], results: Path, db: str | None = None, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    env = {"OPS_DB_URL": db} if db else None
    return run_cli(
        ["diagnose", "--env", "local", *args, "--results-dir", str(results)], env=env, timeout=timeout, cwd=results
    )


def endpoint_args(*names: str) -> list[str]:
    return [arg for name in names for arg in ("--endpoint", name)]


def judged(folder: Path) -> tuple[dict[str, Any], DiagnosisJudgement]:
    data = json.loads((folder / "diagnose.json").read_text())
    diagnosis = parse_diagnosis(data)
    assert diagnosis is not None
    return data, judge_diagnosis(diagnosis, load_targets(env="local"))


@pytest.fixture(scope="module")
def full(sim: SimProcess, db_url: str, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The diagnosis of the three planted routes and five healthy ones, with the default budget."""
    results = tmp_path_factory.mktemp("diagnose")
    sim.reset()
    done = diagnose(["--host", sim.url, *endpoint_args(AGREEMENT, BLI, CAN, *HEALTHY)], results, db_url)
    folder = results / "local-diagnose"
    data, verdicts = judged(folder) if (folder / "diagnose.json").exists() else ({}, None)
    return {
        "done": done, "folder": folder, "data": data, "judged": verdicts, "log": sim.requests(),
        "info": sim.get("/__sim__/info").json(),
        "rows": sim.get(f"/__sim__/data/embedded-rows?endpoint={AGREEMENT}").json()["rows"],
    }  # fmt: skip


def causes_of(judgement: DiagnosisJudgement, name: str) -> dict[str, Any]:
    verdict = judgement.endpoint(name)
    assert verdict is not None, f"{name} was not probed"
    return {c.kind: c for c in verdict.causes}


def test_the_budget_is_printed_first_and_never_exceeded(full: dict[str, Any]) -> None:
    done = full["done"]
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert "budget: at most 400 requests in all" in lines[0], lines[0]
    first_request = next(i for i, line in enumerate(lines) if "health before the probes" in line)
    assert first_request > 0, "the budget line comes before anything is sent"
    log = full["log"]
    assert 0 < len(log) <= 400, f"{len(log)} requests in the simulator's log"
    assert len(log) == full["data"]["budget"]["used"], "every request sent is counted, and only those"
    assert {e["name"] for e in log} >= {AGREEMENT, CAN, "/api/v1/portfolios/"}


def test_the_n_plus_one_is_named_with_its_statements_exact(full: dict[str, Any]) -> None:
    causes = causes_of(full["judged"], AGREEMENT)
    assert "n_plus_one" in causes
    n1 = causes["n_plus_one"].figures
    assert (round(n1["per_row"], 6), round(n1["fixed"], 6)) == (1, 2), "2 + one statement per budget line"
    rows = {int(k): v for k, v in full["rows"].items()}
    logged = {e["path"]: e["sql_statements"] for e in full["log"] if e["name"] == AGREEMENT}
    records = next(e for e in full["data"]["endpoints"] if e["name"] == AGREEMENT)["records"]
    assert len({r["id"] for r in records}) == len(rows), "each id of the pool (the slowest asked again)"
    assert sum(1 for r in records if r.get("repeat")) == 6
    for sample in records:  # per request, as pg_stat_statements saw it, against the simulator's own count
        assert sample["statements"] == logged[f"/api/v1/agreements/{sample['id']}"] == 2 + rows[int(sample["id"])]


def test_the_heavy_record_is_named(full: dict[str, Any]) -> None:
    heavy = full["info"]["causes"]["heavy_record"]
    causes = causes_of(full["judged"], AGREEMENT)
    assert causes["record_dominates"].figures["id"] == str(heavy["id"])
    assert causes["record_dominates"].figures["rows"] == heavy["rows"]
    assert f"id {heavy['id']}" in (full["folder"] / "DIAGNOSIS.md").read_text()


def test_ms_per_row_is_within_15_percent_of_the_planted_cost(full: dict[str, Any]) -> None:
    for name in (BLI, AGREEMENT):
        causes = causes_of(full["judged"], name)
        measured = causes["grows_with_rows"].figures["ms_per_row"]
        assert measured == pytest.approx(PER_ROW[name], rel=0.15), f"{name}: {measured} ms per row"
    assert causes_of(full["judged"], BLI)["grows_with_rows"].figures["source"] == "page_size"


def test_the_serialised_route_is_named_and_the_healthy_ones_are_not(full: dict[str, Any]) -> None:
    judgement = full["judged"]
    assert "serialises" in causes_of(judgement, CAN)
    for name in HEALTHY:
        verdict = judgement.endpoint(name)
        assert verdict is not None and verdict.causes == [], f"{name}: {[c.line() for c in verdict.causes]}"
        assert verdict.concurrency is not None and verdict.concurrency.verdict == "scales"
    assert {c.subject for c in judgement.causes} == {AGREEMENT, BLI, CAN}


def test_the_database_url_appears_nowhere(full: dict[str, Any]) -> None:
    folder = full["folder"]
    outputs = [
        full["done"].stdout,
        full["done"].stderr,
        *(p.read_text(errors="replace") for p in folder.glob("*.*") if p.suffix in (".json", ".md")),
    ]
    assert all(PASSWORD not in text and "postgresql://" not in text for text in outputs)
    assert full["data"]["database"] == {"given": True, "statements": True, "note": ""}
    assert (folder / "diagnose-concurrency.png").is_file() and (folder / "diagnose-rows.png").is_file()


def test_without_pg_stat_statements_one_line_and_the_other_figures(
    sim: SimProcess, postgres_statements: Postgres, tmp_path: Path
) -> None:
    plain = postgres_statements.new_database("diagnose_without_extension")
    done = diagnose(["--host", sim.url, *endpoint_args(BLI, "/api/v1/version/")], tmp_path, plain)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    said = [line for line in done.stdout.splitlines() if "pg_stat_statements" in line]
    assert len(said) == 1 and "shared_preload_libraries" in said[0] and "CREATE EXTENSION" in said[0]
    data, judgement = judged(tmp_path / "local-diagnose")
    assert data["database"]["given"] and not data["database"]["statements"]
    bli = next(e for e in data["endpoints"] if e["name"] == BLI)
    assert len(bli["page_size"]) == 9 and all(s["statements"] is None for s in bli["page_size"])
    assert bli["database"] is None
    assert "grows_with_rows" in causes_of(judgement, BLI)
    assert "ms per row" in (tmp_path / "local-diagnose" / "DIAGNOSIS.md").read_text()


def test_refused_on_prod_before_any_request(sim: SimProcess, tmp_path: Path) -> None:
    sim.reset()
    done = run_cli(
        ["diagnose", "--env", "prod", "--host", sim.url, "--endpoint", AGREEMENT, "--results-dir", str(tmp_path)],
        cwd=tmp_path,
    )
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "not allowed on prod" in done.stderr
    assert sim.requests() == [] and list(tmp_path.iterdir()) == []


def test_ctrl_c_keeps_what_was_measured(sim: SimProcess, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "ops_perf", "diagnose", "--env", "local", "--host", sim.url,
           *endpoint_args(AGREEMENT, CAN, BLI), "--results-dir", str(tmp_path)]  # fmt: skip
    process = subprocess.Popen(
        cmd, cwd=tmp_path, env=clean_env({"PYTHONPATH": str(REPO_ROOT)}), stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    seen = []
    try:
        for line in process.stdout:  # until the second endpoint's probes begin (its record sweep: ~5 s)
            seen.append(line)
            if "[2/3]" in line:
                process.send_signal(signal.SIGINT)
                break
        out, err = process.communicate(timeout=120)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 130, "".join(seen) + out + err
    assert "interrupted (Ctrl-C)" in out
    folder = tmp_path / "local-diagnose"
    data = json.loads((folder / "diagnose.json").read_text())
    assert data["interrupted"] is True and data["complete"] is False
    first = data["endpoints"][0]
    assert first["name"] == AGREEMENT and len({r["id"] for r in first["records"]}) == 61
    assert [lv["in_flight"] for lv in first["concurrency"]] == [1, 2, 4, 8]  # three endpoints: the fullest plan
    assert [e["name"] for e in data["endpoints"]][:2] == [AGREEMENT, CAN]
    assert "Interrupted (Ctrl-C)" in (folder / "DIAGNOSIS.md").read_text()
