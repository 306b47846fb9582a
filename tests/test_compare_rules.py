"""What makes two runs comparable (issue 11, items 8 and 9), on synthetic runs in Locust's format.

Seen: the stg-baseline runs of 2025-10-28 and 2026-02-03 were refused because the suite had gained
5 endpoints in between; two `ops-perf demo` runs were refused because each picked a random
simulator port; `compare` replaced an existing COMPARISON.md. Now only a difference in *load*
refuses (users, stages, think time, environment, scenario, user model), endpoints only in one run
are new or gone and the others are compared, and COMPARISON.md is replaced only with `--force`.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest
from fixtures_report.synth import Ep, Run, write_run

from ops_perf.exitcodes import ExitCode
from ops_perf.runfiles.load import open_runs
from ops_perf.settings.targets import load_targets
from ops_perf.users.endpoints.catalog import ENDPOINTS
from ops_perf.verdict import compare_main
from ops_perf.verdict.compare import Change, compare_runs, differences

NAMES = [e.locust_name for e in ENDPOINTS]
ADDED = NAMES[-5:]
"""The 5 endpoints the suite gained between the two nights."""


def _record(day: str, endpoints: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "schema": 1,
        "prefix": "stg-baseline",
        "env": "stg",
        "host": "https://stg.ops.example.gov",
        "scenario": "baseline",
        "users": 10,
        "spawn_rate": 1.0,
        "duration_s": 600.0,
        "stages": [{"duration_s": 600.0, "users": 10, "spawn_rate": 1.0}],
        "think_time_s": [1.0, 3.0],
        "catalog_fingerprint": f"sha256:catalog-of-{endpoints}",
        "endpoints": endpoints,
        "tags": [],
        "exclude_tags": [],
        "started_at": f"{day}T03:00:00Z",
        "status": "completed",
    }
    record.update(changes)
    return record


def _night(root: Path, day: str, names: list[str], *, slow: str | None = None, **changes: Any) -> Path:
    endpoints = [
        Ep(name, 200, median=200 if name == slow else 100, avg=200 if name == slow else 100, p95=300, p99=400, max=450)
        for name in names
    ]
    run = Run("stg-baseline", endpoints, users=10, seconds=605, run_json=_record(day, len(names), **changes))
    return write_run(root / day, run)


@pytest.fixture
def nights(tmp_path: Path) -> tuple[Path, Path]:
    """2025-10-28 with 59 endpoints, 2026-02-03 with those and 5 more; the same load."""
    return (
        _night(tmp_path, "2025-10-28", NAMES[:-5]),
        _night(tmp_path, "2026-02-03", NAMES),
    )


def test_a_grown_catalog_lists_the_new_endpoints_and_compares_the_rest(
    nights: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = nights
    out = tmp_path / "COMPARISON.md"
    assert compare_main([str(old), str(new), "-o", str(out)]) == ExitCode.OK, capsys.readouterr().err
    base, cand = open_runs([old, new])
    comparison = compare_runs([base], cand, load_targets().noise)
    assert comparison.differences == []
    assert sorted(r.name for r in comparison.by_verdict(Change.NEW)) == sorted(ADDED)
    compared = [r for r in comparison.endpoints if r.verdict not in (Change.NEW, Change.GONE)]
    assert len(compared) == len(NAMES) - 5 and {r.verdict for r in compared} == {Change.UNCHANGED}
    text = out.read_text()
    assert "Warning: these runs were made differently" not in text
    assert "**New — not in the baseline (5):**" in text
    assert all(f"`{name}`" in text.split("## Aggregate")[0] for name in ADDED)
    assert "the endpoint catalog changed between the runs (candidate 64 endpoints; 2025-10-28/stg-baseline: 59)" in text


def test_a_shrunk_catalog_lists_the_gone_endpoints(nights: tuple[Path, Path]) -> None:
    old, new = nights
    base, cand = open_runs([new, old])  # the later run as the baseline: 5 endpoints gone
    comparison = compare_runs([base], cand, load_targets().noise)
    assert comparison.differences == []
    assert sorted(r.name for r in comparison.by_verdict(Change.GONE)) == sorted(ADDED)
    assert comparison.exit_code == ExitCode.OK


def test_an_endpoint_not_sent_for_want_of_ids_is_not_gone(tmp_path: Path) -> None:
    """Its warm-up found no ids for an endpoint's pool, so the candidate never sent it: 'not sent (no
    warm-up ids)', not 'gone from the catalog' (issue 15 item 3); the one the catalog lost stays gone."""
    skipped, lost = NAMES[-1], NAMES[-2]
    base = _night(tmp_path, "2025-10-28", NAMES)
    warmup = {"endpoints_without_ids": [skipped], "empty_pools": ["some_ids"], "failures": []}
    cand = _night(tmp_path, "2026-02-03", NAMES[:-2], warmup=warmup)
    comparison = compare_runs(open_runs([base])[:1], open_runs([cand])[0], load_targets().noise)
    assert [r.name for r in comparison.by_verdict(Change.NOT_SENT)] == [skipped]
    assert [r.name for r in comparison.by_verdict(Change.GONE)] == [lost]
    row = next(r for r in comparison.endpoints if r.name == skipped)
    assert "the warm-up found no ids for it" in row.headline()


