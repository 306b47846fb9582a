"""Typed, validated settings: environments, scenarios, and the overrides a user passes; the run guard.

Every value is checked when it is read, so that a typo in a TOML file or a `-u 0` on the command line
stops the run with one line naming the file and key, before a single request is sent. The same code
serves `locust -f locustfile.py` (through the Locust hooks) and `ops-perf run`.

This module is the one place callers import settings from; each part lives in its own module:
`environments.py` (config/environments.toml), `scenarios.py` (scenarios/*.toml),
`scenario_overrides.py` (the command line over a scenario), `hosts.py` (hosts as people type them)
and `config_values.py` (the TOML reader, durations, think times). What stays here is the guard that
needs an environment and a scenario together: production, caps and rates before the first request.
"""

from __future__ import annotations

from urllib.parse import urlparse

from ops_perf.config_values import parse_duration, parse_think_time
from ops_perf.environments import (
    DEFAULT_MAX_PEOPLE_PER_MIN,
    DEFAULT_MAX_RATE_RPS,
    ENVIRONMENTS_FILE,
    TOKEN_SOURCES,
    Environment,
    load_environment,
    load_environments,
)
from ops_perf.errors import OpsPerfError
from ops_perf.hosts import API_PREFIX, host_note, normalise_host
from ops_perf.scenario_overrides import DEFAULT_OPEN_MAX_USERS, apply_overrides
from ops_perf.scenarios import (
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
]


def check_run_allowed(env: Environment, scenario: Scenario, host: str, confirmed: bool) -> None:
    """The production guard and host sanity, before a single request is sent."""
    if env.deployed:
        parsed = urlparse(host)
        if parsed.scheme != "https":
            raise OpsPerfError(
                f"host {host} is not https; {env.name} is a deployed environment and only answers https "
                f"(use {env.host})"
            )
        frontend = urlparse(env.frontend_url)
        if frontend.scheme != "https":
            raise OpsPerfError(
                f"frontend_url {env.frontend_url} of {env.name} is not https; OPS rejects such a Referer with 401"
            )
    if env.allowed_scenarios and scenario.name not in env.allowed_scenarios:
        raise OpsPerfError(
            f"scenario {scenario.name!r} is not allowed on {env.name}; allowed there: "
            f"{', '.join(env.allowed_scenarios)} (config/environments.toml)"
        )
    if scenario.peak_users > env.max_users:
        raise OpsPerfError(
            f"{scenario.peak_users} users exceed the cap of {env.max_users} for {env.name}; "
            f"lower -u or raise max_users in config/environments.toml after review"
        )
    if scenario.is_open:
        check_rate_allowed(env, scenario)
    if env.requires_confirmation and not confirmed:
        raise OpsPerfError(
            f"{env.name} is production: add --confirm-prod (or OPS_CONFIRM_PROD=1) to load it on purpose"
        )


def check_rate_allowed(env: Environment, scenario: Scenario) -> None:
    """An open run offers its rate whatever OPS does: the environment's cap bounds it."""
    peak = max((stage.arrival_rate or 0.0) for stage in scenario.stages) * scenario.rate_per
    cap, key = (
        (env.max_people_per_min, "max_people_per_min")
        if scenario.rate_per == 60
        else (env.max_rate_rps, "max_rate_rps")
    )
    if peak > cap:
        raise OpsPerfError(
            f"arrival rate {peak:g} {scenario.rate_unit} exceeds the cap of {cap:g} for {env.name}; "
            f"lower it or raise {key} in config/environments.toml after review"
        )
