"""What a Locust process knows of its run: one `RunState`, kept on Locust's `environment.ops_perf`.

Locust creates users by class, not by factory, so what they need of the run (the settings resolved
at start-up, the token's headers, the warm-up's ids, the open model's queue, the page and record counts)
reaches them through their `environment`: the plugin fills the state at start-up, users read it as
`run_state(self.environment)`. Nothing of a run lives in module globals, so two environments in one
process (tests, library use) never share one.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from locust.event import EventHook

from ops_perf.server.records import RecordTally
from ops_perf.settings import Environment, Scenario
from ops_perf.users.answers import AnswerTally
from ops_perf.users.arrivals import ArrivalPool, OpenShare
from ops_perf.users.headers import RequestHeaders
from ops_perf.users.pages.stats import PageTally
from ops_perf.users.warmup import IdCache, WarmupSummary

ATTRIBUTE = "ops_perf"
"""The attribute of Locust's `Environment` that holds the run's state."""

settings_needed = EventHook()
"""Fired (with `environment=`) by a user whose process has not resolved its settings yet: a worker's
first spawn message can beat Locust's `init` on a worker that joins a running test. The plugin
listens and resolves them from the options the master forwarded; users never call up into it."""


@dataclass
class UserSettings:
    """What the user classes read of the run's settings (the scenario's and the command line's)."""

    think_time_s: tuple[float, float] = (1.0, 3.0)
    request_timeout_s: float = 60.0
    connect_timeout_s: float = 10.0
    frontend_defects: bool = False
    page_tour: bool = False
    poll_period_s: float = 60.0


@dataclass
class RunState:
    """The run as this Locust process sees it; the plugin writes it, users and writers read it."""

    env: Environment | None = None
    scenario: Scenario | None = None
    host: str = ""
    headers: RequestHeaders | None = None
    provider: Any = None
    """The token provider (`ops_perf.auth.TokenProvider`); passive on a worker."""
    users: UserSettings = field(default_factory=UserSettings)
    ids: IdCache = field(default_factory=IdCache)
    """The warm-up's ids every user of this process draws from."""
    warmup: WarmupSummary | None = None
    arrivals: ArrivalPool = field(default_factory=ArrivalPool)
    """The open model's queue of arrivals in this process (inactive in a closed run)."""
    open_share: OpenShare = field(default_factory=OpenShare)
    """The open model across master and workers: the workers' counters, this worker's share."""
    pages: PageTally = field(default_factory=PageTally)
    """The page user's per-route counts (`<prefix>_pages.json`), merged on the master."""
    answers: AnswerTally = field(default_factory=AnswerTally)
    """OPS's designed answers per endpoint and status (run.json `designed_answers`), merged on the master."""
    records: RecordTally = field(default_factory=RecordTally)
    """Per record (id) of the `[id]` endpoints and detail pages (`<prefix>_records.json`), merged on
    the master."""
    health: Any = None
    """The health sampler of this process (`ops_perf.server.health.HealthSampler`), master or local
    runner only; None when off (`--health-interval 0`) or on a worker."""
    started_at: float | None = None
    load_started_at: float | None = None
    load_ended_at: float | None = None
    """When the load stopped (Locust's `test_stop`), whatever stopped it: the real end of the load time."""
    test_started: bool = False
    interrupted_at: float | None = None
    """The first Ctrl-C (SIGINT), see `ops_perf.plugin.interrupt`."""
    sim_profile: str | None = None
    """The simulator's profile when the host is a local simulator (`GET /__sim__/info`), else None."""
    sim_time_scale: float | None = None
    """The simulator's time scale (its delays x this), else None."""
    git_commit: str | None = None
    status: str = "completed"
    status_detail: str = ""
    cpu_warning: bool = False
    worker_ids: set[str] = field(default_factory=set)
    """Every worker that connected during the run (late and reconnecting ones included)."""
    worker_precisions: dict[str, str] = field(default_factory=dict)
    """Each worker's percentile precision, from its hello ("" from a worker that did not say)."""
    user_numbers: Iterator[int] = field(default_factory=itertools.count)
    """Each user's number in this process: it picks the user's token (`--test-users`)."""


def run_state(environment: Any) -> RunState:
    """The run's state on `environment` (made empty on first use: a library caller fills it itself)."""
    state = getattr(environment, ATTRIBUTE, None)
    if state is None:
        state = RunState()
        setattr(environment, ATTRIBUTE, state)
    return state
