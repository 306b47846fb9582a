"""The run guard: what needs an environment and a scenario together, checked before the first request.

Production confirmation, https, the scenarios an environment allows, its user cap and its rate caps.
"""

from __future__ import annotations

from urllib.parse import urlparse

from ops_perf.errors import OpsPerfError
from ops_perf.settings.environments import Environment
from ops_perf.settings.scenarios import Scenario


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
