"""Runs on disk -> `StoredRun`s: the one run model (`ops_perf.runfiles.load.Run`), nothing read anew.

Accepts what people have: a results root with a folder per day, one folder, or run prefixes; Locust
CSVs with or without the suite's run.json (the 2025-10-15 runs have none: their environment and
scenario come from the prefix, their start time from the stats history, and the store marks the
time as inferred).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.history.store import StoredRun
from ops_perf.judge.figures import RowStats, total_figures
from ops_perf.judge.validity import invalid_reasons
from ops_perf.runfiles.histograms import key_text
from ops_perf.runfiles.load import (
    AGGREGATED,
    PAGE_TYPE,
    STATS_SUFFIX,
    Run,
    RunInputs,
    discover_runs,
    distinct_runs,
    load_run,
    runs_under,
)
from ops_perf.settings.targets import normalise_env


def find_runs(paths: Sequence[Path | str]) -> list[RunInputs]:
    """Every run under each PATH: a folder is searched recursively, anything else is a run prefix."""
    named: list[RunInputs] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = runs_under(path)  # the report's walk of a results root, shared with compare
            if not candidates:
                raise OpsPerfError(f"{path}: no Locust results (*{STATS_SUFFIX}) in or under this folder")
        else:
            candidates = discover_runs([path])
        named.extend(candidates)
    found = distinct_runs(named)
    if not found:
        raise OpsPerfError("no runs given; pass a results root, a results folder or a run prefix")
    return found


def run_identity(inputs: RunInputs) -> str:
    """Prefix + stats CSV bytes: the same run imported from anywhere, any number of times, is one run."""
    digest = hashlib.sha256(inputs.prefix.encode("utf-8") + b"\0")
    digest.update(inputs.stats.read_bytes())
    return digest.hexdigest()[:32]


def kind_of(method: str, name: str) -> str:
    if name == AGGREGATED:
        return "aggregate"
    return "page" if method == PAGE_TYPE else "endpoint"


def stored_run(inputs: RunInputs) -> StoredRun:
    """Load one run from disk (strictly: bad files raise one line naming the file) as the store's rows."""
    return from_run(load_run(inputs))


def from_run(run: Run, run_id: str | None = None) -> StoredRun:
    """A loaded run as the store's rows; `run_id` defaults to its identity (`run_identity`)."""
    run_id = run_id if run_id is not None else run_identity(run.inputs)
    meta = run.meta
    started, inferred = meta.started_at, "started_at" in meta.inferred
    if started is None:  # no run.json, no history: the stats file's time is the best we have
        started, inferred = datetime.fromtimestamp(run.inputs.stats.stat().st_mtime, UTC), True
    reasons = invalid_reasons(run)
    total = total_figures(run)
    record = run.record
    header = {
        "run_id": run_id,
        "prefix": run.prefix,
        "source": str(run.inputs.directory.resolve()),
        "env": run.env,
        "scenario": meta.scenario,
        "started_at": _iso(started),
        "started_inferred": inferred,
        "ended_at": _iso(meta.ended_at) if meta.ended_at else None,
        "duration_s": meta.duration_s,
        "users": meta.users,
        "user_kind": _text(record.get("user")) or "endpoints",
        "model": _text(record.get("model")) or "closed",
        "status": meta.status,
        "valid": not reasons,
        "invalid_reason": "; ".join(reasons) or None,
        "host": meta.host,
        "sim_profile": _text(record.get("sim_profile")),
        "sim_time_scale": _number(record.get("sim_time_scale")),
        "locust_version": meta.locust_version,
        "percentile_precision": meta.percentile_precision,
        "catalog_fingerprint": _text(record.get("catalog_fingerprint")),
        "requests": total.requests if total else 0,
        "failures": total.failures if total else 0,
        "imported_at": _iso(datetime.now(UTC)),
        "record": json.dumps(record, sort_keys=True, default=str),
    }
    if header["env"] is None:
        header["env"] = normalise_env(meta.env)
    stored = StoredRun(run=header)
    stored.rows = list(_rows(run, total))
    stored.histograms = list(_histograms(run))
    return stored


def _rows(run: Run, total: RowStats | None) -> Iterable[dict[str, Any]]:
    records = run.endpoints.to_dict("records")
    for rec in records:
        method, name = str(rec.get("method") or ""), str(rec["name"])
        requests, failures = int(_num(rec.get("requests")) or 0), int(_num(rec.get("failures")) or 0)
        pcts = {key: _num(rec.get(key)) for key in run.percentiles}
        median = _num(rec.get("p50"))
        yield {
            "method": method,
            "name": name,
            "kind": kind_of(method, name),
            "requests": requests,
            "failures": failures,
            "p50_ms": _opt(median if median is not None else _num(rec.get("median")), requests),
            "p95_ms": _opt(_num(rec.get("p95")), requests),
            "p99_ms": _opt(_num(rec.get("p99")), requests),
            "avg_ms": _opt(_num(rec.get("avg")), requests),
            "min_ms": _opt(_num(rec.get("min")), requests),
            "max_ms": _opt(_num(rec.get("max")), requests),
            "rps": _num(rec.get("rps")),
            "percentiles": json.dumps({k: v for k, v in pcts.items() if v is not None}, sort_keys=True),
        }
    # `total`: the judge's aggregate: in a pages run, of the API calls only (PAGE rows apart)
    if total is not None:
        pcts = {} if run.has_pages or run.total is None else run.total
        yield {
            "method": "",
            "name": AGGREGATED,
            "kind": "aggregate",
            "requests": total.requests,
            "failures": total.failures,
            **{m: _opt(_num(total.values.get(m)), total.requests) for m in ("p50_ms", "p95_ms", "p99_ms", "avg_ms")},
            "min_ms": _opt(_num(pcts.get("min")), total.requests),
            "max_ms": _opt(_num(pcts.get("max")), total.requests),
            "rps": _num(total.values.get("rps")),
            "percentiles": json.dumps(
                {k: _num(pcts.get(k)) for k in run.percentiles if _num(pcts.get(k)) is not None}, sort_keys=True
            ),
        }


def _histograms(run: Run) -> Iterable[dict[str, Any]]:
    if not run.histograms:
        return
    names = {
        str(rec["label"]): (str(rec.get("method") or ""), str(rec["name"])) for rec in run.endpoints.to_dict("records")
    }
    names[AGGREGATED] = ("", AGGREGATED)
    for label, hist in run.histograms.items():
        method, name = names.get(label, ("", label))
        yield {"method": method, "name": name, "buckets": json.dumps({key_text(k): v for k, v in sorted(hist.items())})}


def _num(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _opt(value: float | None, requests: int) -> float | None:
    """Locust writes 0 for an empty row's latencies; with no requests they mean "no data"."""
    return value if requests > 0 else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
