"""The simulator's token authority (unit level, with a hand-driven clock) and its request log."""

from __future__ import annotations

import jwt
import pytest

from ops_perf.sim.recorder import Recorder
from ops_perf.sim.rules import bearer_token, json_content_type, referer_ok
from ops_perf.sim.tokens import TokenAuthority, TokenError, mint

KEY = "unit-test-key-of-at-least-32-bytes!"  # pyjwt warns about shorter HMAC keys


class Clock:
    def __init__(self, now: float = 1_800_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def authority(clock: Clock) -> TokenAuthority:
    return TokenAuthority(KEY, access_lifetime_s=60, refresh_lifetime_s=600, clock=clock)


def _status(authority: TokenAuthority, token: str) -> int:
    try:
        authority.check_access(token)
    except TokenError as err:
        return err.status
    return 200


UNVERIFIED_TIMES = {"verify_aud": False, "verify_exp": False, "verify_iat": False, "verify_nbf": False}


def test_login_issues_ops_like_claims(authority: TokenAuthority, clock: Clock) -> None:
    access, refresh = authority.login("oidc-1", ["SYSTEM_OWNER"])
    claims = jwt.decode(access, KEY, algorithms=["HS256"], options=UNVERIFIED_TIMES)
    assert {"sub", "roles", "iss", "aud", "iat", "nbf", "jti", "exp", "type", "fresh"} <= set(claims)
    assert claims["type"] == "access" and claims["fresh"] is True and claims["roles"] == ["SYSTEM_OWNER"]
    assert claims["exp"] == int(clock.now + 60)
    refresh_claims = jwt.decode(refresh, KEY, algorithms=["HS256"], options=UNVERIFIED_TIMES)
    assert refresh_claims["type"] == "refresh" and refresh_claims["exp"] == int(clock.now + 600)


def test_refresh_returns_the_same_token_until_it_expires_then_a_new_one(
    authority: TokenAuthority, clock: Clock
) -> None:
    access, refresh = authority.login("oidc-1", [])
    assert authority.refresh(refresh) == access
    clock.now += 61
    assert _status(authority, access) == 401
    new = authority.refresh(refresh)
    assert new != access and _status(authority, new) == 200
    assert authority.refresh(refresh) == new  # stable again until it expires


def test_a_new_login_ends_the_earlier_session(authority: TokenAuthority) -> None:
    old_access, old_refresh = authority.login("oidc-1", [])
    new_access, _ = authority.login("oidc-1", [])
    assert _status(authority, old_access) == 401
    with pytest.raises(TokenError) as refused:
        authority.refresh(old_refresh)
    assert refused.value.status == 401
    assert _status(authority, new_access) == 200  # (lenient default) the new session lives on
    other, _ = authority.login("oidc-2", [])
    assert _status(authority, other) == 200  # sessions are per user


def test_strict_sessions_end_the_live_session_on_a_stale_token(clock: Clock) -> None:
    strict = TokenAuthority(KEY, 60, 600, clock, strict_sessions=True)
    old, _ = strict.login("oidc-1", [])
    new, _ = strict.login("oidc-1", [])
    assert _status(strict, old) == 401
    assert _status(strict, new) == 401


def test_refused_tokens_and_their_statuses(authority: TokenAuthority, clock: Clock) -> None:
    _, refresh = authority.login("oidc-1", [])
    assert _status(authority, "not-a-jwt") == 422
    assert _status(authority, mint("another-key-also-at-least-32-bytes", "oidc-1")) == 401
    assert _status(authority, refresh) == 422  # a refresh token where an access token belongs
    assert _status(authority, mint(KEY, "x", now=clock.now - 120, lifetime_s=60)) == 401
    with pytest.raises(TokenError) as wrong_type:
        authority.refresh(authority.login("oidc-3", [])[0])
    assert wrong_type.value.status == 422


def test_tokens_minted_with_the_configured_key_are_accepted(authority: TokenAuthority, clock: Clock) -> None:
    assert _status(authority, mint(KEY, "someone", now=clock.now)) == 200


def test_error_bodies_never_quote_the_token(authority: TokenAuthority) -> None:
    bad = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl-secret-part"
    with pytest.raises(TokenError) as refused:
        authority.check_access(bad)
    assert "secret-part" not in str(refused.value.body)


@pytest.mark.parametrize(
    ("env", "referer", "ok"),
    [
        ("local", None, True),
        ("dev", "https://dev.ops.opre.acf.gov/agreements", True),
        ("dev", "https://DEV.ops.opre.acf.gov", True),
        ("dev", "http://dev.ops.opre.acf.gov/", False),
        ("dev", "https://stg.ops.opre.acf.gov/", False),
        ("prod", "https://ops.opre.acf.gov/", True),
        ("prod", "https://ops.opre.acf.gov.evil.example/", False),
        ("stg", None, False),
        ("stg", "not a url", False),
    ],
)
def test_referer_rule(env: str, referer: str | None, ok: bool) -> None:
    assert referer_ok(env, referer) is ok


def test_header_parsing() -> None:
    assert bearer_token("Bearer abc") == "abc" and bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Basic abc") is None and bearer_token("Bearer ") is None and bearer_token(None) is None
    assert json_content_type("application/json; charset=utf-8") and not json_content_type("text/plain")
    assert not json_content_type(None)


def test_recorder_counts_exactly_and_caps_the_log() -> None:
    recorder = Recorder(cap=10)
    for i in range(25):
        seq = recorder.start(float(i), "GET", f"/p{i % 3}", "", "ua", None, None, None, i % 2 == 0)
        recorder.finish(seq, 200 if i < 24 else 504, "/name")
    entries = recorder.requests()
    assert len(entries) <= 10 and recorder.dropped == 25 - len(entries)
    assert [e["t"] for e in entries] == sorted(e["t"] for e in entries) and entries[-1]["t"] == 24.0
    assert entries[-1]["status"] == 504 and entries[-1]["has_bearer"] is True and entries[-1]["referer"] == ""
    counts = recorder.counts()
    assert counts["total"] == 25 and sum(counts["by_path"].values()) == 25
    assert counts["by_status"] == {"200": 24, "504": 1} and counts["by_name"] == {"/name": 25}
    recorder.reset()
    assert recorder.requests() == [] and recorder.counts()["total"] == 0
