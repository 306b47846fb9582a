"""`<prefix>.json` (Locust's `--json-file` format): per-row response-time histograms, read and checked once.

Why the check lives with the reader: the file is written once at shutdown, the stats CSV once a
second, so the two can describe slightly different requests; a histogram is only worth using when it
describes the row the CSV does (`histogram_agrees`, within `HISTOGRAM_SLACK`). The run model keeps
the file as written (the report's pages aggregate re-checks the API rows it needs) and, once, the
checked histograms with their API sum as `Aggregated` (what the comparison and the store use); the
judge and the verdicts only read them.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path

from ops_perf.runfiles.csv_checks import AGGREGATED, PAGE_TYPE, row_label

Histogram = Mapping[float, int]
"""Locust's `response_times`: bucketed response time in ms -> number of requests. Keys are floats: whole
ms under Locust's default buckets (`150`), the bucket's key under the suite's (`19.87`, runfiles/precision)."""

HISTOGRAM_ERRORS = (OSError, ValueError, TypeError, KeyError, AttributeError)
"""What `parse_histograms` raises on a file it cannot read as Locust's `--json-file` list."""

HISTOGRAM_SLACK = (10, 0.02)
"""How far `<prefix>.json` may differ from the stats CSV per row (10 requests, or 2 %) and still be used:
Locust writes the JSON at shutdown, the CSV once a second, so the JSON may hold a last second more."""


def histogram_agrees(in_json: int, requests: int) -> bool:
    """Whether a row's histogram count (`<prefix>.json`) describes the same requests as its CSV count."""
    return abs(in_json - requests) <= max(HISTOGRAM_SLACK[0], HISTOGRAM_SLACK[1] * requests)


def bucket(key: str | float) -> float:
    """A bucket's key as written (`"150"`, `"19.87"`, `150`) -> ms; never truncated to whole ms."""
    return float(key)


def key_text(key: float) -> str:
    """A bucket's key as JSON writes it: `150` for a whole number (as Locust's default keys), else `19.87`."""
    value = float(key)
    return str(int(value)) if value.is_integer() else repr(value)


def merge(histograms: Iterable[Histogram]) -> dict[float, int]:
    """Sum histograms (the aggregate of endpoints, or several entries for one name)."""
    total: dict[float, int] = {}
    for hist in histograms:
        for key, count in hist.items():
            k = bucket(key)
            total[k] = total.get(k, 0) + int(count)
    return total


def parse_histograms(path: Path) -> dict[str, dict[float, int]] | None:
    """`<prefix>.json` (Locust's `--json-file` list of `StatsEntry`s) as response-time histograms by row label.

    None when the file is absent; one of `HISTOGRAM_ERRORS` when it is malformed, so that a caller
    can say why (the comparison notes it). Entries of one label are summed.
    """
    if not path.is_file():
        return None
    entries = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(entries, list):
        raise ValueError("not a list")
    hists: dict[str, dict[float, int]] = {}
    for entry in entries:
        name, method = str(entry["name"]), str(entry.get("method") or "")
        target = hists.setdefault(row_label(method, name), {})
        for key, count in dict(entry.get("response_times") or {}).items():
            ms = bucket(key)
            target[ms] = target.get(ms, 0) + int(count)
    return hists


def load_histograms(path: Path) -> tuple[dict[str, dict[float, int]] | None, list[str]]:
    """The file as written (None when absent or unreadable) and, when unreadable, the note that says why."""
    try:
        return parse_histograms(path), []
    except HISTOGRAM_ERRORS as err:
        return None, [f"{path.name} unreadable ({err}); no confidence intervals for this run"]


def checked_histograms(
    path: Path, hists: Mapping[str, dict[float, int]] | None, requests: Mapping[str, int]
) -> tuple[dict[str, dict[float, int]] | None, list[str]]:
    """The histograms when every stats row (`requests` by label) agrees with its count, plus `Aggregated`
    (the API calls' sum: page views are not requests to OPS); else None and the note that says why.

    Optional on purpose: a run without them (older runs, the 2025-10-15 CSVs) or with ones that do not
    add up to the CSV is still compared, by the noise floors alone, and the comparison says so.
    """
    if hists is None:
        return None, []
    for label, count in requests.items():
        in_json = sum(hists.get(label, {}).values())
        if not histogram_agrees(in_json, count):
            return None, [
                f"{path.name} disagrees with the stats CSV on {label} "
                f"({in_json} vs {count} requests); histograms not used"
            ]
    api = merge(h for label, h in hists.items() if not label.startswith(f"{PAGE_TYPE} "))
    return {**hists, AGGREGATED: api}, []
