"""Per record (id) of the `[id]` endpoints and detail pages: requests, median and max time, mean bytes.

Why a tally of our own rather than Locust's statistics: Locust keeps one entry per name, and an
entry per id would multiply its rows (and the report's tables) by the pool sizes. This keeps per
record only what the judge needs (is one record much slower than the others? does time grow with
size?) at a cost per request of a few dictionary operations: the users call `add` with the id they
picked, the time and the bytes they already have.

Times are kept as Locust keeps them, counts per rounded time (two significant digits), so that a
worker's tally merges into the master's exactly and the median follows Locust's own rule.
"""

from __future__ import annotations

import re
from typing import Any

from ops_perf.runfiles.records_json import NameRecords, Records, RecordStats

MSG_RECORDS = "ops_perf_records"
MAX_RECORDS_PER_NAME = 2000
"""Records kept per endpoint or page; requests of further ids are counted per name only."""


def rounded(ms: float) -> int:
    """Locust's bucket of a response time (`locust.stats.bucket_response_time`: two significant digits)."""
    if ms < 100:
        return round(ms)
    if ms < 1000:
        return int(round(ms, -1))
    if ms < 10000:
        return int(round(ms, -2))
    return int(round(ms, -3))


def median_of(times: dict[int, int], count: int) -> float:
    """Locust's percentile rule at 0.5 over bucket counts (`calculate_response_time_percentile`)."""
    wanted, processed = int(count * 0.5), 0
    for bucket in sorted(times, reverse=True):
        processed += times[bucket]
        if count - processed <= wanted:
            return float(bucket)
    return 0.0


class _Record:
    __slots__ = ("bytes", "failures", "max_ms", "requests", "times")

    def __init__(self) -> None:
        self.requests = 0
        self.failures = 0
        self.bytes = 0
        self.max_ms = 0.0
        self.times: dict[int, int] = {}


class RecordTally:
    """One process's per-record counts (`RunState.records`); merged on the master."""

    def __init__(self, bound: int = MAX_RECORDS_PER_NAME) -> None:
        self.bound = bound
        self.names: dict[str, dict[str, _Record]] = {}
        self.kinds: dict[str, str] = {}
        self.other: dict[str, int] = {}

    def add(
        self, name: str, record_id: Any, ms: float, size: int, failed: bool = False, kind: str = "endpoint"
    ) -> None:
        """One request (or page view) of record `record_id` of `name`."""
        records = self.names.get(name)
        if records is None:
            records = self.names[name] = {}
            self.kinds[name] = kind
        key = record_id if isinstance(record_id, str) else str(record_id)
        record = records.get(key)
        if record is None:
            if len(records) >= self.bound:
                self.other[name] = self.other.get(name, 0) + 1
                return
            record = records[key] = _Record()
        record.requests += 1
        record.bytes += size
        if failed:
            record.failures += 1
        if ms > record.max_ms:
            record.max_ms = ms
        bucket = rounded(ms)
        record.times[bucket] = record.times.get(bucket, 0) + 1

    def __bool__(self) -> bool:
        return bool(self.names)

    def clear(self) -> None:
        self.names.clear()
        self.kinds.clear()
        self.other.clear()

    # ---- across processes ----------------------------------------------------------------------
    def as_message(self) -> dict[str, Any]:
        """The tally as plain lists and string keys (Locust's message encoding keeps those)."""
        return {
            name: {
                "kind": self.kinds.get(name, "endpoint"),
                "other": self.other.get(name, 0),
                "records": {
                    key: [r.requests, r.failures, r.bytes, r.max_ms, [[b, n] for b, n in r.times.items()]]
                    for key, r in records.items()
                },
            }
            for name, records in self.names.items()
        }

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's tally (`as_message`)."""
        for name, raw in data.items():
            records = self.names.setdefault(name, {})
            self.kinds.setdefault(name, str(raw.get("kind", "endpoint")))
            other = int(raw.get("other", 0))
            for key, (requests, failures, size, max_ms, times) in raw.get("records", {}).items():
                record = records.get(key)
                if record is None:
                    if len(records) >= self.bound:
                        other += int(requests)
                        continue
                    record = records[key] = _Record()
                record.requests += int(requests)
                record.failures += int(failures)
                record.bytes += int(size)
                record.max_ms = max(record.max_ms, float(max_ms))
                for bucket, count in times:
                    record.times[int(bucket)] = record.times.get(int(bucket), 0) + int(count)
            if other:
                self.other[name] = self.other.get(name, 0) + other

    # ---- the file ------------------------------------------------------------------------------
    def records(self) -> Records:
        out = Records(records_per_name=self.bound)
        for name, records in self.names.items():
            stats = tuple(
                RecordStats(
                    key,
                    r.requests,
                    r.failures,
                    median_of(r.times, r.requests),
                    r.max_ms,
                    r.bytes / r.requests if r.requests else 0.0,
                )
                for key, r in records.items()
                if r.requests
            )
            out.names[name] = NameRecords(name, self.kinds.get(name, "endpoint"), stats, self.other.get(name, 0))
        return out


_PREFIXES: dict[str, str | None] = {}
_ID_END = re.compile(r"[^/?&]+")


def record_id(url: str, name: str) -> str | None:
    """The id a request of an `[id]` name was sent for, read from its URL (`/api/v1/agreements/114`
    under `/api/v1/agreements/[id]`, `...?userId=520&limit=10` under `...?userId=[id]`); None for a
    name without one. The name's prefix is worked out once per name."""
    prefix = _PREFIXES.get(name, "")
    if prefix == "":
        prefix = _PREFIXES[name] = name[: name.index("[id]")] if "[id]" in name else None
    if prefix is None or not url.startswith(prefix):
        return None
    found = _ID_END.match(url, len(prefix))
    return found.group() if found else None
