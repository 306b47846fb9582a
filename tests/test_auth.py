"""Tokens: inspection and refusals, source order, sharing out, renewal against a real server, redaction.

The real-process tests start `tests/auth_server.py` (OPS's login/refresh/session rules, 127.0.0.1
only) with short-lived tokens and prove what a long run needs: zero 401s across several expiries in
one process and for a passive worker fed by the master, one renewal per token however many users
see the 401, and a clear `failed` when the server dies.
"""

from __future__ import annotations

import contextlib
import io
import logging
import subprocess
import sys
import time
import traceback
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import gevent
import jwt
import pytest
import requests

from ops_perf.auth import (
    AuthUnavailable,
    RedactingFilter,
    TokenProvider,
    TokenSource,
    check_lifetime,
    inspect_token,
    install_redaction,
    parse_token,
    redact,
    redact_headers,
    register_secret,
    uninstall_redaction,
)
from ops_perf.auth.redact import MASK, forget_secrets
from ops_perf.errors import OpsPerfError

HERE = Path(__file__).resolve().parent
KEY = "test-key-not-a-secret-0123456789abcdef"
FRONTEND = "http://localhost:3000"
ALL_SOURCES = ("env", "refresh", "login")


def mint(
    kind: str = "access",
    *,
    exp_in: float = 600.0,
    nbf_in: float | None = None,
    iat_in: float = 0.0,
    sub: str = "oidc-tester",
    drop: tuple[str, ...] = (),
) -> str:
    now = time.time()
    claims: dict[str, object] = {
        "sub": sub,
        "type": kind,
        "iat": int(now + iat_in),
        "exp": int(now + exp_in),
        "jti": uuid.uuid4().hex,
        "roles": ["SYSTEM_OWNER"],
    }
    if nbf_in is not None:
        claims["nbf"] = int(now + nbf_in)
    for claim in drop:
        claims.pop(claim, None)
    return jwt.encode(claims, KEY, algorithm="HS256")


# --- the real server --------------------------------------------------------------------------


@dataclass
class AuthServer:
    proc: subprocess.Popen[str]
    url: str

    def stats(self) -> dict[str, object]:
        return requests.get(f"{self.url}/__test__/stats", timeout=5).json()

    def end_session(self, user: str) -> None:
        requests.post(f"{self.url}/__test__/end_session?user={user}", timeout=5).raise_for_status()

    def get(self, token: str) -> int:
        return requests.get(
            f"{self.url}/api/v1/cans/", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).status_code

    def kill(self) -> None:
        self.proc.kill()
        self.proc.wait(timeout=5)


def _start(lifetime: float, skew: float = 0.0) -> AuthServer:
    cmd = [sys.executable, str(HERE / "auth_server.py"), "--lifetime", str(lifetime), "--skew", str(skew), "--key", KEY]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    line = proc.stdout.readline() if proc.stdout else ""
    if not line.startswith("READY"):
        proc.kill()
        raise RuntimeError(f"auth server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}")
    return AuthServer(proc, f"http://127.0.0.1:{int(line.split()[1])}")


@pytest.fixture
def start_server() -> Iterator[Callable[..., AuthServer]]:
    servers: list[AuthServer] = []

    def start(lifetime: float = 3.0, skew: float = 0.0) -> AuthServer:
        servers.append(_start(lifetime, skew))
        return servers[-1]

    yield start
    for server in servers:
        if server.proc.poll() is None:
            server.kill()


@pytest.fixture(scope="module")
def shared_server() -> Iterator[AuthServer]:
    server = _start(lifetime=600)
    yield server
    server.kill()


def provider_for(server_url: str, **kwargs: object) -> TokenProvider:
    options: dict[str, object] = {
        "allowed_sources": ALL_SOURCES,
        "test_users": ("system_owner",),
        "env": {},
        "frontend_url": FRONTEND,
        "timeout": 5.0,
    }
    options.update(kwargs)
    return TokenProvider(server_url, **options)  # type: ignore[arg-type]


def _login(url: str, user: str = "system_owner") -> dict[str, str]:
    response = requests.post(f"{url}/auth/login/", json={"code": user, "provider": "fakeauth"}, timeout=5)
    response.raise_for_status()
    return response.json()


# --- inspection -------------------------------------------------------------------------------


