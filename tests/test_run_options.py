"""One table of run options (issue 17 item 2; one set of names, issue 11 item 6): `ops-perf run` reads
the variables bare Locust reads, and its Locust child gets exactly what it was asked."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest
from locust.argument_parser import get_parser

from ops_perf.cli.commands import build_parser
from ops_perf.errors import OpsPerfError
from ops_perf.settings.options import apply_environment, locust_args, run_options


def parse(*argv: str, environ: dict[str, str] | None = None) -> argparse.Namespace:
    args = build_parser().parse_args(["run", *argv])
    apply_environment(args, environ or {})
    return args


def test_every_ops_variable_of_bare_locust_is_read_by_ops_perf_run() -> None:
    import ops_perf.plugin.hooks  # noqa: F401  (registers the suite's Locust options)

    parser = get_parser(default_config_files=[])
    from locust import events

    events.init_command_line_parser.fire(parser=parser)
    locust_vars = {a.env_var for a in parser._actions if getattr(a, "env_var", "") and a.env_var.startswith("OPS_")}
    assert locust_vars, "the hooks registered no OPS_* variables: this test would prove nothing"
    assert locust_vars == {option.env_var for option in run_options() if option.env_var}


def test_ops_env_is_an_alias_of_env() -> None:
    assert parse("--ops-env", "local", "--scenario", "smoke").env == "local"
    assert parse("--env", "stg", "--scenario", "smoke").env == "stg"


def test_variables_fill_what_the_command_line_left_out() -> None:
    environ = {"OPS_ENV": "dev", "OPS_SCENARIO": "baseline", "OPS_THINK_TIME": "0,1", "OPS_TEST_USERS": "3",
               "OPS_IDS_PER_POOL": "20", "OPS_WARMUP_DEADLINE": "30", "OPS_CONFIRM_PROD": "1"}  # fmt: skip
    args = parse(environ=environ)
    assert (args.env, args.scenario, args.think_time) == ("dev", "baseline", "0,1")
    assert (args.test_users, args.ids_per_pool, args.warmup_deadline, args.confirm_prod) == (3, 20, 30.0, True)
    args = parse("--env", "local", "--scenario", "smoke", "--test-users", "2", environ=environ)
    assert (args.env, args.scenario, args.test_users) == ("local", "smoke", 2), "the command line wins"
    assert parse(environ={**environ, "OPS_CONFIRM_PROD": "false"}).confirm_prod is False
    assert parse("--env", "local", "--scenario", "smoke").confirm_prod is False


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "ops-perf run needs --env (or OPS_ENV) and --scenario (or OPS_SCENARIO)"),
        ({"OPS_ENV": "local"}, "ops-perf run needs --scenario (or OPS_SCENARIO)"),
        ({"OPS_ENV": "local", "OPS_SCENARIO": "smoke", "OPS_TEST_USERS": "two"}, "OPS_TEST_USERS='two' is not a whole"),
        ({"OPS_ENV": "local", "OPS_SCENARIO": "smoke", "OPS_CONFIRM_PROD": "maybe"}, "OPS_CONFIRM_PROD='maybe' is not"),
    ],
)
def test_missing_or_malformed_is_one_line(environ: dict[str, str], message: str) -> None:
    with pytest.raises(OpsPerfError) as err:
        parse(environ=environ)
    assert message in str(err.value)


def test_the_page_options_are_handed_to_locust_as_given_or_from_variables() -> None:
    args = parse("--env", "local", "--scenario", "smoke", "--user", "pages", "--page-tour")
    assert locust_args(vars(args)) == ["--ops-env", "local", "--scenario", "smoke", "--user", "pages", "--page-tour"]
    environ = {"OPS_ENV": "local", "OPS_SCENARIO": "smoke", "OPS_FRONTEND_DEFECTS": "1", "OPS_NOTIFICATION_POLL": "5"}
    assert locust_args(vars(parse(environ=environ)))[4:] == ["--frontend-defects", "--notification-poll", "5"]


def test_the_child_gets_every_option_it_was_asked_for(tmp_path: Path) -> None:
    """`ops-perf run`'s Locust command line, parsed by Locust's own parser with the suite's options:
    every option of the table arrives with the value `ops-perf run` was given."""
    from locust import events

    import ops_perf.plugin.hooks  # noqa: F401  (registers the suite's Locust options)
    from ops_perf.cli.run import RunRequest, plan

    args = parse(
        "--env", "local", "--scenario", "smoke", "--think-time", "0,1", "--arrival-rate", "3", "--ids-per-pool", "7",
        "--warmup-deadline", "12", "--test-users", "2", "--user", "endpoints", "--frontend-defects", "--page-tour",
        "--notification-poll", "5", "--health-interval", "2",
    )  # fmt: skip
    request = RunRequest(**{option.dest: getattr(args, option.dest) for option in run_options()})
    command = plan(request).command(tmp_path / "x")  # Locust's side reserves it (cleaned at exit)
    parser = get_parser(default_config_files=[])
    events.init_command_line_parser.fire(parser=parser)
    locust_side = parser.parse_args(command[command.index("-f") :])
    for option in run_options():
        if option.locust_dest is not None:
            assert getattr(locust_side, option.locust_dest) == getattr(args, option.dest), option.dest
