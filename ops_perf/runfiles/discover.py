"""Finding a run's files: a results folder or a run prefix -> `RunInputs` (which files exist).

A run is the set of files Locust and the suite's hooks write under one prefix
(`<env>-<scenario>_stats.csv`, `_stats_history.csv`, `_failures.csv`, `_exceptions.csv`, `_run.json`,
`_warmup.json`, `_pages.json`, `_records.json`, `_server.json`, `.json`); only the stats file is required.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ops_perf.errors import OpsPerfError
from ops_perf.settings.targets import normalise_env

STATS_SUFFIX = "_stats.csv"
HISTORY_SUFFIX = "_stats_history.csv"
FAILURES_SUFFIX = "_failures.csv"
EXCEPTIONS_SUFFIX = "_exceptions.csv"
RUN_JSON_SUFFIX = "_run.json"
WARMUP_JSON_SUFFIX = "_warmup.json"
PAGES_JSON_SUFFIX = "_pages.json"
RECORDS_JSON_SUFFIX = "_records.json"
SERVER_JSON_SUFFIX = "_server.json"
HISTOGRAMS_SUFFIX = ".json"

_ENV_ORDER = {"local": 0, "dev": 1, "stg": 2, "prod": 3}
"""Environments in the order tables list them; a results prefix's spelling (`production`) is normalised first."""


@dataclass(frozen=True)
class RunInputs:
    """The files of one run, found by prefix. Optional files are None when absent."""

    prefix: str
    directory: Path
    stats: Path
    history: Path | None
    failures: Path | None
    exceptions: Path | None
    run_json: Path | None
    warmup_json: Path | None
    pages_json: Path | None = None
    """`<prefix>_pages.json`, the page user's per-page counts (calls, slowest call, failed calls)."""
    records_json: Path | None = None
    """`<prefix>_records.json`, per record (id) of the `[id]` endpoints and detail pages."""
    server_json: Path | None = None
    """`<prefix>_server.json`, OPS's health answers (its database pool) during the run."""

    @property
    def files(self) -> list[Path]:
        return [
            p
            for p in (
                self.stats,
                self.history,
                self.failures,
                self.exceptions,
                self.run_json,
                self.warmup_json,
                self.pages_json,
                self.records_json,
                self.server_json,
            )
            if p is not None
        ]


def discover_runs(args: Sequence[Path | str]) -> list[RunInputs]:
    """Resolve `RUN` arguments: a results folder (every run in it) or a run prefix.

    A prefix may also be given as any of the run's files (`..._stats.csv`, `..._run.json`), which is
    what shell completion produces. Runs are de-duplicated; runs from one folder are ordered by
    environment (local, dev, stg, prod) then prefix, so tables read in a stable, meaningful order.
    """
    named: list[RunInputs] = []
    for raw in args:
        path = Path(raw)
        if path.is_dir():
            stats_files = sorted(p for p in path.iterdir() if p.name.endswith(STATS_SUFFIX) and p.is_file())
            if not stats_files:
                raise OpsPerfError(
                    f"{path}: no Locust results (*{STATS_SUFFIX}) in this folder; "
                    "pass a results folder or a run prefix such as results/<date>/<env>-<scenario>"
                )
            runs = [_inputs_for(p.parent, p.name[: -len(STATS_SUFFIX)]) for p in stats_files]
            runs.sort(key=run_sort_key)
        else:
            directory, prefix = path.parent, _strip_suffix(path.name)
            runs = [_inputs_for(directory, prefix)]
        named.extend(runs)
    found = distinct_runs(named)
    if not found:
        raise OpsPerfError("no runs given; pass a results folder or a run prefix")
    names: dict[str, Path] = {}
    for run in found:
        if run.prefix in names:
            raise OpsPerfError(
                f"two runs are named {run.prefix} ({names[run.prefix]} and {run.directory}); a "
                "report names runs by prefix, so report them separately (or use ops-perf compare)"
            )
        names[run.prefix] = run.directory
    return found


def distinct_runs(runs: Iterable[RunInputs]) -> list[RunInputs]:
    """Each run once, where it was first named: a folder and a prefix in it (or one folder by two paths)
    name the same runs, and a run counted twice would be reported, compared or stored twice."""
    found: list[RunInputs] = []
    seen: set[Path] = set()
    for run in runs:
        key = run.directory.resolve() / run.prefix
        if key not in seen:
            seen.add(key)
            found.append(run)
    return found


def runs_under(root: Path) -> list[RunInputs]:
    """Every run in or below `root` (a results root of dated folders), in path order."""
    stats = sorted(p for p in root.rglob(f"*{STATS_SUFFIX}") if p.is_file() and not p.name.endswith(HISTORY_SUFFIX))
    return [_inputs_for(p.parent, p.name[: -len(STATS_SUFFIX)]) for p in stats]


def run_sort_key(run: RunInputs) -> tuple[int, str]:
    env = normalise_env(run.prefix.split("-", 1)[0]) or ""
    return (_ENV_ORDER.get(env, 9), run.prefix)


def _strip_suffix(name: str) -> str:
    for suffix in (
        HISTORY_SUFFIX,
        STATS_SUFFIX,
        FAILURES_SUFFIX,
        EXCEPTIONS_SUFFIX,
        RUN_JSON_SUFFIX,
        WARMUP_JSON_SUFFIX,
        PAGES_JSON_SUFFIX,
        RECORDS_JSON_SUFFIX,
        SERVER_JSON_SUFFIX,
        ".html",
        ".json",
    ):
        if name.endswith(suffix):
            return name[: -len(suffix)]
    return name


def _inputs_for(directory: Path, prefix: str) -> RunInputs:
    stats = directory / f"{prefix}{STATS_SUFFIX}"
    if not stats.is_file():
        raise OpsPerfError(
            f"{stats}: missing; a run needs at least its Locust stats file "
            "(pass a results folder or an existing run prefix)"
        )

    def opt(suffix: str) -> Path | None:
        candidate = directory / f"{prefix}{suffix}"
        return candidate if candidate.is_file() else None

    return RunInputs(
        prefix,
        directory,
        stats,
        opt(HISTORY_SUFFIX),
        opt(FAILURES_SUFFIX),
        opt(EXCEPTIONS_SUFFIX),
        opt(RUN_JSON_SUFFIX),
        opt(WARMUP_JSON_SUFFIX),
        opt(PAGES_JSON_SUFFIX),
        opt(RECORDS_JSON_SUFFIX),
        opt(SERVER_JSON_SUFFIX),
    )
