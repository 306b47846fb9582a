"""`_stats.csv`, `_failures.csv` and `_exceptions.csv` (one row per endpoint or error) to pandas frames.

Small files: each is validated row by row first (`csv_checks`), so an error names the exact line,
then read by pandas with explicit dtypes and no NA guessing. Accepts Locust as it really writes:
pre-1.0 column spellings, `N/A` cells, float medians, a failures file without First/Last Seen.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ops_perf.runfiles.csv_checks import (
    AGGREGATED,
    Spec,
    bad_row_error,
    check_header,
    na_map,
    read_header,
    row_label,
    validate_small,
)

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
_FAILURES_REQUIRED = ("Method", "Name", "Error", "Occurrences")
_EXCEPTIONS_REQUIRED = ("Count", "Message")


def percentile_key(column: str) -> str | None:
    """`95%` -> `p95`, `99.9%` -> `p99.9`; None for other columns."""
    match = _PERCENTILE_RE.match(column)
    return f"p{match.group(1)}" if match else None


def read_stats(path: Path) -> tuple[pd.DataFrame, dict[str, float] | None, list[str]]:
    """`_stats.csv` -> (endpoint rows, Aggregated row, percentile keys)."""
    header = read_header(path)
    header = [_STATS_ALIASES.get(h, h) for h in header]
    check_header(path, header, _STATS_REQUIRED)
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
    if error := bad_row_error(path, Spec("stats", _STATS_REQUIRED, numeric), header):
        raise error

    num_cols = [c for c in numeric if c in header]
    frame = pd.read_csv(
        path,
        header=0,
        names=header,
        engine="c",
        index_col=False,
        encoding="utf-8-sig",
        dtype={**{c: "float64" for c in num_cols}, "Type": "str", "Name": "str"},
        na_values=na_map(num_cols),
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
    endpoints.insert(2, "label", [row_label(m, n) for m, n in zip(endpoints["method"], endpoints["name"], strict=True)])
    endpoints = endpoints.reset_index(drop=True)
    return endpoints, total, keys


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
    header = validate_small(path, Spec("failures", _FAILURES_REQUIRED, {"Occurrences": (False, True)}))
    frame = _read_strings(path, header)
    out = pd.DataFrame(
        {
            "method": frame["Method"].str.strip(),
            "name": frame["Name"],
            "error": frame["Error"],
            "occurrences": frame["Occurrences"].astype(float).astype("int64"),
        }
    )
    out.insert(2, "label", [row_label(m, n) for m, n in zip(out["method"], out["name"], strict=True)])
    for col, key in (("First Seen", "first_seen"), ("Last Seen", "last_seen")):
        if col in frame.columns:
            out[key] = frame[col]
    return out


def read_exceptions(path: Path) -> pd.DataFrame:
    header = validate_small(path, Spec("exceptions", _EXCEPTIONS_REQUIRED, {"Count": (False, True)}))
    frame = _read_strings(path, header)
    return pd.DataFrame(
        {
            "count": frame["Count"].astype(float).astype("int64"),
            "message": frame["Message"],
            "traceback": frame["Traceback"] if "Traceback" in frame.columns else "",
            "nodes": frame["Nodes"] if "Nodes" in frame.columns else "",
        }
    )
