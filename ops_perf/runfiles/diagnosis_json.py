"""`diagnose.json`: what `ops-perf diagnose` measured, probe by probe, for the judge to classify.

The file holds measurements, not verdicts (the judge decides those, from this, wherever it is read:
`ops-perf diagnose` itself, the report beside a run, `ops-perf report --diagnosis FILE`). Schema 1:

    {"schema": 1, "env": "local", "host": "http://127.0.0.1:8080",
     "started_at": "<ISO-8601 UTC>", "finished_at": "<ISO-8601 UTC>", "seconds": 14.2,
     "interrupted": false, "from_run": "results/<date>/<prefix>" | null, "selection": "from|endpoint|all",
     "budget": {"requests": 400, "in_flight": 8, "planned": 380, "used": 372, "stop_after": 3},
     "database": {"given": true, "statements": true, "note": "..."},     # never the URL
     "notes": ["..."],
     "endpoints": [{
        "name": "/api/v1/agreements/[id]", "kind": "detail | list | other", "requests": 91,
        "stopped": null | "why the probe stopped early",
        "concurrency": [{"in_flight": 1, "requests": 6, "ok": 6, "seconds": 0.2,
                         "throughput_rps": 28.5, "median_ms": 35.1, "steady_ms": 35.1}],
        "page_size":   [{"limit": 10, "ms": 42.1, "bytes": 1234, "rows": 10, "status": 200,
                         "statements": 12 | null, "db_ms": 0.8 | null}],
        "records":     [{"id": "114", "ms": 355.0, "bytes": 572028, "rows": 333, "rows_key": "budget_line_items",
                         "status": 200, "statements": 335 | null, "db_ms": 12.3 | null, "repeat": false}],
        "database":    null | {"requests": 70, "statements": 1234, "distinct": 3, "db_ms": 100.2,
                               "response_ms": 3000.0, "top": [{"query": "SELECT ...", "calls": 1000, "ms": 80.1}]}}]}

`rows` is the length of the answer's longest list (a list's items; a record's embedded rows, e.g. an
agreement's budget lines), `rows_key` where it was found. A record sweep asks its slowest records
again (`repeat`: true), so a record may have several samples. A concurrency level's `steady_ms` is
the median of the answers after each slot's first (with one slot: of all), `throughput_rps` its
completed answers over its wall time. Statements are `pg_stat_statements` deltas
around each sequential request (no reset); `database` sums an endpoint's sequential probes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.settings.targets import normalise_env

SCHEMA = 1
FILE_NAME = "diagnose.json"
REPORT_NAME = "DIAGNOSIS.md"


@dataclass(frozen=True)
class Level:
    """One step of a concurrency sweep: `requests` sent `in_flight` at a time."""

    in_flight: int
    requests: int
    ok: int
    seconds: float
    throughput_rps: float
    median_ms: float | None
    steady_ms: float | None = None
    """The median once the queue is full: the answers after each slot's first (with one slot, all)."""

    @property
    def steady_rps(self) -> float | None:
        """Throughput by Little's law on the steady median: `in_flight` answers every `steady_ms`."""
        return self.in_flight * 1000.0 / self.steady_ms if self.steady_ms else None


@dataclass(frozen=True)
class Sample:
    """One sequential request of a page-size or record sweep."""

    ms: float
    bytes: int
    rows: int | None
    status: int
    limit: int | None = None
    id: str | None = None
    rows_key: str | None = None
    statements: int | None = None
    db_ms: float | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


@dataclass(frozen=True)
class Statement:
    query: str
    calls: int
    ms: float


@dataclass(frozen=True)
class Database:
    """An endpoint's sequential probes as the database saw them."""

    requests: int
    statements: int
    distinct: int
    db_ms: float
    response_ms: float
    top: tuple[Statement, ...] = ()


@dataclass(frozen=True)
class EndpointProbes:
    name: str
    kind: str
    requests: int
    stopped: str | None
    concurrency: tuple[Level, ...] = ()
    page_size: tuple[Sample, ...] = ()
    records: tuple[Sample, ...] = ()
    database: Database | None = None


@dataclass
class Diagnosis:
    env: str | None
    host: str
    started_at: datetime | None
    finished_at: datetime | None
    seconds: float
    interrupted: bool
    from_run: str | None
    selection: str
    budget: dict[str, Any]
    database: dict[str, Any]
    notes: list[str]
    endpoints: list[EndpointProbes] = field(default_factory=list)
    path: Path | None = None

    def endpoint(self, name: str) -> EndpointProbes | None:
        return next((e for e in self.endpoints if e.name == name), None)

    @property
    def label(self) -> str:
        return str(self.path) if self.path is not None else "diagnose.json"


def _num(raw: Any, default: float | None = None) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return default
    return float(raw)


def _opt_int(raw: Any) -> int | None:
    value = _num(raw)
    return None if value is None else int(value)


def _time(raw: Any) -> datetime | None:
    if not isinstance(raw, str):
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


def _items(raw: Any) -> Iterator[dict[str, Any]]:
    for item in raw if isinstance(raw, list) else []:
        if isinstance(item, dict):
            yield item


