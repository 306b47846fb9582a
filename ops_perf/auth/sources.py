"""Where tokens come from: the environment (`JWT_TOKEN`, `JWT_REFRESH_TOKEN`, `.env`) and OPS itself.

`AuthClient` is the only code that talks to `/auth/login/` and `/auth/refresh/`. It sends what the
OPS frontend sends (Accept, Referer of the frontend, no Content-Type without a body) so deployed
environments accept it, and it turns every failure into an `AuthHTTPError` whose message is one
line a person can act on, and whose `status` lets the provider decide between retrying (no answer,
5xx) and giving up on that source (401/403/422).
"""

from __future__ import annotations

import email.utils
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import requests
from dotenv import dotenv_values, find_dotenv

from ops_perf import __version__
from ops_perf.auth.redact import redact, register_secret
from ops_perf.errors import OpsPerfError

ENV_TOKEN = "JWT_TOKEN"
ENV_REFRESH_TOKEN = "JWT_REFRESH_TOKEN"
USER_AGENT = f"ops-perf/{__version__} (auth)"

KNOWN_TEST_USERS: tuple[str, ...] = (
    "system_owner",
    "basic_user",
    "division_director",
    "budget_team",
    "procurement_team",
    "power_user",
    "read_only_user",
)
"""The fakeauth users OPS seeds on local, dev and stg (never prod)."""


class TokenSource(StrEnum):
    """A way to obtain an access token, in the order they are tried."""

    ENV = "env"
    REFRESH = "refresh"
    LOGIN = "login"


def parse_sources(values: object) -> tuple[TokenSource, ...]:
    """The environment's `token_sources` as enum members; an unknown name is a config error."""
    out: list[TokenSource] = []
    for value in values or ():  # type: ignore[attr-defined]
        try:
            source = TokenSource(str(value).strip().lower())
        except ValueError:
            raise OpsPerfError(
                f"unknown token source '{value}' in config/environments.toml; use env, refresh or login"
            ) from None
        if source not in out:
            out.append(source)
    return tuple(out)


def load_env(env: Mapping[str, str] | None) -> dict[str, str]:
    """The variables to read tokens from: `env` as given, else `.env` overlaid by the process env."""
    if env is not None:
        return {str(k): str(v) for k, v in env.items() if v is not None}
    merged: dict[str, str] = {}
    path = find_dotenv(usecwd=True)
    if path:
        merged.update({k: v for k, v in dotenv_values(path).items() if v is not None})
    merged.update(os.environ)
    return merged


def clean_token(raw: str | None) -> str | None:
    """A token value as people paste it: trimmed, unquoted, without a `Bearer ` prefix; None if empty.

    Layers come in any order (`"Bearer eyJ..."`, `Bearer "eyJ..."`, `'Bearer "eyJ..."'`), so they
    are peeled until nothing changes.
    """
    if raw is None:
        return None
    value, previous = raw, None
    while value != previous:
        previous = value
        value = value.strip().strip("'\"")
        if value[:7].lower() == "bearer " or value.lower() == "bearer":
            value = value[7:]
    return value or None


@dataclass(frozen=True)
class Issued:
    """An answer of `/auth/login/` or `/auth/refresh/`, with when it was asked (for clock skew)."""

    access_token: str
    refresh_token: str | None
    sent_at: float
    received_at: float
    server_date: float | None
    """The response's `Date` header (seconds, server clock), if any."""

    def __repr__(self) -> str:  # never the tokens
        return f"Issued(sent_at={self.sent_at:.3f}, received_at={self.received_at:.3f})"

    @property
    def skew_estimate(self) -> float | None:
        """Server clock minus ours, from the `Date` header: +-0.5 s plus half the round trip."""
        if self.server_date is None:
            return None
        return (self.server_date + 0.5) - (self.sent_at + self.received_at) / 2


class AuthHTTPError(OpsPerfError):
    """A login or refresh that did not give a token. `status` is None when the host did not answer."""

    def __init__(self, message: str, status: int | None) -> None:
        super().__init__(message)
        self.status = status

    @property
    def transient(self) -> bool:
        """Worth retrying: no answer, a gateway or server error, or rate limiting."""
        return self.status is None or self.status >= 500 or self.status == 429


_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")]+")


def describe_exception(err: BaseException) -> str:
    """A short, token-free reason for a failed connection (`Connection refused`, `timed out`)."""
    if isinstance(err, requests.Timeout):
        return "timed out"
    text = str(err)
    match = _ERRNO.search(text)
    if match:
        reason = match.group(0).strip()
    elif "Name or service not known" in text or "nodename nor servname" in text:
        reason = "unknown host name"
    else:
        reason = f"{type(err).__name__}: {text}"
    return redact(reason)[:160]


