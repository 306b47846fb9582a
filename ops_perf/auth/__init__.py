"""The bearer token: where it comes from, whether it can carry the run, renewal, and redaction.

Modules: `tokens` (pyjwt inspection, one-line refusals), `sources` (environment and the OPS auth
routes), `provider` (`TokenProvider`: acquisition, sharing out, renewal; its docstring explains the
renewal strategy), `redact` (keeping tokens out of logs, tracebacks and files).

API
---
```
class TokenSource(StrEnum): ENV = "env"; REFRESH = "refresh"; LOGIN = "login"
@dataclass(frozen=True) class TokenInfo:
    subject: str; token_type: str; issued_at: datetime | None; not_before: datetime | None
    expires_at: datetime; jti: str | None          # + .expires_ts, .lifetime_s
def parse_token(token, *, label="JWT_TOKEN") -> TokenInfo                  # structure only
def inspect_token(token, *, now=None, label="JWT_TOKEN", expected_type="access") -> TokenInfo
    # OpsPerfError: malformed / refresh-type / expired / not yet valid (times in UTC and local)
def check_lifetime(info, run_seconds, renewable, now=None, *, label="JWT_TOKEN", fix=...) -> None
class TokenProvider:
    def __init__(host, *, allowed_sources=(), test_users=("system_owner",), env=None, frontend_url,
                 timeout=10.0, passive=False, renew_margin_s=2.0, wait_timeout_s=60.0,
                 renew_deadline_s=30.0, on_renewed=None, on_failed=None, on_renewal_needed=None,
                 clock=time.time)
    def acquire(run_seconds, *, start_renewal=True) -> None     # OpsPerfError with one line
    def token_for(user_index) -> str                            # waits (bounded) near expiry
    def on_unauthorized(token_used) -> None                     # <= 1 renewal per generation
    def export_tokens() -> dict / import_tokens(data) / set_token(token, slot=0)   # master -> workers
    def mark_failed(reason) / start_background_renewal() / stop()
    source: TokenSource | None; renewals: int; unauthorized: int; failed: str | None
    slot_count: int; renewing: bool; skew_s: float
    def summary() -> {"source", "renewals", "cut_short", "test_users", "reason", "unauthorized"}
class AuthUnavailable(OpsPerfError)                             # token_for() when no token can be had
def redact(text) -> str; def redact_headers(headers) -> dict; def register_secret(secret) -> None
class RedactingFilter(logging.Filter); def install_redaction() -> None; def uninstall_redaction()
```
Callbacks take one string: `on_renewed(new_token)`, `on_failed(reason)`,
`on_renewal_needed(token_refused)` (passive: ask the master to renew).
"""

from __future__ import annotations

from ops_perf.auth.provider import AuthUnavailable, TokenProvider
from ops_perf.auth.redact import (
    RedactingFilter,
    install_redaction,
    redact,
    redact_headers,
    register_secret,
    uninstall_redaction,
)
from ops_perf.auth.sources import (
    ENV_REFRESH_TOKEN,
    ENV_TOKEN,
    KNOWN_TEST_USERS,
    AuthClient,
    AuthHTTPError,
    TokenSource,
)
from ops_perf.auth.tokens import TokenInfo, check_lifetime, format_instant, inspect_token, parse_token

__all__ = [
    "ENV_REFRESH_TOKEN",
    "ENV_TOKEN",
    "KNOWN_TEST_USERS",
    "AuthClient",
    "AuthHTTPError",
    "AuthUnavailable",
    "RedactingFilter",
    "TokenInfo",
    "TokenProvider",
    "TokenSource",
    "check_lifetime",
    "format_instant",
    "inspect_token",
    "install_redaction",
    "parse_token",
    "redact",
    "redact_headers",
    "register_secret",
    "uninstall_redaction",
]
