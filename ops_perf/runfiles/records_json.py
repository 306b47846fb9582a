"""`<prefix>_records.json`: per record (id) of every `[id]` endpoint and detail page, what its requests took.

Why per record: an endpoint's percentiles mix its records. OPS's heavy agreement (about a thousand
embedded budget lines, megabytes long) takes seconds where the others take a tenth of one, and an
endpoint p95 cannot say whether one record or all of them are slow. The users count per id as they
go (`ops_perf.server.records`, at no extra request); the master or the local runner writes this file
at the end of the run. Schema 1:

    {"schema": 1,
     "bound": {"records_per_name": 2000},
     "names": {"/api/v1/agreements/[id]": {
                   "kind": "endpoint" | "page",
                   "other_requests": 0,      # requests of records beyond the bound, not kept per record
                   "records": {"114": {"requests": 3, "failures": 0, "median_ms": 1350.0,
                                       "max_ms": 1402.0, "mean_bytes": 572028.0}}}}}

A page's name is its route (`/agreements/:id`), its time a page view's and its bytes those of the
view's calls. Times are Locust's response times; the median is over Locust's rounded buckets (two
significant digits), as its own percentiles are.

This module is the format's one definition: the types, their JSON, and the reader.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = 1
KINDS = ("endpoint", "page")


@dataclass(frozen=True)
class RecordStats:
    """One record's requests in a run."""

    id: str
    requests: int
    failures: int
    median_ms: float
    max_ms: float
    mean_bytes: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "failures": self.failures,
            "median_ms": round(self.median_ms, 3),
            "max_ms": round(self.max_ms, 3),
            "mean_bytes": round(self.mean_bytes, 1),
        }


@dataclass(frozen=True)
class NameRecords:
    """The records of one endpoint (its Locust name) or one detail page (its route)."""

    name: str
    kind: str
    records: tuple[RecordStats, ...]
    other_requests: int = 0
    """Requests of records beyond the bound: counted, not kept per record."""

    def to_dict(self) -> dict[str, Any]:
        ordered = sorted(self.records, key=lambda r: _id_key(r.id))
        return {
            "kind": self.kind,
            "other_requests": self.other_requests,
            "records": {r.id: r.to_dict() for r in ordered},
        }


@dataclass
class Records:
    """The run's per-record figures, by endpoint name or page route."""

    names: dict[str, NameRecords] = field(default_factory=dict)
    records_per_name: int = 0
    """The bound the process kept to (0: unknown)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "bound": {"records_per_name": self.records_per_name},
            "names": {name: self.names[name].to_dict() for name in sorted(self.names)},
        }

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_dict(), indent=1, sort_keys=False) + "\n", encoding="utf-8")
        return path


def _id_key(value: str) -> tuple[int, int | str]:
    """Numeric ids in number order, others after them."""
    return (0, int(value)) if value.lstrip("-").isdigit() else (1, value)


def _number(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return float(raw)


def parse_records(data: Any) -> Records | None:
    """The figures of a decoded file; None when it is not schema 1 (a half-written file costs the
    report its per-record figures, never the report). Malformed entries are skipped."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("names"), dict):
        return None
    bound = data.get("bound") if isinstance(data.get("bound"), dict) else {}
    out = Records(records_per_name=int(_number(bound.get("records_per_name")) or 0))
    for name, raw in data["names"].items():
        if not isinstance(raw, dict) or not isinstance(raw.get("records"), dict):
            continue
        kind = raw.get("kind") if raw.get("kind") in KINDS else "endpoint"
        records = []
        for record_id, stats in raw["records"].items():
            if not isinstance(stats, dict):
                continue
            values = [_number(stats.get(k)) for k in ("requests", "failures", "median_ms", "max_ms", "mean_bytes")]
            if any(v is None for v in values):
                continue
            requests, failures, median, high, size = (float(v) for v in values if v is not None)
            records.append(RecordStats(str(record_id), int(requests), int(failures), median, high, size))
        other = _number(raw.get("other_requests")) or 0.0
        out.names[str(name)] = NameRecords(str(name), str(kind), tuple(records), int(other))
    return out


def read_records(path: Path) -> Records | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return parse_records(data)
