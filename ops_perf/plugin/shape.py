"""`ScenarioShape`: the scenario file's stages as a Locust `LoadTestShape`.

The shape also owns the run's duration (Locust's `-t` is read by the shape, `use_common_options`),
which is what makes "scenario time is load time" hold: the clock is reset when the warm-up has
finished, so a slow harvest never shortens the load.

In the open model the stages give arrival rates, not users: the shape sizes the pool of users that
serve the arrivals (`ops_perf.users.arrivals.pool_target`: Little's law on the measured iteration time,
for the highest rate of the next seconds), grows it up to the scenario's cap, and never shrinks it
(stopping a busy user would abort its request, and the slow ones are the ones that matter).
"""

from __future__ import annotations

from collections.abc import Callable

from locust import LoadTestShape

from ops_perf.settings import OPEN_POOL_SPAWN_RATE, Scenario
from ops_perf.users.arrivals import LOOKAHEAD_S, ArrivalStats, RatePlan, plan_for, pool_target


class ScenarioShape(LoadTestShape):
    use_common_options = True
    scenario: Scenario | None = None
    """Set by the hooks once settings are resolved (master or local runner)."""
    demand: Callable[[], ArrivalStats] = ArrivalStats
    """Open model: the arrival counters of every process that runs users (set by the hooks)."""
    load_started: Callable[[], bool] = staticmethod(lambda: True)
    """Whether the warm-up is over (set by the hooks). Locust fires `test_start` (the warm-up) in a
    greenlet of its own and keeps ticking: until the load starts, the clock stands at 0, so a
    warm-up longer than the scenario cannot end the run before a single load request."""

    def __init__(self) -> None:
        super().__init__()
        self._pool = 0
        self._plan: RatePlan | None = None
        self._plan_of: Scenario | None = None

    def reset_time(self) -> None:
        super().reset_time()
        self._pool = 0

    def tick(self) -> tuple[int, float] | None:
        scenario = type(self).scenario
        if scenario is None:
            return None
        run_time = self.get_run_time() if type(self).load_started() else 0.0
        if scenario.is_open:
            return self._open_tick(scenario, run_time)
        elapsed = 0.0
        for stage in scenario.stages:
            elapsed += stage.duration_s
            if run_time < elapsed:
                return stage.users, stage.spawn_rate
        return None

    def _open_tick(self, scenario: Scenario, run_time: float) -> tuple[int, float] | None:
        if run_time >= scenario.duration_s:
            return None
        if self._plan is None or self._plan_of is not scenario:
            self._plan, self._plan_of = plan_for(scenario), scenario
        rate = self._plan.peak_rate(run_time, min(scenario.duration_s, run_time + LOOKAHEAD_S))
        target = pool_target(rate, type(self).demand(), scenario.peak_users) if rate else 1
        self._pool = max(self._pool, target)
        return self._pool, OPEN_POOL_SPAWN_RATE
