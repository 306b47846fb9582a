"""Command line and serving: parse arguments, build the simulator, serve it with gevent on 127.0.0.1.

Why gevent's WSGIServer: every simulated latency is a `gevent.sleep`, so thousands of requests can
wait at once on one thread while the CPU serves the others; a 20 s gateway timeout costs a parked
greenlet, not a thread. The server binds 127.0.0.1 only: the simulator is a local test double and
must never be reachable from elsewhere.

    python -m ops_perf.sim [--port P] [--profile NAME|FILE] [--time-scale X] [--play-env local|dev|stg|prod]
                           [--token-lifetime S] [--refresh-lifetime S] [--seed N] [--jwt-key KEY]
                           [--strict-sessions] [--log-cap N] [--workers N] [--slowdown F]
                           [--delay NAME=MS ...] [--pool-size N] [--health-without-pool-status]
                           [--per-row NAME=MS ...] [--serialise NAME=N ...] [--n-plus-one NAME ...]
                           [--html-200 NAME ...] [--db-url URL]        (or env OPS_SIM_DB_URL)

Prints `ops-perf sim: serving <profile> on http://127.0.0.1:<port>` once it accepts connections;
SIGTERM or SIGINT stop it (exit 0). Bad arguments: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import sys
import warnings
from collections.abc import Callable
from typing import Any, NoReturn

from ops_perf.errors import OpsPerfError, die
from ops_perf.exitcodes import ExitCode

HOST = "127.0.0.1"
PROG = "ops-perf sim"
DB_URL_ENV = "OPS_SIM_DB_URL"  # --db-url from the environment: kept out of the process list
READY = "ops-perf sim: serving {profile} on http://{host}:{port}"
_STOP_GRACE_S = 1.0  # in-flight requests (e.g. a parked 504) get this long after SIGTERM


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one `OpsPerfError` line instead of usage + exit."""

    def error(self, message: str) -> NoReturn:
        raise OpsPerfError(f"{message} (see --help)", ExitCode.USAGE_ERROR)


def _positive(kind: type[float] | type[int], minimum: float, what: str) -> Callable[[str], float | int]:
    """An argparse `type=` converter accepting numbers of `kind` that are >= `minimum`."""

    def convert(text: str) -> float | int:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{what} must be a number, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{what} must be >= {minimum}, got {text}")
        return value

    return convert


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be an integer 0-65535, got {text!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port must be an integer 0-65535, got {text}")
    return port


def _named_number(
    option: str, metavar: str, example: str, kind: type[float] | type[int], minimum: float, unit: str
) -> Any:
    """An argparse `type=` converter for NAME=NUMBER options (`--delay`, `--per-row`, `--serialise`)."""

    def convert(text: str) -> tuple[str, float | int]:
        name, sep, number = text.rpartition("=")
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"{option} takes {metavar} (e.g. {example}), got {text!r}")
        try:
            value = kind(number)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{option} {name}: {unit} must be a number, got {number!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"{option} {name}: {unit} must be >= {minimum}, got {number}")
        return name, value

    return convert


_delay = _named_number("--delay", "NAME=MS", "/api/v1/vendors/=500", float, 0, "milliseconds")


