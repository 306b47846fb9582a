"""Locust's CSV output (and our run.json) to pandas frames, exactly and defensively.

Why this module is strict: a report is only as trustworthy as its inputs. A CSV cut short by a killed
run, or a cell that is not a number, must stop the report with one line naming the file and the line,
never produce a table with silently shifted or missing numbers. Why it is also lenient: it must read
results as Locust really writes them, including runs made before this suite existed (the 2025-10-15
runs): `N/A` cells, LF or CRLF, float medians, header-only files, a failures file without the First/Last
Seen columns (Locust < 2.40), no failures file at all, aggregated-only or full stats history.

Small files (stats, failures, exceptions: one row per endpoint or error) are validated row by row with
the `csv` module first, so an error names the exact line. The history file can hold millions of rows
(24-hour soak with `--csv-full-history`), so it is read by pandas' C parser with compact dtypes and only
the columns the report uses; cheap vectorised checks decide whether it needs the slow row-by-row
diagnosis, which then names the line.

Public API (also used by `ops_perf.verdict`): `discover_runs`, `load_run`, `RunInputs`, `RunData`,
`RunMeta`, `History`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from ops_perf.errors import OpsPerfError

STATS_SUFFIX = "_stats.csv"
HISTORY_SUFFIX = "_stats_history.csv"
FAILURES_SUFFIX = "_failures.csv"
EXCEPTIONS_SUFFIX = "_exceptions.csv"
RUN_JSON_SUFFIX = "_run.json"
WARMUP_JSON_SUFFIX = "_warmup.json"
PAGES_JSON_SUFFIX = "_pages.json"
HISTOGRAMS_SUFFIX = ".json"

AGGREGATED = "Aggregated"
NA_TOKENS = ("N/A", "")

# Locust column -> our column. Pre-1.0 Locust spelled a few of them differently; both are accepted.
STATS_COLUMNS: Mapping[str, str] = {
    "Type": "method",
    "Name": "name",
    "Request Count": "requests",
    "Failure Count": "failures",
    "Median Response Time": "median",
    "Average Response Time": "avg",
    "Min Response Time": "min",
    "Max Response Time": "max",
    "Average Content Size": "avg_size",
    "Requests/s": "rps",
    "Failures/s": "fps",
}
_STATS_ALIASES: Mapping[str, str] = {
    "Method": "Type",
    "# requests": "Request Count",
    "# failures": "Failure Count",
    "Median response time": "Median Response Time",
    "Average response time": "Average Response Time",
    "Min response time": "Min Response Time",
    "Max response time": "Max Response Time",
}
_STATS_REQUIRED = (
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Median Response Time",
    "Average Response Time",
    "Min Response Time",
    "Max Response Time",
    "Requests/s",
)
_PERCENTILE_RE = re.compile(r"^(\d+(?:\.\d+)?)%$")

_HISTORY_REQUIRED = (
    "Timestamp",
    "User Count",
    "Name",
    "Requests/s",
    "Failures/s",
    "Total Request Count",
    "Total Failure Count",
)
_HISTORY_PERCENTILES = ("50%", "95%", "99%")
_FAILURES_REQUIRED = ("Method", "Name", "Error", "Occurrences")
_EXCEPTIONS_REQUIRED = ("Count", "Message")

_ENV_ORDER = {"local": 0, "dev": 1, "development": 1, "stg": 2, "staging": 2, "prod": 3, "production": 3}
_ORDINAL_RE = re.compile(r"-(\d+)$")


def percentile_key(column: str) -> str | None:
    """`95%` -> `p95`, `99.9%` -> `p99.9`; None for other columns."""
    match = _PERCENTILE_RE.match(column)
    return f"p{match.group(1)}" if match else None


# --------------------------------------------------------------------------------------------------
# Data holders
# --------------------------------------------------------------------------------------------------


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
            )
            if p is not None
        ]


@dataclass
class RunMeta:
    """What we know about how a run was made; `inferred` names the fields guessed from the CSVs.

    Fields are None when neither run.json nor the CSVs tell: the report prints "not recorded" rather
    than a made-up value.
    """

    prefix: str
    env: str | None = None
    scenario: str | None = None
    host: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    duration_s: float | None = None
    think_time_s: tuple[float, float] | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    load_started_at: datetime | None = None
    locust_version: str | None = None
    status: str | None = None
    workers: int | None = None
    warmup: dict[str, Any] | None = None
    auth: dict[str, Any] | None = None
    user: str | None = None
    """`endpoints` or `pages` (which user class made the load); None for older runs (endpoints)."""
    model: str | None = None
    """`closed` or `open`; None for older runs (closed)."""
    offered_rate: float | None = None
    """Open model: offered arrivals per second (for the endpoint user one arrival is one request)."""
    arrivals: int | None = None
    dropped_arrivals: int | None = None
    sim_profile: str | None = None
    """The simulator's profile when the target was the simulator."""
    cpu_warning: bool | None = None
    status_detail: str | None = None
    load_ended_at: datetime | None = None
    """The real end of the load (before Locust's shutdown); an interrupted run's cut."""
    load_duration_s: float | None = None
    """The real load time as the run measured it (run.json `load_duration_s`)."""
    has_run_json: bool = False
    inferred: set[str] = field(default_factory=set)


