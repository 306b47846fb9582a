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

from locust import LoadTestShape

from ops_perf.plugin import arrivals as open_model
from ops_perf.settings import OPEN_POOL_SPAWN_RATE, Scenario
from ops_perf.users.arrivals import LOOKAHEAD_S, RatePlan, plan_for, pool_target
from ops_perf.users.state import RunState, run_state


class ScenarioShape(LoadTestShape):
    """The run's scenario (`RunState.scenario`, read through `self.runner.environment`) as stages.

    Until the warm-up is over (`RunState.load_started_at`) the clock stands at 0: Locust fires
    `test_start` (the warm-up) in a greenlet of its own and keeps ticking, and a warm-up longer than
    the scenario must not end the run before a single load request.
    """

    use_common_options = True

    def __init__(self) -> None:
        super().__init__()
        self._pool = 0
        self._plan: RatePlan | None = None
        self._plan_of: Scenario | None = None

    def reset_time(self) -> None:
        super().reset_time()
        self._pool = 0

    def _state(self) -> RunState | None:
        return run_state(self.runner.environment) if self.runner is not None else None

    def tick(self) -> tuple[int, float] | None:
        state = self._state()
        scenario = state.scenario if state is not None else None
        if state is None or scenario is None:
            return None
        run_time = self.get_run_time() if state.load_started_at is not None else 0.0
        if scenario.is_open:
            return self._open_tick(state, scenario, run_time)
        elapsed = 0.0
        for stage in scenario.stages:
            elapsed += stage.duration_s
            if run_time < elapsed:
                return stage.users, stage.spawn_rate
        return None

    def _open_tick(self, state: RunState, scenario: Scenario, run_time: float) -> tuple[int, float] | None:
        if run_time >= scenario.duration_s:
            return None
        if self._plan is None or self._plan_of is not scenario:
            self._plan, self._plan_of = plan_for(scenario), scenario
        rate = self._plan.peak_rate(run_time, min(scenario.duration_s, run_time + LOOKAHEAD_S))
        target = pool_target(rate, open_model.totals(state), scenario.peak_users) if rate else 1
        self._pool = max(self._pool, target)
        return self._pool, OPEN_POOL_SPAWN_RATE
