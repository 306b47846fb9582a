"""Command line and serving: parse arguments, build the simulator, serve it with gevent on 127.0.0.1.

Why gevent's WSGIServer: every simulated latency is a `gevent.sleep`, so thousands of requests can
wait at once on one thread while the CPU serves the others; a 20 s gateway timeout costs a parked
greenlet, not a thread. The server binds 127.0.0.1 only: the simulator is a local test double and
must never be reachable from elsewhere.

    python -m ops_perf.sim [--port P] [--profile NAME|FILE] [--time-scale X] [--play-env local|dev|stg|prod]
                           [--token-lifetime S] [--refresh-lifetime S] [--seed N] [--jwt-key KEY]
                           [--strict-sessions] [--log-cap N] [--workers N] [--slowdown F]
                           [--delay NAME=MS ...]

Prints `ops-perf sim: serving <profile> on http://127.0.0.1:<port>` once it accepts connections;
SIGTERM or SIGINT stop it (exit 0). Bad arguments: one line on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import sys
import warnings
from collections.abc import Callable
from typing import NoReturn

from ops_perf.errors import OpsPerfError, die
from ops_perf.exitcodes import ExitCode

HOST = "127.0.0.1"
PROG = "ops-perf sim"
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


def _delay(text: str) -> tuple[str, float]:
    name, sep, ms = text.rpartition("=")
    if not sep or not name:
        raise argparse.ArgumentTypeError(f"--delay takes NAME=MS (e.g. /api/v1/vendors/=500), got {text!r}")
    try:
        value = float(ms)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--delay {name}: milliseconds must be a number, got {ms!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"--delay {name}: milliseconds must be >= 0, got {ms}")
    return name, value


def build_parser() -> argparse.ArgumentParser:
    from ops_perf.sim.data import DEFAULT_SEED
    from ops_perf.sim.rules import PLAY_ENVS
    from ops_perf.sim.tokens import DEFAULT_ACCESS_LIFETIME_S, DEFAULT_REFRESH_LIFETIME_S

    parser = _Parser(prog=PROG, description="Serve a local OPS simulator on 127.0.0.1.")
    parser.add_argument("--port", type=_port, default=8080, help="TCP port on 127.0.0.1 (0 = any free port)")
    parser.add_argument(
        "--profile",
        default="healthy",
        help="latency/failure profile: a shipped name (healthy, prod-2025-10-15, "
        "regression-demo, empty-reference, fixed-50ms) or a .json/.toml file",
    )
    parser.add_argument(
        "--time-scale",
        type=_positive(float, 0.0, "time scale"),
        default=1.0,
        help="multiply every simulated delay (0.01 replays a 20 s timeout in 0.2 s)",
    )
    parser.add_argument(
        "--play-env",
        choices=PLAY_ENVS,
        default="local",
        help="behave like this OPS environment (Referer check, test login allowed or not)",
    )
    parser.add_argument(
        "--token-lifetime",
        type=_positive(float, 1.0, "token lifetime"),
        default=DEFAULT_ACCESS_LIFETIME_S,
        help="access token lifetime in seconds",
    )
    parser.add_argument(
        "--refresh-lifetime",
        type=_positive(float, 1.0, "refresh lifetime"),
        default=DEFAULT_REFRESH_LIFETIME_S,
        help="refresh token lifetime in seconds",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="dataset and sampling seed")
    parser.add_argument(
        "--jwt-key", default=None, help="HS256 signing key (default: random per process); lets tests mint tokens"
    )
    parser.add_argument(
        "--strict-sessions",
        action="store_true",
        help="as OPS: using a superseded token also ends the user's live session",
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
        help="multiply every service time by this factor (not the gateway ceiling): a slower OPS",
    )
    parser.add_argument(
        "--delay",
        action="append",
        default=[],
        metavar="NAME=MS",
        type=_delay,
        help="add MS milliseconds to one endpoint (its Locust name, e.g. /api/v1/agreements/[id]/history/); repeatable",
    )
    parser.add_argument(
        "--log-cap",
        type=_positive(int, 2, "log cap"),
        default=None,
        help="most requests kept in the /__sim__/requests log (default 2,000,000)",
    )
    return parser


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
        )
        try:
            sim = Simulator(config)
        except (ProfileError, ValueError) as err:
            raise OpsPerfError(str(err), ExitCode.USAGE_ERROR) from err
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
