"""`<prefix>_server.json`: OPS's own health answers during the run, its database pool in each.

`GET /api/v1/health/` needs no token and answers with the SQLAlchemy pool of the gunicorn worker
that took the call (`checks.database_connection.pool_status`: `size`, `checked_out` = in use,
`checked_in` = idle, `overflow` = open beyond `size`, negative below it). One process of a run (the
master, or the local runner) asks it every few seconds with its own client, outside Locust's
statistics (`ops_perf.plugin.server_watch`), first a few times before the load (health's own time
on an idle server) and then through the load. Schema 1:

    {"schema": 1, "path": "/api/v1/health/", "interval_s": 5.0, "timeout_s": 5.0,
     "worker_identified": false, "worker_note": "...",
     "pool_status": true,                     # false: the answers carried no pool_status (another OPS)
     "baseline": [<sample>, ...],             # before the load
     "samples": [<sample>, ...],              # during the load, in order
     "dropped": 0}                            # samples beyond the bound (oldest half dropped)
    <sample> = {"t": 1760000000.123, "ms": 8.1, "status": 200, "error": null | "timeout" | "...",
                "pool": {"size": 10, "checked_out": 1, "checked_in": 0, "overflow": -9} | null,
                "worker": null | "<what the answer said about who served it>"}

A sample that took longer than the interval was given up (`error` "timeout", `ms` the time-out):
a sample never waits past the next one. This module is the format's one definition.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEMA = 1
TIMEOUT = "timeout"
POOL_KEYS = ("size", "checked_out", "checked_in", "overflow")


@dataclass(frozen=True)
class PoolStatus:
    """One worker's QueuePool as its health answer gave it."""

    size: int
    checked_out: int
    checked_in: int
    overflow: int

    @property
    def at_limit(self) -> bool:
        """Every connection of `size` in use (or more: overflow connections)."""
        return self.checked_out >= self.size

    def to_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in POOL_KEYS}


@dataclass(frozen=True)
class HealthSample:
    t: float
    """When it was sent (epoch seconds)."""
    ms: float
    """Its response time; the time-out when it was given up."""
    status: int
    """HTTP status; 0 without an answer."""
    error: str | None = None
    pool: PoolStatus | None = None
    worker: str | None = None

    @property
    def timed_out(self) -> bool:
        return self.error == TIMEOUT

    @property
    def answered(self) -> bool:
        return self.error is None and 200 <= self.status < 300

    def to_dict(self) -> dict[str, Any]:
        return {
            "t": round(self.t, 3),
            "ms": round(self.ms, 3),
            "status": self.status,
            "error": self.error,
            "pool": self.pool.to_dict() if self.pool is not None else None,
            "worker": self.worker,
        }


@dataclass
class ServerWatch:
    """The health samples of one run."""

    interval_s: float
    timeout_s: float
    path: str = "/api/v1/health/"
    baseline: list[HealthSample] = field(default_factory=list)
    samples: list[HealthSample] = field(default_factory=list)
    worker_identified: bool = False
    worker_note: str = ""
    pool_status: bool = True
    """False once an answer came without `pool_status` (another OPS version): no pool figures then."""
    dropped: int = 0

    @property
    def timeouts(self) -> int:
        return sum(1 for s in self.samples if s.timed_out)

    @property
    def errors(self) -> int:
        return sum(1 for s in self.samples if s.error is not None and not s.timed_out)

    @property
    def with_pool(self) -> list[HealthSample]:
        return [s for s in self.samples if s.pool is not None]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "path": self.path,
            "interval_s": self.interval_s,
            "timeout_s": self.timeout_s,
            "worker_identified": self.worker_identified,
            "worker_note": self.worker_note,
            "pool_status": self.pool_status,
            "baseline": [s.to_dict() for s in self.baseline],
            "samples": [s.to_dict() for s in self.samples],
            "dropped": self.dropped,
        }

    def write(self, path: Path) -> Path:
        path.write_text(json.dumps(self.to_dict(), indent=1) + "\n", encoding="utf-8")
        return path


def _int(raw: Any) -> int | None:
    return raw if isinstance(raw, int) and not isinstance(raw, bool) else None


def parse_pool(raw: Any) -> PoolStatus | None:
    """`pool_status` as OPS gives it; None when absent or not four whole numbers."""
    if not isinstance(raw, dict):
        return None
    values = [_int(raw.get(k)) for k in POOL_KEYS]
    if any(v is None for v in values):
        return None
    size, out, idle, overflow = (int(v) for v in values if v is not None)
    return PoolStatus(size, out, idle, overflow)


def _sample(raw: Any) -> HealthSample | None:
    if not isinstance(raw, dict):
        return None
    t, ms, status = raw.get("t"), raw.get("ms"), raw.get("status")
    if not all(isinstance(v, int | float) and not isinstance(v, bool) for v in (t, ms, status)):
        return None
    error = raw.get("error") if isinstance(raw.get("error"), str) else None
    worker = raw.get("worker") if isinstance(raw.get("worker"), str) else None
    return HealthSample(float(t), float(ms), int(status), error, parse_pool(raw.get("pool")), worker)  # type: ignore[arg-type]


def parse_server(data: Any) -> ServerWatch | None:
    """The samples of a decoded file; None when it is not schema 1. Malformed samples are skipped."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("samples"), list):
        return None
    interval = data.get("interval_s")
    timeout = data.get("timeout_s")
    watch = ServerWatch(
        interval_s=float(interval) if isinstance(interval, int | float) else 0.0,
        timeout_s=float(timeout) if isinstance(timeout, int | float) else 0.0,
        path=str(data.get("path") or "/api/v1/health/"),
        worker_identified=bool(data.get("worker_identified", False)),
        worker_note=str(data.get("worker_note") or ""),
        pool_status=bool(data.get("pool_status", True)),
        dropped=int(data.get("dropped") or 0),
    )
    for key, into in (("baseline", watch.baseline), ("samples", watch.samples)):
        raw = data.get(key)
        for item in raw if isinstance(raw, list) else []:
            sample = _sample(item)
            if sample is not None:
                into.append(sample)
    return watch


def read_server(path: Path) -> ServerWatch | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return parse_server(data)
