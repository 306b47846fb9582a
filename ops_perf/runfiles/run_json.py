"""The JSON files of a run: run.json / warmup.json -> `RunMeta`, and `_pages.json` (`histograms`: `<prefix>.json`).

Readers accept missing keys (run.json schema 1 grows); a key of the wrong type stops the report with
one line naming the file. What run.json does not say is inferred from the prefix and the history,
and marked in `RunMeta.inferred`, so the report can say "inferred" rather than pass a guess as fact.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.discover import RunInputs
from ops_perf.runfiles.history_csv import History
from ops_perf.runfiles.precision import LOCUST_DEFAULT, precision_of

_ORDINAL_RE = re.compile(r"-(\d+)$")


@dataclass
class RunMeta:
    """What we know about how a run was made; `inferred` names the fields guessed from the CSVs.

    Fields are None when neither run.json nor the CSVs tell: the report prints "not recorded" rather
    than a made-up value.
    """

    prefix: str
    env: str | None = None
    scenario: str | None = None
    host: str | None = None
    users: int | None = None
    spawn_rate: float | None = None
    duration_s: float | None = None
    think_time_s: tuple[float, float] | None = None
    started_at: datetime | None = None
    ended_at: datetime | None = None
    load_started_at: datetime | None = None
    locust_version: str | None = None
    status: str | None = None
    workers: int | None = None
    warmup: dict[str, Any] | None = None
    auth: dict[str, Any] | None = None
    user: str | None = None
    """`endpoints` or `pages` (which user class made the load); None for older runs (endpoints)."""
    model: str | None = None
    """`closed` or `open`; None for older runs (closed)."""
    offered_rate: float | None = None
    """Open model: offered arrivals per second (for the endpoint user one arrival is one request)."""
    arrivals: int | None = None
    dropped_arrivals: int | None = None
    sim_profile: str | None = None
    sim_time_scale: float | None = None
    """The simulator's time scale (run.json `sim_time_scale`): its delays were this times OPS's."""
    """The simulator's profile when the target was the simulator."""
    cpu_warning: bool | None = None
    status_detail: str | None = None
    load_ended_at: datetime | None = None
    """The real end of the load (before Locust's shutdown); an interrupted run's cut."""
    load_duration_s: float | None = None
    """The real load time as the run measured it (run.json `load_duration_s`)."""
    percentile_precision: str = LOCUST_DEFAULT
    """How precise the run's percentiles are (runfiles/precision): run.json's, else Locust's default."""
    has_run_json: bool = False
    inferred: set[str] = field(default_factory=set)
    record: dict[str, Any] = field(default_factory=dict, repr=False)
    """run.json as written ({} without one): for the keys the fields above do not carry, so that no
    reader has to open the file a second time (and perhaps read another version of it)."""


def read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as err:
        raise OpsPerfError(f"{path}: line {err.lineno}: not valid JSON ({err.msg}); fix or remove the file") from None
    except UnicodeDecodeError:
        raise OpsPerfError(f"{path}: not UTF-8 text; fix or remove the file") from None
    if not isinstance(data, dict):
        raise OpsPerfError(f"{path}: expected a JSON object at the top level; fix or remove the file")
    return data


def _as_number(data: Mapping[str, Any], key: str, path: Path) -> float | None:
    value = data.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OpsPerfError(f"{path}: key {key!r} should be a number, not {value!r}; fix or remove the file")
    return float(value)


def _as_str(data: Mapping[str, Any], key: str) -> str | None:
    value = data.get(key)
    return value if isinstance(value, str) and value else None


def _as_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def split_prefix(prefix: str) -> tuple[str | None, str | None]:
    """`production-baseline-normal` -> (`production`, `baseline-normal`); `-2` ordinals are dropped."""
    env, sep, rest = prefix.partition("-")
    if not sep:
        return (prefix or None), None
    scenario = _ORDINAL_RE.sub("", rest) or rest
    return env or None, scenario or None


def build_meta(inputs: RunInputs, history: History | None, record: dict[str, Any] | None = None) -> RunMeta:
    """run.json where present; the gaps inferred from the prefix and the history, and marked so.

    `record`: run.json as the caller read it already (`ops-perf run` reads it to learn whether Locust
    ran at all), so that it is not read a second time; None reads the file.
    """
    meta = RunMeta(prefix=inputs.prefix)
    if inputs.run_json is not None:
        data = record if record is not None else read_json(inputs.run_json)
        meta.has_run_json, meta.record = True, data
        _fill_from_record(meta, data, inputs.run_json)
    if inputs.warmup_json is not None and meta.warmup is None:
        meta.warmup = read_json(inputs.warmup_json)
    _infer_from_prefix(meta, inputs.prefix)
    if history is not None:
        _infer_from_history(meta, history)
    return meta


