"""The command line over the scenario file: `-u/-r/-t`, `--think-time`, `--arrival-rate`, `--user`.

Why a module of its own: how an override reshapes a scenario (one steady stage; an open scenario
keeps its rates in the new user's unit; `--arrival-rate` makes any scenario open) is a set of rules
of its own, shared by `ops-perf run`, bare Locust, the web UI's form and `ops-perf capacity`.
"""

from __future__ import annotations

from dataclasses import replace

from ops_perf.errors import OpsPerfError
from ops_perf.settings.scenarios import OPEN_POOL_SPAWN_RATE, USERS, Scenario, Stage

DEFAULT_OPEN_MAX_USERS = 100
"""Pool cap of an open run made from a closed scenario by `--arrival-rate` without `-u`."""


def apply_overrides(
    scenario: Scenario,
    users: int | None = None,
    spawn_rate: float | None = None,
    run_time: float | None = None,
    think_time: tuple[float, float] | None = None,
    arrival_rate: float | None = None,
    user: str | None = None,
    frontend_defects: bool | None = None,
) -> Scenario:
    """Locust's `-u/-r/-t` (and `--think-time`, `--arrival-rate`) win over the scenario file.

    Any of -u/-r/-t turns the scenario into one steady stage: the missing values come from the
    file (peak users, first spawn rate, total duration), so `--scenario normal -t 2m` is "normal,
    but for two minutes".

    In the open model (or with `--arrival-rate`, which makes any scenario open: its user and think
    time stay) the steady stage offers the given rate (default: the file's peak rate), in the file's
    unit, and `-u` is the pool cap; `-r` does not apply (the pool grows by itself).
    """
    if arrival_rate is not None and arrival_rate <= 0:
        raise OpsPerfError(f"arrival rate must be positive, not {arrival_rate:g}; e.g. --arrival-rate 20")
    if scenario.is_open or arrival_rate is not None:
        scenario = _with_user(scenario, user, frontend_defects)
        return _open_overrides(scenario, users, run_time, think_time, arrival_rate)
    if users is not None and users <= 0:
        raise OpsPerfError(f"users must be a positive number, not {users}; pass -u/--users 1 or more")
    if spawn_rate is not None and spawn_rate <= 0:
        raise OpsPerfError(f"spawn rate must be positive, not {spawn_rate:g}; pass -r/--spawn-rate above 0")
    if run_time is not None and run_time <= 0:
        raise OpsPerfError(f"run time must be positive, not {run_time:g}s; pass -t/--run-time like 30s, 10m, 1h")
    overridden = tuple(
        name
        for name, value in (("users", users), ("spawn_rate", spawn_rate), ("run_time", run_time))
        if value is not None
    )
    if overridden:
        stage = Stage(
            duration_s=run_time if run_time is not None else scenario.duration_s,
            users=users if users is not None else scenario.peak_users,
            spawn_rate=spawn_rate if spawn_rate is not None else scenario.first_spawn_rate,
        )
        scenario = replace(scenario, stages=(stage,), overridden=overridden)
    if user is not None:
        if user not in USERS:
            raise OpsPerfError(f"--user must be one of {', '.join(USERS)}, not {user!r}")
        scenario = replace(scenario, user=user)
    if frontend_defects:
        scenario = replace(scenario, frontend_defects=True)
    if think_time is not None:
        scenario = replace(scenario, think_time_s=think_time)
    return scenario


def _with_user(scenario: Scenario, user: str | None, frontend_defects: bool | None) -> Scenario:
    """`--user` / `--frontend-defects` on an open scenario: the file's rates keep their numbers, read in
    the new user's unit (tasks per second, or people per minute)."""
    if user is not None and user != scenario.user:
        if user not in USERS:
            raise OpsPerfError(f"--user must be one of {', '.join(USERS)}, not {user!r}")
        rate_per = 60.0 if user == "pages" else 1.0
        factor = scenario.rate_per / rate_per
        stages = tuple(
            replace(st, arrival_rate=None if st.arrival_rate is None else st.arrival_rate * factor)
            for st in scenario.stages
        )
        scenario = replace(scenario, user=user, rate_per=rate_per, stages=stages)
    if frontend_defects:
        scenario = replace(scenario, frontend_defects=True)
    return scenario


def _open_overrides(
    scenario: Scenario,
    users: int | None,
    run_time: float | None,
    think_time: tuple[float, float] | None,
    arrival_rate: float | None,
) -> Scenario:
    if users is not None and users <= 0:
        raise OpsPerfError(f"users must be a positive number, not {users}; pass -u/--users 1 or more")
    if run_time is not None and run_time <= 0:
        raise OpsPerfError(f"run time must be positive, not {run_time:g}s; pass -t/--run-time like 30s, 10m, 1h")
    was_open = scenario.is_open
    cap = users if users is not None else (scenario.peak_users if was_open else DEFAULT_OPEN_MAX_USERS)
    overridden = tuple(
        name
        for name, value in (("users", users), ("run_time", run_time), ("arrival_rate", arrival_rate))
        if value is not None
    )
    if arrival_rate is not None or run_time is not None or not was_open:
        peak = max((s.arrival_rate or 0.0) for s in scenario.stages) if was_open else 0.0
        rate = arrival_rate / scenario.rate_per if arrival_rate is not None else peak
        duration = run_time if run_time is not None else scenario.duration_s
        stages: tuple[Stage, ...] = (Stage(duration, cap, OPEN_POOL_SPAWN_RATE, arrival_rate=rate),)
        scenario = replace(scenario, model="open", stages=stages, ramp=False)
    else:
        scenario = replace(scenario, stages=tuple(replace(s, users=cap) for s in scenario.stages))
    scenario = replace(scenario, overridden=overridden)
    if think_time is not None:
        scenario = replace(scenario, think_time_s=think_time)
    return scenario
