"""Row-by-row validation of Locust's CSV files (the `csv` module), so that an error names the exact line.

Why a module of its own: every CSV reader of the report (`stats_csv`, `history_csv`) checks its file
the same way: header, then the first malformed row as `line N: why`, then one `OpsPerfError` line that
says the file is corrupt or truncated and what to do. See `ops_perf.runfiles.load` for why strict.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from ops_perf.errors import OpsPerfError

AGGREGATED = "Aggregated"
PAGE_TYPE = "PAGE"
"""Locust request type of a page view (the shared contract with the page user): not a request to OPS."""
NA_TOKENS = ("N/A", "")


@dataclass(frozen=True)
class Spec:
    """What a well-formed file looks like: required columns, and per numeric column whether N/A is
    allowed and whether the value must be whole."""

    kind: str
    required: tuple[str, ...]
    numeric: Mapping[str, tuple[bool, bool]]  # column -> (allow_na, integral)


def corrupt(path: Path, where: str, what: str) -> OpsPerfError:
    return OpsPerfError(
        f"{path}: {where}: {what}; the file is corrupt or truncated "
        "(re-run the test, or leave this run out of the report)"
    )


def read_header(path: Path) -> list[str]:
    with path.open(newline="", encoding="utf-8-sig", errors="replace") as fh:
        try:
            header = next(csv.reader(fh), None)
        except csv.Error as err:
            raise corrupt(path, "line 1", str(err)) from None
    if not header:
        raise corrupt(path, "line 1", "empty file, no header row")
    return [h.strip() for h in header]


def check_header(path: Path, header: list[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in header]
    if missing:
        raise corrupt(path, "line 1", f"header lacks column(s) {', '.join(repr(m) for m in missing)}")


def first_bad_row(path: Path, spec: Spec, header: list[str]) -> str | None:
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


def bad_row_error(path: Path, spec: Spec, header: list[str]) -> OpsPerfError | None:
    """`first_bad_row` as the one-line error to raise, or None when every row is well-formed."""
    problem = first_bad_row(path, spec, header)
    if problem is None:
        return None
    where, _, what = problem.partition(": ")
    return corrupt(path, where, what)


def validate_small(path: Path, spec: Spec) -> list[str]:
    header = read_header(path)
    check_header(path, header, spec.required)
    if error := bad_row_error(path, spec, header):
        raise error
    return header


def na_map(columns: Iterable[str]) -> dict[str, list[str]]:
    return {c: list(NA_TOKENS) for c in columns}


def row_label(method: str, name: str) -> str:
    """Locust names are unique per method; the suite only GETs, so the name alone reads best."""
    return name if method in ("", "GET") else f"{method} {name}"
