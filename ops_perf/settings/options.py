"""ONE table of a run's options: from it come `ops-perf run`'s parser, Locust's (`--ops-env`, ...), the
web UI's form, the `OPS_*` variables both read, and the command line `ops-perf run` gives Locust.

One set of names: `OPS_ENV=stg ops-perf run ...` and `OPS_ENV=stg locust -f locustfile.py ...` mean
the same run. A command-line option always wins over the variable, and a variable of the process
over `./.env` (python-dotenv, `override=False`). Each help line says the default and the unit.

Locust's own options that `ops-perf run` mirrors (`--host`, `-u`, `-r`, `-t`, `--processes`) are in
`cli.commands`: Locust registers those itself.
"""

from __future__ import annotations

import argparse
import os
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from ops_perf.errors import OpsPerfError
from ops_perf.settings.environments import ENVIRONMENTS_FILE
from ops_perf.settings.scenarios import available_scenarios

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def flag(text: str) -> bool:
    """An `OPS_*` switch: 1/0, true/false, yes/no, on/off."""
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(text)


_KINDS: dict[Callable[[str], Any], str] = {int: "a whole number", float: "a number", flag: "1/0, true/false or yes/no"}


@dataclass(frozen=True)
class RunOption:
    """One option of a run, as both command lines, the form and the environment know it."""

    dest: str
    """The attribute name in both parsers' namespaces (and `RunRequest`'s field)."""
    flags: tuple[str, ...]
    """`ops-perf run`'s spellings; the first one that starts with `--` is what Locust's side adds."""
    help: str
    kind: Callable[[str], Any] | None = str
    """The type of the value; None for a switch (present or not)."""
    env_var: str | None = None
    locust_flag: str | None = None
    """The flag of Locust's side; None: `ops-perf run` only (never crosses to Locust)."""
    locust_default: Any = None
    """The default in a bare `locust` run (`ops-perf run` requires or defaults on its own)."""
    choices: tuple[str, ...] = ()
    in_form: bool = True
    """Shown in Locust's web UI form (never `--confirm-prod`: production is a command-line decision)."""
    metavar: str | None = None

    @property
    def is_switch(self) -> bool:
        return self.kind is None

    @property
    def locust_dest(self) -> str | None:
        """The attribute in Locust's parsed options (`--ops-env` -> `ops_env`)."""
        return self.locust_flag.lstrip("-").replace("-", "_") if self.locust_flag else None


def _names(names: Iterable[str]) -> str:
    return ", ".join(names)


def run_options() -> tuple[RunOption, ...]:
    """The table (a function: the environment and scenario names in the help are read from the files)."""
    envs = _names(environment_names())
    scenarios = _names(available_scenarios())
    return (
        RunOption("env", ("--env", "--ops-env"), f"the environment: {envs} (config/environments.toml); "
                  "default for bare locust: local", env_var="OPS_ENV", locust_flag="--ops-env", metavar="ENV", locust_default="local"),
        RunOption("scenario", ("--scenario",), f"the scenario: {scenarios} (scenarios/*.toml) or a path to a "
                  "scenario file; default for bare locust: smoke", env_var="OPS_SCENARIO", locust_flag="--scenario", metavar="NAME",
                  locust_default="smoke"),
        RunOption("think_time", ("--think-time",), "MIN,MAX seconds between a user's tasks, or a person's page "
                  "views (default: the scenario's)", env_var="OPS_THINK_TIME", locust_flag="--think-time", metavar="MIN,MAX",
                  locust_default=""),
        RunOption("arrival_rate", ("--arrival-rate",), "open model: arrivals per second (people per minute for the "
                  "page user), one steady stage; -u is then the pool cap (default: the scenario's)", kind=float,
                  env_var="OPS_ARRIVAL_RATE", locust_flag="--arrival-rate", metavar="RATE", locust_default=0.0),
        RunOption("ids_per_pool", ("--ids-per-pool",), "warm-up: ids kept per pool (default: the environment's)",
                  kind=int, env_var="OPS_IDS_PER_POOL", locust_flag="--ids-per-pool", metavar="N", locust_default=0),
        RunOption("warmup_deadline", ("--warmup-deadline",), "warm-up: deadline in seconds (default: the "
                  "environment's)", kind=float, env_var="OPS_WARMUP_DEADLINE", locust_flag="--warmup-deadline", metavar="SECONDS",
                  locust_default=0.0),
        RunOption("test_users", ("--test-users",), "test users to log in and share the load out to (test login "
                  "only; default 1)", kind=int, env_var="OPS_TEST_USERS", locust_flag="--test-users", metavar="N",
                  locust_default=1),
        RunOption("confirm_prod", ("--confirm-prod",), "required to load production (default: off)", kind=None,
                  env_var="OPS_CONFIRM_PROD", locust_flag="--confirm-prod", locust_default=False, in_form=False),
        RunOption("user", ("--user",), "who is simulated: pages (people viewing the frontend's pages) or "
                  "endpoints (the API mix) (default: the scenario's)", env_var="OPS_USER", locust_flag="--user",
                  locust_default="", choices=("pages", "endpoints")),
        RunOption("frontend_defects", ("--frontend-defects",), "pages: also send the calls the frontend gets "
                  "wrong (users/-1, ...), announced, not OPS failures (default: off)", kind=None,
                  env_var="OPS_FRONTEND_DEFECTS", locust_flag="--frontend-defects", locust_default=False),
        RunOption("page_tour", ("--page-tour",), "pages: each person first views every page of the catalog once "
                  "(default: off)", kind=None, env_var="OPS_PAGE_TOUR", locust_flag="--page-tour",
                  locust_default=False),
        RunOption("notification_poll", ("--notification-poll",), "pages: seconds between notification polls "
                  "(default 60, the frontend's)", kind=float, env_var="OPS_NOTIFICATION_POLL",
                  locust_flag="--notification-poll", metavar="SECONDS", locust_default=60.0),
        RunOption("health_interval", ("--health-interval",), "seconds between samples of OPS's /api/v1/health/ "
                  "(its database pool) during the run, outside Locust's statistics; 0: off (default 5)", kind=float,
                  env_var="OPS_HEALTH_INTERVAL", locust_flag="--health-interval", metavar="SECONDS",
                  locust_default=5.0),
    )  # fmt: skip


