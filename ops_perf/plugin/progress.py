"""While the load runs: one compact progress line now and then, and the token's watch.

`ops-perf run` passes `--only-summary`, so without these lines a long run would show nothing between
its start and its end; a token that can no longer be renewed stops the run with the reason.
"""

from __future__ import annotations

import logging
import time

import gevent
from locust.env import Environment as LocustEnvironment

from ops_perf.exitcodes import ExitCode
from ops_perf.plugin import arrivals as open_model
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
        total = runner.stats.total
        elapsed = time.time() - state.load_started_at
        failed_pct = 100.0 * total.num_failures / total.num_requests if total.num_requests else 0.0
        p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0
        logger.info(
            "progress: %.0f/%.0f s, %d users, %d requests, %d failures (%.2f%%), p95 %s ms, %.1f req/s%s",
            min(elapsed, scenario.duration_s), scenario.duration_s, runner.user_count, total.num_requests,
            total.num_failures, failed_pct, p95, total.total_rps, open_model.progress_suffix(state),
        )  # fmt: skip


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
