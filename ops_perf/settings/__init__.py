"""Typed, validated settings: environments, scenarios, and the overrides a user passes; the run guard.

Every value is checked when it is read, so that a typo in a TOML file or a `-u 0` on the command line
stops the run with one line naming the file and key, before a single request is sent. The same code
serves `locust -f locustfile.py` (through the Locust hooks) and `ops-perf run`.

This package's facade is the one place callers import settings from; each part lives in its own
module: `options` (the ONE table of a run's options: both parsers, the form, the `OPS_*` variables,
Locust's command line), `environments` (config/environments.toml), `scenarios` (scenarios/*.toml),
`overrides` (the command line over a scenario), `resolve` (both sides' one resolution of a run's
settings), `guard` (production, caps and rates before the first request), `hosts` (hosts as people
type them), `values` (the TOML reader, durations, think times) and `targets` (config/targets.toml).
"""

from __future__ import annotations

from ops_perf.settings.environments import (
    DEFAULT_MAX_PEOPLE_PER_MIN,
    DEFAULT_MAX_RATE_RPS,
    ENVIRONMENTS_FILE,
    TOKEN_SOURCES,
    Environment,
    load_environment,
    load_environments,
)
from ops_perf.settings.guard import check_rate_allowed, check_run_allowed
from ops_perf.settings.hosts import API_PREFIX, host_note, normalise_host
from ops_perf.settings.overrides import DEFAULT_OPEN_MAX_USERS, apply_overrides
from ops_perf.settings.resolve import resolve
from ops_perf.settings.scenarios import (
    ARRIVAL_PROCESSES,
    DEFAULT_THINK_TIME_S,
    MIXES,
    MODELS,
    OPEN_POOL_SPAWN_RATE,
    PAGES_THINK_TIME_S,
    USERS,
    Scenario,
    Stage,
    available_scenarios,
    load_scenario,
)
from ops_perf.settings.values import parse_duration, parse_think_time

__all__ = [
    "API_PREFIX",
    "ARRIVAL_PROCESSES",
    "DEFAULT_MAX_PEOPLE_PER_MIN",
    "DEFAULT_MAX_RATE_RPS",
    "DEFAULT_OPEN_MAX_USERS",
    "DEFAULT_THINK_TIME_S",
    "ENVIRONMENTS_FILE",
    "MIXES",
    "MODELS",
    "OPEN_POOL_SPAWN_RATE",
    "PAGES_THINK_TIME_S",
    "TOKEN_SOURCES",
    "USERS",
    "Environment",
    "Scenario",
    "Stage",
    "apply_overrides",
    "available_scenarios",
    "check_rate_allowed",
    "check_run_allowed",
    "host_note",
    "load_environment",
    "load_environments",
    "load_scenario",
    "normalise_host",
    "parse_duration",
    "parse_think_time",
    "resolve",
]
