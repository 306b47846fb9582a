"""The token provider: one bearer token (or one per test user) for every simulated user of a process.

Renewal strategy, and why
-------------------------
OPS makes two things impossible. `POST /auth/refresh/` returns the *same* access token until that
token has expired (`exp < now` on the server), and only then a new one; so refreshing early buys
nothing. And every `POST /auth/login/` ends the user's earlier sessions; so a process that logs in
again kills the token every other process still holds. What remains, and what this module does:

1. Acquire once, in one process (the master, or the only process): `JWT_TOKEN`, else
   `JWT_REFRESH_TOKEN` exchanged at `/auth/refresh/`, else the test login (which also hands out
   a refresh token). Tokens are checked before any user spawns (`tokens.py`).
2. Pause, don't gamble: from `exp - renew_margin_s` (default 2 s; at most a quarter of the token's
   lifetime) `token_for()` makes users *wait* (a gevent Event, bounded by `wait_timeout_s`)
   instead of sending a token that could lapse in flight: a 401 for an expired token is a failure
   the run would record.
3. Renew at expiry: just after `exp` (in the server's clock: the `Date` header tells us how far it
   is from ours when that is more than a second) the process calls `/auth/refresh/`. Same token
   again means the server's clock is behind: retry with a short bounded backoff. A refused refresh
   (session ended, refresh token expired), or no new token within `renew_deadline_s`, falls back to
   the test login where the environment allows it. One renewal per token, not per user: a single
   greenlet per token renews while all the users of that token wait on it.
4. Distributed runs: the master's provider is the only one that renews. `on_renewed` lets the
   master broadcast (`export_tokens()`); workers run a `passive=True` provider that receives
   tokens (and the master's estimate of the server's clock skew) with `import_tokens()`, pauses
   its users at `exp - margin` like the master (keep the machines' clocks in NTP sync) and never
   calls OPS itself.
5. A 401 mid-run (`on_unauthorized(token_used)`): at most one renewal per token generation; a
   stale token (already replaced) triggers nothing. If refresh answers with the very token the
   server refused, the 401 was not about expiry (Referer, gateway): warn once, renew nothing.
   Three 401-driven renewals of one token within a minute, or a source that cannot renew
   (unreachable, refused and no login allowed), set `failed` to a one-line reason, wake every
   waiting user with `AuthUnavailable`, and call `on_failed`: the hooks stop the run and run.json
   records it as cut short by auth.

With the same clock on both sides this gives zero 401s in a run longer than the token lifetime;
`tests/test_auth.py` proves it against a real server with 3 s tokens, including master + worker.
"""

from __future__ import annotations

import logging
import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlparse

import gevent
from gevent.event import Event

from ops_perf.auth.redact import redact, register_secret
from ops_perf.auth.sources import (
    ENV_REFRESH_TOKEN,
    ENV_TOKEN,
    AuthClient,
    AuthHTTPError,
    Issued,
    TokenSource,
    clean_token,
    load_env,
    parse_sources,
)
from ops_perf.auth.tokens import (
    REFRESH,
    TokenInfo,
    check_lifetime,
    check_type,
    format_duration,
    format_instant,
    inspect_token,
    parse_token,
)
from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode

logger = logging.getLogger("ops_perf.auth")

PROD_FRONTEND_HOSTS = frozenset({"ops.opre.acf.gov"})
"""The test login never exists on prod; refusing it here guards against a mis-edited config."""
AFTER_EXPIRY_S = 0.05
"""How long after `exp` to ask for the new token (OPS mints one only once `exp < now`)."""
FIRST_BACKOFF_S = 0.05
MAX_BACKOFF_S = 0.5
SKEW_THRESHOLD_S = 1.0
"""Clock differences below this are within the `Date` header's resolution: treated as none."""
UNAUTHORIZED_BURST = 3
UNAUTHORIZED_WINDOW_S = 60.0


