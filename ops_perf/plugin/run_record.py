"""`<prefix>_run.json`: what a run was, for the report, the check, comparisons and the history.

Schema 1 (docs/ARCHITECTURE.md); readers accept missing keys. Built from the run context the hooks
fill (`RunState`, on Locust's environment) when Locust quits; never a token. The load time is measured, not
assumed: `duration_s` is the scenario's only for a completed run, and the real one (end of the
warm-up to Locust's `test_stop`) for a run stopped early, so a report never claims load that was
not run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import locust

from ops_perf import __version__, auth
from ops_perf import locust_compat as compat
from ops_perf.paths import PROJECT_ROOT
from ops_perf.plugin import arrivals as arrival_hooks
from ops_perf.runfiles.precision import LOCUST_DEFAULT, PRECISE, RECORD_KEY
from ops_perf.users.endpoints.catalog import ENDPOINTS, catalog_fingerprint
from ops_perf.users.pages.catalog import CATALOG as PAGE_CATALOG
from ops_perf.users.state import RunState
from ops_perf.users.warmup import WarmupSummary


def run_record(state: RunState, options: Any, exit_code: int) -> dict[str, Any]:
    """The run's metadata (schema 1, docs/ARCHITECTURE.md); never a token."""
    env, scenario = state.env, state.scenario
    assert env is not None and scenario is not None
    warmup: WarmupSummary | None = state.warmup
    provider = state.provider
    return {
        "schema": 1,
        "prefix": Path(options.csv_prefix).name,
        "env": env.name,
        "results_name": env.results_name,
        "host": state.host,
        "frontend_url": env.frontend_url,
        "scenario": scenario.name,
        "overridden": list(scenario.overridden),
        "users": scenario.peak_users,
        "spawn_rate": scenario.first_spawn_rate,
        "duration_s": _duration(state, scenario.duration_s),
        "planned_duration_s": scenario.duration_s,
        "load_duration_s": _load_seconds(state),
        "stages": [_stage_record(s) for s in scenario.stages],
        "think_time_s": list(scenario.think_time_s),
        "user": scenario.user,
        "frontend_defects": scenario.frontend_defects,
        "pages_fingerprint": PAGE_CATALOG.fingerprint() if scenario.user == "pages" else None,
        "workers": len(state.worker_ids),
        "locust_version": _locust_version(),
        RECORD_KEY: percentile_precision(state),
        "suite_version": __version__,
        "git_commit": state.git_commit,
        "catalog_fingerprint": catalog_fingerprint(mix=scenario.mix),
        "mix": scenario.mix if scenario.user == "endpoints" else None,
        "endpoints": len(ENDPOINTS),
        "tags": sorted(options.tags or []),
        "exclude_tags": sorted(options.exclude_tags or []),
        "started_at": _iso(state.started_at),
        "load_started_at": _iso(state.load_started_at),
        "load_ended_at": _iso(state.load_ended_at),
        "ended_at": _iso(time.time()),
        "interrupted_at": _iso(state.interrupted_at),
        "sim_profile": state.sim_profile,
        "sim_time_scale": state.sim_time_scale,
        "warmup": warmup.to_dict() if warmup else None,
        "auth": provider.summary() if provider is not None else None,
        "cpu_warning": state.cpu_warning,
        "status": state.status,
        "status_detail": state.status_detail,
        "designed_answers": state.answers.as_dict(),
        "exit_code": exit_code,
        "command": [auth.redact(arg) for arg in sys.argv],
        **arrival_hooks.record_fields(state, scenario),
    }


def percentile_precision(state: RunState) -> str:
    """The precision of the run's percentiles: this process's, or under a master the coarsest of its
    workers' (they bucket, the master only merges; a worker that did not say counts as Locust's default)."""
    said = list(state.worker_precisions.values())
    if not said:
        return compat.precision()
    return PRECISE if all(p == PRECISE for p in said) else LOCUST_DEFAULT


def _stage_record(stage: Any) -> dict[str, Any]:
    record = {"duration_s": stage.duration_s, "users": stage.users, "spawn_rate": stage.spawn_rate}
    if stage.arrival_rate is not None:
        record["arrival_rate"] = stage.arrival_rate
    return record


def _load_seconds(state: RunState) -> float:
    """The load time actually run: from the end of the warm-up to Locust's `test_stop` (0 if none)."""
    if state.load_started_at is None:
        return 0.0
    end = state.load_ended_at or state.interrupted_at or time.time()
    return round(max(0.0, end - state.load_started_at), 3)


def _duration(state: RunState, planned: float) -> float:
    """`duration_s`: the scenario's for a completed run, the real load time for one stopped early."""
    return planned if state.status == "completed" else min(planned, _load_seconds(state))


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _locust_version() -> str:
    return str(locust.__version__)


def git_commit() -> str | None:
    try:
        out = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), "rev-parse", "--short=12", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
            env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() or None
