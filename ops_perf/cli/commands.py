"""`ops-perf run | report | compare | check | history | sim | demo | capacity | diagnose`: thin wrappers over the modules.

Each subcommand imports its module only when chosen, so `ops-perf --help` is instant and a broken
optional part (say, matplotlib missing) cannot take the others down. Every user-fixable problem ends
as one line on stderr and an `ExitCode`, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from ops_perf import __version__
from ops_perf.errors import OpsPerfError, die
from ops_perf.exitcodes import ExitCode
from ops_perf.settings.options import add_to_run_parser

EPILOG = """exit codes: 0 passed, 1 thresholds breached, 2 usage or input error, 3 regression,
4 run invalid (token died, generator saturated, no requests, warm-up failed everywhere),
130 interrupted (Ctrl-C: results kept and reported, not judged). See README.md."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ops-perf", description="Load tests for the OPS API.", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    parser.add_argument("--version", action="version", version=f"ops-perf {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = sub.add_parser(
        "run", help="run a scenario against an environment, then report and check", epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )  # fmt: skip
    add_run_arguments(run)
    run.add_argument("locust_args", nargs=argparse.REMAINDER, help="after --: passed to locust as they are")

    demo = sub.add_parser("demo", help="start the simulator, run a short scenario against it, write the report")
    demo.add_argument(
        "--profile",
        default=None,
        help="simulator profile: healthy, prod-2025-10-15, causes, ... (default healthy; causes with --diagnose)",
    )
    demo.add_argument(
        "--time-scale", type=float, default=None, help="simulator delay factor, e.g. 0.05 (default 1, real time)"
    )
    demo.add_argument("--scenario", default="smoke", help="the scenario (default %(default)s)")
    demo.add_argument("-t", "--run-time", default="30s", help="load time (default 30s)")
    demo.add_argument("-u", "--users", type=int, default=10, help="peak users (default %(default)s)")
    demo.add_argument("--think-time", default="0.1,0.5", help="MIN,MAX seconds (default 0.1,0.5)")
    demo.add_argument("--results-dir", type=Path, default=None, help="where the results go (default results/<today>)")
    demo.add_argument("--reports-dir", type=Path, default=None, help="where the report goes (default reports/<today>)")
    demo.add_argument(
        "--diagnose",
        action="store_true",
        help="show why: the causes profile, then ops-perf diagnose of the run and the planted routes, "
        "then the report (default off)",
    )
    demo.add_argument(
        "--db-url",
        default=None,
        help="with --diagnose: a PostgreSQL for the simulator's real N+1 SQL "
        "and pg_stat_statements (default OPS_DB_URL, else none); never printed",
    )

    for name, help_text in (
        ("report", "write PERFORMANCE_REPORT.md from Locust CSVs"),
        ("check", "judge a run against config/targets.toml"),
        ("compare", "compare a candidate run with a baseline"),
        ("history", "the results store: import runs, detect change points, draw trends"),
        ("sim", "serve the local OPS simulator"),
        ("capacity", "find the highest rate OPS serves within a tier of its targets, with evidence (open model)"),
        ("diagnose", "why the slow endpoints are slow: isolated probes, pool, statements (docs/DIAGNOSE.md)"),
    ):
        sub.add_parser(name, help=help_text, add_help=False)
    return parser


def add_run_arguments(parser: argparse.ArgumentParser) -> None:
    """`ops-perf run`'s options: the run options' table (`settings.options`), Locust's own options it
    mirrors, and its own (where results go, whether to report and check)."""
    add_to_run_parser(parser)
    parser.add_argument(
        "--host", help="another base URL, e.g. the simulator's: http://127.0.0.1:8080 (default: the environment's)"
    )
    parser.add_argument("-u", "--users", type=int, help="override the scenario: peak users (default: the scenario's)")
    parser.add_argument(
        "-r",
        "--spawn-rate",
        type=float,
        help="override the scenario: users started per second (default: the scenario's)",
    )
    parser.add_argument(
        "-t", "--run-time", help="override the scenario: load time, e.g. 90s, 10m (default: the scenario's)"
    )
    parser.add_argument(
        "--processes", type=int, help="Locust worker processes on this machine, -1 for one per core (default: none)"
    )
    parser.add_argument("--results-dir", type=Path, help="where the results go (default results/<today>)")
    parser.add_argument("--reports-dir", type=Path, help="where the report goes (default reports/<today>)")
    parser.add_argument("--no-report", action="store_true", help="skip PERFORMANCE_REPORT.md (default: written)")
    parser.add_argument("--no-check", action="store_true", help="skip the threshold check (default: checked)")


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # Subcommands that own their argument parsing get the rest of the line untouched.
    if args_list and args_list[0] in ("report", "check", "compare", "history", "sim", "capacity", "diagnose"):
        return _delegate(args_list[0], args_list[1:])
    args = build_parser().parse_args(args_list)
    try:
        if args.command == "run":
            return _run(args)
        if args.command == "demo":
            return _demo(args)
    except OpsPerfError as err:
        die(err)
    except KeyboardInterrupt:
        print("ops-perf: interrupted", file=sys.stderr)
        return int(ExitCode.INTERRUPTED)
    return int(ExitCode.USAGE_ERROR)


def _delegate(command: str, rest: list[str]) -> int:
    try:
        if command == "report":
            from ops_perf.report import main as report_main

            return report_main(rest)
        if command == "check":
            from ops_perf.verdict import check_main

            return check_main(rest)
        if command == "compare":
            from ops_perf.verdict import compare_main

            return compare_main(rest)
        if command == "capacity":
            from ops_perf.cli.capacity import main as capacity_main

            return capacity_main(rest)
        if command == "diagnose":
            from ops_perf.cli.diagnose import main as diagnose_main

            return diagnose_main(rest)
        if command == "history":
            from ops_perf.history import main as history_main

            return history_main(rest)
        from ops_perf.sim.server import main as sim_main

        return sim_main(rest)
    except OpsPerfError as err:
        die(err)


def _run(args: argparse.Namespace) -> int:
    from ops_perf.cli.run import RunRequest, execute
    from ops_perf.settings.options import apply_environment, run_options

    apply_environment(args)
    extra = tuple(a for a in args.locust_args if a != "--")
    outcome = execute(
        RunRequest(
            **{option.dest: getattr(args, option.dest) for option in run_options()},
            host=args.host, results_dir=args.results_dir, reports_dir=args.reports_dir, users=args.users,
            spawn_rate=args.spawn_rate, run_time=args.run_time, processes=args.processes,
            report=not args.no_report, check=not args.no_check, extra_args=extra,
        )
    )  # fmt: skip
    return int(outcome.exit_code)


def _demo(args: argparse.Namespace) -> int:
    from ops_perf.cli.demo import run_demo

    return int(
        run_demo(
            profile=args.profile, time_scale=args.time_scale, scenario=args.scenario, run_time=args.run_time,
            users=args.users, think_time=args.think_time, results_dir=args.results_dir,
            reports_dir=args.reports_dir, diagnose=args.diagnose, db_url=args.db_url or _db_url_from_env(),
        )
    )  # fmt: skip


def _db_url_from_env() -> str | None:
    import os

    return os.environ.get("OPS_DB_URL") or None


if __name__ == "__main__":
    raise SystemExit(main())