class AuthUnavailable(OpsPerfError):
    """No usable token: renewal failed, or none arrived in time. `str()` is the one-line reason."""

    def __init__(self, message: str) -> None:
        super().__init__(message, ExitCode.RUN_INVALID)


@dataclass(eq=False)
class _Slot:
    """One token and the users that share it (slot `i` serves users `i`, `i + n`, `i + 2n`, ...)."""

    index: int
    user: str | None = None
    token: str | None = None
    info: TokenInfo | None = None
    refresh_token: str | None = None
    refresh_expires: float | None = None
    generation: int = 0
    pause_at: float = math.inf
    refresh_at: float = math.inf
    renewing: bool = False
    changed: Event = field(default_factory=Event)
    handled_generation: int = -1
    unauthorized_renewals: deque[float] = field(default_factory=deque)
    warned_generation: int = -1

    def __repr__(self) -> str:  # never the tokens
        return f"_Slot(index={self.index}, user={self.user!r}, generation={self.generation})"


class TokenProvider:
    """Bearer tokens for the simulated users of one process; see the module docstring for why.

    Active (master / single process): `acquire()` then users call `token_for()`; renewal runs in
    the background. Passive (`passive=True`, workers): tokens arrive via `import_tokens()` /
    `set_token()`; `token_for()` waits for one.
    """

    def __init__(
        self,
        host: str,
        *,
        allowed_sources: Iterable[str | TokenSource] = (),
        test_users: Sequence[str] = ("system_owner",),
        env: Mapping[str, str] | None = None,
        frontend_url: str,
        timeout: float = 10.0,
        passive: bool = False,
        renew_margin_s: float = 2.0,
        wait_timeout_s: float = 60.0,
        renew_deadline_s: float = 30.0,
        on_renewed: Callable[[str], None] | None = None,
        on_failed: Callable[[str], None] | None = None,
        on_renewal_needed: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.host = host.rstrip("/")
        self.frontend_url = frontend_url
        self.passive = passive
        self.allowed_sources = parse_sources(allowed_sources)
        self.test_users: tuple[str, ...] = tuple(dict.fromkeys(u.strip() for u in test_users if u and u.strip()))
        self.timeout = timeout
        self.renew_margin_s = max(0.0, renew_margin_s)
        self.wait_timeout_s = wait_timeout_s
        self.renew_deadline_s = renew_deadline_s
        self.on_renewed = on_renewed
        """Called with each renewed token (not the first one): the master broadcasts from here."""
        self.on_failed = on_failed
        """Called once with the reason when the token can no longer be renewed. Its owner tells the user
        (the hooks: "stopping the run: <reason>"); without one, the provider logs the reason itself."""
        self.on_renewal_needed = on_renewal_needed
        """Passive only: called with a token the server refused (401), to ask the master to renew."""
        self._env = env
        self._clock = clock

        self.source: TokenSource | None = None
        self.renewals = 0
        self.unauthorized = 0
        self.failed: str | None = None
        self.skew_s = 0.0
        """Server clock minus ours, when it is large enough to matter (else 0)."""

        self._slots: list[_Slot] = []
        self._slots_changed = Event()
        self._wake = Event()
        self._stopped = False
        self._scheduler: gevent.Greenlet | None = None
        self._workers: set[gevent.Greenlet] = set()
        self._client: AuthClient | None = None

        if not passive and TokenSource.LOGIN in self.allowed_sources:
            frontend_host = (urlparse(frontend_url).hostname or "").lower()
            if frontend_host in PROD_FRONTEND_HOSTS:
                raise OpsPerfError(
                    f'the test login is never available on prod ({frontend_url}); remove "login" from '
                    "prod's token_sources in config/environments.toml and set JWT_TOKEN or JWT_REFRESH_TOKEN"
                )

    def __repr__(self) -> str:
        return (
            f"TokenProvider(host={self.host!r}, source={self.source}, slots={len(self._slots)}, "
            f"renewals={self.renewals}, passive={self.passive}, failed={self.failed is not None})"
        )

    # --- acquisition --------------------------------------------------------------------------

    def acquire(self, run_seconds: float, *, start_renewal: bool = True) -> None:
        """Get and check the token(s) before any user spawns; raise `OpsPerfError` with one line.

        Sources in order: `JWT_TOKEN`, `JWT_REFRESH_TOKEN`, the test login (one login per test
        user). A token that lapses before `run_seconds` is refused unless it can be renewed.
        Starts the background renewal unless `start_renewal=False`.
        """
        if self.passive:
            raise RuntimeError("a passive provider receives its tokens with import_tokens()/set_token()")
        self.stop()
        self._stopped = False
        self._slots, self.source, self.renewals, self.failed = [], None, 0, None

        values = load_env(self._env)
        token = clean_token(values.get(ENV_TOKEN))
        refresh = clean_token(values.get(ENV_REFRESH_TOKEN))
        for secret in (token, refresh):
            if secret:
                register_secret(secret)
        allowed = self.allowed_sources
        if token and TokenSource.ENV not in allowed:
            raise OpsPerfError(self._not_allowed(ENV_TOKEN, TokenSource.ENV))
        if refresh and TokenSource.REFRESH not in allowed:
            raise OpsPerfError(self._not_allowed(ENV_REFRESH_TOKEN, TokenSource.REFRESH))

        now = self._clock()
        now_dt = datetime.fromtimestamp(now, UTC)
        run_end = now + max(0.0, float(run_seconds))
        refresh_info = (
            inspect_token(refresh, now=now_dt, label=ENV_REFRESH_TOKEN, expected_type=REFRESH) if refresh else None
        )

        if token:
            info = parse_token(token, label=ENV_TOKEN)
            check_type(info, label=ENV_TOKEN)
            if info.expires_ts <= now and refresh_info is not None:
                logger.warning(
                    "JWT_TOKEN expired at %s; exchanging JWT_REFRESH_TOKEN for a new one",
                    format_instant(info.expires_at),
                )
                token = None
            else:
                info = inspect_token(token, now=now_dt, label=ENV_TOKEN)
        if token:
            renewable, fix = self._renewability(refresh_info, run_end)
            check_lifetime(info, run_seconds, renewable, now_dt, label=ENV_TOKEN, fix=fix)
            slot = self._new_slot(refresh_token=refresh, refresh_info=refresh_info)
            self._install(slot, token, info)
            self.source = TokenSource.ENV
        elif refresh and refresh_info is not None:
            if refresh_info.expires_ts < run_end and not self._login_allowed():
                raise OpsPerfError(
                    f"JWT_REFRESH_TOKEN expires at {format_instant(refresh_info.expires_at)}, before the "
                    f"scenario ends in {format_duration(run_seconds)}; log in to OPS again for a new refresh "
                    "token, or shorten the run"
                )
            issued = self._http().refresh(refresh)
            self._observe_skew(issued)
            slot = self._new_slot(refresh_token=refresh, refresh_info=refresh_info)
            self._install(slot, issued.access_token, self._accept(issued, "POST /auth/refresh/"))
            self.source = TokenSource.REFRESH
        elif TokenSource.LOGIN in allowed:
            if not self.test_users:
                raise OpsPerfError(
                    "this environment allows the test login but lists no test_users; set test_users in "
                    'config/environments.toml (e.g. ["system_owner"]) or set JWT_TOKEN'
                )
            for user in self.test_users:
                issued = self._http().login(user)
                self._observe_skew(issued)
                slot = self._new_slot(user=user)
                self._set_refresh(slot, issued.refresh_token, "POST /auth/login/")
                self._install(slot, issued.access_token, self._accept(issued, "POST /auth/login/"))
            self.source = TokenSource.LOGIN
        else:
            raise OpsPerfError(self._no_token())

        first = self._slots[0].info
        assert first is not None
        who = (
            f" as {len(self._slots)} test user(s): {', '.join(s.user or '?' for s in self._slots)}"
            if self.source is TokenSource.LOGIN
            else ""
        )
        logger.info(
            "token from %s%s; expires at %s; renewed %s",
            self.source.value,
            who,
            format_instant(first.expires_at),
            "at expiry" if self._renewable_now(self._slots[0]) else "never (no way to renew configured)",
        )
        if start_renewal:
            self.start_background_renewal()

    def _new_slot(
        self, *, user: str | None = None, refresh_token: str | None = None, refresh_info: TokenInfo | None = None
    ) -> _Slot:
        slot = _Slot(index=len(self._slots), user=user, refresh_token=refresh_token)
        if refresh_info is not None:
            slot.refresh_expires = refresh_info.expires_ts
        self._slots.append(slot)
        return slot

    def _set_refresh(self, slot: _Slot, refresh_token: str | None, route: str) -> None:
        slot.refresh_token = refresh_token
        slot.refresh_expires = None
        if refresh_token:
            try:
                slot.refresh_expires = parse_token(refresh_token, label=f"the refresh token from {route}").expires_ts
            except OpsPerfError:
                slot.refresh_expires = None  # not a JWT we can read: use it until the server refuses it

    def _login_allowed(self) -> bool:
        return TokenSource.LOGIN in self.allowed_sources and bool(self.test_users)

    def _renewable_now(self, slot: _Slot) -> bool:
        return self._login_allowed() or slot.refresh_token is not None

    def _renewability(self, refresh_info: TokenInfo | None, run_end: float) -> tuple[bool, str]:
        """Can an env token be renewed until the end of the run, and if not, what should be set."""
        if self._login_allowed():
            return True, ""
        if refresh_info is not None and refresh_info.expires_ts >= run_end:
            return True, ""
        fixes = []
        if refresh_info is not None:
            fixes.append(
                f"JWT_REFRESH_TOKEN expires too (at {format_instant(refresh_info.expires_at)}): copy a new one"
            )
        elif TokenSource.REFRESH in self.allowed_sources:
            fixes.append("set JWT_REFRESH_TOKEN")
        if TokenSource.LOGIN not in self.allowed_sources:
            fixes.append("use an environment that allows the test login")
        fixes.append("shorten the run")
        return False, ", or ".join(fixes)

    def _not_allowed(self, variable: str, source: TokenSource) -> str:
        allowed = ", ".join(s.value for s in self.allowed_sources) or "none"
        return (
            f"{variable} is set but this environment takes tokens only from: {allowed}; unset {variable} "
            f'or add "{source.value}" to its token_sources in config/environments.toml'
        )

    def _no_token(self) -> str:
        if not self.allowed_sources:
            return "this environment allows no token source; set token_sources in config/environments.toml"
        wanted = []
        if TokenSource.ENV in self.allowed_sources:
            wanted.append("JWT_TOKEN (an OPS access token)")
        if TokenSource.REFRESH in self.allowed_sources:
            wanted.append("JWT_REFRESH_TOKEN")
        return (
            f"no token: set {' or '.join(wanted)} in the environment or in .env; "
            "this environment does not allow the test login"
        )

    def _http(self) -> AuthClient:
        if self._client is None:
            self._client = AuthClient(
                self.host, frontend_url=self.frontend_url, timeout=self.timeout, clock=self._clock
            )
        return self._client

    def _accept(self, issued: Issued, route: str) -> TokenInfo:
        """Check a token the server just gave: structure and type only (its times are the server's)."""
        label = f"the token from {route}"
        info = parse_token(issued.access_token, label=label)
        check_type(info, label=label)
        return info

    def _observe_skew(self, issued: Issued) -> None:
        estimate = issued.skew_estimate
        if estimate is None:
            return
        round_trip = max(0.0, issued.received_at - issued.sent_at)
        skew = estimate if abs(estimate) > SKEW_THRESHOLD_S + round_trip / 2 else 0.0
        if abs(skew - self.skew_s) > 0.5:
            logger.warning(
                "the server's clock is %+.1f s from this machine's; token renewal follows the server's", skew
            )
        self.skew_s = skew

    def _margin(self, info: TokenInfo) -> float:
        lifetime = info.lifetime_s
        if lifetime is not None and lifetime > 0:
            return min(self.renew_margin_s, lifetime / 4)
        return self.renew_margin_s

    def _install(self, slot: _Slot, token: str, info: TokenInfo) -> None:
        """Make `token` the slot's current one and wake everyone waiting on the slot."""
        register_secret(token)
        slot.token, slot.info = token, info
        slot.generation += 1
        self._retime(slot, info)
        self._notify(slot)

    def _retime(self, slot: _Slot, info: TokenInfo) -> None:
        """When users must pause and when to renew, in this machine's clock."""
        expires_local = info.expires_ts - self.skew_s
        slot.pause_at = expires_local - self._margin(info)
        slot.refresh_at = expires_local + AFTER_EXPIRY_S

    def _notify(self, slot: _Slot) -> None:
        event, slot.changed = slot.changed, Event()
        event.set()
        self._wake.set()
        self._slots_changed.set()

    # --- what users call ----------------------------------------------------------------------

    def token_for(self, user_index: int) -> str:
        """The current token for the `user_index`-th simulated user (test users dealt round-robin).

        Waits (at most `wait_timeout_s`) while the token is about to expire or being renewed, so no
        request leaves with a token that may lapse in flight. Raises `AuthUnavailable` when renewal
        failed or no token came in time.
        """
        deadline: float | None = None
        while True:
            if self.failed:
                raise AuthUnavailable(self.failed)
            now = self._clock()
            wake_in: float | None = None
            if self._slots:
                slot = self._slots[user_index % len(self._slots)]
                event = slot.changed
                if slot.token is not None and not slot.renewing and now < slot.pause_at:
                    return slot.token
                if self._stopped:
                    raise AuthUnavailable("token renewal was stopped and the token is about to expire")
                if not self.passive and not slot.renewing and slot.token is not None:
                    if now >= slot.refresh_at:
                        self._start_renewal(slot, "expiry")
                        continue
                    wake_in = slot.refresh_at - now
            else:
                if self._stopped:
                    raise AuthUnavailable("the token provider was stopped before it had a token")
                event = self._slots_changed
                event.clear()
            if deadline is None:
                deadline = now + self.wait_timeout_s
            remaining = deadline - now
            if remaining <= 0:
                raise AuthUnavailable(self._timeout_reason())
            timeout = remaining if wake_in is None else max(0.005, min(remaining, wake_in))
            event.wait(timeout)

    def _timeout_reason(self) -> str:
        waited = format_duration(self.wait_timeout_s)
        if self.passive:
            return f"no new token from the master within {waited}; is the master still running?"
        return f"the token was not renewed within {waited}; the server may be unreachable or overloaded"

    def on_unauthorized(self, token_used: str) -> None:
        """A request sent with `token_used` got a 401: renew, at most once per token generation.

        Returns at once (the renewal runs in its own greenlet; the next `token_for()` waits for it).
        The caller records the request as the failure it was.
        """
        self.unauthorized += 1
        slot = next((s for s in self._slots if s.token == token_used), None)
        if slot is None or slot.handled_generation == slot.generation:
            return  # an older token (already replaced), or this one's 401 is being handled
        slot.handled_generation = slot.generation
        if self.passive:
            if self.on_renewal_needed is not None:
                self._call(self.on_renewal_needed, token_used, "on_renewal_needed")
            return
        self._start_renewal(slot, "unauthorized")

    def renew_refused(self, token_used: str) -> None:
        """The server refused `token_used` before the run (the probe's 401): renew it now, here.

        Unlike a 401 mid-run this waits for the renewal and raises `OpsPerfError` with one line when
        there is none (no refresh token, no test login, or refresh hands back the very token the
        server refused): the run has not started, so it must not start with a dead token.
        """
        slot = next((s for s in self._slots if s.token == token_used), None)
        if slot is None or self.passive:
            return
        if not self._renewable_now(slot):
            reason = self._cannot_renew(slot, "unauthorized", "no way to renew the token is configured")
            raise OpsPerfError(f"before the run: {reason}")
        generation = slot.generation
        reasons: list[str] = []
        on_failed, self.on_failed = self.on_failed, reasons.append  # the caller says it, in one line
        slot.renewing = True
        try:
            self._renew(slot, "unauthorized")
        finally:
            slot.renewing = False
            self.on_failed = on_failed
            self._notify(slot)
        if self.failed:
            reason, self.failed = self.failed, None
            if not reason.startswith("the server refused"):
                reason = f"the server refused the token (401) and {reason}"
            raise OpsPerfError(f"before the run: {reason}")
        if slot.generation == generation:
            raise OpsPerfError(
                "the server refused the token (401) before the run, but refresh hands back the same token (so it is "
                f"not an expiry); check that frontend_url ({self.frontend_url}) is the environment's frontend "
                "(the Referer OPS checks) and that no one else logs in as the same user"
            )

    # --- passive side (workers) ---------------------------------------------------------------

    def set_token(self, token: str, slot: int = 0) -> None:
        """Install a token received from the master (passive providers; also usable in tests)."""
        if not self.passive:
            raise RuntimeError("only a passive provider takes tokens from outside; an active one renews itself")
        label = "the token from the master"
        info = parse_token(token, label=label)
        check_type(info, label=label)
        while len(self._slots) <= slot:
            self._new_slot()
        target = self._slots[slot]
        if target.token == token:
            return
        if target.token is not None:
            self.renewals += 1
        self._install(target, token, info)

    def export_tokens(self) -> dict[str, Any]:
        """What the master sends workers: every slot's token, the server's clock skew, the failure if any."""
        return {"tokens": [s.token for s in self._slots], "skew_s": self.skew_s, "failed": self.failed}

    def import_tokens(self, data: Mapping[str, Any] | Sequence[str]) -> None:
        """Install what `export_tokens()` produced on the master (passive providers).

        The master's estimate of the server's clock skew comes along, so workers pause their users
        by the server's clock too (exact on one machine; across machines, keep clocks in NTP sync).
        """
        tokens = data.get("tokens", []) if isinstance(data, Mapping) else list(data)
        skew = data.get("skew_s") if isinstance(data, Mapping) else None
        if isinstance(skew, int | float) and skew != self.skew_s:
            self.skew_s = float(skew)
            for slot in self._slots:
                if slot.token is not None and slot.info is not None:
                    self._retime(slot, slot.info)
                    self._notify(slot)
        for index, token in enumerate(tokens):
            if token:
                self.set_token(token, slot=index)
        if len(tokens) and len(self._slots) > len(tokens):
            del self._slots[len(tokens) :]
        if isinstance(data, Mapping) and data.get("failed"):
            self.mark_failed(str(data["failed"]))

    def mark_failed(self, reason: str) -> None:
        """Record that tokens can no longer be had (e.g. the master said so); wakes all waiters."""
        self._fail(reason)

    # --- renewal ------------------------------------------------------------------------------

    def start_background_renewal(self) -> None:
        """Renew each token just after its expiry, even in a process with no users (the master)."""
        if self.passive or self._stopped or (self._scheduler is not None and not self._scheduler.dead):
            return
        self._scheduler = gevent.spawn(self._schedule)

    def stop(self) -> None:
        """Stop renewing (end of the run). Tokens still valid are still handed out."""
        self._stopped = True
        current = gevent.getcurrent()
        greenlets = [g for g in (self._scheduler, *self._workers) if g is not None and not g.dead and g is not current]
        if greenlets:
            gevent.killall(greenlets, block=False)
        self._scheduler = None
        self._workers.clear()
        for slot in self._slots:
            slot.renewing = False
            self._notify(slot)
        self._slots_changed.set()
        if self._client is not None:
            self._client.close()
            self._client = None

    def _schedule(self) -> None:
        while not self._stopped and not self.failed:
            self._wake.clear()
            now = self._clock()
            next_due = math.inf
            for slot in list(self._slots):
                if slot.token is None or slot.renewing:
                    continue
                if now >= slot.refresh_at:
                    self._start_renewal(slot, "expiry")
                else:
                    next_due = min(next_due, slot.refresh_at)
            self._wake.wait(min(max(next_due - now, 0.005), 60.0))

    def _start_renewal(self, slot: _Slot, reason: str) -> None:
        if slot.renewing or self._stopped or self.failed:
            return
        slot.renewing = True
        greenlet = gevent.spawn(self._renew_guarded, slot, reason)
        self._workers.add(greenlet)
        greenlet.link(self._workers.discard)

    def _renew_guarded(self, slot: _Slot, reason: str) -> None:
        try:
            self._renew(slot, reason)
        except gevent.GreenletExit:
            raise
        except OpsPerfError as err:
            self._fail(f"the token could not be renewed: {err}")
        except Exception as err:  # a bug must stop the run cleanly, not leave users waiting
            logger.exception("token renewal crashed")
            self._fail(f"the token could not be renewed: {type(err).__name__}: {err}")
        finally:
            slot.renewing = False
            self._notify(slot)

    def _renew(self, slot: _Slot, reason: str) -> None:
        """Get a token other than the slot's current one; on giving up, `_fail()` with the reason."""
        old = slot.token
        assert slot.info is not None
        started = self._clock()
        deadline = started + self.renew_deadline_s
        backoff = FIRST_BACKOFF_S
        prefer_login = False
        last_error = "no way to renew the token is configured"
        while not self._stopped and not self.failed:
            now = self._clock()
            near_expiry = now >= slot.pause_at
            refresh_usable = slot.refresh_token is not None and (
                slot.refresh_expires is None or slot.refresh_expires - self.skew_s > now
            )
            if refresh_usable and not prefer_login:
                assert slot.refresh_token is not None
                try:
                    issued = self._http().refresh(slot.refresh_token)
                except AuthHTTPError as err:
                    last_error = str(err)
                    if not err.transient:
                        logger.warning("token refresh refused: %s", err)
                        slot.refresh_token = None
                        continue  # next: the login, if allowed
                else:
                    self._observe_skew(issued)
                    if issued.access_token != old:
                        self._renewed(slot, issued, "refresh", reason)
                        return
                    if reason == "unauthorized" and not near_expiry:
                        self._warn_unexplained_401(slot)
                        return
                    last_error = (
                        "POST /auth/refresh/ kept returning the token that is expiring (the server's clock "
                        "may be behind this machine's; sync both with NTP)"
                    )
            elif self._login_allowed():
                user = slot.user or self.test_users[0]
                try:
                    issued = self._http().login(user)
                except AuthHTTPError as err:
                    last_error = str(err)
                    if not err.transient:
                        self._fail(f"the token could not be renewed: {err}")
                        return
                else:
                    self._observe_skew(issued)
                    if slot.user is None:
                        logger.warning("renewing JWT_TOKEN by the test login: the run continues as '%s'", user)
                    slot.user = user
                    self._set_refresh(slot, issued.refresh_token, "POST /auth/login/")
                    self._renewed(slot, issued, "login", reason)
                    return
            else:
                self._fail(self._cannot_renew(slot, reason, last_error))
                return
            if self._clock() >= deadline:
                if self._login_allowed() and not prefer_login:
                    logger.warning(
                        "no new token by refresh within %s; logging in again", format_duration(self.renew_deadline_s)
                    )
                    prefer_login = True
                    deadline = self._clock() + self.renew_deadline_s
                    continue
                tried = format_duration(self._clock() - started)
                self._fail(f"the token could not be renewed: {last_error} (tried for {tried})")
                return
            gevent.sleep(backoff)
            backoff = min(backoff * 2, MAX_BACKOFF_S)

    def _cannot_renew(self, slot: _Slot, reason: str, last_error: str) -> str:
        assert slot.info is not None
        if reason == "unauthorized":
            what = "the server refused the token (401: its session ended, or the Referer was not accepted)"
        else:
            what = f"the token expired at {format_instant(slot.info.expires_at)}"
        fixes = []
        if TokenSource.REFRESH in self.allowed_sources:
            fixes.append("set JWT_REFRESH_TOKEN")
        if TokenSource.LOGIN not in self.allowed_sources:
            fixes.append("use an environment that allows the test login")
        else:
            fixes.append("list test_users for this environment")
        detail = f" ({last_error})" if slot.refresh_token is None and "refused" in last_error else ""
        return f"{what} and it cannot be renewed{detail}; {' or '.join(fixes)}"

    def _renewed(self, slot: _Slot, issued: Issued, via: str, reason: str) -> None:
        info = self._accept(issued, f"POST /auth/{via}/")
        self._install(slot, issued.access_token, info)
        self.renewals += 1
        who = f" for '{slot.user}'" if slot.user else ""
        logger.info("token%s renewed via %s (%s); it expires at %s", who, via, reason, format_instant(info.expires_at))
        if reason == "unauthorized":
            now = self._clock()
            recent = slot.unauthorized_renewals
            recent.append(now)
            while recent and recent[0] < now - UNAUTHORIZED_WINDOW_S:
                recent.popleft()
            if len(recent) >= UNAUTHORIZED_BURST:
                self._fail(
                    f"the server refused {len(recent)} freshly renewed tokens (401) within "
                    f"{format_duration(UNAUTHORIZED_WINDOW_S)}; check that frontend_url ({self.frontend_url}) "
                    "is the environment's frontend (Referer) and that no one else logs in as the same user"
                )
                return
        if self.on_renewed is not None:
            self._call(self.on_renewed, issued.access_token, "on_renewed")

    def _warn_unexplained_401(self, slot: _Slot) -> None:
        if slot.warned_generation == slot.generation:
            return
        slot.warned_generation = slot.generation
        logger.warning(
            "the server answered 401 to a token it still holds valid (refresh returns the same token); "
            "not an expiry: check that frontend_url (%s) is the environment's frontend (Referer)",
            self.frontend_url,
        )

    def _fail(self, reason: str) -> None:
        if self.failed:
            return
        self.failed = redact(" ".join(str(reason).split()))
        # One line per failure for the user: the listener's (it stops the run), else this one.
        logger.log(logging.DEBUG if self.on_failed is not None else logging.ERROR, "token: %s", self.failed)
        for slot in self._slots:
            self._notify(slot)
        self._slots_changed.set()
        if self.on_failed is not None:
            self._call(self.on_failed, self.failed, "on_failed")

    def _call(self, callback: Callable[[str], None], argument: str, name: str) -> None:
        try:
            callback(argument)
        except Exception:  # a listener's bug must not break renewal
            logger.exception("the %s listener failed", name)

    # --- reporting ----------------------------------------------------------------------------

    @property
    def slot_count(self) -> int:
        """How many distinct tokens users are spread over (1, or the number of test users)."""
        return len(self._slots)

    @property
    def renewing(self) -> bool:
        return any(s.renewing for s in self._slots)

    def summary(self) -> dict[str, Any]:
        """For run.json: where the token came from, renewals, whether auth cut the run short. No tokens."""
        users = list(dict.fromkeys(s.user for s in self._slots if s.user))
        return {
            "source": self.source.value if self.source is not None else None,
            "renewals": self.renewals,
            "cut_short": self.failed is not None,
            "test_users": users,
            "reason": self.failed,
            "unauthorized": self.unauthorized,
        }