def environment_names() -> list[str]:
    """The environments of config/environments.toml, for help lines (none when it cannot be read:
    help must never fail; the run itself says what is wrong with the file)."""
    try:
        return sorted(tomllib.loads(ENVIRONMENTS_FILE.read_text(encoding="utf-8")))
    except (OSError, tomllib.TOMLDecodeError):
        return []


def add_to_run_parser(parser: argparse.ArgumentParser) -> None:
    """`ops-perf run`'s side: every option, default None (so that its `OPS_*` variable can fill it)."""
    for option in run_options():
        help_text = f"{option.help}; or {option.env_var}" if option.env_var else option.help
        if option.is_switch:
            parser.add_argument(*option.flags, dest=option.dest, action="store_true", default=None, help=help_text)
        else:
            parser.add_argument(
                *option.flags, dest=option.dest, type=option.kind, default=None, help=help_text,
                choices=option.choices or None, metavar=option.metavar,
            )  # fmt: skip


def add_to_locust_parser(group: Any) -> list[argparse.Action]:
    """Locust's side (a group of its `LocustArgumentParser`): the options that cross, with `env_var`."""
    actions: list[argparse.Action] = []
    for option in run_options():
        if option.locust_flag is None:
            continue
        common: dict[str, Any] = {"env_var": option.env_var, "default": option.locust_default, "help": option.help}
        if option.is_switch:
            actions.append(group.add_argument(option.locust_flag, action="store_true", **common))
        else:
            choices = ["", *option.choices] if option.choices else None
            actions.append(
                group.add_argument(
                    option.locust_flag, type=option.kind, choices=choices, metavar=option.metavar, **common
                )
            )
    return actions


def form_fields() -> frozenset[str]:
    """The options Locust's web UI form shows (and takes back)."""
    return frozenset(o.locust_dest for o in run_options() if o.locust_dest is not None and o.in_form)


def locust_args(values: Mapping[str, Any]) -> list[str]:
    """The Locust command line for the options that were given (`None` and an unset switch are not)."""
    out: list[str] = []
    for option in run_options():
        value = values.get(option.dest)
        if option.locust_flag is None or value is None or value is False or value == "":
            continue
        if value is True:
            out.append(option.locust_flag)
        else:
            out += [option.locust_flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return out


def apply_environment(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> None:
    """Fill the options not given on the command line from `OPS_*` variables (and `./.env`).

    Raises `OpsPerfError` (one line) for a malformed value, or when neither the option nor the
    variable names the environment or the scenario.
    """
    if environ is None:
        load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    table = run_options()
    for option in table:
        if option.env_var is None or getattr(args, option.dest, None) is not None:
            continue
        raw = environ.get(option.env_var)
        if raw is None or (not raw.strip() and not option.is_switch):
            continue
        convert = flag if option.is_switch else (option.kind or str)
        try:
            value = convert(raw.strip())
        except ValueError:
            kind = _KINDS.get(convert, "text")
            raise OpsPerfError(
                f"{option.env_var}={raw!r} is not {kind}; fix it in the environment or in .env"
            ) from None
        if option.choices and value not in option.choices:
            raise OpsPerfError(
                f"{option.env_var}={raw!r} is not {' or '.join(option.choices)}; fix it in the environment or in .env"
            )
        setattr(args, option.dest, value)
    for option in table:
        if option.is_switch and getattr(args, option.dest, None) is None:
            setattr(args, option.dest, False)
    missing = [f"--{dest} (or OPS_{dest.upper()})" for dest in ("env", "scenario") if not getattr(args, dest, None)]
    if missing:
        raise OpsPerfError(
            f"ops-perf run needs {' and '.join(missing)}; e.g. ops-perf run --env local --scenario smoke"
        )
