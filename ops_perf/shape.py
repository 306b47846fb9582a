"""`ScenarioShape`: the scenario file's stages as a Locust `LoadTestShape`.

The shape also owns the run's duration (Locust's `-t` is read by the shape, `use_common_options`),
which is what makes "scenario time is load time" hold: the clock is reset when the warm-up has
finished, so a slow harvest never shortens the load.
"""

from __future__ import annotations

from locust import LoadTestShape

from ops_perf.settings import Scenario


class ScenarioShape(LoadTestShape):
    use_common_options = True
    scenario: Scenario | None = None
    """Set by the hooks once settings are resolved (master or local runner)."""

    def tick(self) -> tuple[int, float] | None:
        scenario = type(self).scenario
        if scenario is None:
            return None
        run_time = self.get_run_time()
        elapsed = 0.0
        for stage in scenario.stages:
            elapsed += stage.duration_s
            if run_time < elapsed:
                return stage.users, stage.spawn_rate
        return None
