"""The page user under master + workers: one warm-up, PAGE rows and one pages sidecar for all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import free_port
from distributed_helpers import assert_one_harvest, load_by_pid, master, worker
from run_helpers import finish, read_stats
from sim_helpers import start_sim

from ops_perf.users.pages.catalog import CATALOG

pytestmark = pytest.mark.e2e


def test_pages_under_master_and_two_workers(tmp_path: Path) -> None:
    prefix = tmp_path / "local-pages"
    port = free_port()
    with start_sim("healthy") as sim:
        boss = master(sim.url, port, prefix, workers=2, seconds=10, extra=["--user", "pages", "--page-tour"])
        workers = [worker(port), worker(port)]
        code, err = finish(boss)
        for w in workers:
            finish(w, timeout=30)
        log = sim.requests()
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
