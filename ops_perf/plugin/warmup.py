"""Test start: the one warm-up, then the load's clock.

On the master or the local runner, `test_start` harvests the id pools once (or reads them from
`--warmup-ids FILE`: a capacity search's steps share one harvest), sends them to the workers, and
only then starts the load time: statistics and the shape's clock are reset, so that `Requests/s`
and the scenario's duration exclude the harvest. A warm-up whose every list failed stops the run as
invalid. A worker's test start resolves its settings and starts its share of the open model.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from locust import events
from locust.env import Environment as LocustEnvironment
from locust.runners import MasterRunner, WorkerRunner

from ops_perf.exitcodes import ExitCode
from ops_perf.plugin import arrivals as open_model
from ops_perf.plugin import interrupt, messages, progress, server_watch
from ops_perf.plugin.startup import start_worker
from ops_perf.runfiles.discover import WARMUP_JSON_SUFFIX
from ops_perf.settings import Scenario
from ops_perf.users import warmup_file
from ops_perf.users.endpoints.catalog import pools_in_use
from ops_perf.users.headers import WARMUP_USER_AGENT, RequestHeaders
from ops_perf.users.pages.catalog import CATALOG as PAGE_CATALOG
from ops_perf.users.state import RunState, run_state
from ops_perf.users.warmup import WarmupSummary, harvest

logger = logging.getLogger("ops_perf")


@events.test_start.add_listener
def on_test_start(environment: LocustEnvironment, **_: Any) -> None:
    runner, state = environment.runner, run_state(environment)
    if isinstance(runner, WorkerRunner):
        state.headers = None  # a new test: settings may have changed on the master
        start_worker(environment)
        open_model.start_worker(environment)
        return
    if state.env is None or state.provider is None:
        return
    state.test_started = True
    if state.interrupted_at is not None:
        interrupt.stop_before_load(environment)
        return
    server_watch.before_load(environment)  # health's own time on the idle server
    ids, summary = _ids(environment, state)
    state.ids.fill(ids)
    state.warmup = summary
    for line in summary.lines():
        (logger.warning if "FAILED" in line or "no ids" in line else logger.info)(line)
    options = environment.parsed_options
    if options and options.csv_prefix:
        summary.write(Path(f"{options.csv_prefix}{WARMUP_JSON_SUFFIX}"))
    if state.interrupted_at is not None:
        interrupt.stop_before_load(environment)
        return
    if summary.pools and len(summary.failures) >= len(summary.pools):
        _warmup_failed(environment, state, summary)
        return
    if isinstance(runner, MasterRunner):
        messages.send_ids(environment)
    # Load time starts now: statistics (Requests/s) and the scenario clock exclude the warm-up.
    runner.stats.reset_all()
    state.pages.clear()
    state.answers.clear()
    state.records.clear()
    if state.scenario is not None:
        _announce_pages(state, state.scenario)
    if environment.shape_class is not None:
        environment.shape_class.reset_time()
    state.load_started_at, state.load_ended_at = time.time(), None
    open_model.start(environment)
    progress.start(environment)
    server_watch.start(environment)


def _ids(environment: LocustEnvironment, state: RunState) -> tuple[dict[str, list[Any]], WarmupSummary]:
    """The harvest's ids, or those of `--warmup-ids FILE` where it exists (written after a harvest)."""
    env, provider = state.env, state.provider
    assert env is not None
    options = environment.parsed_options
    ids_per_pool = (options.ids_per_pool if options and options.ids_per_pool else 0) or env.warmup_ids_per_pool
    deadline = (options.warmup_deadline if options and options.warmup_deadline else 0) or env.warmup_deadline_s
    ids_file = Path(options.warmup_ids) if options and getattr(options, "warmup_ids", "") else None
    reused = warmup_file.load(ids_file, pools_in_use()) if ids_file else None
    if reused is not None:
        return reused
    warmup_headers = RequestHeaders(provider, env.frontend_url, WARMUP_USER_AGENT)
    logger.info("warm-up: harvesting ids from %d list endpoints (deadline %gs)", len(pools_in_use()), deadline)
    ids, summary = harvest(
        state.host,
        lambda: warmup_headers.for_user(0)[1],
        pools_in_use(),
        ids_per_pool=ids_per_pool,
        deadline_s=deadline,
        timeout_s=env.request_timeout_s,
    )
    if ids_file is not None and len(summary.failures) < len(summary.pools) and not ids_file.exists():
        warmup_file.save(ids_file, ids, summary)  # for the runs that follow (a capacity search's steps)
    return ids, summary


def _warmup_failed(environment: LocustEnvironment, state: RunState, summary: WarmupSummary) -> None:
    """Every list failed: the detail endpoints would go unexercised and the rest measure a broken host."""
    first = summary.failures[0]
    state.status = "invalid"
    state.status_detail = (
        f"the warm-up failed on all {len(summary.pools)} list endpoints (first: {first['endpoint']}: "
        f"{first['error']}); check --host (the base URL, without /api/v1) and the token"
    )
    environment.process_exit_code = int(ExitCode.RUN_INVALID)
    logger.error("stopping the run: %s", state.status_detail)
    interrupt.stop_before_load(environment)


def _announce_pages(state: RunState, scenario: Scenario) -> None:
    """A pages run says so, and says loudly when it sends the frontend's own failing calls."""
    if scenario.user != "pages":
        return
    logger.info(
        "pages: %d page views of the frontend, think time %g-%g s, notifications every %g s",
        len(PAGE_CATALOG.pages), *scenario.think_time_s, state.users.poll_period_s,
    )  # fmt: skip
    if scenario.frontend_defects:
        defects = sorted({c.defect for p in PAGE_CATALOG.pages.values() for c in p.calls if c.defect})
        logger.warning(
            "pages: frontend defects ON: sending the calls the real frontend gets wrong, recorded as "
            "'<url> (frontend defect)'; their expected 404s are not counted as failures: %s",
            "; ".join(defects),
        )


@events.test_stop.add_listener
def on_test_stop(environment: LocustEnvironment, **_: Any) -> None:
    state = run_state(environment)
    if not isinstance(environment.runner, WorkerRunner) and state.load_started_at and not state.load_ended_at:
        state.load_ended_at = time.time()
