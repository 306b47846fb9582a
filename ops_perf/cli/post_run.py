"""What `ops-perf run` does once Locust has written a run: the files loaded once, and that one run
handed to the results store, the report and the check.

Why once: the three used to load the run each on their own (three reads of every file, and the check
called with a made-up command line); now they take the same loaded `Run`, so they also see the same
files even if something rewrote one meanwhile.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode

if TYPE_CHECKING:
    from ops_perf.runfiles.load import Run


def finish(
    prefix: Path, record: dict[str, Any], env: str, report_dir: Path | None, check: bool
) -> tuple[ExitCode, Path | None]:
    """After Locust: the run's files loaded once, and that one run handed to the results store, the
    report (into `report_dir`; None: no report) and the check (`check`: judge it, else only say whether
    it was interrupted). Returns the verdict and the report's path."""
    loaded = load_finished_run(prefix, record)
    from ops_perf.history import record_run

    record_run(loaded)  # into the results store first, so that the report's Trends include this run
    report_path = None
    if report_dir is not None:
        from ops_perf.report import write_report

        report_path = write_report([loaded], report_dir)
        print(f"ops-perf: report written to {report_path}", flush=True)
    verdict = judge(loaded, record, env) if check else unjudged(record)
    return verdict, report_path


def load_finished_run(prefix: Path, record: dict[str, Any]) -> Run | Path:
    """The run's files, loaded once for the store, the report and the check (`record`: run.json as
    `execute` read it, so that it is not read again). Files that do not load give the prefix back: each
    of the three then loads it itself and says what is wrong in its own words, as it always did."""
    from ops_perf.runfiles.load import discover_runs, load_run

    try:
        return load_run(discover_runs([prefix])[0], record)
    except OpsPerfError:
        return prefix


def judge(run: Run | Path, record: dict[str, Any], env: str) -> ExitCode:
    """Run invalid beats everything; otherwise the threshold check decides (`ops-perf check`'s lines,
    and its JUnit next to the run's files)."""
    if record.get("status") == "interrupted":
        return ExitCode.INTERRUPTED
    if record.get("status") not in (None, "completed"):
        return ExitCode.RUN_INVALID
    from ops_perf.verdict import check_loaded

    prefix = run if isinstance(run, Path) else run.path
    return ExitCode(check_loaded(run, env, prefix.parent / f"{prefix.name}_junit.xml"))


def unjudged(record: dict[str, Any]) -> ExitCode:
    """`--no-check`: no thresholds, but an interrupted run still says so."""
    return ExitCode.INTERRUPTED if record.get("status") == "interrupted" else ExitCode.OK