def _fill_from_record(meta: RunMeta, data: Mapping[str, Any], path: Path) -> None:
    meta.env = data.get("env") if isinstance(data.get("env"), str) else None
    meta.scenario = data.get("scenario") if isinstance(data.get("scenario"), str) else None
    meta.host = data.get("host") if isinstance(data.get("host"), str) else None
    users = _as_number(data, "users", path)
    meta.users = int(users) if users is not None else None
    meta.spawn_rate = _as_number(data, "spawn_rate", path)
    meta.duration_s = _as_number(data, "duration_s", path)
    workers = _as_number(data, "workers", path)
    meta.workers = int(workers) if workers is not None else None
    think = data.get("think_time_s")
    if (
        isinstance(think, list)
        and len(think) == 2
        and all(isinstance(t, int | float) and not isinstance(t, bool) for t in think)
    ):
        meta.think_time_s = (float(think[0]), float(think[1]))
    meta.started_at = _as_time(data.get("started_at"))
    meta.load_started_at = _as_time(data.get("load_started_at"))
    meta.ended_at = _as_time(data.get("ended_at"))
    meta.locust_version = data.get("locust_version") if isinstance(data.get("locust_version"), str) else None
    meta.status = data.get("status") if isinstance(data.get("status"), str) else None
    meta.warmup = data.get("warmup") if isinstance(data.get("warmup"), dict) else None
    meta.auth = data.get("auth") if isinstance(data.get("auth"), dict) else None
    meta.user = _as_str(data, "user")
    meta.model = _as_str(data, "model")
    meta.offered_rate = _as_number(data, "offered_rate", path)
    arrivals = _as_number(data, "arrivals", path)
    meta.arrivals = int(arrivals) if arrivals is not None else None
    dropped = _as_number(data, "dropped_arrivals", path)
    meta.dropped_arrivals = int(dropped) if dropped is not None else None
    meta.sim_profile = _as_str(data, "sim_profile")
    meta.sim_time_scale = _as_number(data, "sim_time_scale", path)
    meta.cpu_warning = data.get("cpu_warning") if isinstance(data.get("cpu_warning"), bool) else None
    meta.status_detail = _as_str(data, "status_detail")
    meta.load_ended_at = _as_time(data.get("load_ended_at"))
    meta.load_duration_s = _as_number(data, "load_duration_s", path)
    meta.percentile_precision = precision_of(data)


def _infer_from_prefix(meta: RunMeta, prefix: str) -> None:
    env, scenario = split_prefix(prefix)
    if meta.env is None and env is not None:
        meta.env = env
        meta.inferred.add("env")
    if meta.scenario is None and scenario is not None:
        meta.scenario = scenario
        meta.inferred.add("scenario")


def _infer_from_history(meta: RunMeta, history: History) -> None:
    agg = history.aggregated
    if agg is None or not len(agg):
        return
    first, last = int(agg["ts"].iloc[0]), int(agg["ts"].iloc[-1])
    if meta.users is None:
        meta.users = int(agg["users"].max())
        meta.inferred.add("users")
    if meta.duration_s is None and last > first:
        meta.duration_s = float(last - first)
        meta.inferred.add("duration_s")
    if meta.started_at is None:
        meta.started_at = datetime.fromtimestamp(first, UTC)
        meta.inferred.add("started_at")
    if meta.ended_at is None:
        meta.ended_at = datetime.fromtimestamp(last, UTC)
        meta.inferred.add("ended_at")
    if meta.load_started_at is None:
        loaded = agg["ts"][agg["users"] > 0]
        if len(loaded):
            meta.load_started_at = datetime.fromtimestamp(int(loaded.iloc[0]), UTC)
            meta.inferred.add("load_started_at")


def read_pages(path: Path) -> dict[str, Any] | None:
    """The page user's sidecar; None when it is not schema 1 with a `pages` object (a killed run's
    half-written file only costs the report its calls-per-view columns, never the report)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("schema") != 1 or not isinstance(data.get("pages"), dict):
        return None
    return data