def test_inspect_token_reads_the_claims() -> None:
    info = inspect_token(mint(exp_in=1800, nbf_in=-5, sub="oidc-42"))
    assert info.subject == "oidc-42"
    assert info.token_type == "access"
    assert info.jti
    assert info.not_before is not None and info.issued_at is not None
    assert 1790 < (info.expires_at - datetime.now(UTC)).total_seconds() <= 1800
    assert info.lifetime_s == pytest.approx(1800, abs=1)


def test_expired_token_is_refused_with_utc_and_local_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        token = mint(exp_in=-3600)
        with pytest.raises(OpsPerfError) as err:
            inspect_token(token)
        message = str(err.value)
        expired = datetime.fromtimestamp(jwt.decode(token, options={"verify_signature": False})["exp"], UTC)
        local = expired.astimezone()
        assert "JWT_TOKEN expired at" in message
        assert f"{expired:%Y-%m-%d %H:%M:%S} UTC" in message
        assert f"{local:%H:%M:%S}" in message and "local" in message
        assert local.strftime("%H") != expired.strftime("%H")  # the local time really is local
        assert "60 min ago" in message
        assert "\n" not in message and token not in message
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_not_yet_valid_token_is_refused() -> None:
    with pytest.raises(OpsPerfError, match=r"not valid before .* UTC \(.* local\).*clock"):
        inspect_token(mint(nbf_in=600))


def test_refresh_token_given_as_access_token_is_refused() -> None:
    with pytest.raises(OpsPerfError, match="is a refresh token, not an access token; put it in JWT_REFRESH_TOKEN"):
        inspect_token(mint("refresh"))
    with pytest.raises(OpsPerfError, match="is an access token, not a refresh token"):
        inspect_token(mint("access"), label="JWT_REFRESH_TOKEN", expected_type="refresh")


@pytest.mark.parametrize(
    ("token", "why"),
    [
        ("", "empty"),
        ("not-a-token", "not a JWT"),
        ("abc.def", "not a JWT"),
        ("abc.def.ghi", "not a valid JWT"),
        ("eyJhbGciOiJIUzI1NiJ9.bm90IGpzb24.c2ln", "not a valid JWT"),
        ("Bearer " + "x" * 10, "starts with 'Bearer '"),
        ("NO_EXP", "no 'exp' claim"),
        ("NO_TYPE", "no 'type' claim"),
    ],
)
def test_malformed_token_is_refused(token: str, why: str) -> None:
    if token == "NO_EXP":
        token = mint(drop=("exp",))
    elif token == "NO_TYPE":
        token = mint(drop=("type",))
    with pytest.raises(OpsPerfError) as err:
        inspect_token(token)
    assert why in str(err.value)
    assert "\n" not in str(err.value)


def test_lapsing_token_is_refused_without_renewal_and_accepted_with_it() -> None:
    info = inspect_token(mint(exp_in=600))  # 10 minutes left
    with pytest.raises(OpsPerfError) as err:
        check_lifetime(info, run_seconds=20 * 60, renewable=False)
    message = str(err.value)
    assert "before the scenario ends in 20 min" in message
    assert "UTC" in message and "local" in message
    assert "set JWT_REFRESH_TOKEN or use an environment that allows the test login" in message
    check_lifetime(info, run_seconds=20 * 60, renewable=True)  # renewal configured: fine
    check_lifetime(info, run_seconds=5 * 60, renewable=False)  # outlives the run: fine


def test_provider_refuses_a_lapsing_env_token_and_says_what_to_set() -> None:
    token = mint(exp_in=300)
    only_env = provider_for("http://127.0.0.1:9", allowed_sources=("env",), env={"JWT_TOKEN": token})
    with pytest.raises(OpsPerfError, match=r"before the scenario ends in 20 min; .*test login.*shorten the run"):
        only_env.acquire(run_seconds=1200, start_renewal=False)
    prod_like = provider_for("http://127.0.0.1:9", allowed_sources=("env", "refresh"), env={"JWT_TOKEN": token})
    with pytest.raises(OpsPerfError, match="set JWT_REFRESH_TOKEN"):
        prod_like.acquire(run_seconds=1200, start_renewal=False)
    renewable = provider_for(
        "http://127.0.0.1:9",
        allowed_sources=("env", "refresh"),
        env={"JWT_TOKEN": token, "JWT_REFRESH_TOKEN": mint("refresh", exp_in=12 * 3600)},
    )
    renewable.acquire(run_seconds=1200, start_renewal=False)  # no HTTP needed: the env token is used
    assert renewable.source is TokenSource.ENV
    assert renewable.token_for(0) == token


