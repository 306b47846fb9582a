"""Run prefixes: never shared, even by runs started at the same moment (issue 11, item 3)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.prefix import (
    check_writable,
    discard_empty_run_files,
    lock_path,
    new_folder,
    release_prefix,
    reserve_prefix,
    unique_prefix,
)

RACERS = 6


def test_the_first_free_prefix_is_reserved_and_released(tmp_path: Path) -> None:
    base = tmp_path / "local-smoke"
    (tmp_path / "local-smoke_stats.csv").write_text("x")
    first = reserve_prefix(base)
    assert first == tmp_path / "local-smoke-2" and lock_path(first).is_file()
    assert unique_prefix(base) == tmp_path / "local-smoke-3", "a reserved prefix counts as taken"
    assert reserve_prefix(base) == tmp_path / "local-smoke-3"
    release_prefix(first)
    assert not lock_path(first).exists()
    assert reserve_prefix(base) == tmp_path / "local-smoke-2", "released and unused: free again"


def test_glob_characters_in_a_name_match_only_themselves(tmp_path: Path) -> None:
    (tmp_path / "local-ab_stats.csv").write_text("x")
    assert reserve_prefix(tmp_path / "local-[ab]") == tmp_path / "local-[ab]"


def test_a_new_folder_never_reuses_one_that_exists(tmp_path: Path) -> None:
    base = tmp_path / "results" / "local-capacity"  # (its parent made too)
    assert new_folder(base) == base and base.is_dir()
    (base / "capacity.json").write_text("{}")
    assert new_folder(base) == tmp_path / "results" / "local-capacity-2"
    assert (base / "capacity.json").read_text() == "{}", "the earlier folder is left as it was"


RACER = """
import sys, time
from pathlib import Path
from ops_perf.runfiles import prefix
start_at = float(sys.argv[2])
while time.time() < start_at:
    time.sleep(0.0005)
print(getattr(prefix, sys.argv[3])(Path(sys.argv[1])).name)
"""


@pytest.mark.parametrize("claim", ["reserve_prefix", "new_folder"])
def test_processes_racing_for_one_prefix_each_get_their_own(tmp_path: Path, claim: str) -> None:
    """Real processes, released at one instant (they spin on the clock, so none has a head start):
    a run's prefix, and a capacity search's or a diagnosis's folder."""
    start_at = time.time() + 3.0
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", RACER, str(tmp_path / "local-smoke"), repr(start_at), claim],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(RACERS)
    ]
    names = []
    for proc in procs:
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        names.append(out.strip())
    assert sorted(names) == sorted(["local-smoke", *(f"local-smoke-{n}" for n in range(2, RACERS + 1))])


def test_a_folder_that_cannot_be_written_is_one_line(tmp_path: Path) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_text("x")
    with pytest.raises(OpsPerfError) as err:
        reserve_prefix(not_a_dir / "local-smoke")
    assert f"cannot write to the results folder {not_a_dir}" in str(err.value)
    assert "--results-dir" in str(err.value)
    with pytest.raises(OpsPerfError) as err:
        new_folder(not_a_dir / "local-capacity")
    assert f"cannot write to the results folder {not_a_dir}" in str(err.value)
    assert "--results-dir" in str(err.value)
    with pytest.raises(OpsPerfError) as err:
        check_writable(not_a_dir / "reports", "reports folder", "--reports-dir")
    assert "cannot write to the reports folder" in str(err.value) and "--reports-dir" in str(err.value)
    check_writable(tmp_path / "new" / "deeper", "results folder", "--results-dir")
    assert not (tmp_path / "new").exists(), "checking must not create anything"
    assert list(tmp_path.iterdir()) == [not_a_dir]


def test_only_a_run_that_measured_nothing_is_discarded(tmp_path: Path) -> None:
    header = "Type,Name,Request Count,Failure Count\n"
    empty, measured = tmp_path / "empty", tmp_path / "measured"
    for prefix, count in ((empty, 0), (measured, 3)):
        Path(f"{prefix}_stats.csv").write_text(f"{header},Aggregated,{count},0\n")
        Path(f"{prefix}_failures.csv").write_text("Method,Name,Error,Occurrences\n")
        Path(f"{prefix}.html").write_text("<html></html>")
    assert discard_empty_run_files(measured) is False
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("measured")) == [
        "measured.html", "measured_failures.csv", "measured_stats.csv"
    ]  # fmt: skip
    assert discard_empty_run_files(empty) is True
    assert not any(p.name.startswith("empty") for p in tmp_path.iterdir())
    # a failure alone is a measurement too
    Path(f"{empty}_stats.csv").write_text(f"{header},Aggregated,0,0\n")
    Path(f"{empty}_failures.csv").write_text("Method,Name,Error,Occurrences\nGET,/x,boom,1\n")
    assert discard_empty_run_files(empty) is False
