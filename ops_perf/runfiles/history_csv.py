"""`_stats_history.csv` to pandas frames: large (millions of rows in a 24-hour soak with full history).

Why not row by row: the file is read by pandas' C parser with compact dtypes and only the columns the
report uses; cheap vectorised checks (required cells, a byte-level comma count) decide whether it
needs the slow row-by-row diagnosis (`csv_checks`), which then names the line. The byte scan also
gives the file's sha256 (`file_digest`), so the report's input table does not read it twice.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.csv_checks import (
    AGGREGATED,
    Spec,
    bad_row_error,
    check_header,
    corrupt,
    na_map,
    read_header,
    row_label,
)

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
    header = read_header(path)
    check_header(path, header, _HISTORY_REQUIRED)
    has_type = "Type" in header
    usecols = [c for c in header if c in _HISTORY_DTYPES]
    last_col = header[-1]
    if last_col not in usecols and last_col in _HISTORY_NUMERIC:
        usecols.append(last_col)  # a row cut short misses its last cell: NaN there betrays it
    dtypes = {c: _HISTORY_DTYPES.get(c, "float32") for c in usecols}
    spec = Spec("history", _HISTORY_REQUIRED, {**_HISTORY_NUMERIC, **{p: (True, False) for p in _HISTORY_PERCENTILES}})

    def diagnose(fallback: str) -> OpsPerfError:
        return bad_row_error(path, spec, header) or corrupt(path, "unknown line", fallback)

    try:
        frame = pd.read_csv(
            path,
            usecols=usecols,
            dtype=dtypes,
            engine="c",
            na_values=na_map([c for c in usecols if c not in ("Type", "Name")]),
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
    if not _field_counts_consistent(path, len(header)) and (error := bad_row_error(path, spec, header)):
        raise error

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
            labels = [row_label(m, n) for m, n in zip(methods, ep["Name"].astype(str), strict=True)]
            ep = ep.assign(label=pd.Categorical(labels)).drop(columns=["Name"])
        else:
            ep = ep.rename(columns={"Name": "label"})
            ep["label"] = ep["label"].cat.remove_unused_categories()
        endpoints = ep.reset_index(drop=True)
    rows = len(frame)
    del frame
    return History(aggregated=aggregated, endpoints=endpoints, cumulative=endpoints is None, rows=rows)
