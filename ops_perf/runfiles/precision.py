"""How precise a run's percentiles are: the names run.json, the store and the report use, and what they mean.

Locust keeps no response time as measured: each is first put in a bucket (`locust.stats.bucket_response_time`)
and every percentile it reports (CSV, `<prefix>.json`, web UI) is a bucket's key. Its default keeps about two
significant digits (147 -> 150, 3,432 -> 3,400: up to ~5 % off, and whole ms below 100 ms). The suite
replaces it from Locust 2.43.4 on with log-spaced buckets whose keys are at most 1 % from any time in
them (`ops_perf.locust_compat.bucket_response_time`), and records which one a run had. A run without the
record (plain Locust, or the suite before issue 18) had Locust's default: it is read as it is, and said so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PRECISE = "1%"
"""The suite's buckets: every percentile within 1 % of the exact one (Locust's rank rule on the raw times)."""
LOCUST_DEFAULT = "locust-default"
"""Locust's own rounding to about two significant digits (up to ~5 % off; whole ms below 100 ms)."""
RECORD_KEY = "percentile_precision"
"""The run.json key (schema 1 grows; a run without it had Locust's default)."""

DESCRIPTIONS = {
    PRECISE: "within 1 % (the suite's log-spaced buckets)",
    LOCUST_DEFAULT: "Locust's default rounding (about two significant digits: up to ~5 % off)",
}
"""What each precision means, in the words the report and the history commands use."""


def precision_of(record: Mapping[str, Any]) -> str:
    """The precision a run.json records; Locust's default for a run that records none (or an unknown one)."""
    value = record.get(RECORD_KEY)
    return value if value in DESCRIPTIONS else LOCUST_DEFAULT


def describe(precision: str) -> str:
    return DESCRIPTIONS.get(precision, DESCRIPTIONS[LOCUST_DEFAULT])