def test_provider_refuses_a_refresh_token_that_ends_before_the_run() -> None:
    provider = provider_for(
        "http://127.0.0.1:9",
        allowed_sources=("env", "refresh"),
        env={"JWT_REFRESH_TOKEN": mint("refresh", exp_in=600)},
    )
    with pytest.raises(OpsPerfError, match=r"JWT_REFRESH_TOKEN expires at .* before the scenario ends"):
        provider.acquire(run_seconds=3600, start_renewal=False)


# --- sources ----------------------------------------------------------------------------------


def test_env_token_beats_refresh_beats_login(shared_server: AuthServer) -> None:
    url = shared_server.url
    refresh_token = _login(url, "basic_user")["refresh_token"]
    before = shared_server.stats()

    env_token = mint(exp_in=3600)
    provider = provider_for(url, env={"JWT_TOKEN": env_token, "JWT_REFRESH_TOKEN": refresh_token})
    provider.acquire(run_seconds=60, start_renewal=False)
    assert provider.source is TokenSource.ENV and provider.token_for(0) == env_token
    assert shared_server.stats()["refreshes"] == before["refreshes"]  # no HTTP for an env token

    provider = provider_for(url, env={"JWT_REFRESH_TOKEN": refresh_token})
    provider.acquire(run_seconds=60, start_renewal=False)
    assert provider.source is TokenSource.REFRESH
    assert parse_token(provider.token_for(0)).subject == "oidc-basic_user"
    after = shared_server.stats()
    assert after["refreshes"] == before["refreshes"] + 1 and after["logins"] == before["logins"]

    provider = provider_for(url, env={})
    provider.acquire(run_seconds=60, start_renewal=False)
    assert provider.source is TokenSource.LOGIN
    assert shared_server.stats()["logins"] == before["logins"] + 1
    assert provider.summary()["test_users"] == ["system_owner"]


def test_expired_env_token_is_replaced_through_the_refresh_token(shared_server: AuthServer) -> None:
    refresh_token = _login(shared_server.url, "budget_team")["refresh_token"]
    provider = provider_for(shared_server.url, env={"JWT_TOKEN": mint(exp_in=-60), "JWT_REFRESH_TOKEN": refresh_token})
    provider.acquire(run_seconds=60, start_renewal=False)
    assert provider.source is TokenSource.REFRESH


def test_login_is_refused_where_the_environment_does_not_allow_it(shared_server: AuthServer) -> None:
    provider = provider_for(shared_server.url, allowed_sources=("env", "refresh"), test_users=())
    with pytest.raises(OpsPerfError, match=r"no token: set JWT_TOKEN .* or JWT_REFRESH_TOKEN .*does not allow"):
        provider.acquire(run_seconds=60, start_renewal=False)
    no_env = provider_for(shared_server.url, allowed_sources=("login",), env={"JWT_TOKEN": mint()})
    with pytest.raises(OpsPerfError, match="JWT_TOKEN is set but this environment takes tokens only from: login"):
        no_env.acquire(run_seconds=60, start_renewal=False)
    with pytest.raises(OpsPerfError, match="never available on prod"):
        TokenProvider("https://x", allowed_sources=ALL_SOURCES, frontend_url="https://ops.opre.acf.gov")
    with pytest.raises(OpsPerfError, match="unknown token source 'sso'"):
        TokenProvider("https://x", allowed_sources=("sso",), frontend_url=FRONTEND)


def test_unreachable_host_and_unknown_user_give_one_clear_line(shared_server: AuthServer) -> None:
    dead = _start(lifetime=60)
    dead.kill()
    with pytest.raises(OpsPerfError) as err:
        provider_for(dead.url).acquire(run_seconds=60, start_renewal=False)
    assert str(err.value).startswith(f"cannot reach {dead.url} to log in: ")
    assert "check --host / the environment's host" in str(err.value)
    with pytest.raises(OpsPerfError, match=r"test login for 'nobody' was refused \(401.*system_owner, basic_user"):
        provider_for(shared_server.url, test_users=("nobody",)).acquire(run_seconds=60, start_renewal=False)


