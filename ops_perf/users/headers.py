"""The headers every request of the suite carries: a browser's, with the user's token, built once per token.

Never a Content-Type: OPS answers 400 to a GET that carries `Content-Type: application/json`.
The User-Agent names the suite, the part of it that sent the request (load, warm-up, probe, health,
diagnose) and the
process id, so that a server's log (and the simulator's, in the tests) tells them and the workers apart.
"""

from __future__ import annotations

import os
from typing import Protocol

from ops_perf import __version__

USER_AGENT = f"ops-perf/{__version__} (locust)"
"""Load requests; `RequestHeaders` adds the process id so that results can be traced to a worker."""
WARMUP_USER_AGENT = f"ops-perf/{__version__} (warmup)"
PROBE_USER_AGENT = f"ops-perf/{__version__} (probe)"
HEALTH_USER_AGENT = f"ops-perf/{__version__} (health)"
"""The health sampler's (`ops_perf.plugin.server_watch`): no token, outside Locust's statistics."""
DIAGNOSE_USER_AGENT = f"ops-perf/{__version__} (diagnose)"
"""`ops-perf diagnose`'s probes."""


def with_pid(user_agent: str) -> str:
    """`ops-perf/x (load)` -> `ops-perf/x (load; pid 123)`: which process sent it."""
    return f"{user_agent[:-1]}; pid {os.getpid()})" if user_agent.endswith(")") else user_agent


class TokenSupplier(Protocol):
    """What the users need of the token provider (see `ops_perf.auth`)."""

    def token_for(self, user_index: int) -> str: ...

    def on_unauthorized(self, token_used: str) -> None: ...


class RequestHeaders:
    """Browser-like headers, built once per token and shared, so a request costs one dict lookup."""

    def __init__(self, tokens: TokenSupplier, frontend_url: str, user_agent: str = USER_AGENT) -> None:
        self.tokens = tokens
        self.frontend_url = frontend_url
        self.user_agent = with_pid(user_agent)
        self._by_token: dict[str, dict[str, str]] = {}

    def for_user(self, user_index: int) -> tuple[str, dict[str, str]]:
        token = self.tokens.token_for(user_index)
        headers = self._by_token.get(token)
        if headers is None:
            if len(self._by_token) > 64:  # old generations after renewals: drop them
                self._by_token.clear()
            headers = {
                "Authorization": f"Bearer {token}",
                "Accept": "application/json",
                "User-Agent": self.user_agent,
                "Referer": self.frontend_url + "/",
            }
            self._by_token[token] = headers
        return token, headers
