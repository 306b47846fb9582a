"""Malformed and unusual inputs: one clear line and a usage-error exit, or a correct report; never a
partial report, never an overwritten one.

Each case corrupts a small generated run (tests/fixtures_report/synth.py) the way real files get
corrupted: a run killed mid-write, a hand edit, a file converted to CRLF.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from fixtures_report.synth import Ep, basic_run, write_run

from ops_perf.exitcodes import ExitCode
from ops_perf.report import main, write_report
from ops_perf.runfiles.load import discover_runs, load_run


def _run_main(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    err = capsys.readouterr().err
    return int(exc.value.code or 0), err


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines(keepends=True)


def _assert_nothing_written(out: Path) -> None:
    assert not out.exists()
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(f".{out.name}.tmp-")]
    assert leftovers == []


@pytest.fixture
def run_prefix(tmp_path: Path) -> Path:
    return write_run(tmp_path / "results" / "2026-11-27", basic_run())


def test_good_run_reports(run_prefix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main([str(run_prefix), "-o", str(out)]) == ExitCode.OK
    assert capsys.readouterr().out.strip() == str(out / "PERFORMANCE_REPORT.md")
    text = (out / "PERFORMANCE_REPORT.md").read_text()
    assert "| local-smoke | 3 x 1 | 75 | 7 | 9.33 | 800 | 20000 | 20000 | 864.4 | 1.36 |" in text
    assert (out / "charts" / "local-smoke-timeline.png").is_file()


def test_truncated_stats_row(run_prefix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stats = Path(f"{run_prefix}_stats.csv")
    lines = _lines(stats)
    stats.write_text("".join(lines[:2]) + lines[2][:25])  # killed mid-write in the second data row
    out = tmp_path / "out"
    code, err = _run_main([str(run_prefix), "-o", str(out)], capsys)
    assert code == ExitCode.USAGE_ERROR
    assert err.count("\n") == 1
    assert f"{stats}: line 3: expected 22 fields, found" in err
    _assert_nothing_written(out)


def test_truncated_history_row(run_prefix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    history = Path(f"{run_prefix}_stats_history.csv")
    lines = _lines(history)
    history.write_text("".join(lines[:-1]) + lines[-1][:30])
    out = tmp_path / "out"
    code, err = _run_main([str(run_prefix), "-o", str(out)], capsys)
    assert code == ExitCode.USAGE_ERROR
    assert f"{history}: line {len(lines)}: expected 24 fields, found" in err
    _assert_nothing_written(out)


def test_history_row_with_extra_fields(run_prefix: Path, tmp_path: Path) -> None:
    history = Path(f"{run_prefix}_stats_history.csv")
    lines = _lines(history)
    lines[10] = lines[10].rstrip("\n") + ",999\n"
    history.write_text("".join(lines))
    with pytest.raises(Exception, match=r"line 11: expected 24 fields, found 25"):
        write_report([run_prefix], tmp_path / "out")


@pytest.mark.parametrize(
    ("suffix", "line", "column", "old", "new"),
    [
        ("_stats.csv", 2, 2, None, "12x"),  # Request Count
        ("_stats.csv", 3, 5, None, "fast"),  # Average Response Time
        ("_stats_history.csv", 20, 4, None, "abc"),  # Requests/s
        ("_stats_history.csv", 7, 0, None, "N/A"),  # Timestamp may not be N/A
        ("_failures.csv", 2, 3, None, "two"),  # Occurrences
    ],
)
def test_non_numeric_cell(
    run_prefix: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    suffix: str,
    line: int,
    column: int,
    old: str | None,
    new: str,
) -> None:
    path = Path(f"{run_prefix}{suffix}")
    lines = _lines(path)
    cells = lines[line - 1].rstrip("\n").split(",")
    cells[column] = new
    lines[line - 1] = ",".join(cells) + "\n"
    path.write_text("".join(lines))
    out = tmp_path / "out"
    code, err = _run_main([str(run_prefix), "-o", str(out)], capsys)
    assert code == ExitCode.USAGE_ERROR
    assert err.startswith(f"ops-perf report: error: {path}: line {line}: column ")
    assert repr(new) in err
    _assert_nothing_written(out)


def test_missing_stats_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, err = _run_main([str(tmp_path / "results" / "prod-baseline"), "-o", str(tmp_path / "out")], capsys)
    assert code == ExitCode.USAGE_ERROR
    assert "prod-baseline_stats.csv: missing" in err
    empty = tmp_path / "empty"
    empty.mkdir()
    code, err = _run_main([str(empty)], capsys)
    assert code == ExitCode.USAGE_ERROR and "no Locust results" in err


def test_empty_stats_file(run_prefix: Path, tmp_path: Path) -> None:
    Path(f"{run_prefix}_stats.csv").write_text("")
    with pytest.raises(Exception, match=r"line 1: empty file, no header row"):
        write_report([run_prefix], tmp_path / "out")


def test_header_only_files(tmp_path: Path) -> None:
    """A run killed before Locust's first write: header-only files are a report, not a crash."""
    prefix = write_run(tmp_path / "r", basic_run(failures=[]))
    for suffix in ("_failures.csv", "_exceptions.csv", "_stats_history.csv"):
        path = Path(f"{prefix}{suffix}")
        path.write_text(_lines(path)[0])
    run = load_run(discover_runs([prefix])[0])
    assert run.failures is not None and run.failures.empty
    assert run.history is not None and run.history.aggregated.empty
    out = write_report([prefix], tmp_path / "out")
    assert "The history file has no data rows: no charts over time." in out.read_text()

    stats = Path(f"{prefix}_stats.csv")
    stats.write_text(_lines(stats)[0])
    text = write_report([prefix], tmp_path / "out2").read_text()
    assert "| local-smoke | n/a x n/a | 0 | 0 | n/a | n/a | n/a | n/a | n/a | n/a |" in text
    assert "no requests were recorded" in text


