"""A tiny stand-in for OPS's auth, for tests/test_auth.py: the same login/refresh/session rules.

Run: `python tests/auth_server.py --port P [--lifetime 3] [--key K] [--skew S]`; prints `READY <port>`
once listening on 127.0.0.1. The rules follow the OPS backend (ops_api/ops/auth):

- `POST /auth/login/` `{"code": user, "provider": "fakeauth"}` mints an access and a refresh token and
  ends the user's earlier sessions (only the newest session is active).
- `POST /auth/refresh/` (Bearer refresh token): the newest session's access token while it has not
  expired (`exp < now` means expired), else a new one that replaces it.
- `GET /api/v1/...` (Bearer access token): 401 when expired, or when it is not the newest session's
  token (which also ends the session, as OPS does), or when the session is inactive.
- `GET /__test__/stats`: counters; `POST /__test__/end_session?user=U`: end U's session (lock timeout).

`--skew S` runs the server's clock S seconds ahead of the machine's (tokens, `Date` header, checks).
Standard library + pyjwt only, so it starts in a fraction of a second.
"""

from __future__ import annotations

import argparse
import contextlib
import email.utils
import json
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt

USERS = (
    "system_owner",
    "basic_user",
    "division_director",
    "budget_team",
    "procurement_team",
    "power_user",
    "read_only_user",
)


class State:
    def __init__(self, lifetime: float, key: str, skew: float) -> None:
        self.lifetime = lifetime
        self.key = key
        self.skew = skew
        self.lock = threading.Lock()
        self.sessions: dict[str, dict[str, object]] = {}
        self.stats = {"logins": 0, "refreshes": 0, "refresh_new": 0, "ok": 0, "unauthorized": 0}
        self.last_headers: dict[str, dict[str, str | None]] = {}

    def now(self) -> float:
        return time.time() + self.skew

    def mint(self, user: str, kind: str, lifetime: float) -> str:
        now = int(self.now())
        claims = {
            "sub": f"oidc-{user}",
            "type": kind,
            "iat": now,
            "nbf": now,
            "exp": now + int(lifetime),
            "jti": str(uuid.uuid4()),
            "fresh": kind == "access",
            "roles": ["SYSTEM_OWNER"],
        }
        return jwt.encode(claims, self.key, algorithm="HS256")

    def decode(self, token: str, kind: str) -> dict[str, object] | None:
        try:
            # Times are checked below against the (possibly skewed) server clock, not pyjwt's.
            options = {"verify_exp": False, "verify_nbf": False, "verify_iat": False}
            claims = jwt.decode(token, self.key, algorithms=["HS256"], options=options)
        except jwt.PyJWTError:
            return None
        if claims.get("type") != kind or float(claims["exp"]) < self.now():
            return None
        return claims


class Handler(BaseHTTPRequestHandler):
    state: State
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: object) -> None:  # quiet
        pass

    def date_time_string(self, timestamp: float | None = None) -> str:
        return email.utils.formatdate(self.state.now() if timestamp is None else timestamp, usegmt=True)

    def reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def bearer(self) -> str:
        value = self.headers.get("Authorization", "")
        return value[7:].strip() if value.startswith("Bearer ") else ""

    def do_POST(self) -> None:
        state = self.state
        url = urlparse(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        with state.lock:
            state.last_headers[url.path] = {
                name: self.headers.get(name) for name in ("User-Agent", "Accept", "Referer", "Content-Type")
            }
        if url.path == "/auth/login/":
            try:
                body = json.loads(raw or b"{}")
            except ValueError:
                return self.reply(400, {"message": "bad json"})
            user = body.get("code")
            if body.get("provider") != "fakeauth" or user not in USERS:
                return self.reply(401, {"message": "Failed to authenticate"})
            with state.lock:
                access = state.mint(user, "access", state.lifetime)
                refresh = state.mint(user, "refresh", 12 * 3600)
                state.sessions[f"oidc-{user}"] = {"access": access, "active": True}
                state.stats["logins"] += 1
            return self.reply(200, {"access_token": access, "refresh_token": refresh, "user": {"oidc_id": user}})
        if url.path == "/auth/refresh/":
            claims = state.decode(self.bearer(), "refresh")
            with state.lock:
                state.stats["refreshes"] += 1
                if claims is None:
                    return self.reply(401, {"message": "invalid refresh token"})
                session = state.sessions.get(str(claims["sub"]))
                if not session or not session["active"]:
                    return self.reply(401, {"message": "User session is not active."})
                current = str(session["access"])
                exp = float(jwt.decode(current, options={"verify_signature": False})["exp"])
                if not exp < state.now():
                    return self.reply(200, {"access_token": current})
                user = str(claims["sub"]).removeprefix("oidc-")
                session["access"] = state.mint(user, "access", state.lifetime)
                state.stats["refresh_new"] += 1
                return self.reply(200, {"access_token": session["access"]})
        if url.path == "/__test__/end_session":
            user = parse_qs(url.query).get("user", ["system_owner"])[0]
            with state.lock:
                if f"oidc-{user}" in state.sessions:
                    state.sessions[f"oidc-{user}"]["active"] = False
            return self.reply(200, {})
        return self.reply(404, {})

    def do_GET(self) -> None:
        state = self.state
        url = urlparse(self.path)
        if url.path == "/__test__/stats":
            with state.lock:
                return self.reply(200, {**state.stats, "last_headers": state.last_headers})
        if not url.path.startswith("/api/v1/"):
            return self.reply(404, {})
        token = self.bearer()
        claims = state.decode(token, "access")
        with state.lock:
            session = state.sessions.get(str(claims["sub"])) if claims else None
            if claims is None or not session or not session["active"] or session["access"] != token:
                if session and claims is not None:
                    session["active"] = False  # OPS ends the session when a stale token is used
                state.stats["unauthorized"] += 1
                return self.reply(401, {"message": "The request is not authorized. Please log in again."})
            state.stats["ok"] += 1
        return self.reply(200, {"ok": True})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0: any free port (printed)")
    parser.add_argument("--lifetime", type=float, default=3.0)
    parser.add_argument("--key", default="test-key-not-a-secret-0123456789abcdef")
    parser.add_argument("--skew", type=float, default=0.0)
    args = parser.parse_args()
    Handler.state = State(args.lifetime, args.key, args.skew)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    server.daemon_threads = True
    print(f"READY {server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.05)
    sys.exit(0)


if __name__ == "__main__":
    main()
