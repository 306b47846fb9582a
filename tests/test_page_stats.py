"""Page counts: per-process tallies, the master's merge, and the sidecar's schema."""

from __future__ import annotations

import json
from pathlib import Path

from fixtures_report.synth import basic_run, write_run

from ops_perf.runfiles.load import discover_runs, load_run
from ops_perf.users.pages.stats import PageTally


def test_tally_merge_and_sidecar(tmp_path: Path) -> None:
    worker_a, worker_b, master = PageTally(), PageTally(), PageTally()
    worker_a.record("/agreements/:id", 8, "/api/v1/agreements/[id]", [])
    worker_a.record("/agreements/:id", 7, "/api/v1/agreements/[id]", ["/api/v1/users/[id]"])
    worker_b.record("/agreements/:id", 9, "/api/v1/cans/", [])
    worker_b.record("/", 1, None, [])
    worker_b.record("/agreements/:id", 6, "/api/v1/cans/", [], ["history", "notifications"])
    for part in (worker_a, worker_b):
        master.merge(json.loads(json.dumps(part.as_dict())))  # as the message carries it
    path = master.write(str(tmp_path / "run"))
    assert path.name == "run_pages.json"
    data = json.loads(path.read_text())
    assert data["schema"] == 1
    agreement = data["pages"]["/agreements/:id"]
    assert agreement == {
        "views": 4,
        "calls": 30,
        "slowest": {"/api/v1/agreements/[id]": 2, "/api/v1/cans/": 2},
        "failures": {"/api/v1/users/[id]": 1},
        "degraded_views": 1,
        "degraded": {"history": 1, "notifications": 1},
    }
    assert data["pages"]["/"] == {
        "views": 1, "calls": 1, "slowest": {}, "failures": {}, "degraded_views": 0, "degraded": {},
    }  # fmt: skip
    master.clear()
    assert master.as_dict() == {}


def test_the_sidecar_is_where_the_report_reads_it(tmp_path: Path) -> None:
    """Written under a run's prefix, the sidecar is that run's `pages_json` and loads as its pages."""
    prefix = write_run(tmp_path, basic_run("stg-pages"))
    tally = PageTally()
    tally.record("/agreements/:id", 8, "/api/v1/agreements/[id]", [])
    path = tally.write(str(prefix))
    (inputs,) = discover_runs([prefix])
    assert inputs.pages_json == path
    assert load_run(inputs).pages == {"schema": 1, "pages": tally.as_dict()}
