"""The simulator's token authority: OPS-like JWTs, one session per user, refresh, revocation.

Why it matters: the suite's auth client (test login, refresh before expiry, give up cleanly when a
token dies) can only be tested against something that behaves like OPS here. So this mirrors the
OPS backend's rules (facts file, section Tokens):

- a login returns an access and a refresh token and *replaces* the user's earlier session, so every
  earlier token of that user gets 401;
- a refresh returns the session's current access token until it has expired, then a new one, and
  the session then only accepts the new one;
- expired, revoked or foreign-signed tokens get 401, a malformed token (not a JWT) 422;
- with `strict_sessions`, using a superseded token also ends the live session (as OPS's
  `check_user_session` does), so two processes sharing one test user knock each other out.

OPS signs with RS256; the simulator uses HS256 with a key that is random per process unless
`--jwt-key` configures it (then tests can mint their own tokens with `mint`). Tokens minted outside
the simulator carry no session, so only signature, expiry and type are checked for them. Tokens are
never logged or echoed in error bodies.
"""

from __future__ import annotations

import secrets
import time
import uuid
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jwt
from jwt.warnings import InsecureKeyLengthWarning

# Tests mint tokens with short `--jwt-key`s on purpose; the simulator is a local test double, so
# pyjwt's key-length advice is noise here (it would print on every run).
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)

ALGORITHM = "HS256"
ISSUER = "https://ops-perf-sim.local"
AUDIENCE = "https://opre-ops-backend"
DEFAULT_ACCESS_LIFETIME_S = 1800.0  # OPS: 30 minutes
DEFAULT_REFRESH_LIFETIME_S = 43200.0  # OPS: 12 hours
_VERIFIED_CAP = 10_000  # decoded tokens remembered to skip re-verifying the signature each request

NOT_AUTHORIZED = "The request is not authorized. Please log in again."
SESSION_INVALID = "The user session is invalid or has expired. Please log in again."


class TokenError(Exception):
    """A refused token: the HTTP status and the JSON body OPS answers with."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        super().__init__(f"{status} {body}")
        self.status = status
        self.body = body


def _authn(message: str) -> TokenError:
    return TokenError(401, {"error_type": "AUTHN_ERROR", "message": message})


def mint(
    key: str,
    sub: str,
    lifetime_s: float = DEFAULT_ACCESS_LIFETIME_S,
    token_type: str = "access",
    roles: list[str] | None = None,
    now: float | None = None,
    **claims: Any,
) -> str:
    """A token as OPS would sign it (but HS256 with `key`): what tests use with `--jwt-key`."""
    issued = time.time() if now is None else now
    payload: dict[str, Any] = {
        "sub": sub,
        "roles": roles or [],
        "iss": ISSUER,
        "aud": AUDIENCE,
        "iat": int(issued),
        "nbf": int(issued),
        # Whole seconds, as flask-jwt-extended writes them: a token lives (lifetime - 1, lifetime] seconds.
        "jti": str(uuid.uuid4()),
        "exp": int(issued + lifetime_s),
        "type": token_type,
        "fresh": token_type == "access",
    }
    payload.update(claims)
    return jwt.encode(payload, key, algorithm=ALGORITHM)


@dataclass
class Session:
    """A user's one live session (OPS keeps one active `user_session` row per user)."""

    access_token: str
    access_exp: float
    refresh_jti: str