def build_parser() -> argparse.ArgumentParser:
    from ops_perf.sim.data import DEFAULT_SEED
    from ops_perf.sim.rules import PLAY_ENVS
    from ops_perf.sim.tokens import DEFAULT_ACCESS_LIFETIME_S, DEFAULT_REFRESH_LIFETIME_S

    parser = _Parser(prog=PROG, description="Serve a local OPS simulator on 127.0.0.1.")
    parser.add_argument(
        "--port", type=_port, default=8080, help="TCP port on 127.0.0.1, 0 for any free port (default %(default)s)"
    )
    parser.add_argument(
        "--profile",
        default="healthy",
        help="latency/failure profile: a shipped name (healthy, prod-2025-10-15, "
        "regression-demo, empty-reference, fixed-50ms, causes) or a .json/.toml file (default %(default)s)",
    )
    parser.add_argument(
        "--time-scale",
        type=_positive(float, 0.0, "time scale"),
        default=1.0,
        help="multiply every simulated delay: 0.01 replays a 20 s timeout in 0.2 s (default %(default)s, real time)",
    )
    parser.add_argument(
        "--play-env",
        choices=PLAY_ENVS,
        default="local",
        help="behave like this OPS environment: Referer check, test login allowed or not (default %(default)s)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=_positive(float, 1.0, "token lifetime"),
        default=DEFAULT_ACCESS_LIFETIME_S,
        help="access token lifetime in seconds (default %(default)s)",
    )
    parser.add_argument(
        "--refresh-lifetime",
        type=_positive(float, 1.0, "refresh lifetime"),
        default=DEFAULT_REFRESH_LIFETIME_S,
        help="refresh token lifetime in seconds (default %(default)s)",
    )
    parser.add_argument(
        "--seed", type=int, default=DEFAULT_SEED, help="dataset and sampling seed (default %(default)s)"
    )
    parser.add_argument(
        "--jwt-key", default=None, help="HS256 signing key (default: random per process); lets tests mint tokens"
    )
    parser.add_argument(
        "--strict-sessions",
        action="store_true",
        help="as OPS: using a superseded token also ends the user's live session (default: off)",
    )
    parser.add_argument(
        "--workers",
        type=_positive(int, 1, "workers"),
        default=None,
        help="serve at most N requests at once (like OPS's gunicorn workers x threads); the rest queue "
        "FIFO, and a request still unanswered at the gateway ceiling gets a 504 (default: no limit)",
    )
    parser.add_argument(
        "--slowdown",
        type=_positive(float, 0.001, "slowdown"),
        default=1.0,
        help="multiply every service time by this factor, not the gateway ceiling: a slower OPS (default %(default)s)",
    )
    parser.add_argument(
        "--delay",
        action="append",
        default=[],
        metavar="NAME=MS",
        type=_delay,
        help="add MS milliseconds to one endpoint (its Locust name, e.g. /api/v1/agreements/[id]/history/); "
        "repeatable (default: none)",
    )
    parser.add_argument(
        "--pool-size",
        type=_positive(int, 1, "pool size"),
        default=None,
        help="the database pool the health endpoint reports (checks.database_connection.pool_status.size); "
        "default: --workers when given, else 10 (SQLAlchemy's default)",
    )
    parser.add_argument(
        "--health-without-pool-status",
        action="store_true",
        help="answer /api/v1/health/ without pool_status, as an OPS that does not report its pool (default: off)",
    )
    parser.add_argument(
        "--per-row",
        action="append",
        default=[],
        metavar="NAME=MS",
        type=_named_number("--per-row", "NAME=MS", "/api/v1/budget-line-items/=2", float, 0, "milliseconds"),
        help="plant a per-row cost: MS more milliseconds per row answered (list items, or an [id] record's "
        "embedded rows) on one endpoint; repeatable; over the profile's per_row_ms (default: the profile's)",
    )
    parser.add_argument(
        "--serialise",
        action="append",
        default=[],
        metavar="NAME=N",
        type=_named_number("--serialise", "NAME=N", "/api/v1/cans/[id]=1", int, 1, "requests"),
        help="plant serialisation: at most N requests of one endpoint in service at once, the rest queue "
        "FIFO; repeatable; over the profile's serialised (default: the profile's)",
    )
    parser.add_argument(
        "--n-plus-one",
        action="append",
        default=[],
        metavar="NAME",
        help="plant an N+1 on one endpoint: with --db-url each request runs 2 + rows real SQL statements; "
        "repeatable; added to the profile's n_plus_one (default: the profile's)",
    )
    parser.add_argument(
        "--html-200",
        action="append",
        default=[],
        metavar="NAME",
        help="one endpoint answers 200 with an HTML login page (a proxy's); repeatable; added to the profile's html_200 (default: the profile's)",
    )
    parser.add_argument(
        "--db-url",
        default=None,
        metavar="URL",
        help=f"PostgreSQL (postgresql://...) where planted N+1 endpoints run real SQL, in the simulator's own "
        f"schema; never printed (env {DB_URL_ENV} keeps it out of the process list too) (default: none)",
    )
    parser.add_argument(
        "--log-cap",
        type=_positive(int, 2, "log cap"),
        default=None,
        help="most requests kept in the /__sim__/requests log (default 2,000,000)",
    )
    return parser