def _sample(raw: dict[str, Any]) -> Sample | None:
    ms, size, status = _num(raw.get("ms")), _num(raw.get("bytes")), _num(raw.get("status"))
    if ms is None or size is None or status is None:
        return None
    return Sample(
        ms=ms,
        bytes=int(size),
        rows=_opt_int(raw.get("rows")),
        status=int(status),
        limit=_opt_int(raw.get("limit")),
        id=str(raw["id"]) if raw.get("id") is not None else None,
        rows_key=raw.get("rows_key") if isinstance(raw.get("rows_key"), str) else None,
        statements=_opt_int(raw.get("statements")),
        db_ms=_num(raw.get("db_ms")),
    )


def _level(raw: dict[str, Any]) -> Level | None:
    values = [_num(raw.get(k)) for k in ("in_flight", "requests", "ok", "seconds", "throughput_rps")]
    if any(v is None for v in values):
        return None
    in_flight, requests, ok, seconds, rps = (float(v) for v in values if v is not None)
    return Level(
        int(in_flight), int(requests), int(ok), seconds, rps, _num(raw.get("median_ms")), _num(raw.get("steady_ms"))
    )


def _database(raw: Any) -> Database | None:
    if not isinstance(raw, dict):
        return None
    values = [_num(raw.get(k)) for k in ("requests", "statements", "distinct", "db_ms", "response_ms")]
    if any(v is None for v in values):
        return None
    requests, statements, distinct, db_ms, response_ms = (float(v) for v in values if v is not None)
    top = tuple(
        Statement(str(t.get("query", ""))[:200], int(_num(t.get("calls"), 0) or 0), float(_num(t.get("ms"), 0) or 0))
        for t in _items(raw.get("top"))
    )
    return Database(int(requests), int(statements), int(distinct), db_ms, response_ms, top)


def parse_diagnosis(data: Any, path: Path | None = None) -> Diagnosis | None:
    """A decoded diagnose.json; None when it is not schema 1."""
    if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("endpoints"), list):
        return None
    endpoints = []
    for raw in _items(data["endpoints"]):
        name = raw.get("name")
        if not isinstance(name, str):
            continue
        endpoints.append(
            EndpointProbes(
                name=name,
                kind=str(raw.get("kind") or "other"),
                requests=int(_num(raw.get("requests"), 0) or 0),
                stopped=raw.get("stopped") if isinstance(raw.get("stopped"), str) else None,
                concurrency=tuple(x for x in (_level(i) for i in _items(raw.get("concurrency"))) if x is not None),
                page_size=tuple(x for x in (_sample(i) for i in _items(raw.get("page_size"))) if x is not None),
                records=tuple(x for x in (_sample(i) for i in _items(raw.get("records"))) if x is not None),
                database=_database(raw.get("database")),
            )
        )
    return Diagnosis(
        env=normalise_env(data.get("env")) if isinstance(data.get("env"), str) else None,
        host=str(data.get("host") or ""),
        started_at=_time(data.get("started_at")),
        finished_at=_time(data.get("finished_at")),
        seconds=float(_num(data.get("seconds"), 0.0) or 0.0),
        interrupted=bool(data.get("interrupted", False)),
        from_run=data.get("from_run") if isinstance(data.get("from_run"), str) else None,
        selection=str(data.get("selection") or ""),
        budget=data.get("budget") if isinstance(data.get("budget"), dict) else {},
        database=data.get("database") if isinstance(data.get("database"), dict) else {},
        notes=[str(n) for n in data.get("notes", []) if isinstance(n, str)],
        endpoints=endpoints,
        path=path,
    )


def load_diagnosis(path: Path) -> Diagnosis:
    """A diagnose.json the user named; `OpsPerfError` (one line) when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as err:
        raise OpsPerfError(
            f"{path}: cannot read it ({err.strerror or err}); pass the diagnose.json of ops-perf diagnose"
        ) from None
    except ValueError:
        raise OpsPerfError(f"{path}: not valid JSON; pass the diagnose.json of ops-perf diagnose") from None
    found = parse_diagnosis(data, path)
    if found is None:
        raise OpsPerfError(
            f"{path}: not a diagnose.json of schema {SCHEMA}; pass the diagnose.json of ops-perf diagnose"
        )
    return found


def find_diagnoses(directory: Path) -> list[Diagnosis]:
    """Every readable diagnosis in a results folder and its sub-folders one level down
    (`<results>/<date>/<env>-diagnose/diagnose.json`), newest first."""
    found = []
    for path in [directory / FILE_NAME, *sorted(directory.glob(f"*/{FILE_NAME}"))]:
        if not path.is_file():
            continue
        try:
            parsed = parse_diagnosis(json.loads(path.read_text(encoding="utf-8")), path)
        except (OSError, ValueError):
            continue
        if parsed is not None:
            found.append(parsed)
    found.sort(key=_when, reverse=True)
    return found


def _when(diagnosis: Diagnosis) -> float:
    moment = diagnosis.finished_at or diagnosis.started_at
    return moment.timestamp() if moment is not None else 0.0