def _server_detail(response: requests.Response) -> str:
    """The server's own message (OPS answers `{"message": ...}`), short and redacted."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if isinstance(body, dict):
        for key in ("message", "msg", "error", "detail"):
            if isinstance(body.get(key), str) and body[key].strip():
                return redact(" ".join(body[key].split()))[:120]
    return ""


class AuthClient:
    """HTTP calls to OPS's auth routes, with explicit timeouts (cooperative under gevent)."""

    def __init__(
        self,
        host: str,
        *,
        frontend_url: str,
        timeout: float = 10.0,
        clock: Callable[[], float],
        session: requests.Session | None = None,
    ) -> None:
        self.host = host.rstrip("/")
        self.timeout = timeout
        self._clock = clock
        self._session = session or requests.Session()
        self._headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
        if frontend_url:
            self._headers["Referer"] = frontend_url if frontend_url.endswith("/") else frontend_url + "/"

    def close(self) -> None:
        self._session.close()

    def login(self, user: str) -> Issued:
        """`POST /auth/login/` as a fakeauth test user. Ends that user's earlier OPS sessions."""
        body = {"code": user, "provider": "fakeauth"}
        response, sent, received = self._post("/auth/login/", "log in", json=body)
        if response.status_code in (404, 405):
            raise AuthHTTPError(
                f"{self.host} has no test login (POST /auth/login/ answered {response.status_code}); "
                "is --host the OPS API (not the frontend), and does this environment allow the test login?",
                response.status_code,
            )
        if response.status_code in (400, 401, 403, 422):
            detail = _server_detail(response)
            known = ", ".join(KNOWN_TEST_USERS)
            raise AuthHTTPError(
                f"the test login for '{user}' was refused ({response.status_code}"
                f"{': ' + detail if detail else ''}); use one of the test users ({known}) "
                "on an environment that allows the test login (local, dev, stg)",
                response.status_code,
            )
        issued = self._issued(response, sent, received, "POST /auth/login/")
        if issued.refresh_token is None:
            raise AuthHTTPError(
                f"{self.host} answered POST /auth/login/ without a refresh_token; is --host the OPS API?",
                response.status_code,
            )
        return issued

    def refresh(self, refresh_token: str) -> Issued:
        """`POST /auth/refresh/`: the session's access token, the same one until it has expired."""
        headers = {"Authorization": f"Bearer {refresh_token}"}
        response, sent, received = self._post("/auth/refresh/", "refresh the token", headers=headers)
        if response.status_code in (401, 403, 422):
            detail = _server_detail(response)
            raise AuthHTTPError(
                f"the refresh token was refused ({response.status_code}{': ' + detail if detail else ''}); "
                "it has expired or its session ended (each login ends the user's earlier sessions); "
                "log in to OPS again and copy a new JWT_REFRESH_TOKEN",
                response.status_code,
            )
        if response.status_code in (404, 405):
            raise AuthHTTPError(
                f"{self.host} has no POST /auth/refresh/ ({response.status_code}); is --host the OPS API?",
                response.status_code,
            )
        return self._issued(response, sent, received, "POST /auth/refresh/")

    def _post(self, path: str, what: str, **kwargs: Any) -> tuple[requests.Response, float, float]:
        headers = {**self._headers, **kwargs.pop("headers", {})}
        sent = self._clock()
        try:
            response = self._session.post(
                self.host + path, headers=headers, timeout=self.timeout, allow_redirects=False, **kwargs
            )
        except requests.RequestException as err:
            raise AuthHTTPError(
                f"cannot reach {self.host} to {what}: {describe_exception(err)}; check --host / the environment's host",
                None,
            ) from None
        received = self._clock()
        if response.status_code >= 500 or response.status_code == 429:
            raise AuthHTTPError(
                f"{self.host} failed to {what} (HTTP {response.status_code} on POST {path}); "
                "the server or its gateway is in trouble: retry later",
                response.status_code,
            )
        if 300 <= response.status_code < 400:
            raise AuthHTTPError(
                f"{self.host} redirected POST {path} ({response.status_code}); "
                "is --host the OPS API (not the frontend)?",
                response.status_code,
            )
        return response, sent, received

    def _issued(self, response: requests.Response, sent: float, received: float, route: str) -> Issued:
        if response.status_code != 200:
            raise AuthHTTPError(
                f"{self.host} answered {route} with HTTP {response.status_code}, not 200; is --host the OPS API?",
                response.status_code,
            )
        try:
            body = response.json()
        except ValueError:
            body = None
        access = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(access, str) or not access:
            raise AuthHTTPError(
                f"{self.host} answered {route} without an access_token; is --host the OPS API?", response.status_code
            )
        refresh = body.get("refresh_token") if isinstance(body, dict) else None
        register_secret(access)
        if isinstance(refresh, str) and refresh:
            register_secret(refresh)
        else:
            refresh = None
        return Issued(access, refresh, sent, received, _date_header(response))


def _date_header(response: requests.Response) -> float | None:
    value = response.headers.get("Date")
    if not value:
        return None
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
