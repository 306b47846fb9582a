"""ScenarioShape: the scenario's stages in order, then the end of the run."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from ops_perf.plugin.shape import ScenarioShape
from ops_perf.settings import Scenario, apply_overrides, load_scenario
from ops_perf.users.state import run_state


def shape_of(scenario: Scenario | None, load_started: bool = True) -> ScenarioShape:
    """A shape whose runner's environment holds `scenario` in its run state, as the plugin leaves it."""
    shape = ScenarioShape()
    environment = SimpleNamespace()
    state = run_state(environment)
    state.scenario = scenario
    state.load_started_at = 1.0 if load_started else None
    shape.runner = SimpleNamespace(environment=environment)  # type: ignore[assignment]
    return shape


def ticks_at(shape: ScenarioShape, seconds: list[float], monkeypatch: pytest.MonkeyPatch) -> list[object]:
    out = []
    for second in seconds:
        monkeypatch.setattr(shape, "get_run_time", lambda s=second: s)
        out.append(shape.tick())
    return out


def test_stages_follow_each_other_and_the_run_ends(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = shape_of(load_scenario("spike"))
    assert ticks_at(shape, [0, 299, 300, 479, 480, 779, 780], monkeypatch) == [
        (5, 1.0), (5, 1.0), (30, 25.0), (30, 25.0), (5, 25.0), (5, 25.0), None,
    ]  # fmt: skip


def test_run_time_override_is_load_time(monkeypatch: pytest.MonkeyPatch) -> None:
    shape = shape_of(apply_overrides(load_scenario("normal"), run_time=90))
    assert ticks_at(shape, [0, 89.9, 90], monkeypatch) == [(10, 2.0), (10, 2.0), None]


def test_no_scenario_means_no_load() -> None:
    assert ScenarioShape.use_common_options, "the shape reads -u/-r/-t itself"
    assert shape_of(None).tick() is None
    assert ScenarioShape().tick() is None  # no runner yet
