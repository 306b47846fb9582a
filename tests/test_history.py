"""The results store (SQLite and a real PostgreSQL), the [history] config, and change points on known series.

The store tests import the 2025-10-15 reference runs (Locust CSVs without run.json) from
../shared/reference and skip with the reason where that folder is absent; the PostgreSQL ones start
a server of their own (tests/pg_helpers.py) and skip where the machine has no PostgreSQL binaries.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures_report.synth import basic_run, write_run
from pg_helpers import Postgres
from run_helpers import clean_env, run_cli

from ops_perf.errors import OpsPerfError
from ops_perf.history.config import HistoryConfig, load_history_config
from ops_perf.history.detect import Point, Series, changes_in, recent_regressions
from ops_perf.history.ingest import find_runs, run_identity, stored_run
from ops_perf.history.store import SCHEMA_VERSION, Store, schema_version

REFERENCE = Path(__file__).resolve().parents[1].parent / "shared" / "reference" / "results-2025-10-15"
REFERENCE_RUNS = {
    "dev-baseline",
    "stg-baseline",
    "stg-baseline-normal",
    "production-baseline",
    "production-baseline-normal",
}


def _reference() -> Path:
    if not REFERENCE.is_dir():
        pytest.skip(f"{REFERENCE} not found: the 2025-10-15 reference runs live in ../shared/reference")
    return REFERENCE


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'history.sqlite'}"
    pg: Postgres = request.getfixturevalue("postgres")
    return pg.new_database(f"t_{abs(hash(request.node.name)) % 10**8}")


# ---- the store ------------------------------------------------------------------------------------


def test_reference_runs_import_once_with_their_rows(store_url: str) -> None:
    ref = _reference()
    proc = run_cli(["history", "import", str(ref), "--store", store_url])
    assert proc.returncode == 0, proc.stderr
    assert "5 run(s) added, 0 already stored" in proc.stdout
    with Store(store_url) as store:
        counts = dict(store.counts())
        stored = {r["prefix"]: r for r in store.runs()}
        assert set(stored) == REFERENCE_RUNS
        stg = stored["stg-baseline"]
        assert (stg["env"], stg["scenario"], stg["requests"]) == ("stg", "baseline", 496)
        assert stored["production-baseline"]["env"] == "prod"  # results spelling -> config spelling
        assert stg["started_inferred"] is True and stg["started_at"].startswith(
            "2025-10-16T18:04"
        )  # from the history CSV
        rows = {(r["kind"], r["name"]): r for r in store.rows_of([stg["run_id"]])}
        first = rows[("endpoint", "/api/v1/administrative-and-support-projects/")]
        assert (first["requests"], first["failures"], first["p50_ms"], first["p95_ms"]) == (7, 0, 76.0, 84.0)
        assert json.loads(first["percentiles"])["p99.9"] == 84.0
        assert rows[("aggregate", "Aggregated")]["requests"] == 496
        assert counts["histograms"] == 0  # the 2025-10-15 runs have no <prefix>.json
    again = run_cli(["history", "import", str(ref), str(ref / "stg-baseline"), "--store", store_url])
    assert again.returncode == 0 and "0 run(s) added, 5 already stored" in again.stdout
    with Store(store_url) as store:
        assert dict(store.counts()) == counts


def test_identity_is_the_prefix_and_the_stats_bytes(tmp_path: Path) -> None:
    ref = _reference()
    copy = tmp_path / "copy"
    copy.mkdir()
    for f in ref.glob("stg-baseline_*"):
        (copy / f.name).write_bytes(f.read_bytes())
    (a,) = find_runs([ref / "stg-baseline"])
    (b,) = find_runs([copy])
    assert run_identity(a) == run_identity(b)  # the same run, wherever it lies
    stats = copy / "stg-baseline_stats.csv"
    stats.write_bytes(stats.read_bytes().replace(b",496,", b",497,", 1))
    assert run_identity(find_runs([copy])[0]) != run_identity(a)


def test_a_run_named_twice_is_imported_once(tmp_path: Path) -> None:
    """A results root, one of its day folders by another path and a prefix in it: each run once, first-named
    order (the report's `distinct_runs`, so import and report count runs alike)."""
    root = tmp_path / "results"
    write_run(root / "2026-11-27", basic_run("stg-smoke"))
    write_run(root / "2026-11-27", basic_run("dev-smoke"))
    write_run(root / "2026-11-28", basic_run("stg-smoke"))
    again = root / "2026-11-28" / ".." / "2026-11-27"
    found = find_runs([root / "2026-11-28", again / "stg-smoke", root])
    assert [(r.directory.resolve().name, r.prefix) for r in found] == [
        ("2026-11-28", "stg-smoke"),
        ("2026-11-27", "stg-smoke"),
        ("2026-11-27", "dev-smoke"),
    ]


def test_two_writers_at_once_lose_nothing(store_url: str, tmp_path: Path) -> None:
    """Two `history import` processes started together, each adding every run: all stored, once."""
    ref = _reference()
    prefixes = [str(ref / p) for p in sorted(REFERENCE_RUNS)]
    cmd = [sys.executable, "-m", "ops_perf", "history", "import", *prefixes, "--store", store_url]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    added = [int(out.split("ops-perf history: ")[1].split(" run(s) added")[0]) for out, _ in outputs]
    assert sum(added) == 5  # every run exactly once, whichever process won it
    with Store(store_url) as store:
        assert {r["prefix"] for r in store.runs()} == REFERENCE_RUNS
        assert store.counts()["rows"] == sum(len(stored_run(r).rows) for r in find_runs(prefixes))


def test_a_newer_schema_is_refused_in_one_line(store_url: str) -> None:
    with Store(store_url) as store, store.engine.begin() as conn:
        conn.execute(schema_version.insert().values(version=SCHEMA_VERSION + 1, applied_at="later"))
    proc = run_cli(["history", "runs", "--store", store_url])
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and f"schema version {SCHEMA_VERSION + 1}" in lines[0] and "upgrade ops-perf" in lines[0]
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("mysql://u@127.0.0.1/x", "only sqlite:/// and postgresql://"),
        ("not a url", "not a database URL"),
        ("postgresql://ops:secret-pw@127.0.0.1:1/x", "cannot open it"),
    ],
)
def test_a_bad_store_url_is_one_line_without_its_password(url: str, words: str) -> None:
    proc = run_cli(["history", "runs", "--store", url])
    assert proc.returncode == 2 and words in proc.stderr
    assert "secret-pw" not in proc.stderr + proc.stdout and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_a_missing_path_is_refused_before_the_store_is_made(tmp_path: Path) -> None:
    db = tmp_path / "h.sqlite"
    proc = run_cli(["history", "import", str(tmp_path / "nope"), "--store", f"sqlite:///{db}"])
    assert proc.returncode == 2 and "missing" in proc.stderr
    assert not db.exists()


