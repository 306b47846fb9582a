"""A run's settings from what was asked: the environment, the scenario and the overrides over it.

One function for both sides of the process boundary: `ops-perf run` resolves (and so validates) the
settings before it starts Locust, and the plugin inside Locust resolves the same ones from Locust's
parsed options (a bare `locust` run has no parent to do it). Same inputs, same code, same answer.
"""

from __future__ import annotations

from ops_perf.settings.environments import Environment, load_environment
from ops_perf.settings.overrides import apply_overrides
from ops_perf.settings.scenarios import Scenario, load_scenario
from ops_perf.settings.values import parse_duration, parse_think_time


def resolve(
    env: str,
    scenario: str,
    *,
    users: int | None = None,
    spawn_rate: float | None = None,
    run_time: str | float | None = None,
    think_time: str | None = None,
    arrival_rate: float | None = None,
    user: str | None = None,
    frontend_defects: bool = False,
) -> tuple[Environment, Scenario]:
    """The environment and the scenario with the command line's overrides (`-u/-r/-t`, think time,
    arrival rate, user, frontend defects) applied; raises `OpsPerfError` (one line) on a bad value."""
    environment = load_environment(env)
    loaded = load_scenario(scenario)
    run_time_s = parse_duration(run_time, "--run-time") if run_time else None
    think = parse_think_time(think_time) if think_time else None
    overridden = apply_overrides(
        loaded,
        users=users,
        spawn_rate=spawn_rate,
        run_time=run_time_s,
        think_time=think,
        arrival_rate=arrival_rate or None,
        user=user or None,
        frontend_defects=frontend_defects,
    )
    return environment, overridden