@dataclass
class History:
    """`_stats_history.csv`, split into the Aggregated series and (full history only) per-endpoint rows.

    `cumulative` is True for aggregated-only history: Locust then writes percentiles cumulative since
    the start; with `--csv-full-history` it writes them over a sliding ~10 s window instead. Charts
    label the difference because the two look nothing alike.
    """

    aggregated: pd.DataFrame
    """ts (int64 s), users, rps, fps, p50/p95/p99 (float32, NaN where Locust wrote N/A),
    total_requests, total_failures."""
    endpoints: pd.DataFrame | None
    """Full history only: ts, label (category), p50/p95/p99, rps."""
    cumulative: bool
    rows: int


@dataclass
class RunData:
    """One run, loaded. `endpoints` excludes the Aggregated row, which is `total`."""

    inputs: RunInputs
    meta: RunMeta
    endpoints: pd.DataFrame
    """One row per (method, name): method, name, label, requests, failures, median, avg, min, max,
    avg_size, rps, fps and p<N> percentile columns."""
    total: dict[str, float] | None
    """The Aggregated row (same keys as `endpoints`), None when the stats file has none."""
    percentiles: list[str]
    """Percentile columns present, in Locust's order (`p50`, ..., `p100`)."""
    history: History | None
    failures: pd.DataFrame | None
    """method, name, label, error, occurrences (+ first_seen, last_seen when written); None when the
    failures file is missing (an empty frame when it is header-only)."""
    exceptions: pd.DataFrame | None
    """count, message, traceback, nodes; None when the file is missing."""
    pages: dict[str, Any] | None = None
    """`<prefix>_pages.json` (schema 1) when present and readable, else None."""

    @property
    def has_pages(self) -> bool:
        """Whether the stats hold page views (request type PAGE)."""
        return bool((self.endpoints["method"] == "PAGE").any()) if len(self.endpoints) else False

    @property
    def prefix(self) -> str:
        return self.inputs.prefix


# --------------------------------------------------------------------------------------------------
# Finding runs
# --------------------------------------------------------------------------------------------------


def discover_runs(args: Sequence[Path | str]) -> list[RunInputs]:
    """Resolve `RUN` arguments: a results folder (every run in it) or a run prefix.

    A prefix may also be given as any of the run's files (`..._stats.csv`, `..._run.json`), which is
    what shell completion produces. Runs are de-duplicated; runs from one folder are ordered by
    environment (local, dev, stg, prod) then prefix, so tables read in a stable, meaningful order.
    """
    found: list[RunInputs] = []
    seen: set[Path] = set()
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
        for run in runs:
            key = run.directory.resolve() / run.prefix
            if key not in seen:
                seen.add(key)
                found.append(run)
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


def run_sort_key(run: RunInputs) -> tuple[int, str]:
    env = run.prefix.split("-", 1)[0]
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
    )


# --------------------------------------------------------------------------------------------------
# Validation (csv module, exact line numbers)
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Spec:
    """What a well-formed file looks like: required columns, and per numeric column whether N/A is
    allowed and whether the value must be whole."""

    kind: str
    required: tuple[str, ...]
    numeric: Mapping[str, tuple[bool, bool]]  # column -> (allow_na, integral)