@pytest.mark.parametrize("action", [["detect"], ["runs"], ["trend", "Aggregated"]])
def test_reading_a_store_that_is_not_there_is_refused_and_makes_none(
    action: list[str], store_url: str, tmp_path: Path
) -> None:
    """A mistyped --store used to make an empty store and exit 0 (a nightly with a typo passed): the reading
    commands refuse it in one line; only `import` and a run make a store."""
    missing = f"sqlite:///{tmp_path / 'typo' / 'histroy.sqlite'}" if store_url.startswith("sqlite") else store_url
    proc = run_cli(["history", *action, "--store", missing])
    assert proc.returncode == 2, proc.stdout + proc.stderr
    (line,) = proc.stderr.strip().splitlines()
    assert ("no store there" in line or "not an ops-perf history store" in line) and "history import" in line
    assert "Traceback" not in proc.stderr
    if store_url.startswith("sqlite"):
        assert not (tmp_path / "typo").exists()
    else:  # an empty database stays empty: no tables were made in it
        from sqlalchemy import create_engine, inspect

        engine = create_engine(store_url.replace("postgresql://", "postgresql+psycopg://"))
        try:
            with engine.connect() as conn:
                assert inspect(conn).get_table_names() == []
        finally:
            engine.dispose()


def test_a_store_of_schema_1_is_brought_up_to_date_with_each_runs_precision(store_url: str, tmp_path: Path) -> None:
    """Schema 2 added `runs.percentile_precision`, schema 3 `runs.sim_time_scale`: a store written before
    gets the columns, filled from the run.json it kept (Locust's default where the run has none or says
    none; no scale for a run against OPS)."""
    from sqlalchemy import text

    suite = write_run(tmp_path / "a", basic_run("stg-smoke"))
    (suite.parent / "stg-smoke_run.json").write_text(
        json.dumps(
            {"schema": 1, "env": "stg", "scenario": "smoke", "percentile_precision": "1%", "sim_time_scale": 0.05}
        )
    )
    plain = write_run(tmp_path / "b", basic_run("dev-smoke"))
    with Store(store_url) as store:
        for run in find_runs([suite.parent, plain.parent]):
            store.add(stored_run(run))
        with store.engine.begin() as conn:  # as schema 1 left it
            conn.execute(text("ALTER TABLE runs DROP COLUMN percentile_precision"))
            conn.execute(text("ALTER TABLE runs DROP COLUMN sim_time_scale"))
            conn.execute(schema_version.delete())
            conn.execute(schema_version.insert().values(version=1, applied_at="before"))
    with Store(store_url, create=False) as store:
        assert store.version() == SCHEMA_VERSION == 3
        assert {r["prefix"]: (r["percentile_precision"], r["sim_time_scale"]) for r in store.runs()} == {
            "stg-smoke": ("1%", 0.05),
            "dev-smoke": ("locust-default", None),
        }
    listed = run_cli(["history", "runs", "--store", store_url]).stdout
    assert "stg-smoke  " in listed and "percentiles 1%" in listed and "percentiles locust-default" in listed


