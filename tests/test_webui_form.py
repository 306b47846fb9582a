"""The web UI's form: which options it shows, and what its numbers mean (`ops_perf.plugin.webui`).

The browser test (tests/e2e/test_webui.py) shows it end to end; these pin the rules case by case
on Locust's real argument parser, with the suite's hooks registered as `locustfile.py` does.
"""

from __future__ import annotations

from typing import Any

import pytest
from locust.argument_parser import get_parser, ui_extra_args_dict

from ops_perf.errors import OpsPerfError
from ops_perf.paths import PROJECT_ROOT
from ops_perf.plugin import hooks, startup  # hooks: every listener registered, as locustfile.py does
from ops_perf.plugin.webui import form_options

LOCUSTFILE = str(PROJECT_ROOT / "locustfile.py")
assert hooks.options.add_arguments


def _options(*args: str) -> Any:
    return get_parser().parse_args(["-f", LOCUSTFILE, *args])


def _chosen(form: dict[str, str], *args: str) -> Any:
    options = _options(*args)
    command_line = {name: getattr(options, name) for name in ("num_users", "spawn_rate", "run_time", "confirm_prod")}
    chosen, _host = form_options(form, options, command_line, startup.resolve)
    return chosen, startup.resolve(chosen)[1]


def test_the_suites_options_are_in_the_form_and_confirm_prod_is_not() -> None:
    """Seen: `extra_options` was empty, because group arguments were not registered for the UI."""
    extra = ui_extra_args_dict(["-f", LOCUSTFILE, "--ops-env", "local", "--scenario", "spike"])
    assert {"ops_env", "scenario", "think_time", "test_users", "ids_per_pool", "warmup_deadline"} <= set(extra)
    assert extra["ops_env"]["default_value"] == "local" and extra["scenario"]["default_value"] == "spike"
    assert "confirm_prod" not in extra


def test_the_scenarios_own_numbers_run_the_scenario() -> None:
    chosen, scenario = _chosen({"user_count": "30", "spawn_rate": "1", "scenario": "spike"})
    assert (chosen.num_users, chosen.spawn_rate, chosen.run_time) == (None, None, None)
    assert [s.users for s in scenario.stages] == [5, 30, 5]  # the spike's stages, not one steady stage


def test_other_numbers_make_one_steady_stage() -> None:
    """Seen: `user_count=7` ran the 3-user smoke shape."""
    chosen, scenario = _chosen({"user_count": "7", "spawn_rate": "3", "scenario": "smoke"})
    assert chosen.num_users == 7 and chosen.spawn_rate is None
    assert [(s.users, s.spawn_rate, s.duration_s) for s in scenario.stages] == [(7, 3.0, 60.0)]
    chosen, scenario = _chosen({"user_count": "3", "spawn_rate": "0.5", "run_time": "2m"})
    assert (chosen.num_users, chosen.spawn_rate, chosen.run_time) == (None, 0.5, 120)
    assert [(s.users, s.spawn_rate, s.duration_s) for s in scenario.stages] == [(3, 0.5, 120.0)]


def test_the_form_fills_the_suites_options_and_the_command_line_keeps_its_own() -> None:
    chosen, scenario = _chosen(
        {"user_count": "5", "spawn_rate": "5", "think_time": "0,1", "test_users": "2"}, "-u", "5"
    )
    assert chosen.num_users == 5 and scenario.think_time_s == (0.0, 1.0) and chosen.test_users == 2
    chosen, _ = _chosen({"user_count": "3", "spawn_rate": "3", "confirm_prod": "true"})
    assert chosen.confirm_prod is False  # production is confirmed on the command line only


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"user_count": "many"}, "Number of users: 'many' is not a number"),
        ({"user_count": "0"}, "Number of users: 0 must be above 0"),
        ({"spawn_rate": "-1"}, "Ramp up: -1 must be above 0"),
        ({"test_users": "two"}, "test users: 'two' is not a whole number"),
        ({"warmup_deadline": "soon"}, "warmup deadline: 'soon' is not a number"),
        ({"run_time": "a while"}, "run time 'a while' is not a duration"),
    ],
)
def test_a_bad_field_is_one_line_naming_it(form: dict[str, str], message: str) -> None:
    with pytest.raises(OpsPerfError) as caught:
        _chosen(form)
    assert str(caught.value).startswith(message) and "\n" not in str(caught.value)
