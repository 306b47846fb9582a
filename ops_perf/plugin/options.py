"""The suite's options on Locust's command line (and in its web UI's form): `--ops-env`, `--scenario`, ...

Each option also reads its `OPS_*` environment variable (Locust's `env_var`) and `./.env`
(python-dotenv, never overriding the process's own variables).
"""

from __future__ import annotations

from pathlib import Path

from dotenv import load_dotenv
from locust import events
from locust.argument_parser import LocustArgumentParser

from ops_perf.plugin import bare_prefix, webui
from ops_perf.users.pages.person import POLL_PERIOD_S

load_dotenv(Path.cwd() / ".env", override=False)


@events.init_command_line_parser.add_listener
def add_arguments(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("ops-perf", "OPS load-test settings (also OPS_* environment variables)")
    group.add_argument("--ops-env", env_var="OPS_ENV", default="local", help="local, dev, stg or prod")
    group.add_argument("--scenario", env_var="OPS_SCENARIO", default="smoke", help="a file in scenarios/")
    group.add_argument(
        "--think-time", env_var="OPS_THINK_TIME", default="", help="MIN,MAX seconds between tasks (default: scenario)"
    )
    group.add_argument(
        "--arrival-rate",
        env_var="OPS_ARRIVAL_RATE",
        type=float,
        default=0.0,
        help="open model: arrivals per second (tasks; people per minute for the page user), one steady stage",
    )
    group.add_argument("--ids-per-pool", env_var="OPS_IDS_PER_POOL", type=int, default=0, help="warm-up ids per pool")
    group.add_argument(
        "--warmup-deadline", env_var="OPS_WARMUP_DEADLINE", type=float, default=0.0, help="warm-up deadline (s)"
    )
    group.add_argument(
        "--test-users", env_var="OPS_TEST_USERS", type=int, default=1, help="test users to log in and share out"
    )
    group.add_argument(
        "--confirm-prod", env_var="OPS_CONFIRM_PROD", action="store_true", default=False, help="allow a prod run"
    )
    group.add_argument(
        "--user", env_var="OPS_USER", default="", choices=["", "pages", "endpoints"], help="who (default: scenario)"
    )
    group.add_argument(
        "--frontend-defects",
        env_var="OPS_FRONTEND_DEFECTS",
        action="store_true",
        default=False,
        help="pages: also send the calls the frontend gets wrong (users/-1, ...), announced, not OPS failures",
    )
    group.add_argument(
        "--page-tour",
        env_var="OPS_PAGE_TOUR",
        action="store_true",
        default=False,
        help="pages: each person first visits every page of the catalog once",
    )
    group.add_argument(
        "--notification-poll",
        env_var="OPS_NOTIFICATION_POLL",
        type=float,
        default=POLL_PERIOD_S,
        help="pages: seconds between notification polls (the frontend: 60)",
    )
    webui.show_in_form(group)
    group.add_argument(  # after show_in_form, and no OPS_* variable: the capacity search's, not a setting
        "--warmup-ids",
        default="",
        help="a file of warm-up ids: used instead of a warm-up where it exists, else written by this run's",
    )
    bare_prefix.install(parser)  # `--csv X` reserves X (or X-N) before Locust opens its CSV files