# ---- config -----------------------------------------------------------------------------------------


def test_history_config_reads_its_section_and_refuses_bad_values(tmp_path: Path) -> None:
    assert isinstance(load_history_config(), HistoryConfig)  # the shipped targets.toml
    good = tmp_path / "t.toml"
    good.write_text('[history]\nmax_pvalue = 0.01\nrecent_runs = 2\nendpoint_metrics = ["p95_ms"]\n')
    config = load_history_config(good)
    assert (config.max_pvalue, config.recent_runs, config.endpoint_metrics) == (0.01, 2, ("p95_ms",))
    for bad, words in (
        ("nope = 1", "unknown key 'nope'"),
        ("recent_runs = 0", "at least 1"),
        ("max_pvalue = 2", "between 0 and 1"),
        ('endpoint_metrics = ["rps"]', "must be a list of"),
    ):
        path = tmp_path / "bad.toml"
        path.write_text(f"[history]\n{bad}\n")
        with pytest.raises(OpsPerfError, match=words):
            load_history_config(path)


# ---- change points ----------------------------------------------------------------------------------


def _series(values: list[float]) -> Series:
    points = tuple(
        Point(f"r{i}", f"stg-baseline-{i}", f"2026-01-{i + 1:02d}T06:17:00Z", v) for i, v in enumerate(values)
    )
    return Series("stg", "baseline", "endpoint", "/api/v1/cans/", "p50_ms", points)


def _noisy(n: int, level: float, seed: int) -> list[float]:
    import random

    rng = random.Random(seed)
    return [level * math.exp(rng.gauss(0, 0.05)) for _ in range(n)]


CONFIG = HistoryConfig(min_runs=6, min_runs_after=2, recent_runs=3)