def test_auth_requests_carry_browser_headers_and_no_content_type_without_body(shared_server: AuthServer) -> None:
    refresh_token = _login(shared_server.url)["refresh_token"]
    provider_for(shared_server.url, env={"JWT_REFRESH_TOKEN": refresh_token}).acquire(60, start_renewal=False)
    provider_for(shared_server.url).acquire(60, start_renewal=False)
    seen = shared_server.stats()["last_headers"]
    assert isinstance(seen, dict)
    for path in ("/auth/login/", "/auth/refresh/"):
        assert seen[path]["User-Agent"].startswith("ops-perf/") and seen[path]["User-Agent"].endswith("(auth)")
        assert seen[path]["Accept"] == "application/json"
        assert seen[path]["Referer"] == FRONTEND + "/"
    assert seen["/auth/refresh/"]["Content-Type"] is None
    assert seen["/auth/login/"]["Content-Type"] == "application/json"


def test_test_users_are_shared_out_round_robin(shared_server: AuthServer) -> None:
    users = ("system_owner", "basic_user", "budget_team")
    provider = provider_for(shared_server.url, test_users=(*users, "basic_user"))  # duplicates dropped
    provider.acquire(run_seconds=60, start_renewal=False)
    assert provider.slot_count == 3
    subjects = [parse_token(provider.token_for(i)).subject for i in range(7)]
    assert subjects == [f"oidc-{users[i % 3]}" for i in range(7)]
    assert len({provider.token_for(i) for i in range(3)}) == 3
    summary = provider.summary()
    assert summary["source"] == "login" and summary["test_users"] == list(users)
    for token in (provider.token_for(i) for i in range(3)):
        assert shared_server.get(token) == 200
        assert token not in repr(summary) and token not in repr(provider)


# --- passive providers and 401s ---------------------------------------------------------------


def test_passive_provider_waits_for_the_masters_token_and_times_out() -> None:
    worker = TokenProvider("", frontend_url="", passive=True, wait_timeout_s=0.4)
    token = mint(exp_in=600)
    gevent.spawn_later(0.1, worker.import_tokens, {"tokens": [token], "failed": None})
    started = time.monotonic()
    assert worker.token_for(5) == token
    assert time.monotonic() - started < 0.4
    lapsing = TokenProvider("", frontend_url="", passive=True, renew_margin_s=10, wait_timeout_s=0.3)
    lapsing.set_token(mint(exp_in=5, iat_in=-3600))  # 5 s left, margin 10 s: inside the pause window
    with pytest.raises(AuthUnavailable, match="no new token from the master"):
        lapsing.token_for(0)
    with pytest.raises(RuntimeError):
        provider_for("http://127.0.0.1:9").set_token(token)
    refused: list[str] = []
    worker.on_renewal_needed = refused.append
    for _ in range(3):
        worker.on_unauthorized(token)  # a worker never renews: it asks the master, once per token
    assert refused == [token] and worker.renewals == 0
    worker.import_tokens({"tokens": [token], "failed": "master gave up"})
    with pytest.raises(AuthUnavailable, match="master gave up"):
        worker.token_for(0)


def test_many_401s_on_one_token_cause_one_renewal(start_server: Callable[..., AuthServer]) -> None:
    server = start_server(lifetime=60)
    provider = provider_for(server.url)
    provider.acquire(run_seconds=60)
    try:
        token = provider.token_for(0)
        server.end_session("system_owner")  # a lock timeout ends the session: 401 from now on
        assert server.get(token) == 401
        gevent.joinall([gevent.spawn(provider.on_unauthorized, token) for _ in range(20)], raise_error=True)
        renewed = provider.token_for(0)  # waits for the one renewal
        assert renewed != token
        assert provider.renewals == 1 and provider.unauthorized == 20
        for _ in range(5):  # stragglers with the old token trigger nothing
            provider.on_unauthorized(token)
        gevent.sleep(0.2)
        stats = server.stats()
        assert provider.renewals == 1
        assert stats["refreshes"] == 1  # refused: the session had ended
        assert stats["logins"] == 2  # so one login, never one per user
        assert server.get(renewed) == 200
        assert provider.failed is None
    finally:
        provider.stop()


