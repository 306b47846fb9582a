"""`ops-perf report RUN [RUN ...] [-o DIR] [--force] [--diagnosis FILE]` and `write_report()` for `ops-perf run`.

Why the writing is careful: a half-written report is worse than none, and an old report a reviewer has
already read must not change under them. So everything is loaded and validated before anything is
written; the report and its charts are written into a temporary folder next to the destination and
moved into place with renames (one atomic rename when the folder is new; with `--force`, the charts
folder is swapped first and `PERFORMANCE_REPORT.md` replaced last, each step atomic); an existing
report is never replaced without `--force`; and on any error the temporary folder is removed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from ops_perf.errors import OpsPerfError, die
from ops_perf.exitcodes import ExitCode
from ops_perf.paths import REPORTS_DIR
from ops_perf.report.analyse import analyse
from ops_perf.report.charts import render_charts
from ops_perf.report.model import CatalogNames
from ops_perf.report.render import InputFile, render_markdown
from ops_perf.runfiles.diagnosis_json import Diagnosis, find_diagnoses, load_diagnosis
from ops_perf.runfiles.load import Run, RunInputs, discover_runs, file_digest, load_run, read_json
from ops_perf.settings.targets import Targets, load_targets

REPORT_NAME = "PERFORMANCE_REPORT.md"
CHARTS_DIR = "charts"
_DATE_DIR = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def catalog_names() -> CatalogNames | None:
    """The current catalogs' Locust names, or None when they cannot be imported (never fatal)."""
    try:
        from ops_perf.users.endpoints import catalog
        from ops_perf.users.pages.catalog import CATALOG
    except Exception:  # the report must still work on a checkout with a broken catalog
        return None
    weighted = [e.locust_name for e in catalog.ENDPOINTS]
    return CatalogNames(weighted, sorted(CATALOG.endpoints()), [e.locust_name for e in catalog.PAGE_ONLY_ENDPOINTS])


def _run_date(run: RunInputs) -> date | None:
    """The day a run belongs to: its results folder (`results/<date>/`), else when it started."""
    if _DATE_DIR.match(run.directory.name):
        try:
            return date.fromisoformat(run.directory.name)
        except ValueError:
            pass
    if run.run_json is not None:
        started = read_json(run.run_json).get("started_at")
        if isinstance(started, str):
            try:
                return datetime.fromisoformat(started.replace("Z", "+00:00")).date()
            except ValueError:
                pass
    if run.history is not None:
        with run.history.open(encoding="utf-8-sig", errors="replace") as fh:
            fh.readline()
            first = fh.readline().split(",", 1)[0].strip()
        if first.isdigit():
            return datetime.fromtimestamp(int(first), UTC).date()
    return None


def default_out_dir(runs: Sequence[RunInputs]) -> Path:
    """`reports/<date>/`, the latest date among the runs (today when none can be told)."""
    dates = [d for d in (_run_date(r) for r in runs) if d is not None]
    day = max(dates) if dates else datetime.now(UTC).date()
    return REPORTS_DIR / day.isoformat()


def _refuse_overwrite(out_dir: Path, force: bool) -> None:
    report = out_dir / REPORT_NAME
    if report.exists() and not force:
        raise OpsPerfError(f"{report} exists already; pass --force to replace it, or -o DIR to write elsewhere")


def _input_files(run: Run) -> list[InputFile]:
    i = run.inputs
    rows = {
        i.stats: len(run.endpoints) + (1 if run.total is not None else 0),
        i.history: run.history.rows if run.history is not None else None,
        i.failures: len(run.failures) if run.failures is not None else None,
        i.exceptions: len(run.exceptions) if run.exceptions is not None else None,
    }
    return [InputFile(run.prefix, str(p), rows.get(p), p.stat().st_size, file_digest(p)[:16]) for p in i.files]


def _commit(tmp: Path, out_dir: Path, force: bool) -> None:
    if not out_dir.exists():
        try:
            os.rename(tmp, out_dir)
            return
        except OSError:
            if not out_dir.exists():
                raise
    _refuse_overwrite(out_dir, force)  # again: another process may have written one meanwhile
    old_charts = out_dir / CHARTS_DIR
    if old_charts.exists():
        os.rename(old_charts, tmp / ".old-charts")
    os.rename(tmp / CHARTS_DIR, old_charts)
    os.replace(tmp / REPORT_NAME, out_dir / REPORT_NAME)


