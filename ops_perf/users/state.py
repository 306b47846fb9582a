"""The state of the run in this Locust process, shared by the hooks and the users.

Locust creates users by class, not by factory, so the settings resolved at start-up, the token
provider and the warm-up result reach them through this one module-level context rather than
through globals scattered across modules.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from ops_perf import __version__
from ops_perf.settings import Environment, Scenario
from ops_perf.users.warmup import WarmupSummary

USER_AGENT = f"ops-perf/{__version__} (locust)"
"""Load requests; `RequestHeaders` adds the process id so that results can be traced to a worker."""
WARMUP_USER_AGENT = f"ops-perf/{__version__} (warmup)"
PROBE_USER_AGENT = f"ops-perf/{__version__} (probe)"


class TokenSupplier(Protocol):
    """What the users need of the token provider (see `ops_perf.auth`)."""

    def token_for(self, user_index: int) -> str: ...

    def on_unauthorized(self, token_used: str) -> None: ...


class RequestHeaders:
    """Browser-like headers, built once per token and shared, so a request costs one dict lookup.

    Never a Content-Type: OPS answers 400 to a GET that carries `Content-Type: application/json`.
    """

    def __init__(self, tokens: TokenSupplier, frontend_url: str, user_agent: str = USER_AGENT) -> None:
        self.tokens = tokens
        self.frontend_url = frontend_url
        self.user_agent = f"{user_agent[:-1]}; pid {os.getpid()})" if user_agent.endswith(")") else user_agent
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


@dataclass
class RunContext:
    env: Environment | None = None
    scenario: Scenario | None = None
    host: str = ""
    headers: RequestHeaders | None = None
    provider: Any = None
    warmup: WarmupSummary | None = None
    started_at: float | None = None
    load_started_at: float | None = None
    load_ended_at: float | None = None
    """When the load stopped (Locust's `test_stop`), whatever stopped it: the real end of the load time."""
    test_started: bool = False
    interrupted_at: float | None = None
    """The first Ctrl-C (SIGINT), see `ops_perf.plugin.interrupt`."""
    sim_profile: str | None = None
    """The simulator's profile when the host is a local simulator (`GET /__sim__/info`), else None."""
    git_commit: str | None = None
    status: str = "completed"
    status_detail: str = ""
    cpu_warning: bool = False
    worker_ids: set[str] = field(default_factory=set)
    """Every worker that connected during the run (late and reconnecting ones included)."""
    prepare: Callable[[Any], None] | None = None
    """Resolves a worker's settings (set by the hooks); users call it if a spawn beat `init`."""


CONTEXT = RunContext()
