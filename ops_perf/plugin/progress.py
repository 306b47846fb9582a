"""While the load runs: one compact progress line now and then, and the token's watch.

`ops-perf run` passes `--only-summary`, so without these lines a long run would show nothing between
its start and its end; a token that can no longer be renewed stops the run with the reason.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import gevent
from locust.env import Environment as LocustEnvironment
from locust.stats import calculate_response_time_percentile

from ops_perf.exitcodes import ExitCode
from ops_perf.plugin import arrivals as open_model
from ops_perf.runfiles.csv_checks import PAGE_TYPE
from ops_perf.users.state import RunState, run_state

logger = logging.getLogger("ops_perf")

AUTH_POLL_S = 0.5
"""How often the master checks whether the token provider has given up."""
PROGRESS_MIN_INTERVAL_S = 5.0
PROGRESS_MAX_INTERVAL_S = 60.0
"""Progress lines come every tenth of the scenario, within these bounds."""
STOPPED = ("stopped", "quitting", "cleanup")


def start(environment: LocustEnvironment) -> None:
    """When the load starts (master or local runner): the progress lines and the token's watch."""
    gevent.spawn(_watch_auth, environment)
    gevent.spawn(_report_progress, environment)


def _report_progress(environment: LocustEnvironment) -> None:
    """One compact line now and then, so a long run (`--only-summary`) shows it is alive and how it goes."""
    state, runner = run_state(environment), environment.runner
    scenario = state.scenario
    if scenario is None or runner is None or state.load_started_at is None:
        return
    interval = min(PROGRESS_MAX_INTERVAL_S, max(PROGRESS_MIN_INTERVAL_S, scenario.duration_s / 10))
    while True:
        gevent.sleep(interval)
        if runner.state in STOPPED or state.load_ended_at is not None:
            return
        elapsed = time.time() - state.load_started_at
        counts = api_counts(runner.stats.entries.values())
        logger.info(
            "progress: %.0f/%.0f s, %d users, %s%s",
            min(elapsed, scenario.duration_s), scenario.duration_s, runner.user_count, counts.text(elapsed),
            open_model.progress_suffix(state),
        )  # fmt: skip


@dataclass(frozen=True)
class Counts:
    """The load so far as the suite counts it: API calls and page views apart (Locust's Aggregated row
    sums both), and API calls per second over the load's elapsed time, as the report counts them."""

    calls: int
    failures: int
    views: int
    p95_ms: float | None

    def text(self, elapsed: float) -> str:
        failed = 100.0 * self.failures / self.calls if self.calls else 0.0
        views = f" + {self.views} page views" if self.views else ""
        rate = self.calls / elapsed if elapsed > 0 else 0.0
        p95 = f"{self.p95_ms:.0f}" if self.p95_ms is not None else "n/a"
        return (
            f"{self.calls} API calls{views}, {self.failures} failed calls ({failed:.2f}%), "
            f"p95 {p95} ms, {rate:.1f} API calls/s"
        )


def api_counts(entries: Iterable[Any]) -> Counts:
    """Sum Locust's entries, page views (request type PAGE) apart from the API calls; the API calls' p95
    from their merged response-time buckets, by Locust's own rule."""
    calls = failures = views = 0
    merged: dict[Any, int] = {}
    for entry in entries:
        if entry.method == PAGE_TYPE:
            views += entry.num_requests
            continue
        calls += entry.num_requests
        failures += entry.num_failures
        for key, count in entry.response_times.items():
            merged[key] = merged.get(key, 0) + count
    p95 = calculate_response_time_percentile(merged, calls, 0.95) if calls else None
    return Counts(calls, failures, views, p95)


def end_line(environment: LocustEnvironment) -> None:
    """The one line at the end of the load, in the suite's counts (Locust's table follows it)."""
    state, runner = run_state(environment), environment.runner
    if runner is None or state.load_started_at is None:
        return
    elapsed = (state.load_ended_at or time.time()) - state.load_started_at
    counts = api_counts(runner.stats.entries.values())
    both = (
        f"; Locust's table below counts both in its Aggregated row: {counts.calls + counts.views}"
        if counts.views
        else ""
    )
    logger.info("load over after %.0f s: %s%s", elapsed, counts.text(elapsed), both)


def _watch_auth(environment: LocustEnvironment) -> None:
    """Stop the run with one clear line when the token can no longer be renewed."""
    state, runner = run_state(environment), environment.runner
    provider = state.provider
    while runner is not None and runner.state not in STOPPED:
        if provider.failed:
            if state.status != "cut_short_auth":  # a provider without our listener (library use)
                auth_failed(state, provider.failed)
            environment.process_exit_code = int(ExitCode.RUN_INVALID)
            runner.quit()
            return
        gevent.sleep(AUTH_POLL_S)


def auth_failed(state: RunState, reason: str) -> None:
    """The provider gave up renewing: the one line that says why, and the run's status (run.json).

    Called by the provider the moment it gives up (so the status holds even if the run ends before
    `_watch_auth` looks again); `_watch_auth` then stops the run.
    """
    state.status = "cut_short_auth"
    state.status_detail = reason
    logger.error("stopping the run: %s", reason)
