"""One set of names: `ops-perf run` reads the same `OPS_*` variables (and `.env`) as bare Locust.

The Locust side registers its options with `env_var=` (`ops_perf.plugin.hooks.add_arguments`);
this table is the `ops-perf run` side of the same names, so `OPS_ENV=stg ops-perf run ...` and
`OPS_ENV=stg locust -f locustfile.py ...` mean the same run. A command-line option always wins
over the variable, and a variable of the process over `.env` (python-dotenv, `override=False`).
`tests/test_run_options.py` checks that the two sides list the same variables.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from ops_perf.errors import OpsPerfError

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"", "0", "false", "no", "off"})


def _flag(text: str) -> bool:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(text)


ENV_VARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "env": ("OPS_ENV", str),
    "scenario": ("OPS_SCENARIO", str),
    "think_time": ("OPS_THINK_TIME", str),
    "ids_per_pool": ("OPS_IDS_PER_POOL", int),
    "warmup_deadline": ("OPS_WARMUP_DEADLINE", float),
    "test_users": ("OPS_TEST_USERS", int),
    "confirm_prod": ("OPS_CONFIRM_PROD", _flag),
    "arrival_rate": ("OPS_ARRIVAL_RATE", float),
    "user": ("OPS_USER", str),
    "frontend_defects": ("OPS_FRONTEND_DEFECTS", _flag),
    "page_tour": ("OPS_PAGE_TOUR", _flag),
    "notification_poll": ("OPS_NOTIFICATION_POLL", float),
}
"""`ops-perf run` option (argparse dest) -> the variable bare Locust reads for it, and its type."""

FORWARDED = {"user": "--user", "frontend_defects": "--frontend-defects", "page_tour": "--page-tour",
             "notification_poll": "--notification-poll"}  # fmt: skip
"""Options `ops-perf run` does not use itself but hands to Locust as they are (flags without a value)."""


def forwarded_args(args: argparse.Namespace) -> list[str]:
    """The Locust arguments for the `FORWARDED` options that were given (on the line or by variable)."""
    out: list[str] = []
    for dest, flag in FORWARDED.items():
        value = getattr(args, dest, None)
        if value is None or value is False:
            continue
        out += [flag] if value is True else [flag, f"{value:g}" if isinstance(value, float) else str(value)]
    return out


def apply_environment(args: argparse.Namespace, environ: Mapping[str, str] | None = None) -> None:
    """Fill the options not given on the command line from `OPS_*` variables (and `./.env`).

    Raises `OpsPerfError` (one line) for a malformed value, or when neither the option nor the
    variable names the environment or the scenario.
    """
    if environ is None:
        load_dotenv(Path.cwd() / ".env", override=False)
        environ = os.environ
    for dest, (variable, convert) in ENV_VARS.items():
        if getattr(args, dest, None) is not None:
            continue
        raw = environ.get(variable)
        if raw is None or (not raw.strip() and convert is not _flag):
            continue
        try:
            setattr(args, dest, convert(raw.strip()))
        except ValueError:
            kind = {int: "a whole number", float: "a number", _flag: "1/0, true/false or yes/no"}.get(convert, "text")
            raise OpsPerfError(f"{variable}={raw!r} is not {kind}; fix it in the environment or in .env") from None
    if getattr(args, "confirm_prod", None) is None:
        args.confirm_prod = False
    if getattr(args, "user", None) not in (None, "pages", "endpoints"):
        raise OpsPerfError(f"OPS_USER={args.user!r} is not pages or endpoints; fix it in the environment or in .env")
    missing = [
        f"--{name} (or {ENV_VARS[dest][0]})"
        for dest, name in (("env", "env"), ("scenario", "scenario"))
        if not getattr(args, dest, None)
    ]
    if missing:
        raise OpsPerfError(
            f"ops-perf run needs {' and '.join(missing)}; e.g. ops-perf run --env local --scenario smoke"
        )
