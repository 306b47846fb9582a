"""The simulator's Flask app: one catch-all view running the OPS pipeline, plus auth and admin routes.

Pipeline for an `/api/v1/...` request, in OPS's order: route match (unknown path -> 404 `{}`), bearer
token present, Referer (when playing a deployed environment), token valid and of a live session,
no JSON Content-Type on the GETs that reject it; then the answer is looked up in `api.Api`
(pre-serialised bytes; its rows price a planted per-row cost), the profile draws latency and
failure, the request waits out its service (a serialised route's slot, the workers, its real SQL:
`causes.py`, `capacity.py`, `sql.py`), and it gets the answer, a failure, a planted HTML page, or
the health body with the live pool (`pool.py`). Why one catch-all view rather than 60 Flask
routes: the route table in `routes.py` is the single source of truth, the match is one dict lookup,
and the same lookup yields the Locust name the profile and the counts are keyed by.

Everything mutable (sessions, log, caches) lives in `Simulator`, built once per process; gevent
runs requests as greenlets on one thread, so no locks are needed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import gevent
from flask import Flask, Response, g, request

from ops_perf.sim import data, profiles
from ops_perf.sim.admin import causes_report, data_query, heavy_records
from ops_perf.sim.api import EMPTY, Api, dumps
from ops_perf.sim.capacity import Service, Workers
from ops_perf.sim.causes import LOGIN_PAGE, LOGIN_PAGE_TYPE, Causes, RowCounter
from ops_perf.sim.pool import DEFAULT_POOL_SIZE, InService, PoolGauge, health_body
from ops_perf.sim.recorder import DEFAULT_CAP, Recorder
from ops_perf.sim.routes import Route, locust_name, match
from ops_perf.sim.rules import PLAY_ENVS, TEST_LOGIN_ENVS, bearer_token, json_content_type, referer_ok
from ops_perf.sim.tokens import (
    DEFAULT_ACCESS_LIFETIME_S,
    DEFAULT_REFRESH_LIFETIME_S,
    NOT_AUTHORIZED,
    TokenAuthority,
    TokenError,
)

if TYPE_CHECKING:
    from ops_perf.sim.sql import SqlRunner

JSON = "application/json"
HTML = "text/html"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

_NOT_AUTHORIZED = dumps({"error_type": "AUTHN_ERROR", "message": NOT_AUTHORIZED})
_GATEWAY_PAGES = {
    status: (
        f"<html>\r\n<head><title>{status} {text}</title></head>\r\n<body>\r\n"
        f"<center><h1>{status} {text}</h1></center>\r\n</body>\r\n</html>\r\n"
    ).encode()
    for status, text in ((502, "Bad Gateway"), (503, "Service Temporarily Unavailable"), (504, "Gateway Time-out"))
}

Answer = tuple[int, bytes, str, str | None]  # status, body, content type, Locust name (None: not an OPS route)


@dataclass(frozen=True)
class SimConfig:
    """Everything `python -m ops_perf.sim` can be told."""

    profile: str = "healthy"
    time_scale: float = 1.0
    play_env: str = "local"
    token_lifetime_s: float = DEFAULT_ACCESS_LIFETIME_S
    refresh_lifetime_s: float = DEFAULT_REFRESH_LIFETIME_S
    seed: int = data.DEFAULT_SEED
    jwt_key: str | None = None
    log_cap: int = DEFAULT_CAP
    strict_sessions: bool = False
    workers: int | None = None  # None: infinite capacity; N: at most N requests served at once (capacity.py)
    slowdown: float = 1.0  # every service time x this; the gateway ceiling stays
    delays_ms: tuple[tuple[str, float], ...] = ()  # (Locust name, extra ms) for single endpoints
    causes: Causes = field(default_factory=Causes)  # planted causes of slowness, over the profile's (causes.py)
    pool_size: int | None = None  # the health pool's size (None: --workers when given, else 10)
    db_url: str | None = field(default=None, repr=False)  # PostgreSQL for a planted N+1's SQL; never printed


class Simulator:
    """The state of one simulated OPS: profile, dataset, rendered bodies, sessions, request log."""

    def __init__(
        self, config: SimConfig, sleep: Callable[[float], Any] = gevent.sleep, clock: Callable[[], float] = time.time
    ) -> None:
        if config.play_env not in PLAY_ENVS:
            raise ValueError(f"unknown environment to play {config.play_env!r}; choose one of {', '.join(PLAY_ENVS)}")
        self.config = config
        self.profile = profiles.load(
            config.profile,
            time_scale=config.time_scale,
            seed=config.seed,
            slowdown=config.slowdown,
            delays_ms=dict(config.delays_ms),
        )
        self.workers = Workers(config.workers, clock, sleep) if config.workers else None
        self.dataset = data.build(config.seed, empty_tables=self.profile.empty_tables)
        self.api = Api(self.dataset)
        self.causes = self.profile.causes.merged(config.causes)
        self.rows = RowCounter(self.dataset)
        # A serialised route: its own FIFO of N slots in front of the workers (capacity.Workers, N = slots).
        self.gates = {key: Workers(slots, clock, sleep) for key, slots in self.causes.serialised.items()}
        self.in_service = InService()
        workers = self.workers
        usage = (lambda: (workers.busy, workers.busy_peak)) if workers is not None else self.in_service.usage
        self.pool = PoolGauge(config.pool_size or config.workers or DEFAULT_POOL_SIZE, usage)
        self.sql: SqlRunner | None = None
        if config.db_url:
            from ops_perf.sim.sql import SqlRunner, plan_for  # psycopg only when asked for

            plans = {name: plan_for(name) for name in self.causes.n_plus_one}
            self.sql = SqlRunner(config.db_url, self.dataset, plans)
        self._heavy: list[dict[str, Any]] | None = None
        self.tokens = TokenAuthority(
            config.jwt_key, config.token_lifetime_s, config.refresh_lifetime_s, clock, config.strict_sessions
        )
        self.recorder = Recorder(config.log_cap)
        self.sleep = sleep
        self.clock = clock
        self._test_users = {row["test_code"]: row for row in self.dataset.rows("users") if row["test_code"]}
        self._user_ids = {row["oidc_id"]: row["id"] for row in self.dataset.rows("users")}

    # ---- the OPS surface -----------------------------------------------------------------------
    def handle_api(self, method: str, path: str) -> Answer:
        found = match(path)
        if found is None:
            if not path.endswith("/") and match(path + "/") is not None:
                query = request.query_string.decode("latin-1")
                return 308, (path + "/" + (f"?{query}" if query else "")).encode(), "redirect", None
            return 404, EMPTY, JSON, None
        route, row_id = found
        if method not in ("GET", "HEAD"):
            return 405, EMPTY, JSON, None
        user_id: int | None = None
        if route.auth:
            token = bearer_token(request.headers.get("Authorization"))
            if token is None or not referer_ok(self.config.play_env, request.headers.get("Referer")):
                return 401, _NOT_AUTHORIZED, JSON, None
            try:
                claims = self.tokens.check_access(token)
            except TokenError as err:
                return err.status, dumps(err.body), JSON, None
            subject = str(claims.get("sub", ""))
            self.recorder.count_user(subject)
            user_id = self._user_ids.get(subject)
            if route.json_get_400 and json_content_type(request.headers.get("Content-Type")):
                return 400, EMPTY, JSON, None
        name = locust_name(route, request.args)
        return self._serve(route, row_id, name, user_id)

    def _serve(self, route: Route, row_id: int | None, name: str, user_id: int | None) -> Answer:
        """The profile's delay (+ per-row cost), the capacity model, the planted causes, the answer.

        The answer is looked up first (a cached dict lookup) because its rows price the work; the
        client gets it once the service is over.
        """
        causes = self.causes
        status, body, items = self.api.respond_counted(route, row_id, request.args, user_id)
        rows = g.rows = self.rows.count(route, row_id, status, items)
        outcome = self.profile.outcome(name, causes.row_ms(name) * rows)
        work: Callable[[], None] | None = None
        if self.sql is not None and outcome.status is None and status in (200, 404) and causes.plants_n_plus_one(name):
            sql, planted = self.sql, self._planted(causes.n_plus_one, name)

            def run_sql() -> None:  # inside the service time (capacity.Workers.serve, or before the sleep)
                g.sql_statements = sql.run(planted, row_id, rows)

            work = run_sql
        if self._wait(name, outcome, work):
            return 504, _GATEWAY_PAGES[504], HTML, name
        if outcome.status is not None:
            page = _GATEWAY_PAGES.get(outcome.status)
            return (outcome.status, page, HTML, name) if page else (outcome.status, EMPTY, JSON, name)
        if causes.answers_html(name):
            return 200, LOGIN_PAGE, LOGIN_PAGE_TYPE, name
        if route.render == "health":
            return 200, dumps(health_body(self.pool.status() if causes.health_pool_status else None)), JSON, name
        return status, body, JSON, name

    @staticmethod
    def _planted(keys: tuple[str, ...], name: str) -> str:
        return name if name in keys else name.split("?", 1)[0]

    def _wait(self, name: str, outcome: profiles.Outcome, work: Callable[[], None] | None) -> bool:
        """Hold the request for its service (queues, slots, workers, its real work): True = gateway 504.

        In order: a serialised route's own FIFO (`causes.serialised`), then the workers (`--workers`),
        else its own delay. Without `--workers` the request counts as in service (the health pool's
        `checked_out`) from here until its answer is ready.
        """
        on_done: list[Callable[[], None]] = g.on_done
        ceiling = self.profile.ceiling_s
        gate_key = self.causes.gate(name)
        gate = self.gates[gate_key] if gate_key is not None else None
        if self.workers is None:
            self.in_service.enter()
            on_done.append(self.in_service.leave)
        if gate is not None and self.workers is None:
            return self._record(gate.serve(outcome.service_s, ceiling, g.arrival, work), on_done)
        if gate is not None:
            timeout = None if ceiling is None else max(0.0, ceiling - (self.clock() - g.arrival))
            if gate.acquire(timeout) is None:
                gate.timed_out_in_queue += 1
                g.queued_ms = (self.clock() - g.arrival) * 1000.0
                return True
            on_done.append(lambda: gate.release(self.clock()))
        if self.workers is not None:
            return self._record(self.workers.serve(outcome.service_s, ceiling, g.arrival, work), on_done)
        started = self.clock()
        if work is not None:
            work()
        remaining = outcome.delay_s - (self.clock() - started)
        if remaining > 0:
            self.sleep(remaining)
        return False

    @staticmethod
    def _record(service: Service, on_done: list[Callable[[], None]]) -> bool:
        g.queued_ms = service.queued_s * 1000.0  # request-local (one greenlet per request)
        g.service_ms = service.service_s * 1000.0
        if service.release is not None:
            on_done.append(service.release)  # the worker is free once the response is ready (dispatch)
        return service.timed_out

    def handle_login(self) -> Answer:
        name = "/auth/login/"
        if not referer_ok(self.config.play_env, request.headers.get("Referer")):
            return 401, _NOT_AUTHORIZED, JSON, name
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict) or not payload.get("code") or not payload.get("provider"):
            return 400, dumps({"message": "Request body needs 'code' and 'provider'."}), JSON, name
        if payload["provider"] != "fakeauth" or self.config.play_env not in TEST_LOGIN_ENVS:
            return (
                401,
                dumps(
                    {
                        "error_type": "PROVIDER_ERROR",
                        "message": (
                            "There was an error with the authentication provider. Please contact the system administrator."
                        ),
                    }
                ),
                JSON,
                name,
            )
        user = self._test_users.get(str(payload["code"]))
        if user is None:
            return (
                401,
                dumps(
                    {
                        "error_type": "USER_NOT_FOUND",
                        "message": ("No user found. Please contact the system administrator."),
                    }
                ),
                JSON,
                name,
            )
        access, refresh = self.tokens.login(user["oidc_id"], list(user["roles"]))
        body = {"access_token": access, "refresh_token": refresh, "user": self.api.views.user(user)}
        return 200, dumps(body), JSON, name

    def handle_refresh(self) -> Answer:
        name = "/auth/refresh/"
        token = bearer_token(request.headers.get("Authorization"))
        if token is None or not referer_ok(self.config.play_env, request.headers.get("Referer")):
            return 401, _NOT_AUTHORIZED, JSON, name
        try:
            access = self.tokens.refresh(token)
        except TokenError as err:
            return err.status, dumps(err.body), JSON, name
        return 200, dumps({"access_token": access}), JSON, name

    def queue_stats(self) -> dict[str, int] | None:
        """The workers' state and high-water marks (None with infinite capacity)."""
        return self.workers.stats() if self.workers is not None else None

    def causes_info(self) -> dict[str, Any]:
        """`/__sim__/info` `causes`: what is planted and the facts a diagnosis is held to (admin.py)."""
        if self._heavy is None:  # rendered once, on first ask (the bodies fill the cache anyway)
            self._heavy = heavy_records(self.api, self.rows)
        return causes_report(self.causes, self.dataset, self._heavy)

    # ---- the admin surface (not OPS; for tests) ------------------------------------------------
    def handle_admin(self, method: str, path: str) -> tuple[int, bytes]:
        if path == "/__sim__/requests" and method == "GET":
            try:
                offset = int(request.args.get("offset", 0))
                limit = int(request.args["limit"]) if "limit" in request.args else None
            except ValueError:
                return 400, dumps({"message": "offset and limit must be integers"})
            entries = self.recorder.requests(offset, limit)
            return 200, json.dumps({"requests": entries, "dropped": self.recorder.dropped}).encode()
        if path == "/__sim__/counts" and method == "GET":
            return 200, dumps(self.recorder.counts() | {"queue": self.queue_stats()})
        if path == "/__sim__/reset" and method == "POST":
            self.recorder.reset()
            if self.workers is not None:
                self.workers.reset_counts()
            return 200, dumps({"reset": True})
        if path == "/__sim__/info" and method == "GET":
            return 200, dumps(
                {
                    "profile": self.profile.name,
                    "time_scale": self.profile.time_scale,
                    "play_env": self.config.play_env,
                    "seed": self.config.seed,
                    "gateway_timeout_s": self.profile.gateway_timeout_s,
                    "slowdown": self.profile.slowdown,
                    "delays_ms": self.profile.delays_ms,
                    "workers": self.config.workers,
                    "mean_service_ms": {
                        name: round(self.profile.mean_service_s(name) * 1000.0, 3)
                        for name in sorted(self.profile.behaviours)
                    },
                    "queue": self.queue_stats(),
                    "pool": self.pool.status(),
                    "causes": self.causes_info(),
                    "db": self.sql.stats() if self.sql is not None else None,
                    "current_fiscal_year": self.dataset.current_fy,
                    "fiscal_years": list(self.dataset.fiscal_years),
                    "sizes": self.dataset.sizes(),
                }
            )
        if path.startswith("/__sim__/data") and method == "GET":
            return data_query(self.dataset, path.removeprefix("/__sim__/data").strip("/"), request.args)
        return 404, EMPTY


