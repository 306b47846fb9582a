"""The page user under master + workers: one warm-up, PAGE rows and one pages sidecar for all, the
workers' per-record tallies merged on the master, and OPS's health sampled by the master alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import free_port
from distributed_helpers import PID, assert_one_harvest, load_by_pid, master, worker
from run_helpers import finish, read_stats
from sim_helpers import start_sim

from ops_perf.users.pages.catalog import CATALOG

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def distributed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    prefix = tmp_path_factory.mktemp("pages-distributed") / "local-pages"
    port = free_port()
    with start_sim("healthy") as sim:
        boss = master(
            sim.url, port, prefix, workers=2, seconds=10,
            extra=["--user", "pages", "--page-tour", "--health-interval", "1"],
        )  # fmt: skip
        workers = [worker(port), worker(port)]
        code, err = finish(boss)
        for w in workers:
            finish(w, timeout=30)
        log = sim.requests()
    yield {"prefix": prefix, "code": code, "err": err, "log": log}


def test_pages_under_master_and_two_workers(distributed: dict[str, Any]) -> None:
    prefix, code, err, log = distributed["prefix"], distributed["code"], distributed["err"], distributed["log"]
    assert code == 0, err[-2000:]
    assert_one_harvest(log)
    assert len(load_by_pid(log)) == 2, "both workers sent page views"
    stats = read_stats(prefix)
    page_rows = {name: row for name, row in stats.items() if row["Type"] == "PAGE"}
    assert set(page_rows) == set(CATALOG.pages), "every page viewed (each person starts with the tour)"
    assert int(stats["Aggregated"]["Failure Count"]) == 0
    sidecar = json.loads(Path(f"{prefix}_pages.json").read_text())
    # The master wrote the workers' counts: the same views as Locust's aggregated PAGE rows.
    assert {r: c["views"] for r, c in sidecar["pages"].items()} == {
        r: int(row["Request Count"]) for r, row in page_rows.items()
    }
    record = json.loads(Path(f"{prefix}_run.json").read_text())
    assert record["user"] == "pages" and record["workers"] == 2


def test_the_workers_records_merge_on_the_master_and_the_master_alone_samples_health(
    distributed: dict[str, Any],
) -> None:
    prefix, log = distributed["prefix"], distributed["log"]
    assert len(load_by_pid(log)) == 2, "both workers sent page views"
    stats = read_stats(prefix)
    # Every request of an [id] endpoint, and every view of a detail page, is in the master's merged tally.
    records = json.loads(Path(f"{prefix}_records.json").read_text())["names"]
    assert records, "no per-record figures"
    for name, named in records.items():
        counted = sum(r["requests"] for r in named["records"].values()) + named["other_requests"]
        assert counted == int(stats[name]["Request Count"]), name
    assert {n for n, named in records.items() if named["kind"] == "page"} == {
        route for route, page in CATALOG.pages.items() if page.id_pool
    }
    # One process sampled health: the master (its samples beside the run, none from a worker).
    health = {PID.search(r["user_agent"]).group(1) for r in log if "(health" in (r["user_agent"] or "")}
    assert len(health) == 1 and not health & set(load_by_pid(log))
    server = json.loads(Path(f"{prefix}_server.json").read_text())
    assert len(server["baseline"]) == 3 and len(server["samples"]) >= 5
