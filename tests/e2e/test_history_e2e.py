"""The history store and change detection on real runs: `ops-perf run` against the simulator, 4 runs
as they are, then 3 where one endpoint is slowed (a simulator profile that slows only it) or 3 more
as they are; `ops-perf history detect` must flag that endpoint from the first slow run on, and
nothing else, and nothing at all without the slowdown. The same against a real PostgreSQL server.

The runs are made once per module (a few seconds each) and imported into as many stores as the
tests need; each run also lands in the store `ops-perf run` writes at its end (OPS_HISTORY_STORE).
"""

from __future__ import annotations

import json
import sys
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pg_helpers import Postgres
from run_helpers import run_cli
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e

SLOWED = "/api/v1/cans/[id]"
"""2 % of the catalog's weight: about 18 requests in a 5 s run, too few to move the aggregate p95."""
SLOWDOWN = 3.0
BEFORE, AFTER = 4, 3
"""3 runs after the change at 3x: Otava finds such a step at the right run in every trial even with
12 % noise per run (4 + 2 at 2x missed it in about one trial in ten on a busy machine)."""
TIME_SCALE = 0.1
BASE_PROFILE = {
    "name": "history-base",
    # 100 ms at the 0.1 time scale: long enough that a busy test machine's jitter (a few ms) is far
    # below the 20 % a change must reach, narrow enough that 20 requests give a steady median.
    "description": "healthy with a narrow 1 s latency curve (x0.1 time scale: 100 ms)",
    "extends": "healthy",
    "default": {"latency_ms": [[0, 900.0], [50, 1000.0], [90, 1150.0], [99, 1300.0], [100, 1500.0]]},
}
SLOW_PROFILE = {
    # The same name: the same system, one of whose endpoints got slower (as OPS before and after a slower
    # release). A simulator's runs are series by profile name and time scale, so another name would be
    # another system, never compared with this one.
    "name": "history-base",
    "description": f"history-base with {SLOWED} three times slower",
    "extends": "history-base.json",
    "endpoints": {SLOWED: {"latency_multiplier": SLOWDOWN}},
}
HISTORY_SECTION = """
[history]
max_pvalue = 0.001
min_change_pct = 50.0
min_runs = 6
window = 30
min_runs_after = 2
recent_runs = 3
min_requests = 4
"""
"""The team's settings but for the minimum change: the planted change is +200 %, while a machine
busy with other tests moves measured latencies by up to ~40 % from run to run (seen: an aggregate
p95 of 200 ms in one run, 130 ms in the next). This test is about the store and the detection
finding the right series and run, not about the machine's noise; bench/ measures real noise."""


@dataclass
class Runs:
    common: list[Path]
    slowed: list[Path]
    plain: list[Path]
    run_store: str
    results: Path
    targets: Path


def _run(sim_url: str, results: Path, store: str) -> Path:
    proc = run_cli(
        ["run", "--env", "local", "--scenario", "smoke", "--host", sim_url, "-u", "20", "-r", "20", "-t", "5s",
         "--think-time", "0,0.02", "--results-dir", str(results), "--no-report", "--no-check"],
        env={"OPS_HISTORY_STORE": store}, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert "added to the history store" in proc.stdout, proc.stdout[-1500:] + proc.stderr[-1500:]
    prefixes = sorted(results.glob("*_run.json"), key=lambda p: p.stat().st_mtime)
    return prefixes[-1].parent / prefixes[-1].name[: -len("_run.json")]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    root = tmp_path_factory.mktemp("history-e2e")
    (root / "history-base.json").write_text(json.dumps(BASE_PROFILE), encoding="utf-8")
    (root / "history-slow.json").write_text(json.dumps(SLOW_PROFILE), encoding="utf-8")
    targets = root / "targets.toml"
    repo_targets = Path(__file__).resolve().parents[2] / "config" / "targets.toml"
    text = repo_targets.read_text(encoding="utf-8")
    if "[history]" not in text:
        text += HISTORY_SECTION
    else:  # this test's own settings, whatever the team's defaults are
        text = text[: text.index("[history]")] + HISTORY_SECTION
    targets.write_text(text, encoding="utf-8")
    results = root / "results" / "day"
    run_store = f"sqlite:///{root / 'run-store.sqlite'}"
    common, slowed, plain = [], [], []
    with (
        start_sim(str(root / "history-base.json"), time_scale=TIME_SCALE) as base,
        start_sim(str(root / "history-slow.json"), time_scale=TIME_SCALE) as slow,
    ):
        _run(
            base.url, root / "cold", f"sqlite:///{root / 'cold.sqlite'}"
        )  # not kept: the first run pays the cold start
        for _ in range(BEFORE):
            common.append(_run(base.url, results, run_store))
        # One run at a time: two at once would slow each other, which is the kind of change we detect.
        for _ in range(AFTER):
            slowed.append(_run(slow.url, results / "slowed", run_store))
        for _ in range(AFTER):
            plain.append(_run(base.url, results / "plain", run_store))
    return Runs(common, slowed, plain, run_store, results, targets)


def _import(store: str, prefixes: list[Path]) -> None:
    proc = run_cli(["history", "import", *map(str, prefixes), "--store", store])
    assert proc.returncode == 0, proc.stderr
    assert f"{len(prefixes)} run(s) added" in proc.stdout, proc.stdout


def _detect(store: str, runs: Runs, out: Path) -> tuple[int, list[dict[str, object]], str]:
    proc = run_cli(
        ["history", "detect", "--env", "local", "--scenario", "smoke", "--store", store,
         "--targets", str(runs.targets), "--json", str(out)]
    )  # fmt: skip
    assert proc.returncode in (0, 3), proc.stdout + proc.stderr
    return proc.returncode, json.loads(out.read_text(encoding="utf-8")), proc.stdout


def _stores(kind: str, postgres_factory: object, tmp_path: Path, name: str) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / (name + '.sqlite')}"
    assert isinstance(postgres_factory, Postgres)
    return postgres_factory.new_database(name)


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> object:
    if request.param == "sqlite":
        return "sqlite"
    return request.getfixturevalue("postgres")