def _corrupt(path: Path, where: str, what: str) -> OpsPerfError:
    return OpsPerfError(
        f"{path}: {where}: {what}; the file is corrupt or truncated "
        "(re-run the test, or leave this run out of the report)"
    )


def _read_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        try:
            header = next(csv.reader(fh), None)
        except csv.Error as err:
            raise _corrupt(path, "line 1", str(err)) from None
    if not header:
        raise _corrupt(path, "line 1", "empty file, no header row")
    return [h.strip() for h in header]


def _check_header(path: Path, header: list[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise _corrupt(path, "line 1", f"header lacks column(s) {', '.join(repr(m) for m in missing)}")


def _first_bad_row(path: Path, spec: _Spec, header: list[str]) -> str | None:
    """Walk the file with the csv module; the first malformed row as `line N: why`, or None."""
    checks = [
        (header.index(col), col, allow_na, integral)
        for col, (allow_na, integral) in spec.numeric.items()
        if col in header
    ]
    width = len(header)
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        reader = csv.reader(fh)
        try:
            next(reader, None)
            for row in reader:
                if not row:
                    continue  # blank line: Locust never writes one, pandas skips it too
                line = reader.line_num
                if len(row) != width:
                    return f"line {line}: expected {width} fields, found {len(row)}"
                for idx, col, allow_na, integral in checks:
                    cell = row[idx].strip()
                    if cell in NA_TOKENS:
                        if allow_na:
                            continue
                        return f"line {line}: column {col!r} is {cell or 'empty'!r}, a number is required"
                    try:
                        value = float(cell)
                    except ValueError:
                        return f"line {line}: column {col!r} holds {cell[:40]!r}, not a number"
                    if not math.isfinite(value):
                        return f"line {line}: column {col!r} holds {cell!r}, not a finite number"
                    if integral and not value.is_integer():
                        return f"line {line}: column {col!r} holds {cell!r}, a whole number is required"
        except csv.Error as err:
            return f"line {reader.line_num}: {err}"
    return None


def _validate_small(path: Path, spec: _Spec) -> list[str]:
    header = _read_header(path)
    _check_header(path, header, spec.required)
    problem = _first_bad_row(path, spec, header)
    if problem:
        where, _, what = problem.partition(": ")
        raise _corrupt(path, where, what)
    return header


def _na_map(columns: Iterable[str]) -> dict[str, list[str]]:
    return {c: list(NA_TOKENS) for c in columns}


# --------------------------------------------------------------------------------------------------
# Stats
# --------------------------------------------------------------------------------------------------


def _label(method: str, name: str) -> str:
    """Locust names are unique per method; the suite only GETs, so the name alone reads best."""
    return name if method in ("", "GET") else f"{method} {name}"


def read_stats(path: Path) -> tuple[pd.DataFrame, dict[str, float] | None, list[str]]:
    """`_stats.csv` -> (endpoint rows, Aggregated row, percentile keys)."""
    header = _read_header(path)
    header = [_STATS_ALIASES.get(h, h) for h in header]
    _check_header(path, header, _STATS_REQUIRED)
    pct_cols = [h for h in header if percentile_key(h)]
    numeric: dict[str, tuple[bool, bool]] = {"Request Count": (False, True), "Failure Count": (False, True)}
    for col in (
        "Median Response Time",
        "Average Response Time",
        "Min Response Time",
        "Max Response Time",
        "Average Content Size",
        "Requests/s",
        "Failures/s",
        *pct_cols,
    ):
        numeric[col] = (True, False)
    problem = _first_bad_row(path, _Spec("stats", _STATS_REQUIRED, numeric), header)
    if problem:
        where, _, what = problem.partition(": ")
        raise _corrupt(path, where, what)

    num_cols = [c for c in numeric if c in header]
    frame = pd.read_csv(
        path,
        header=0,
        names=header,
        engine="c",
        index_col=False,
        encoding="utf-8-sig",
        dtype={**{c: "float64" for c in num_cols}, "Type": "str", "Name": "str"},
        na_values=_na_map(num_cols),
        keep_default_na=False,
        skipinitialspace=True,
    )
    rename = {c: STATS_COLUMNS[c] for c in frame.columns if c in STATS_COLUMNS}
    rename.update({c: percentile_key(c) for c in pct_cols})
    frame = frame.rename(columns=rename)
    for col in ("avg_size", "fps"):
        if col not in frame.columns:
            frame[col] = float("nan")
    keys = [k for k in (percentile_key(c) for c in pct_cols) if k]
    frame = frame[
        ["method", "name", "requests", "failures", "median", "avg", "min", "max", "avg_size", "rps", "fps", *keys]
    ].copy()
    frame["method"] = frame["method"].fillna("").astype(str).str.strip()
    frame["name"] = frame["name"].astype(str)
    frame["requests"] = frame["requests"].astype("int64")
    frame["failures"] = frame["failures"].astype("int64")
    is_total = (frame["name"] == AGGREGATED) & (frame["method"] == "")
    total = None
    if is_total.any():
        row = frame[is_total].iloc[-1]
        total = {k: (row[k] if isinstance(row[k], str) else float(row[k])) for k in frame.columns}
    endpoints = frame[~is_total].copy()
    endpoints.insert(2, "label", [_label(m, n) for m, n in zip(endpoints["method"], endpoints["name"], strict=True)])
    endpoints = endpoints.reset_index(drop=True)
    return endpoints, total, keys


# --------------------------------------------------------------------------------------------------
# History (large: pandas C parser, compact dtypes, diagnosis only on trouble)
# --------------------------------------------------------------------------------------------------

_HISTORY_DTYPES: Mapping[str, str] = {
    "Timestamp": "int64",
    "User Count": "int32",
    "Type": "category",
    "Name": "category",
    "Requests/s": "float32",
    "Failures/s": "float32",
    "50%": "float32",
    "95%": "float32",
    "99%": "float32",
    "Total Request Count": "int64",
    "Total Failure Count": "int64",
}
_HISTORY_NUMERIC: Mapping[str, tuple[bool, bool]] = {
    "Timestamp": (False, True),
    "User Count": (False, True),
    "Requests/s": (False, False),
    "Failures/s": (False, False),
    "Total Request Count": (False, True),
    "Total Failure Count": (False, True),
    "Total Median Response Time": (True, False),
    "Total Average Response Time": (True, False),
    "Total Min Response Time": (True, False),
    "Total Max Response Time": (True, False),
    "Total Average Content Size": (False, False),  # always written; NaN here means a cut-short row
}


_DIGESTS: dict[tuple[str, int, int], str] = {}


def _scan(path: Path) -> tuple[int, int, str]:
    """One pass over the bytes: (commas, lines, sha256). The digest is cached for `file_digest`."""
    commas = newlines = 0
    last = b"\n"
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 24):
            commas += chunk.count(b",")
            newlines += chunk.count(b"\n")
            digest.update(chunk)
            last = chunk[-1:]
    stat = path.stat()
    _DIGESTS[(str(path), stat.st_size, stat.st_mtime_ns)] = digest.hexdigest()
    return commas, newlines + (0 if last == b"\n" else 1), digest.hexdigest()


def file_digest(path: Path) -> str:
    """sha256 of a file (hex); reuses the history scan's digest instead of reading a big file twice."""
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _DIGESTS:
        _scan(path)
    return _DIGESTS[key]


def _field_counts_consistent(path: Path, width: int) -> bool:
    """Cheap byte-level test: does every line have `width - 1` commas?

    A mismatch is only a trigger for the exact (slow) diagnosis, never a verdict: quoted commas in a
    name or blank lines also cause one, and the diagnosis then finds nothing wrong. It catches rows
    with extra fields, which pandas' parser accepts silently when `usecols` is given.
    """
    commas, lines, _ = _scan(path)
    return commas == (width - 1) * lines


def read_history(path: Path) -> History:
    header = _read_header(path)
    _check_header(path, header, _HISTORY_REQUIRED)
    has_type = "Type" in header
    usecols = [c for c in header if c in _HISTORY_DTYPES]
    last_col = header[-1]
    if last_col not in usecols and last_col in _HISTORY_NUMERIC:
        usecols.append(last_col)  # a row cut short misses its last cell: NaN there betrays it
    dtypes = {c: _HISTORY_DTYPES.get(c, "float32") for c in usecols}
    spec = _Spec("history", _HISTORY_REQUIRED, {**_HISTORY_NUMERIC, **{p: (True, False) for p in _HISTORY_PERCENTILES}})

    def diagnose(fallback: str) -> OpsPerfError:
        problem = _first_bad_row(path, spec, header)
        if problem:
            where, _, what = problem.partition(": ")
            return _corrupt(path, where, what)
        return _corrupt(path, "unknown line", fallback)

    try:
        frame = pd.read_csv(
            path,
            usecols=usecols,
            dtype=dtypes,
            engine="c",
            na_values=_na_map([c for c in usecols if c not in ("Type", "Name")]),
            keep_default_na=False,
            encoding="utf-8-sig",
            index_col=False,
        )
    except (ValueError, pd.errors.ParserError) as err:
        raise diagnose(str(err).strip().splitlines()[0]) from None
    required_floats = [
        c
        for c in dict.fromkeys(("Requests/s", "Failures/s", last_col))
        if c in frame.columns and not _HISTORY_NUMERIC.get(c, (True, False))[0]
    ]
    if frame[required_floats].isna().to_numpy().any():
        raise diagnose("a required cell is empty or N/A")
    if not _field_counts_consistent(path, len(header)):
        problem_text = _first_bad_row(path, spec, header)
        if problem_text:
            where, _, what = problem_text.partition(": ")
            raise _corrupt(path, where, what)

    rename = {
        "Timestamp": "ts",
        "User Count": "users",
        "Requests/s": "rps",
        "Failures/s": "fps",
        "50%": "p50",
        "95%": "p95",
        "99%": "p99",
        "Total Request Count": "total_requests",
        "Total Failure Count": "total_failures",
    }
    frame = frame.rename(columns=rename)
    for col in ("p50", "p95", "p99"):
        if col not in frame.columns:
            frame[col] = pd.Series(float("nan"), index=frame.index, dtype="float32")
    # Category-aware comparisons: `astype(str)` on millions of rows would cost seconds and a gigabyte.
    name = frame["Name"]
    if has_type:
        method = frame["Type"]
        is_total = (name == AGGREGATED) & (method.isna() | (method == ""))
    else:
        is_total = name == AGGREGATED
    aggregated = frame.loc[
        is_total, ["ts", "users", "rps", "fps", "p50", "p95", "p99", "total_requests", "total_failures"]
    ].reset_index(drop=True)
    endpoints = None
    if not is_total.all():
        ep = frame.loc[~is_total, ["ts", "Name", "p50", "p95", "p99", "rps"]]
        other_methods = set(frame["Type"].cat.categories) - {"", "GET"} if has_type else set()
        if other_methods:
            methods = frame.loc[~is_total, "Type"].astype(str)
            labels = [_label(m, n) for m, n in zip(methods, ep["Name"].astype(str), strict=True)]
            ep = ep.assign(label=pd.Categorical(labels)).drop(columns=["Name"])
        else:
            ep = ep.rename(columns={"Name": "label"})
            ep["label"] = ep["label"].cat.remove_unused_categories()
        endpoints = ep.reset_index(drop=True)
    rows = len(frame)
    del frame
    return History(aggregated=aggregated, endpoints=endpoints, cumulative=endpoints is None, rows=rows)


# --------------------------------------------------------------------------------------------------
# Failures and exceptions
# --------------------------------------------------------------------------------------------------


def _read_strings(path: Path, header: list[str]) -> pd.DataFrame:
    """A small, already validated CSV read as text cells (no NA guessing), for failures and exceptions."""
    return pd.read_csv(
        path,
        dtype=str,
        keep_default_na=False,
        engine="c",
        encoding="utf-8-sig",
        index_col=False,
        names=header,
        header=0,
    )


def read_failures(path: Path) -> pd.DataFrame:
    header = _validate_small(path, _Spec("failures", _FAILURES_REQUIRED, {"Occurrences": (False, True)}))
    frame = _read_strings(path, header)
    out = pd.DataFrame(
        {
            "method": frame["Method"].str.strip(),
            "name": frame["Name"],
            "error": frame["Error"],
            "occurrences": frame["Occurrences"].astype(float).astype("int64"),
        }
    )
    out.insert(2, "label", [_label(m, n) for m, n in zip(out["method"], out["name"], strict=True)])
    for col, key in (("First Seen", "first_seen"), ("Last Seen", "last_seen")):
        if col in frame.columns:
            out[key] = frame[col]
    return out


def read_exceptions(path: Path) -> pd.DataFrame:
    header = _validate_small(path, _Spec("exceptions", _EXCEPTIONS_REQUIRED, {"Count": (False, True)}))
    frame = _read_strings(path, header)
    return pd.DataFrame(
        {
            "count": frame["Count"].astype(float).astype("int64"),
            "message": frame["Message"],
            "traceback": frame["Traceback"] if "Traceback" in frame.columns else "",
            "nodes": frame["Nodes"] if "Nodes" in frame.columns else "",
        }
    )


# --------------------------------------------------------------------------------------------------
# run.json / warmup.json and inference
# --------------------------------------------------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise OpsPerfError(f"{path}: line {err.lineno}: not valid JSON ({err.msg}); fix or remove the file") from None
    except UnicodeDecodeError:
        raise OpsPerfError(f"{path}: not UTF-8 text; fix or remove the file") from None
    if not isinstance(data, dict):
        raise OpsPerfError(f"{path}: expected a JSON object at the top level; fix or remove the file")
    return data


def _as_number(data: Mapping[str, Any], key: str, path: Path) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OpsPerfError(f"{path}: key {key!r} should be a number, not {value!r}; fix or remove the file")
    return float(value)


def _as_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _as_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_prefix(prefix: str) -> tuple[str | None, str | None]:
    """`production-baseline-normal` -> (`production`, `baseline-normal`); `-2` ordinals are dropped."""
    env, sep, rest = prefix.partition("-")
    if not sep:
        return (prefix or None), None
    scenario = _ORDINAL_RE.sub("", rest) or rest
    return env or None, scenario or None


def build_meta(inputs: RunInputs, history: History | None) -> RunMeta:
    """run.json where present; the gaps inferred from the prefix and the history, and marked so."""
    meta = RunMeta(prefix=inputs.prefix)
    data: dict[str, Any] = {}
    if inputs.run_json is not None:
        data = _read_json(inputs.run_json)
        meta.has_run_json = True
        path = inputs.run_json
        meta.env = data.get("env") if isinstance(data.get("env"), str) else None
        meta.scenario = data.get("scenario") if isinstance(data.get("scenario"), str) else None
        meta.host = data.get("host") if isinstance(data.get("host"), str) else None
        users = _as_number(data, "users", path)
        meta.users = int(users) if users is not None else None
        meta.spawn_rate = _as_number(data, "spawn_rate", path)
        meta.duration_s = _as_number(data, "duration_s", path)
        workers = _as_number(data, "workers", path)
        meta.workers = int(workers) if workers is not None else None
        think = data.get("think_time_s")
        if (
            isinstance(think, list)
            and len(think) == 2
            and all(isinstance(t, int | float) and not isinstance(t, bool) for t in think)
        ):
            meta.think_time_s = (float(think[0]), float(think[1]))
        meta.started_at = _as_time(data.get("started_at"))
        meta.load_started_at = _as_time(data.get("load_started_at"))
        meta.ended_at = _as_time(data.get("ended_at"))
        meta.locust_version = data.get("locust_version") if isinstance(data.get("locust_version"), str) else None
        meta.status = data.get("status") if isinstance(data.get("status"), str) else None
        meta.warmup = data.get("warmup") if isinstance(data.get("warmup"), dict) else None
        meta.auth = data.get("auth") if isinstance(data.get("auth"), dict) else None
        meta.user = _as_str(data, "user")
        meta.model = _as_str(data, "model")
        meta.offered_rate = _as_number(data, "offered_rate", path)
        arrivals = _as_number(data, "arrivals", path)
        meta.arrivals = int(arrivals) if arrivals is not None else None
        dropped = _as_number(data, "dropped_arrivals", path)
        meta.dropped_arrivals = int(dropped) if dropped is not None else None
        meta.sim_profile = _as_str(data, "sim_profile")
        meta.cpu_warning = data.get("cpu_warning") if isinstance(data.get("cpu_warning"), bool) else None
        meta.status_detail = _as_str(data, "status_detail")
        meta.load_ended_at = _as_time(data.get("load_ended_at"))
        meta.load_duration_s = _as_number(data, "load_duration_s", path)
    if inputs.warmup_json is not None and meta.warmup is None:
        meta.warmup = _read_json(inputs.warmup_json)

    env, scenario = split_prefix(inputs.prefix)
    if meta.env is None and env is not None:
        meta.env = env
        meta.inferred.add("env")
    if meta.scenario is None and scenario is not None:
        meta.scenario = scenario
        meta.inferred.add("scenario")
    agg = history.aggregated if history is not None else None
    if agg is not None and len(agg):
        first, last = int(agg["ts"].iloc[0]), int(agg["ts"].iloc[-1])
        if meta.users is None:
            meta.users = int(agg["users"].max())
            meta.inferred.add("users")
        if meta.duration_s is None and last > first:
            meta.duration_s = float(last - first)
            meta.inferred.add("duration_s")
        if meta.started_at is None:
            meta.started_at = datetime.fromtimestamp(first, UTC)
            meta.inferred.add("started_at")
        if meta.ended_at is None:
            meta.ended_at = datetime.fromtimestamp(last, UTC)
            meta.inferred.add("ended_at")
        if meta.load_started_at is None:
            loaded = agg["ts"][agg["users"] > 0]
            if len(loaded):
                meta.load_started_at = datetime.fromtimestamp(int(loaded.iloc[0]), UTC)
                meta.inferred.add("load_started_at")
    return meta


def load_run(inputs: RunInputs) -> RunData:
    """Read every file of one run; raises `OpsPerfError` naming the file and line on bad input."""
    endpoints, total, percentiles = read_stats(inputs.stats)
    history = read_history(inputs.history) if inputs.history is not None else None
    failures = read_failures(inputs.failures) if inputs.failures is not None else None
    exceptions = read_exceptions(inputs.exceptions) if inputs.exceptions is not None else None
    meta = build_meta(inputs, history)
    pages = read_pages(inputs.pages_json) if inputs.pages_json is not None else None
    return RunData(
        inputs=inputs,
        meta=meta,
        endpoints=endpoints,
        total=total,
        percentiles=percentiles,
        history=history,
        failures=failures,
        exceptions=exceptions,
        pages=pages,
    )


def read_pages(path: Path) -> dict[str, Any] | None:
    """The page user's sidecar; None when it is not schema 1 with a `pages` object (a killed run's
    half-written file only costs the report its calls-per-view columns, never the report)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != 1 or not isinstance(data.get("pages"), dict):
        return None
    return data


HISTOGRAM_ERRORS = (OSError, ValueError, TypeError, KeyError, AttributeError)
"""What `parse_histograms` raises on a file it cannot read as Locust's `--json-file` list."""


def parse_histograms(path: Path) -> dict[str, dict[int, int]] | None:
    """`<prefix>.json` (Locust's `--json-file` list of `StatsEntry`s) as response-time histograms by row label.

    None when the file is absent; one of `HISTOGRAM_ERRORS` when it is malformed, so that a caller
    can say why (the comparison notes it). Entries of one label are summed.
    """
    if not path.is_file():
        return None
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError("not a list")
    hists: dict[str, dict[int, int]] = {}
    for entry in entries:
        name, method = str(entry["name"]), str(entry.get("method") or "")
        target = hists.setdefault(_label(method, name), {})
        for key, count in dict(entry.get("response_times") or {}).items():
            bucket = int(float(key))
            target[bucket] = target.get(bucket, 0) + int(count)
    return hists


def read_histograms(path: Path) -> dict[str, dict[int, int]] | None:
    """`parse_histograms`, with None also when the file is unreadable (the report then leaves out what needs it)."""
    try:
        return parse_histograms(path)
    except HISTOGRAM_ERRORS:
        return None