class TokenAuthority:
    """Issues and checks tokens; holds the per-user sessions."""

    def __init__(
        self,
        key: str | None = None,
        access_lifetime_s: float = DEFAULT_ACCESS_LIFETIME_S,
        refresh_lifetime_s: float = DEFAULT_REFRESH_LIFETIME_S,
        clock: Callable[[], float] = time.time,
        strict_sessions: bool = False,
    ) -> None:
        self.key = key or secrets.token_urlsafe(32)
        # OPS's check_user_session also *ends* the user's live session when a superseded (but still
        # unexpired) token is used; off by default, since the facts only promise the 401 itself.
        self.strict_sessions = strict_sessions
        self.access_lifetime_s = access_lifetime_s
        self.refresh_lifetime_s = refresh_lifetime_s
        self.clock = clock
        self.nonce = secrets.token_hex(8)  # marks tokens this process issued (they are session-checked)
        self._sessions: dict[str, Session] = {}
        self._verified: dict[str, dict[str, Any]] = {}

    # ---- issuing -------------------------------------------------------------------------------
    def _issue(self, sub: str, roles: list[str], token_type: str, lifetime_s: float, fresh: bool) -> str:
        return mint(self.key, sub, lifetime_s, token_type, roles, now=self.clock(), fresh=fresh, sim=self.nonce)

    def login(self, sub: str, roles: list[str]) -> tuple[str, str]:
        """New access + refresh tokens; the user's earlier session (and all its tokens) ends."""
        access = self._issue(sub, roles, "access", self.access_lifetime_s, fresh=True)
        refresh = self._issue(sub, roles, "refresh", self.refresh_lifetime_s, fresh=False)
        refresh_claims = self._decode(refresh)
        self._sessions[sub] = Session(access, self._decode(access)["exp"], refresh_claims["jti"])
        return access, refresh

    def refresh(self, refresh_token: str) -> str:
        """The session's access token while it is valid, else a new one that replaces it."""
        claims = self._decode(refresh_token)
        if claims.get("type") != "refresh":
            raise TokenError(422, {"msg": "Only refresh tokens are allowed"})
        sub = str(claims.get("sub"))
        session = self._sessions.get(sub)
        if claims.get("sim") == self.nonce and (session is None or session.refresh_jti != claims.get("jti")):
            raise _authn(SESSION_INVALID)  # a refresh token of an ended session
        if session is not None and session.access_exp > self.clock():
            return session.access_token
        access = self._issue(sub, list(claims.get("roles") or []), "access", self.access_lifetime_s, fresh=False)
        refresh_jti = session.refresh_jti if session else str(claims.get("jti"))
        self._sessions[sub] = Session(access, self._decode(access)["exp"], refresh_jti)
        return access

    # ---- checking ------------------------------------------------------------------------------
    def check_access(self, token: str) -> dict[str, Any]:
        """The claims of a usable access token, or TokenError (401 / 422) saying why not."""
        claims = self._decode(token)
        if claims.get("type", "access") != "access":
            raise TokenError(422, {"msg": "Only non-refresh tokens are allowed"})
        if claims.get("sim") == self.nonce:
            sub = str(claims.get("sub"))
            session = self._sessions.get(sub)
            if session is None or session.access_token != token:
                if session is not None and self.strict_sessions:
                    del self._sessions[sub]
                raise _authn(SESSION_INVALID)
        return claims

    def _decode(self, token: str) -> dict[str, Any]:
        now = self.clock()
        claims = self._verified.get(token)
        if claims is None:
            try:
                claims = jwt.decode(
                    token,
                    self.key,
                    algorithms=[ALGORITHM],
                    options={
                        "verify_aud": False,
                        "verify_exp": False,
                        "verify_nbf": False,
                        "verify_iat": False,
                        "require": ["exp", "sub"],
                    },
                )
            except jwt.InvalidSignatureError as err:
                raise TokenError(401, {"msg": "Signature verification failed"}) from err
            except jwt.DecodeError as err:  # not a JWT at all: flask-jwt-extended answers 422
                raise TokenError(422, {"msg": _decode_reason(err)}) from err
            except jwt.InvalidTokenError as err:  # wrong algorithm, missing claims, ...
                raise TokenError(401, {"msg": "Invalid token"}) from err
            if len(self._verified) >= _VERIFIED_CAP:
                self._verified.clear()
            self._verified[token] = claims
        # Time checks run on every use (a cached token still expires), against the injectable clock.
        if float(claims["exp"]) <= now:
            raise TokenError(401, {"msg": "Token has expired"})
        if float(claims.get("nbf", 0)) > now + 1:
            raise TokenError(401, {"msg": "The token is not yet valid (nbf)"})
        return claims


def _decode_reason(err: Exception) -> str:
    """A fixed reason (never pyjwt's text, which may quote parts of the token)."""
    return "Not enough segments" if "segments" in str(err) else "Invalid token format"
