"""Help that answers (issue 15 item 7): every option of every command says its default (and unit), the
scenario names come from the files, and `run --help` lists the exit codes like check's."""

from __future__ import annotations

import argparse
from collections.abc import Iterator

import pytest

from ops_perf.cli import capacity as capacity_cli
from ops_perf.cli import commands as cli_main
from ops_perf.cli import diagnose as diagnose_cli
from ops_perf.history import cli as history_cli
from ops_perf.report import cli as report_cli
from ops_perf.settings import available_scenarios
from ops_perf.sim import server as sim_server
from ops_perf.verdict import check
from ops_perf.verdict.compare import cli as compare_cli

PARSERS = {
    "ops-perf": cli_main.build_parser,
    "report": report_cli.build_parser,
    "check": check.build_parser,
    "compare": compare_cli.build_parser,
    "history": history_cli._parser,
    "sim": sim_server.build_parser,
    "capacity": capacity_cli.build_parser,
    "diagnose": diagnose_cli.build_parser,
}
SAYS_NOTHING = {"help", "version", "locust_args", "command"}
"""Argparse's own -h/--version, the run's pass-through after --, the subcommand's name."""


def _options(prog: str, parser: argparse.ArgumentParser) -> Iterator[tuple[str, argparse.Action]]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _options(f"{prog} {name}", sub)
        elif action.dest not in SAYS_NOTHING and action.option_strings:
            yield prog, action


def all_options() -> list[tuple[str, argparse.Action]]:
    return [opt for name, build in PARSERS.items() for opt in _options(name, build())]


@pytest.mark.parametrize(("prog", "action"), all_options(), ids=lambda v: v if isinstance(v, str) else v.dest)
def test_every_option_says_its_default(prog: str, action: argparse.Action) -> None:
    assert action.help, f"{prog} {action.option_strings[0]} has no help line"
    assert "default" in action.help.lower(), f"{prog} {action.option_strings[0]}: {action.help!r} names no default"


def test_scenario_names_come_from_the_files() -> None:
    text = cli_main.build_parser().format_help() + "".join(
        a.help or "" for _, a in _options("ops-perf", cli_main.build_parser())
    )
    names = available_scenarios()
    assert {"nightly", "open"} <= set(names)
    assert all(name in text for name in names), names


def test_run_help_lists_the_exit_codes() -> None:
    parser = cli_main.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = sub.choices["run"].format_help()
    for code in ("0 passed", "1 thresholds breached", "2 usage or input error", "4 run invalid", "130 interrupted"):
        assert code in text, code