def test_every_run_lands_in_the_store_at_its_end(runs: Runs) -> None:
    proc = run_cli(["history", "runs", "--store", runs.run_store])
    assert proc.returncode == 0, proc.stderr
    assert f"{BEFORE + 2 * AFTER} run(s)" in proc.stdout
    for prefix in runs.common + runs.slowed + runs.plain:
        assert f" {prefix.name} " in proc.stdout


def test_a_slowed_endpoint_is_flagged_at_its_first_slow_run_and_nothing_else(
    runs: Runs, backend: object, tmp_path: Path
) -> None:
    store = _stores("sqlite" if backend == "sqlite" else "pg", backend, tmp_path, "slowed")
    _import(store, runs.common + runs.slowed)
    code, changes, stdout = _detect(store, runs, tmp_path / "changes.json")
    assert [(c["name"], c["direction"]) for c in changes] == [(SLOWED, "slower")], stdout
    (change,) = changes
    # The contract's fields, and what was measured: these are a simulator's runs, not OPS's.
    assert set(change) == {"env", "scenario", "name", "metric", "prefix", "started_at", "direction", "change_pct"} | {
        "measured"
    }
    assert change["measured"] == f"simulator history-base at time scale {TIME_SCALE:g}"
    first_slow = json.loads(Path(f"{runs.slowed[0]}_run.json").read_text(encoding="utf-8"))
    assert change["prefix"] == runs.slowed[0].name  # the first run after the change ...
    assert str(change["started_at"])[:19] == first_slow["started_at"][:19]  # ... that one, not a namesake
    assert (change["env"], change["scenario"], change["metric"]) == ("local", "smoke", "p50_ms")
    assert 140 < float(change["change_pct"]) < 280  # three times slower, within the noise of a few requests
    assert code == 3  # a slower change within the newest runs: REGRESSION
    assert SLOWED in stdout and "slower by" in stdout


def test_without_the_slowdown_nothing_is_flagged(runs: Runs, backend: object, tmp_path: Path) -> None:
    store = _stores("sqlite" if backend == "sqlite" else "pg", backend, tmp_path, "plain")
    _import(store, runs.common + runs.plain)
    code, changes, stdout = _detect(store, runs, tmp_path / "changes.json")
    assert changes == [], stdout
    assert code == 0
    assert "0 change point(s)" in stdout


def test_a_reimport_of_the_results_root_changes_nothing(runs: Runs, backend: object, tmp_path: Path) -> None:
    store = _stores("sqlite" if backend == "sqlite" else "pg", backend, tmp_path, "reimport")
    root = runs.results.parent  # the results root: every run in the folders under it
    first = run_cli(["history", "import", str(root), "--store", store])
    assert first.returncode == 0 and f"{BEFORE + 2 * AFTER} run(s) added, 0 already stored" in first.stdout
    listed = run_cli(["history", "runs", "--store", store]).stdout
    again = run_cli(["history", "import", str(root), str(runs.slowed[0]), "--store", store])
    assert again.returncode == 0 and f"0 run(s) added, {BEFORE + 2 * AFTER} already stored" in again.stdout
    assert run_cli(["history", "runs", "--store", store]).stdout == listed


def test_trend_draws_the_slowed_series(runs: Runs, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'trend.sqlite'}"
    _import(store, runs.common + runs.slowed)
    proc = run_cli(
        ["history", "trend", SLOWED, "--metric", "p50_ms", "--env", "local", "--store", store,
         "--targets", str(runs.targets), "-o", str(tmp_path / "charts")]
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "<- slower" in proc.stdout and runs.slowed[0].name in proc.stdout
    (png,) = (tmp_path / "charts").glob("*.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_report_gets_a_trends_section_when_the_store_has_earlier_runs(runs: Runs, tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'report.sqlite'}"
    _import(store, runs.common + runs.slowed)
    out = tmp_path / "report"
    alone = tmp_path / "alone"  # no store at all: no section, and no store is made
    missing = tmp_path / "none.sqlite"
    # The two reports are independent (their own folders and stores): made at once.
    with ThreadPoolExecutor(2) as pool:
        with_store = pool.submit(
            run_cli,
            ["report", str(runs.slowed[-1]), "-o", str(out), "--targets", str(runs.targets)],
            env={"OPS_HISTORY_STORE": store},
        )
        without = pool.submit(
            run_cli,
            ["report", str(runs.slowed[-1]), "-o", str(alone)],
            env={"OPS_HISTORY_STORE": f"sqlite:///{missing}"},
        )
        proc, proc_alone = with_store.result(), without.result()
    assert proc.returncode == 0, proc.stderr
    text = (out / "PERFORMANCE_REPORT.md").read_text(encoding="utf-8")
    section = text[text.index("## Trends") : text.index("## Recommendations")]
    assert f"| `{SLOWED}` | p50_ms | `{runs.slowed[0].name}` |" in section and "| slower |" in section
    charts = [line[line.index("](") + 2 : -1] for line in section.splitlines() if line.startswith("![")]
    assert charts and all((out / c).is_file() for c in charts)
    assert any("Aggregated" in line for line in section.splitlines() if line.startswith("!["))

    assert proc_alone.returncode == 0, proc_alone.stderr
    assert "## Trends" not in (alone / "PERFORMANCE_REPORT.md").read_text(encoding="utf-8")
    assert not missing.exists()
