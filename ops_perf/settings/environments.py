"""The environments the suite may load (`config/environments.toml`): hosts, timeouts, caps, token sources.

Why a module of its own: an environment is what is safe to do where (the caps, which scenarios,
whether production needs confirming); it is read once per run and checked whole, so a typo stops
the run naming the file, table and key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.paths import CONFIG_DIR
from ops_perf.settings.targets import normalise_env
from ops_perf.settings.values import TableReader, read_toml

ENVIRONMENTS_FILE = CONFIG_DIR / "environments.toml"
TOKEN_SOURCES = ("env", "refresh", "login")
DEFAULT_MAX_RATE_RPS = 10.0
DEFAULT_MAX_PEOPLE_PER_MIN = 10.0
"""Rate caps of an environment whose table does not set them: small, so that forgetting is safe."""


@dataclass(frozen=True)
class Environment:
    name: str
    host: str
    frontend_url: str
    deployed: bool
    results_name: str
    gateway_timeout_s: float
    request_timeout_s: float
    connect_timeout_s: float
    token_sources: tuple[str, ...]
    test_users: tuple[str, ...]
    allowed_scenarios: tuple[str, ...]
    max_users: int
    requires_confirmation: bool
    warmup_deadline_s: float
    warmup_ids_per_pool: int
    capacity_allowed: bool = False
    """Whether `ops-perf capacity` may load this environment past its targets on purpose."""
    diagnose_allowed: bool = False
    """Whether `ops-perf diagnose` may probe this environment (sweeps up to 8 in flight, never on prod)."""
    max_rate_rps: float = DEFAULT_MAX_RATE_RPS
    """Cap on the offered rate of an open run (endpoint tasks per second) and on a capacity search."""
    max_people_per_min: float = DEFAULT_MAX_PEOPLE_PER_MIN
    """Cap on the offered rate of an open run of the page user (people starting a session per minute)."""


def load_environments(path: Path = ENVIRONMENTS_FILE) -> dict[str, Environment]:
    raw = read_toml(path, "environments file", "restore config/environments.toml")
    return {name: _environment(name, table, path) for name, table in raw.items()}


def load_environment(name: str, path: Path = ENVIRONMENTS_FILE) -> Environment:
    environments = load_environments(path)
    key = normalise_env(name) or name  # `production` (the results spelling) is `prod`
    if key not in environments:
        raise OpsPerfError(f"unknown environment {name!r}; choose one of {', '.join(environments)} (defined in {path})")
    return environments[key]


def _environment(name: str, table: Any, path: Path) -> Environment:
    where = f"{path} [{name}]"
    if not isinstance(table, Mapping):
        raise OpsPerfError(f"{where}: expected a table of settings; see the comments at the top of the file")
    reader = TableReader(table, where)
    env = Environment(
        name=name,
        host=reader.url("host"),
        frontend_url=reader.url("frontend_url"),
        deployed=reader.boolean("deployed"),
        results_name=reader.string("results_name"),
        gateway_timeout_s=reader.number("gateway_timeout_s", minimum=0),
        request_timeout_s=reader.number("request_timeout_s", minimum=0.001),
        connect_timeout_s=reader.number("connect_timeout_s", minimum=0.001),
        token_sources=reader.strings("token_sources", allowed=TOKEN_SOURCES),
        test_users=reader.strings("test_users"),
        allowed_scenarios=reader.strings("allowed_scenarios"),
        max_users=int(reader.number("max_users", minimum=1, integer=True)),
        requires_confirmation=reader.boolean("requires_confirmation"),
        warmup_deadline_s=reader.number("warmup_deadline_s", minimum=0.001),
        warmup_ids_per_pool=int(reader.number("warmup_ids_per_pool", minimum=1, integer=True)),
        capacity_allowed=reader.optional_boolean("capacity", default=False),
        diagnose_allowed=reader.optional_boolean("diagnose", default=False),
        max_rate_rps=reader.optional_number("max_rate_rps", DEFAULT_MAX_RATE_RPS, minimum=0.001),
        max_people_per_min=reader.optional_number("max_people_per_min", DEFAULT_MAX_PEOPLE_PER_MIN, minimum=0.001),
    )
    reader.reject_unknown()
    if env.deployed and env.gateway_timeout_s and env.request_timeout_s <= env.gateway_timeout_s:
        raise OpsPerfError(
            f"{where}: request_timeout_s ({env.request_timeout_s:g}) must exceed gateway_timeout_s "
            f"({env.gateway_timeout_s:g}) or gateway 504s are recorded as client timeouts"
        )
    return env
