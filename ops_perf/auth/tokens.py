"""Token inspection: what a JWT says about itself, and why a run would refuse it.

The signature is never checked: the key belongs to the server, and the server checks it on every
request anyway. What a load test must know *before* it starts is whether the token can carry the
run: it is an OPS access token (structure, `type == "access"`), it is valid now (`nbf`, `exp`) and
it lives to the end of the scenario (or can be renewed). Every refusal is one line that names the
problem, the instant in UTC *and* local time (people read their own clock; servers log UTC), and
what to do.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import jwt

from ops_perf.errors import OpsPerfError

ACCESS = "access"
REFRESH = "refresh"

_DECODE_OPTIONS: dict[str, bool] = {
    "verify_signature": False,
    "verify_exp": False,
    "verify_nbf": False,
    "verify_iat": False,
    "verify_aud": False,
    "verify_iss": False,
    "verify_sub": False,
    "verify_jti": False,
}


@dataclass(frozen=True)
class TokenInfo:
    """The claims a load test cares about. Holds no part of the token itself (safe to log)."""

    subject: str
    token_type: str
    issued_at: datetime | None
    not_before: datetime | None
    expires_at: datetime
    jti: str | None

    @property
    def expires_ts(self) -> float:
        return self.expires_at.timestamp()

    @property
    def lifetime_s(self) -> float | None:
        """`exp - iat`: how long the server makes such tokens live (None without `iat`)."""
        if self.issued_at is None:
            return None
        return (self.expires_at - self.issued_at).total_seconds()


def _now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    return now if now.tzinfo is not None else now.replace(tzinfo=UTC)


def format_instant(moment: datetime) -> str:
    """`2026-11-27 04:00:00 UTC (05:00:00 local)`; the local date is shown when it differs."""
    utc = moment.astimezone(UTC)
    local = moment.astimezone()
    local_text = local.strftime("%H:%M:%S") if local.date() == utc.date() else local.strftime("%Y-%m-%d %H:%M:%S")
    return f"{utc.strftime('%Y-%m-%d %H:%M:%S')} UTC ({local_text} local)"


def format_duration(seconds: float) -> str:
    """A human duration: `45 s`, `20 min`, `2 h 5 min`, `3 d 4 h`."""
    seconds = abs(seconds)
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    minutes = round(seconds / 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def _claim_time(payload: dict[str, object], claim: str, label: str) -> datetime | None:
    value = payload.get(claim)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise OpsPerfError(f"{label} is malformed: its '{claim}' claim is not a number of seconds; {_COPY_HINT}")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        raise OpsPerfError(f"{label} is malformed: its '{claim}' claim is out of range; {_COPY_HINT}") from None


_COPY_HINT = "copy the whole token (three dot-separated parts, without 'Bearer ')"


def parse_token(token: str, *, label: str = "JWT_TOKEN") -> TokenInfo:
    """Decode the claims without judging them (structure only). Raises `OpsPerfError` if malformed.

    Used as is for tokens the server has just issued: their `nbf`/`exp` are in the server's clock,
    which the provider accounts for separately.
    """
    if not isinstance(token, str) or not token.strip():
        raise OpsPerfError(f"{label} is empty; set it to an OPS access token")
    token = token.strip()
    if token.lower().startswith("bearer "):
        raise OpsPerfError(f"{label} starts with 'Bearer '; give the token alone")
    if token.count(".") != 2:
        raise OpsPerfError(
            f"{label} is not a JWT (it has {token.count('.') + 1} dot-separated parts, not 3); {_COPY_HINT}"
        )
    try:
        jwt.get_unverified_header(token)
        payload = jwt.decode(token, options=_DECODE_OPTIONS)  # type: ignore[arg-type]
    except jwt.PyJWTError as err:
        # pyjwt's messages describe the structure, never the token text.
        raise OpsPerfError(f"{label} is not a valid JWT ({err}); {_COPY_HINT}") from None
    if not isinstance(payload, dict):
        raise OpsPerfError(f"{label} is not a valid JWT (its payload is not a JSON object); {_COPY_HINT}")
    expires_at = _claim_time(payload, "exp", label)
    if expires_at is None:
        raise OpsPerfError(f"{label} has no 'exp' claim, so it is not an OPS token; {_COPY_HINT}")
    token_type = payload.get("type")
    jti = payload.get("jti")
    return TokenInfo(
        subject=str(payload.get("sub", "")),
        token_type=str(token_type) if token_type is not None else "",
        issued_at=_claim_time(payload, "iat", label),
        not_before=_claim_time(payload, "nbf", label),
        expires_at=expires_at,
        jti=str(jti) if jti is not None else None,
    )


def check_type(info: TokenInfo, *, label: str, expected: str = ACCESS) -> None:
    """Refuse a token of the wrong kind, saying where it belongs instead."""
    if info.token_type == expected:
        return
    if expected == ACCESS and info.token_type == REFRESH:
        raise OpsPerfError(
            f"{label} is a refresh token, not an access token; put it in JWT_REFRESH_TOKEN "
            "(it is exchanged at POST /auth/refresh/) and leave JWT_TOKEN unset or give it an access token"
        )
    if expected == REFRESH and info.token_type == ACCESS:
        raise OpsPerfError(f"{label} is an access token, not a refresh token; put it in JWT_TOKEN instead")
    shown = f"type '{info.token_type}'" if info.token_type else "no 'type' claim"
    raise OpsPerfError(f"{label} has {shown}, expected '{expected}'; use an OPS {expected} token")


def inspect_token(
    token: str, *, now: datetime | None = None, label: str = "JWT_TOKEN", expected_type: str = ACCESS
) -> TokenInfo:
    """Decode and judge a token given by a person (env / `.env`), by this machine's clock.

    Raises `OpsPerfError` when it is malformed, of the wrong type, expired or not yet valid.
    """
    info = parse_token(token, label=label)
    check_type(info, label=label, expected=expected_type)
    current = _now(now)
    renew_hint = (
        "get a fresh access token (log in to OPS and copy it) or set JWT_REFRESH_TOKEN"
        if expected_type == ACCESS
        else "log in to OPS again and copy a new refresh token"
    )
    if info.expires_at <= current:
        ago = format_duration((current - info.expires_at).total_seconds())
        raise OpsPerfError(
            f"{label} expired at {format_instant(info.expires_at)}, {ago} ago (by this machine's clock); {renew_hint}"
        )
    if info.not_before is not None and info.not_before > current:
        wait = format_duration((info.not_before - current).total_seconds())
        raise OpsPerfError(
            f"{label} is not valid before {format_instant(info.not_before)}, {wait} from now; "
            "check this machine's clock (it may be behind the server's) or wait"
        )
    return info


def check_lifetime(
    info: TokenInfo,
    run_seconds: float,
    renewable: bool,
    now: datetime | None = None,
    *,
    label: str = "JWT_TOKEN",
    fix: str = "set JWT_REFRESH_TOKEN or use an environment that allows the test login",
) -> None:
    """Refuse a token that lapses before the scenario ends, unless it can be renewed.

    `fix` is what the message tells the user to set; the provider words it for the sources the
    environment allows.
    """
    current = _now(now)
    ends_in = max(0.0, float(run_seconds))
    remaining = (info.expires_at - current).total_seconds()
    if remaining >= ends_in or renewable:
        return
    raise OpsPerfError(
        f"{label} expires at {format_instant(info.expires_at)}, in {format_duration(remaining)}, "
        f"before the scenario ends in {format_duration(ends_in)}; {fix}"
    )