def _causes(args: argparse.Namespace) -> Any:
    """The causes the command line plants (validated like a profile's; merged over it by the app)."""
    from ops_perf.sim.causes import CauseError, build

    try:
        return build(
            dict(args.per_row),
            dict(args.serialise),
            args.n_plus_one,
            args.html_200,
            health_pool_status=not args.health_without_pool_status,
            where="",
            labels={
                "per_row_ms": "--per-row",
                "serialised": "--serialise",
                "n_plus_one": "--n-plus-one",
                "html_200": "--html-200",
            },
        )
    except CauseError as err:
        raise OpsPerfError(str(err), ExitCode.USAGE_ERROR) from err


def _server_class(base: type) -> type:
    """gevent's WSGIServer with TCP_NODELAY on every connection.

    pywsgi writes the headers and the body of a response in separate sends; with Nagle's algorithm
    on, the second send waits for the client's delayed ACK (~40 ms), which would cap a keep-alive
    client at ~25 requests/s. Real OPS sits behind a proxy that does not do that.
    """

    class NoDelayServer(base):  # type: ignore[misc, valid-type]
        def handle(self, sock, address):  # type: ignore[no-untyped-def]
            with contextlib.suppress(OSError):  # a connection already reset: the handler will notice
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return super().handle(sock, address)

    return NoDelayServer


def _ensure_patched() -> None:
    """Monkey-patch with gevent unless `python -m ops_perf.sim` (or Locust) already did."""
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        with warnings.catch_warnings():  # late patching warns about ssl; the simulator never uses ssl
            warnings.simplefilter("ignore")
            monkey.patch_all()


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m ops_perf.sim` and of the `ops-perf sim` subcommand."""
    _ensure_patched()
    import gevent
    import gevent.event
    from gevent.pywsgi import WSGIServer

    from ops_perf.sim.app import SimConfig, Simulator, create_app
    from ops_perf.sim.profiles import ProfileError
    from ops_perf.sim.recorder import DEFAULT_CAP
    from ops_perf.sim.sql import SqlError

    try:
        args = build_parser().parse_args(argv)
        config = SimConfig(
            profile=args.profile,
            time_scale=args.time_scale,
            play_env=args.play_env,
            token_lifetime_s=args.token_lifetime,
            refresh_lifetime_s=args.refresh_lifetime,
            seed=args.seed,
            jwt_key=args.jwt_key,
            log_cap=args.log_cap or DEFAULT_CAP,
            strict_sessions=args.strict_sessions,
            workers=args.workers,
            slowdown=args.slowdown,
            delays_ms=tuple(args.delay),
            causes=_causes(args),
            pool_size=args.pool_size,
            db_url=args.db_url or os.environ.get(DB_URL_ENV) or None,
        )
        try:
            sim = Simulator(config)
        except (ProfileError, ValueError) as err:
            raise OpsPerfError(str(err), ExitCode.USAGE_ERROR) from err
        except SqlError as err:  # its message never holds the URL
            raise OpsPerfError(f"{err} (check --db-url / ${DB_URL_ENV})", ExitCode.USAGE_ERROR) from None
        server = _server_class(WSGIServer)((HOST, args.port), create_app(sim), log=None)
        try:
            server.start()
        except OSError as err:
            raise OpsPerfError(
                f"cannot listen on {HOST}:{args.port}: {err.strerror or err} "
                "(choose another --port, or 0 for a free one)",
                ExitCode.USAGE_ERROR,
            ) from err
    except OpsPerfError as err:
        die(err, prog=PROG)

    stop = gevent.event.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        gevent.signal_handler(signum, stop.set)
    print(READY.format(profile=sim.profile.name, host=HOST, port=server.server_port), flush=True)
    try:
        stop.wait()
    finally:
        server.stop(timeout=_STOP_GRACE_S)
    print("ops-perf sim: stopped", file=sys.stderr, flush=True)
    return 0