def create_app(sim: Simulator) -> Flask:
    """The WSGI app over `sim` (served by gevent in `server.py`; Flask's test client in unit tests)."""
    app = Flask("ops_perf.sim")
    app.config["MAX_CONTENT_LENGTH"] = 1 << 20
    response_class = app.response_class

    @app.route("/", defaults={"path": ""}, methods=ALL_METHODS)
    @app.route("/<path:path>", methods=ALL_METHODS)
    def dispatch(path: str) -> Response:
        full_path = request.path
        method = request.method
        if full_path.startswith("/__sim__/"):
            status, body = sim.handle_admin(method, full_path)
            return response_class(body, status=status, content_type=JSON)
        headers = request.headers
        g.arrival = sim.clock()
        g.on_done = []  # called once the response is ready: free the worker / slot / connection
        seq = sim.recorder.start(
            g.arrival,
            method,
            full_path,
            request.query_string.decode("latin-1"),
            headers.get("User-Agent"),
            headers.get("Referer"),
            headers.get("Accept"),
            headers.get("Content-Type"),
            bearer_token(headers.get("Authorization")) is not None,
        )
        try:
            if full_path == "/auth/login/" and method == "POST":
                status, body, content_type, name = sim.handle_login()
            elif full_path == "/auth/refresh/" and method == "POST":
                status, body, content_type, name = sim.handle_refresh()
            else:
                status, body, content_type, name = sim.handle_api(method, full_path)
            sim.recorder.finish(
                seq,
                status,
                name,
                sim.clock(),
                g.get("queued_ms", 0.0),
                g.get("service_ms", 0.0),
                g.get("rows", 0),
                g.get("sql_statements", 0),
            )
        finally:
            for done in g.on_done:
                done()
        if content_type == "redirect":
            return response_class(b"", status=status, headers={"Location": body.decode()})
        return response_class(body, status=status, content_type=content_type)

    return app