def test_crlf_reads_the_same(tmp_path: Path) -> None:
    lf = load_run(discover_runs([write_run(tmp_path / "lf", basic_run())])[0])
    crlf = load_run(discover_runs([write_run(tmp_path / "crlf", basic_run(), newline="\r\n")])[0])
    assert Path(f"{tmp_path}/crlf/local-smoke_stats.csv").read_bytes().count(b"\r\n") > 3
    assert lf.endpoints.equals(crlf.endpoints)
    assert lf.total == crlf.total
    assert lf.failures is not None and crlf.failures is not None and lf.failures.equals(crlf.failures)
    assert lf.history is not None and crlf.history is not None
    assert lf.history.aggregated.equals(crlf.history.aggregated)


def test_na_cells(tmp_path: Path) -> None:
    """`N/A` percentiles (no requests yet, or an endpoint with none) are missing values, not errors."""
    run = basic_run(endpoints=[*basic_run().endpoints, Ep("/api/v1/version/", 0)])
    prefix = write_run(tmp_path / "r", run)
    data = load_run(discover_runs([prefix])[0])
    version = data.endpoints.set_index("name").loc["/api/v1/version/"]
    assert version["requests"] == 0 and version["p95"] != version["p95"]  # NaN
    assert data.history is not None
    assert data.history.aggregated["p95"].isna().sum() == 5  # the lead-in rows
    text = write_report([prefix], tmp_path / "out").read_text()
    assert "| `/api/v1/version/` | 0 | 0 | n/a | 100 | n/a | n/a | 120.0 | 450 |" in text


def test_float_medians_and_old_failures_columns(tmp_path: Path) -> None:
    prefix = write_run(tmp_path / "r", basic_run(first_last_seen=False))
    data = load_run(discover_runs([prefix])[0])
    assert data.failures is not None and list(data.failures.columns) == [
        "method",
        "name",
        "label",
        "error",
        "occurrences",
    ]
    assert data.endpoints.set_index("name").loc["/api/v1/agreements/", "median"] == 800.0
    new = load_run(discover_runs([write_run(tmp_path / "n", basic_run())])[0])
    assert new.failures is not None and "first_seen" in new.failures.columns


def test_missing_failures_file(run_prefix: Path, tmp_path: Path) -> None:
    Path(f"{run_prefix}_failures.csv").unlink()
    text = write_report([run_prefix], tmp_path / "out").read_text()
    assert "7 failures, but there is no failures file" in text
    assert "| 504 gateway timeouts | <= 0 |" not in text
    assert "n/a: unknown (failures file missing)" in text


def test_existing_report_needs_force(run_prefix: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    report = write_report([run_prefix], out)
    report.write_text("reviewed version")
    (out / "COMPARISON.md").write_text("someone else's file")
    code, err = _run_main([str(run_prefix), "-o", str(out)], capsys)
    assert code == ExitCode.USAGE_ERROR
    assert "exists already; pass --force" in err
    assert report.read_text() == "reviewed version"
    assert main([str(run_prefix), "-o", str(out), "--force"]) == ExitCode.OK
    assert report.read_text().startswith("# OPS API Performance Report")
    assert (out / "COMPARISON.md").read_text() == "someone else's file"
    assert [p.name for p in (out / "charts").iterdir()] == ["local-smoke-timeline.png"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.tmp-")]


def test_default_output_is_reports_date(
    run_prefix: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main([str(run_prefix.parent)]) == ExitCode.OK
    assert (tmp_path / "reports" / "2026-11-27" / "PERFORMANCE_REPORT.md").is_file()


def test_corrupt_run_json(run_prefix: Path, tmp_path: Path) -> None:
    Path(f"{run_prefix}_run.json").write_text('{"schema": 1,\n "users": }')
    with pytest.raises(Exception, match=r"_run.json: line 2: not valid JSON"):
        write_report([run_prefix], tmp_path / "out")
    Path(f"{run_prefix}_run.json").write_text('{"users": "ten"}')
    with pytest.raises(Exception, match=r"key 'users' should be a number"):
        write_report([run_prefix], tmp_path / "out")


def test_same_prefix_in_two_folders_is_refused(tmp_path: Path) -> None:
    one = write_run(tmp_path / "2026-11-26", basic_run())
    two = write_run(tmp_path / "2026-11-27", basic_run())
    with pytest.raises(Exception, match=r"two runs are named local-smoke"):
        write_report([one, two], tmp_path / "out")