def test_fresh_tokens_refused_again_and_again_stop_the_run(start_server: Callable[..., AuthServer]) -> None:
    server = start_server(lifetime=60)
    provider = provider_for(server.url)
    provider.acquire(run_seconds=60)
    try:
        for _ in range(3):
            token = provider.token_for(0)
            server.end_session("system_owner")
            provider.on_unauthorized(token)
            with contextlib.suppress(AuthUnavailable):
                provider.token_for(0)
        assert provider.failed is not None and "refused 3 freshly renewed tokens (401)" in provider.failed
        assert "frontend_url" in provider.failed
        assert server.stats()["logins"] == 4
    finally:
        provider.stop()


def test_401_on_a_token_the_server_still_holds_valid_renews_nothing(
    start_server: Callable[..., AuthServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = start_server(lifetime=60)
    provider = provider_for(server.url)
    provider.acquire(run_seconds=60)
    try:
        token = provider.token_for(0)
        with caplog.at_level(logging.WARNING, logger="ops_perf.auth"):
            for _ in range(3):
                provider.on_unauthorized(token)
            assert provider.token_for(0) == token
        assert provider.renewals == 0 and server.stats()["logins"] == 1
        assert "Referer" in caplog.text and caplog.text.count("401 to a token it still holds valid") == 1
    finally:
        provider.stop()


# --- renewal against a real server --------------------------------------------------------------


def _hammer(provider: TokenProvider, server: AuthServer, user: int, until: float, statuses: Counter[int]) -> None:
    session = requests.Session()
    while time.time() < until:
        token = provider.token_for(user)
        status = session.get(
            f"{server.url}/api/v1/cans/", headers={"Authorization": f"Bearer {token}"}, timeout=5
        ).status_code
        statuses[status] += 1
        if status == 401:
            provider.on_unauthorized(token)
        gevent.sleep(0.02)


def test_renewal_at_expiry_gives_zero_401s_in_master_and_worker(
    start_server: Callable[..., AuthServer], caplog: pytest.LogCaptureFixture
) -> None:
    server = start_server(lifetime=3)
    master = provider_for(server.url, renew_margin_s=0.5)
    worker = TokenProvider("", frontend_url="", passive=True, renew_margin_s=0.5, wait_timeout_s=10)
    broadcasts: list[str] = []

    def broadcast(token: str) -> None:
        broadcasts.append(token)
        worker.import_tokens(master.export_tokens())

    master.on_renewed = broadcast
    caplog.set_level(logging.DEBUG)
    master.acquire(run_seconds=8)
    worker.import_tokens(master.export_tokens())
    statuses: dict[str, Counter[int]] = {"master": Counter(), "worker": Counter()}
    until = time.time() + 8
    try:
        greenlets = [gevent.spawn(_hammer, master, server, i, until, statuses["master"]) for i in range(3)]
        greenlets += [gevent.spawn(_hammer, worker, server, i, until, statuses["worker"]) for i in range(3)]
        gevent.joinall(greenlets, raise_error=True)
    finally:
        master.stop()
    stats = server.stats()
    assert statuses["master"][401] == 0 and statuses["worker"][401] == 0, statuses
    assert statuses["master"][200] > 30 and statuses["worker"][200] > 30, statuses
    assert stats["unauthorized"] == 0 and stats["logins"] == 1  # never a second login
    assert master.renewals >= 2 and stats["refresh_new"] == master.renewals
    assert len(broadcasts) == master.renewals and worker.renewals == master.renewals
    assert master.summary() == {
        "source": "login",
        "renewals": master.renewals,
        "cut_short": False,
        "test_users": ["system_owner"],
        "reason": None,
        "unauthorized": 0,
    }
    assert "eyJ" not in caplog.text  # nothing logged a token


def test_renewal_follows_the_servers_clock_ahead_or_behind(start_server: Callable[..., AuthServer]) -> None:
    ahead = start_server(lifetime=4, skew=2.5)  # would expire tokens 2.5 s before our clock says
    behind = start_server(lifetime=3, skew=-0.8)  # refresh returns the same token for 0.8 s after exp
    providers = {
        "ahead": (provider_for(ahead.url, renew_margin_s=1.0), ahead),
        "behind": (provider_for(behind.url, renew_margin_s=1.0), behind),
    }
    statuses: dict[str, Counter[int]] = {name: Counter() for name in (*providers, "worker")}
    for provider, _ in providers.values():
        provider.acquire(run_seconds=5)
    master = providers["ahead"][0]
    worker = TokenProvider("", frontend_url="", passive=True, renew_margin_s=1.0)
    master.on_renewed = lambda _token: worker.import_tokens(master.export_tokens())
    worker.import_tokens(master.export_tokens())
    until = time.time() + 5
    try:
        gevent.joinall(
            [
                gevent.spawn(_hammer, provider, server, i, until, statuses[name])
                for name, (provider, server) in providers.items()
                for i in range(2)
            ]
            + [gevent.spawn(_hammer, worker, ahead, 0, until, statuses["worker"])],
            raise_error=True,
        )
    finally:
        for provider, _ in providers.values():
            provider.stop()
    assert statuses["ahead"][401] == 0 and statuses["behind"][401] == 0, statuses
    assert statuses["worker"][401] == 0 and statuses["worker"][200] > 10, statuses  # the skew travels along
    assert providers["ahead"][0].skew_s == pytest.approx(2.5, abs=0.7)
    assert providers["behind"][0].skew_s == 0.0  # below the Date header's resolution: retried instead
    assert providers["ahead"][0].renewals >= 1 and providers["behind"][0].renewals >= 1
    assert behind.stats()["refreshes"] > behind.stats()["refresh_new"]  # the same-token answers were retried


def test_a_dying_renewal_source_sets_failed_and_wakes_users(start_server: Callable[..., AuthServer]) -> None:
    server = start_server(lifetime=2)
    reasons: list[str] = []
    provider = provider_for(server.url, renew_margin_s=0.5, renew_deadline_s=0.7, on_failed=reasons.append)
    provider.acquire(run_seconds=10)
    outcome: list[BaseException] = []

    def user() -> None:
        try:
            while True:
                provider.token_for(0)
                gevent.sleep(0.05)
        except AuthUnavailable as err:
            outcome.append(err)

    waiting_user = gevent.spawn(user)
    server.kill()
    try:
        deadline = time.time() + 10
        while not provider.failed and time.time() < deadline:
            gevent.sleep(0.05)
        waiting_user.join(timeout=2)
    finally:
        provider.stop()
    assert provider.failed is not None
    assert f"cannot reach {server.url}" in provider.failed and "could not be renewed" in provider.failed
    assert "\n" not in provider.failed
    assert reasons == [provider.failed]
    assert outcome and str(outcome[0]) == provider.failed  # users are woken at once, not left waiting
    with pytest.raises(AuthUnavailable):
        provider.token_for(0)
    summary = provider.summary()
    assert summary["cut_short"] is True and summary["reason"] == provider.failed


# --- redaction --------------------------------------------------------------------------------


@pytest.fixture(autouse=False)
def clean_redaction() -> Iterator[None]:
    yield
    uninstall_redaction()
    forget_secrets()


def test_redact_masks_tokens_bearer_values_and_prefixes() -> None:
    token = mint()
    for text in (
        token,
        f"Authorization: Bearer {token}",
        f"{{'Authorization': 'Bearer {token}', 'Accept': 'application/json'}}",
        f'{{"access_token": "{token}", "refresh_token": "{mint("refresh")}"}}',
        f"JWT_TOKEN={token}",
        f"token starts {token[:20]}...",
        f"payload {token.split('.')[1]}",
        "Bearer some-opaque-value-123",
    ):
        out = redact(text)
        assert token not in out and token[:20] not in out and token.split(".")[1][:12] not in out, out
        assert "some-opaque" not in out
        assert MASK in out
    assert redact(f"{{'Authorization': 'Bearer {token}'}}") == f"{{'Authorization': 'Bearer {MASK}'}}"
    once = redact(f"Bearer {token} and {token}")
    assert redact(once) == once


def test_redact_leaves_ordinary_text_alone() -> None:
    for text in (
        "ops_perf.auth.provider: renewed via refresh",
        "https://dev.ops.opre.acf.gov/api/v1/cans/[id]?limit=10&offset=0",
        "JWT_TOKEN expired at 2026-11-27 04:00:00 UTC (05:00:00 local)",
        "HTTPError('504 Server Error: Gateway Time-out for url: /api/v1/agreements/')",
        "the bearer of bad news",
    ):
        assert redact(text) == text


def test_registered_secrets_are_masked_even_when_they_do_not_look_like_jwts(clean_redaction: None) -> None:
    secret = "opaque-session-secret-0123456789"
    register_secret(secret)
    assert secret not in redact(f"value={secret}") and secret[:20] not in redact(f"cut {secret[:20]}")


def test_redacting_filter_on_a_real_logger_and_handler() -> None:
    token = mint()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    handler.addFilter(RedactingFilter())
    log = logging.getLogger("test_auth.filter")
    log.addHandler(handler)
    log.propagate = False
    try:
        log.warning("sending %s with headers %s", token, {"Authorization": f"Bearer {token}"})
        try:
            raise ValueError(f"server rejected {token}")
        except ValueError:
            log.exception("request failed")
        log.error("stack", stack_info=True, extra={"unused": token})
    finally:
        log.removeHandler(handler)
    text = stream.getvalue()
    assert "Traceback" in text and "ValueError: server rejected" in text
    assert token not in text and token[:20] not in text
    assert text.count(MASK) >= 3


def test_a_traceback_text_with_a_token_is_redacted() -> None:
    token = mint()
    try:
        requests.Request("GET", "http://x/", headers={"Authorization": f"Bearer {token}"}).prepare()
        raise RuntimeError(f"failed with headers {{'Authorization': 'Bearer {token}'}} token={token}")
    except RuntimeError:
        text = traceback.format_exc()
    assert token in text
    assert token not in redact(text) and token[:20] not in redact(text)


def test_install_redaction_is_idempotent_and_covers_later_handlers(
    clean_redaction: None, capsys: pytest.CaptureFixture[str]
) -> None:
    root = logging.getLogger()
    install_redaction()
    install_redaction()
    assert sum(isinstance(f, RedactingFilter) for f in root.filters) == 1
    for handler in root.handlers:
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    assert sum(isinstance(f, RedactingFilter) for f in logging.getLogger("locust").filters) == 1
    # A handler added after install (as Locust's setup_logging does) is covered by the record factory.
    token = mint()
    stream = io.StringIO()
    late = logging.StreamHandler(stream)
    child = logging.getLogger("locust.runners.test_auth")
    child.addHandler(late)
    try:
        child.error("token %s", token)
    finally:
        child.removeHandler(late)
    assert token not in stream.getvalue() and MASK in stream.getvalue()
    # Uncaught exceptions go through the redacting excepthook.
    try:
        raise KeyError(token)
    except KeyError:
        sys.excepthook(*sys.exc_info())
    err = capsys.readouterr().err
    assert "KeyError" in err and token not in err
    uninstall_redaction()
    assert not any(isinstance(f, RedactingFilter) for f in root.filters)


def test_redact_headers_hides_authorization() -> None:
    token = mint()
    shown = redact_headers({"Authorization": f"Bearer {token}", "Referer": FRONTEND, "X-Echo": token})
    assert shown == {"Authorization": MASK, "Referer": FRONTEND, "X-Echo": MASK}


def test_messages_never_contain_the_token() -> None:
    token = mint(exp_in=-10)
    for bad in (token, mint("refresh"), mint(nbf_in=900)):
        with pytest.raises(OpsPerfError) as err:
            inspect_token(bad)
        assert bad not in str(err.value) and bad[:20] not in str(err.value)


def test_check_lifetime_uses_the_given_now() -> None:
    info = inspect_token(mint(exp_in=3600))
    later = datetime.now(UTC) + timedelta(minutes=50)
    with pytest.raises(OpsPerfError, match="before the scenario ends in 20 min"):
        check_lifetime(info, 1200, False, later)


# --- pasted token forms (issue 11, item 5) --------------------------------------------------------------


@pytest.mark.parametrize(
    "pasted",
    ['Bearer "{t}"', "'Bearer \"{t}\"'", '"Bearer {t}"', "Bearer '{t}'", " bearer  {t} ", '"{t}"', "{t}\n"],
)
def test_pasted_token_forms_are_cleaned(pasted: str) -> None:
    from ops_perf.auth.sources import clean_token

    token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"
    assert clean_token(pasted.format(t=token)) == token


def test_an_empty_pasted_token_is_no_token() -> None:
    from ops_perf.auth.sources import clean_token

    assert clean_token('""') is None and clean_token("Bearer ") is None and clean_token(None) is None