def test_a_real_change_among_the_compared_endpoints_is_still_found(tmp_path: Path) -> None:
    old = _night(tmp_path, "2025-10-28", NAMES[:-5])
    new = _night(tmp_path, "2026-02-03", NAMES, slow=NAMES[0])
    base, cand = open_runs([old, new])
    comparison = compare_runs([base], cand, load_targets().noise)
    assert [r.name for r in comparison.endpoints if r.verdict is Change.REGRESSED] == [NAMES[0]]
    assert comparison.exit_code == ExitCode.REGRESSION


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"users": 20, "stages": [{"duration_s": 600.0, "users": 20, "spawn_rate": 1.0}]}, "users: candidate 20"),
        ({"stages": [{"duration_s": 300.0, "users": 10, "spawn_rate": 1.0}] * 2}, "stages: candidate 300 s at 10"),
        ({"think_time_s": [0.0, 0.0]}, "think time: candidate 0-0 s vs baseline 1-3 s"),
        ({"env": "dev"}, "environment: candidate dev vs baseline stg"),
        ({"scenario": "normal"}, "scenario: candidate normal vs baseline baseline"),
        ({"user": "pages"}, "user model: candidate pages vs baseline endpoints"),
        ({"mix": "even", "catalog_fingerprint": "sha256:even"}, "endpoint mix: candidate even vs baseline weighted"),
        ({"tags": ["cans"]}, "tag filter: candidate tags cans vs baseline tags all"),
    ],
)
def test_a_difference_in_load_is_refused_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], named: str
) -> None:
    old = _night(tmp_path, "2025-10-28", NAMES)
    new = _night(tmp_path, "2026-02-03", NAMES, **changes)
    out = tmp_path / "COMPARISON.md"
    assert compare_main([str(old), str(new), "-o", str(out)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and named in err and "--allow-mismatch" in err, err
    assert not out.exists()
    assert compare_main([str(old), str(new), "-o", str(out), "--allow-mismatch"]) == ExitCode.OK
    assert named in out.read_text().split("## Summary")[0]


def test_the_host_is_no_difference_in_load(tmp_path: Path) -> None:
    """Two demos: the simulator on two free ports. Compared by environment, the host only noted."""
    a = _night(tmp_path, "a", NAMES, host="http://127.0.0.1:40111", env="local", prefix="local-smoke")
    b = _night(tmp_path, "b", NAMES, host="http://127.0.0.1:40222", env="local", prefix="local-smoke")
    base, cand = open_runs([a, b])
    comparison = compare_runs([base], cand, load_targets().noise)
    assert comparison.differences == []
    assert any(
        n.startswith("host: candidate http://127.0.0.1:40222 vs baseline http://127.0.0.1:40111")
        for n in comparison.notes
    )


def test_a_different_simulator_profile_is_noted_not_refused(tmp_path: Path) -> None:
    a = _night(tmp_path, "a", NAMES, env="local", prefix="local-smoke", sim_profile="healthy")
    b = _night(tmp_path, "b", NAMES, env="local", prefix="local-smoke", sim_profile="regression-demo")
    base, cand = open_runs([a, b])
    comparison = compare_runs([base], cand, load_targets().noise)
    assert comparison.differences == []
    assert "simulator profile: candidate regression-demo vs baseline healthy (the target differs, not the load)" in (
        comparison.notes
    )


def test_runs_without_run_json_are_not_refused_for_what_they_do_not_record(tmp_path: Path) -> None:
    """The 2025-10-15 CSVs record no user model, stages or tags: unknown is not a difference."""
    bare = write_run(tmp_path / "old", Run("stg-baseline", [Ep(n, 200) for n in NAMES], users=10, seconds=605))
    new = _night(tmp_path, "2026-02-03", NAMES)
    base, cand = open_runs([bare, new])
    assert differences([base], cand) == []
    # ... but users and duration, which the history shows, still count
    short = write_run(tmp_path / "short", Run("stg-baseline", [Ep(n, 200) for n in NAMES], users=10, seconds=125))
    base, cand = open_runs([short, new])
    assert [d.split(":")[0] for d in differences([base], cand)] == ["duration"]


def test_every_table_reads_baseline_then_candidate(tmp_path: Path) -> None:
    old = _night(tmp_path, "2025-10-28", NAMES)
    new = _night(tmp_path, "2026-02-03", NAMES, slow=NAMES[0])
    out = tmp_path / "COMPARISON.md"
    compare_main([str(old), str(new), "-o", str(out)])
    text = out.read_text()
    header = next(line for line in text.splitlines() if line.startswith("| | "))
    assert re.fullmatch(r"\| \| baseline \| candidate \|", header), header
    run_row = next(line for line in text.splitlines() if line.startswith("| run |"))
    assert run_row.index("2025-10-28/stg-baseline") < run_row.index("2026-02-03/stg-baseline")
    aggregate = next(line for line in text.splitlines() if line.startswith("| metric |"))
    assert aggregate.index("baseline") < aggregate.index("candidate")
    slow_row = next(line for line in text.splitlines() if line.startswith(f"| `{NAMES[0]}`"))
    assert "100 → 200" in slow_row  # median: baseline, then candidate
    # several baselines: each baseline column, then the candidate, last
    other = _night(tmp_path, "2025-11-01", NAMES)
    compare_main([str(old), str(other), str(new), "-o", str(tmp_path / "C3.md")])
    header = next(line for line in (tmp_path / "C3.md").read_text().splitlines() if line.startswith("| | "))
    assert header == "| | baseline 1 | baseline 2 | candidate |"


def test_an_existing_comparison_is_replaced_only_with_force(
    nights: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    old, new = nights
    out = tmp_path / "COMPARISON.md"
    out.write_text("yesterday's comparison\n")
    assert compare_main([str(old), str(new), "-o", str(out)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "exists already; pass --force" in err and "Traceback" not in err
    assert out.read_text() == "yesterday's comparison\n"
    assert compare_main([str(old), str(new), "-o", str(out), "--force"]) == ExitCode.OK
    assert out.read_text().startswith("# Comparison:")


def test_the_stage_text_names_every_key() -> None:
    from ops_perf.verdict.compare.comparability import _show_stages

    stages = ((("arrival_rate", 2.0), ("duration_s", 60.0), ("spawn_rate", 1.0), ("users", 5.0)),)
    assert _show_stages(copy.deepcopy(stages)) == "60 s at 5 users (1/s), arrival_rate 2"
