"""The suite's options on Locust's command line and in its web UI's form, made from the run options' table.

`ops_perf.settings.options` is the one table (name, type, `OPS_*` variable, help, whether it crosses
to Locust); this module adds the options that cross to Locust's parser, each with its `env_var`, and
reads `./.env` (python-dotenv, never overriding the process's own variables).
"""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv
from locust import events
from locust.argument_parser import LocustArgumentParser

from ops_perf.plugin import bare_prefix, webui
from ops_perf.settings.options import add_to_locust_parser

load_dotenv(Path.cwd() / ".env", override=False)


@events.init_command_line_parser.add_listener
def add_arguments(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("ops-perf", "OPS load-test settings (also OPS_* environment variables)")
    webui.show_in_form(add_to_locust_parser(group))
    group.add_argument(  # after show_in_form, and no OPS_* variable: the capacity search's, not a setting
        "--warmup-ids",
        default="",
        help="a file of warm-up ids: used instead of a warm-up where it exists, else written by this run's "
        "(the capacity search's hand-over between steps; default: none)",
    )
    bare_prefix.install(parser)  # `--csv X` reserves X (or X-N) before Locust opens its CSV files
