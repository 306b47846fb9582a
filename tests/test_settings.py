"""Settings: the shipped data files parse, and every bad value gets one clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from ops_perf.errors import OpsPerfError
from ops_perf.settings import (
    apply_overrides,
    available_scenarios,
    check_run_allowed,
    load_environment,
    load_environments,
    load_scenario,
    parse_duration,
    parse_think_time,
)
from ops_perf.settings.targets import ENV_ALIASES, normalise_env


def test_shipped_environments_and_scenarios() -> None:
    envs = load_environments()
    assert set(envs) == {"local", "dev", "stg", "prod"}
    assert envs["prod"].results_name == "production"
    assert "login" not in envs["prod"].token_sources
    assert set(available_scenarios()) >= {"smoke", "baseline", "normal", "stress", "spike", "soak"}
    baseline = load_scenario("baseline")
    assert (baseline.peak_users, baseline.first_spawn_rate, baseline.duration_s) == (3, 1.0, 600.0)
    normal = load_scenario("normal")
    assert (normal.peak_users, normal.first_spawn_rate, normal.duration_s) == (10, 2.0, 1200.0)
    stress = load_scenario("stress")
    assert [s.users for s in stress.stages] == [10, 20, 30, 40, 50]
    spike = load_scenario("spike")
    assert [s.users for s in spike.stages] == [5, 30, 5]


def test_aliases_and_unknown_environment() -> None:
    assert load_environment("production").name == "prod"
    with pytest.raises(OpsPerfError, match=r"unknown environment 'qa'; choose one of local, dev, stg, prod"):
        load_environment("qa")


@pytest.mark.parametrize(("spelling", "name"), sorted(ENV_ALIASES.items()))
def test_every_results_spelling_is_its_environment(spelling: str, name: str) -> None:
    """The one map (targets.ENV_ALIASES) is what `--env` accepts; and each environment's `results_name` (the
    prefix its runs are written under) reads back as that environment, so report, check and history agree."""
    assert load_environment(spelling).name == name
    for key, env in load_environments().items():
        assert normalise_env(env.results_name) == key


def test_unknown_scenario_lists_the_known_ones() -> None:
    with pytest.raises(OpsPerfError, match=r"unknown scenario 'weekly'; choose one of baseline, nightly, normal"):
        load_scenario("weekly")


def test_the_nightly_is_the_baselines_load_with_an_even_mix(tmp_path: Path) -> None:
    """Issue 12: the nightly may not send more requests, nor at higher concurrency, than the baseline."""
    baseline, nightly = load_scenario("baseline"), load_scenario("nightly")
    assert (baseline.mix, nightly.mix) == ("weighted", "even")
    assert nightly.stages == baseline.stages and nightly.think_time_s == baseline.think_time_s
    assert (nightly.user, nightly.model) == ("endpoints", "closed")
    path = tmp_path / "m.toml"
    stages = '[[stages]]\nduration = "1m"\nusers = 1\nspawn_rate = 1\n'
    path.write_text('mix = "random"\n' + stages)
    with pytest.raises(OpsPerfError, match="mix must be one of 'weighted', 'even', not 'random'"):
        load_scenario(str(path))
    path.write_text('user = "pages"\nmix = "even"\n' + stages)
    with pytest.raises(OpsPerfError, match="mix applies to the endpoint user only"):
        load_scenario(str(path))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("description = 'x'\n", "needs at least one \\[\\[stages\\]\\]"),
        ("[[stages]]\nduration = '1m'\nusers = 0\nspawn_rate = 1\n", "users must be at least 1"),
        ("[[stages]]\nduration = 'soon'\nusers = 1\nspawn_rate = 1\n", "'soon' is not a duration"),
        ("[[stages]]\nduration = '1m'\nusers = 1\nspawn_rate = 1\ncolour = 'red'\n", "unknown key\\(s\\) colour"),
        ("[[stages]\nduration = 1\n", "not valid TOML"),
        ("think_time_s = [3, 1]\n[[stages]]\nduration = '1m'\nusers = 1\nspawn_rate = 1\n", "MIN <= MAX"),
    ],
)
def test_malformed_scenario_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(OpsPerfError, match=message) as info:
        load_scenario(str(path))
    assert "\n" not in str(info.value)


def test_malformed_environment_file(tmp_path: Path) -> None:
    path = tmp_path / "environments.toml"
    path.write_text('[local]\nhost = "ftp://x"\n')
    with pytest.raises(OpsPerfError, match="host must be an http\\(s\\) URL"):
        load_environments(path)


def test_overrides_make_one_steady_stage() -> None:
    normal = load_scenario("normal")
    short = apply_overrides(normal, run_time=120)
    assert (short.peak_users, short.first_spawn_rate, short.duration_s) == (10, 2.0, 120)
    assert short.overridden == ("run_time",)
    assert apply_overrides(normal) == normal
    for bad in ({"users": 0}, {"users": -3}, {"spawn_rate": 0}, {"run_time": -1}):
        with pytest.raises(OpsPerfError):
            apply_overrides(normal, **bad)  # type: ignore[arg-type]


def test_think_time_and_duration_parsing() -> None:
    assert parse_think_time("1,3") == (1.0, 3.0)
    assert parse_think_time("0") == (0.0, 0.0)
    assert parse_duration("1h30m") == 5400
    for bad in ("3,1", "x", "-1,2"):
        with pytest.raises(OpsPerfError):
            parse_think_time(bad)


def test_production_guard() -> None:
    prod = load_environment("prod")
    baseline = load_scenario("baseline")
    with pytest.raises(OpsPerfError, match="--confirm-prod"):
        check_run_allowed(prod, baseline, prod.host, confirmed=False)
    check_run_allowed(prod, baseline, prod.host, confirmed=True)
    with pytest.raises(OpsPerfError, match="scenario 'stress' is not allowed on prod"):
        check_run_allowed(prod, load_scenario("stress"), prod.host, confirmed=True)
    with pytest.raises(OpsPerfError, match="exceed the cap of 10"):
        check_run_allowed(prod, apply_overrides(baseline, users=11), prod.host, confirmed=True)
    with pytest.raises(OpsPerfError, match="is not https"):
        check_run_allowed(load_environment("stg"), baseline, "http://stg.ops.opre.acf.gov", confirmed=False)


def test_scenarios_choose_who_is_simulated(tmp_path: Path) -> None:
    for name in ("normal", "stress", "spike", "soak"):
        scenario = load_scenario(name)
        assert (scenario.user, scenario.think_time_s) == ("pages", (5.0, 30.0)), name
    for name in ("smoke", "baseline"):
        assert load_scenario(name).user == "endpoints", "the nightly stays comparable with its history"
    path = tmp_path / "p.toml"
    path.write_text('user = "pages"\n[[stages]]\nduration = "1m"\nusers = 1\nspawn_rate = 1\n')
    scenario = load_scenario(str(path))
    assert scenario.think_time_s == (5.0, 30.0), "pages default to a person's reading time"
    assert not scenario.frontend_defects
    assert apply_overrides(scenario, user="endpoints").user == "endpoints"
    assert apply_overrides(scenario, frontend_defects=True).frontend_defects
    path.write_text('user = "pages"\nfrontend_defects = true\n[[stages]]\nduration = "1m"\nusers = 1\nspawn_rate = 1\n')
    assert load_scenario(str(path)).frontend_defects
    path.write_text(
        'user = "pages"\nfrontend_defects = "yes"\n[[stages]]\nduration = "1m"\nusers = 1\nspawn_rate = 1\n'
    )
    with pytest.raises(OpsPerfError, match="frontend_defects must be true or false"):
        load_scenario(str(path))
    path.write_text('user = "robots"\n[[stages]]\nduration = "1m"\nusers = 1\nspawn_rate = 1\n')
    with pytest.raises(OpsPerfError, match="user must be one of endpoints, pages"):
        load_scenario(str(path))
    with pytest.raises(OpsPerfError, match="--user must be one of"):
        apply_overrides(load_scenario("smoke"), user="robots")


@pytest.mark.parametrize(
    "text",
    ["20", "0", "20s", "3m", "2h", "1h20m", "3h30m10s", "90s", "1h", "10m5s", "", "1.5", "5x", "m", "1h2", "s10"],
)
def test_timespan_reads_as_locust_reads_it(text: str) -> None:
    from locust.util.timespan import parse_timespan

    from ops_perf.settings.values import timespan_seconds

    try:
        expected: int | None = parse_timespan(text)
    except ValueError:
        expected = None
    assert timespan_seconds(text) == expected
