"""Request rules OPS enforces before it answers: bearer token, Referer, no JSON Content-Type on GET.

Why separate: these are the rules a load test most often breaks by accident (a client library that
adds `Content-Type: application/json` to every request, a Referer pointing at the wrong frontend),
and the suite's tests need the simulator to break exactly where OPS would. Pure functions, no Flask.
"""

from __future__ import annotations

from urllib.parse import urlsplit

#: The frontend each deployed environment's backend demands in the Referer (facts: "What every
#: request must carry"). `local` is absent on purpose: a local backend skips the check.
FRONTENDS: dict[str, str] = {
    "dev": "https://dev.ops.opre.acf.gov",
    "stg": "https://stg.ops.opre.acf.gov",
    "prod": "https://ops.opre.acf.gov",
}
PLAY_ENVS = ("local", *FRONTENDS)

#: Environments where the fake-auth test login works (OPS: local, dev, stg; never prod).
TEST_LOGIN_ENVS = frozenset({"local", "dev", "stg"})


def referer_ok(play_env: str, referer: str | None) -> bool:
    """True when the Referer satisfies the environment being played (always, for `local`)."""
    frontend = FRONTENDS.get(play_env)
    if frontend is None:
        return True
    if not referer:
        return False
    try:
        got, want = urlsplit(referer), urlsplit(frontend)
    except ValueError:
        return False
    return got.scheme == "https" and (got.hostname or "").lower() == want.hostname


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None when there is none."""
    if not authorization:
        return None
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


def json_content_type(content_type: str | None) -> bool:
    """True for `Content-Type: application/json` (any parameters), which some OPS GETs reject."""
    return bool(content_type) and content_type.split(";", 1)[0].strip().lower() == "application/json"