def write_report(
    runs: Sequence[Path | str | Run],
    out_dir: Path,
    force: bool = False,
    *,
    targets_path: Path | None = None,
    diagnosis: Path | None = None,
) -> Path:
    """Write `out_dir/PERFORMANCE_REPORT.md` and `out_dir/charts/*.png` for the given runs.

    `runs` are results folders or run prefixes (each loaded here, one at a time), or runs already
    loaded (`ops-perf run` hands over the one it loaded for the store and the check). `diagnosis`: a
    diagnose.json for the runs of its environment (else one of the same environment beside each run
    is used, if any). Raises `OpsPerfError` (exit code USAGE_ERROR) for bad input or an existing report
    without `force`; nothing is written then. Returns the report's path.
    """
    out_dir = Path(out_dir)
    _refuse_overwrite(out_dir, force)
    given = [r for r in runs if isinstance(r, Run)]
    if given and len(given) != len(runs):
        raise TypeError("write_report: pass either loaded runs or paths, not both")
    inputs = [r.inputs for r in given] or discover_runs([r for r in runs if not isinstance(r, Run)])
    default_targets = load_targets(targets_path)
    named = load_diagnosis(diagnosis) if diagnosis is not None else None
    catalog = catalog_names()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        # Written aside, then moved in by renames: on the filesystem of the folder itself where it exists
        # (it may be a mounted volume: a rename across filesystems fails), else beside it.
        tmp_parent = out_dir if out_dir.is_dir() else out_dir.parent
        tmp = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.tmp-", dir=tmp_parent))
    except OSError as err:
        raise OpsPerfError(f"cannot write the report under {out_dir.parent}: {err.strerror or err}") from None
    try:
        os.chmod(tmp, 0o755)  # mkdtemp makes it private; the report folder should not be
        loaded = iter(given) if given else (load_run(i) for i in inputs)
        markdown = _markdown(
            loaded, tmp / CHARTS_DIR, default_targets, catalog, targets_path, release=not given, diagnosis=named
        )
        with (tmp / REPORT_NAME).open("w", encoding="utf-8", newline="\n") as fh:
            fh.write(markdown)
        try:
            _commit(tmp, out_dir, force)
        except OSError as err:
            raise OpsPerfError(f"cannot move the report into {out_dir}: {err.strerror or err}") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out_dir / REPORT_NAME


def _markdown(
    runs: Iterator[Run],
    charts_dir: Path,
    default_targets: Targets,
    catalog: list[str] | None,
    targets_path: Path | None,
    release: bool,
    diagnosis: Diagnosis | None = None,
) -> str:
    """The report's text, its charts drawn into `charts_dir` as each run comes.

    `release`: drop a run's per-endpoint history once drawn (memory at scale), for runs loaded here only:
    a run handed over by the caller is theirs and is left as it was given.
    """
    charts_dir.mkdir()
    loaded: list[Run] = []
    charts: dict[str, dict[str, str]] = {}
    files: list[InputFile] = []
    for run in runs:
        charts[run.prefix] = render_charts(run, charts_dir)
        files.extend(_input_files(run))
        if release and run.history is not None:
            run.history.endpoints = None  # drawn; the analysis needs only the stats
        loaded.append(run)
    per_run = {run.prefix: load_targets(targets_path, env=run.meta.env) for run in loaded}
    diagnoses = diagnoses_for(loaded, diagnosis)
    for run in loaded:
        found = diagnoses.get(run.prefix)
        if found is not None and found.path is not None and found.path.is_file():
            files.append(
                InputFile(run.prefix, str(found.path), None, found.path.stat().st_size, file_digest(found.path)[:16])
            )
    analysis = analyse(loaded, per_run, default_targets, catalog, diagnoses)
    for run_analysis in analysis.runs:
        run_analysis.charts = charts.get(run_analysis.prefix, {})
    from ops_perf.history.section import trends_markdown  # earlier runs of the same env and scenario

    trends = trends_markdown(loaded, charts_dir, targets_path)
    return render_markdown(analysis, files, trends=trends)


def diagnoses_for(runs: Sequence[Run], named: Diagnosis | None) -> dict[str, Diagnosis]:
    """The diagnosis each run is read with: `named` for the runs of its environment, else the newest
    diagnosis of the run's environment in its results folder (one made from that run first)."""
    out: dict[str, Diagnosis] = {}
    if named is not None:
        out = {run.prefix: named for run in runs if run.env == named.env}
        if not out:
            envs = ", ".join(sorted({run.env or "unknown" for run in runs}))
            raise OpsPerfError(
                f"{named.label} is a diagnosis of {named.env or 'an unknown environment'}, the runs are of {envs}; "
                "pass a diagnosis of the runs' environment"
            )
        return out
    by_folder: dict[Path, list[Diagnosis]] = {}
    for run in runs:
        found = by_folder.setdefault(run.inputs.directory, find_diagnoses(run.inputs.directory))
        same = [d for d in found if d.env is not None and d.env == run.env]
        mine = [d for d in same if d.from_run and Path(d.from_run).name == run.prefix]
        if mine or same:
            out[run.prefix] = (mine or same)[0]
    return out


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ops-perf report",
        description="Write PERFORMANCE_REPORT.md and its charts from Locust results.",
    )
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        type=Path,
        help="a run prefix (results/2025-10-15/production-baseline-normal) or a results folder (every run in it)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="DIR",
        type=Path,
        default=None,
        help="where to write (default: reports/<date of the runs>/)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing report (default: refuse to overwrite)"
    )
    parser.add_argument(
        "--targets", metavar="FILE", type=Path, default=None, help="targets file (default: config/targets.toml)"
    )
    parser.add_argument(
        "--diagnosis",
        metavar="FILE",
        type=Path,
        default=None,
        help="a diagnose.json (ops-perf diagnose) for the runs of its environment (default: one of the same "
        "environment beside the run, if any)",
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point for `ops-perf report`; returns an `ExitCode` (errors exit via `die`)."""
    args = build_parser().parse_args(argv)
    try:
        out_dir = args.output if args.output is not None else default_out_dir(discover_runs(args.runs))
        path = write_report(args.runs, out_dir, args.force, targets_path=args.targets, diagnosis=args.diagnosis)
    except OpsPerfError as err:
        die(err, prog="ops-perf report")
    print(path)
    return int(ExitCode.OK)
