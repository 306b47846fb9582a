"""The simulator's Flask app: one catch-all view running the OPS pipeline, plus auth and admin routes.

Pipeline for an `/api/v1/...` request, in OPS's order: route match (unknown path -> 404 `{}`), bearer
token present, Referer (when playing a deployed environment), token valid and of a live session,
no JSON Content-Type on the GETs that reject it; then the profile draws latency and failure, and
the answer comes from `api.Api` (pre-serialised bytes). Why one catch-all view rather than 60 Flask
routes: the route table in `routes.py` is the single source of truth, the match is one dict lookup,
and the same lookup yields the Locust name the profile and the counts are keyed by.

Everything mutable (sessions, log, caches) lives in `Simulator`, built once per process; gevent
runs requests as greenlets on one thread, so no locks are needed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
from flask import Flask, Response, g, request

from ops_perf.sim import data, profiles
from ops_perf.sim.admin import data_query
from ops_perf.sim.api import EMPTY, Api, dumps
from ops_perf.sim.capacity import Workers
from ops_perf.sim.recorder import DEFAULT_CAP, Recorder
from ops_perf.sim.routes import locust_name, match
from ops_perf.sim.rules import PLAY_ENVS, TEST_LOGIN_ENVS, bearer_token, json_content_type, referer_ok
from ops_perf.sim.tokens import (
    DEFAULT_ACCESS_LIFETIME_S,
    DEFAULT_REFRESH_LIFETIME_S,
    NOT_AUTHORIZED,
    TokenAuthority,
    TokenError,
)

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
        outcome = self.profile.outcome(name)
        if self.workers is not None:
            service = self.workers.serve(outcome.service_s, self.profile.ceiling_s, g.arrival)
            g.queued_ms = service.queued_s * 1000.0  # request-local (one greenlet per request)
            g.service_ms = service.service_s * 1000.0
            g.release = service.release  # called once the response is ready (dispatch)
            if service.timed_out:
                return 504, _GATEWAY_PAGES[504], HTML, name
        elif outcome.delay_s > 0:
            self.sleep(outcome.delay_s)
        if outcome.status is not None:
            page = _GATEWAY_PAGES.get(outcome.status)
            return (outcome.status, page, HTML, name) if page else (outcome.status, EMPTY, JSON, name)
        status, body = self.api.respond(route, row_id, request.args, user_id)
        return status, body, JSON, name

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
            sim.recorder.finish(seq, status, name, sim.clock(), g.get("queued_ms", 0.0), g.get("service_ms", 0.0))
        finally:
            release = g.get("release")
            if release is not None:
                release()  # the worker is free once the response is ready (--workers)
        if content_type == "redirect":
            return response_class(b"", status=status, headers={"Location": body.decode()})
        return response_class(body, status=status, content_type=content_type)

    return app