def test_a_step_is_found_at_its_first_run_with_its_size() -> None:
    series = _series(_noisy(12, 100.0, 1) + _noisy(3, 150.0, 2))
    (change,) = changes_in(series, CONFIG)
    assert change.index == 12 and change.prefix == "stg-baseline-12" and change.direction == "slower"
    assert 40 < change.change_pct < 60 and change.runs_since == 3
    assert recent_regressions([change], CONFIG) == [change]
    faster = changes_in(_series(_noisy(12, 150.0, 3) + _noisy(4, 100.0, 4)), CONFIG)
    assert [(c.direction, c.index) for c in faster] == [("faster", 12)]
    assert recent_regressions(faster, CONFIG) == []


def test_noise_small_steps_one_bad_night_and_short_series_are_not_changes() -> None:
    assert changes_in(_series(_noisy(30, 100.0, 5)), CONFIG) == []
    assert changes_in(_series(_noisy(20, 100.0, 6) + _noisy(5, 110.0, 7)), CONFIG) == []  # below min_change_pct
    assert changes_in(_series([*_noisy(20, 100.0, 8), 300.0]), CONFIG) == []  # one night: not yet
    assert changes_in(_series([100, 100, 300, 300, 300]), CONFIG) == []  # fewer than min_runs


def test_page_rows_are_their_own_series_and_stay_out_of_the_aggregate(tmp_path: Path) -> None:
    """A pages run's PAGE rows (the brief's contract) are stored as kind `page`; the aggregate is the
    judge's, over the API calls only."""
    ref = _reference()
    lines = (ref / "stg-baseline_stats.csv").read_text(encoding="utf-8").splitlines()
    header, rows, aggregated = lines[0], lines[1:-1], lines[-1]
    width = len(header.split(","))
    page = ["PAGE", "/agreements/:id", "10", "1", "900", "950.0", "700.0", "1500.0", "20000.0", "0.02", "0.002"]
    page += ["900", "950", "1000", "1000", "1200", "1500", "1500", "1500", "1500", "1500", "1500"][: width - len(page)]
    agg = aggregated.split(",")
    agg[2], agg[3] = str(int(agg[2]) + 10), str(int(agg[3]) + 1)
    run_dir = tmp_path / "pages"
    run_dir.mkdir()
    (run_dir / "stg-pages_stats.csv").write_text("\n".join([header, *rows, ",".join(page), ",".join(agg)]) + "\n")
    (run_dir / "stg-pages_run.json").write_text(
        json.dumps(
            {
                "schema": 1,
                "env": "stg",
                "scenario": "pages",
                "user": "pages",
                "status": "completed",
                "started_at": "2026-03-01T06:17:00Z",
            }
        )
    )
    url = f"sqlite:///{tmp_path / 'h.sqlite'}"
    with Store(url) as store:
        assert store.add(stored_run(find_runs([run_dir])[0]))
        (run,) = store.runs()
        assert (run["user_kind"], run["valid"]) == ("pages", True), run["invalid_reason"]
        rows_by = {(r["kind"], r["name"]): r for r in store.rows_of([run["run_id"]])}
    page_row = rows_by[("page", "/agreements/:id")]
    assert (page_row["method"], page_row["requests"], page_row["failures"], page_row["p95_ms"]) == (
        "PAGE",
        10,
        1,
        1500.0,
    )
    assert rows_by[("aggregate", "Aggregated")]["requests"] == 496  # API calls only, as the judge counts


def test_rounded_values_do_not_move_a_step_one_run_early() -> None:
    """Locust rounds percentiles (110, 110, 110, 100): Otava alone put this step at the 100 with p = 0
    and stale segment statistics; the change must start at the first slow run, sized over the segments."""
    series = _series([110, 110, 110, 100, 290, 330, 310])
    (change,) = changes_in(series, CONFIG)
    assert (change.index, change.direction) == (4, "slower")
    assert 180 < change.change_pct < 200
    assert changes_in(_series([110, 110, 110, 100, 100, 110, 110, 100]), CONFIG) == []
