"""The open model inside Locust: who runs the pacer, how workers share the rate and report back.

| where | what |
|---|---|
| local runner | the pacer runs here, at the whole rate; the shape reads this process's counters |
| master | no pacer; sends each worker its share (`ops_perf_arrival_share`: index, count, seconds since the load started) at test start and whenever the set of workers changes; sums the workers' counters (`ops_perf_arrival_stats`) for the shape, the progress lines and run.json |
| worker | runs a pacer at rate / workers on the master's clock (constant arrivals: phase (index + 0.5) / workers, so they interleave), sends its counters every `REPORT_INTERVAL_S` and once more when it stops |

Why the master's clock: a worker starts offering a moment after the master's load time began (the
spawn message comes after the share). On its own clock its plan would end that moment after the
master's, and the stop would cut its last arrivals off; on the master's, the arrivals of the gap are
offered at once when the worker starts (late, timed from their intended start, or dropped), and the
counts add up to the plan. The clock travels as "seconds since the load started", not as a time
stamp, so that the machines' clocks need not agree. When the load stops, arrivals still queued are
counted (`ArrivalPool.finish`): every arrival offered is started, dropped or unstarted, never lost.

At the end (the `quitting` event, before Locust picks its exit code) a run that dropped more than
`MAX_DROPPED_FRACTION` of its arrivals is marked invalid: status "invalid", exit RUN_INVALID.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import gevent
from locust import events
from locust.env import Environment as LocustEnvironment
from locust.runners import MasterRunner, WorkerRunner

from ops_perf import locust_compat as compat
from ops_perf.exitcodes import ExitCode
from ops_perf.settings import Scenario
from ops_perf.users.arrivals import MAX_DROPPED_FRACTION, ArrivalStats, merge, plan_for
from ops_perf.users.state import RunState, run_state

logger = logging.getLogger("ops_perf")

MSG_SHARE = "ops_perf_arrival_share"
MSG_STATS = "ops_perf_arrival_stats"
REPORT_INTERVAL_S = 1.0
"""How often a worker sends its counters (the shape grows the pool from them)."""


def configure(environment: LocustEnvironment, scenario: Scenario, expected_iteration_s: float, drain_s: float) -> None:
    """Open run: users wait on the arrival queue (their `wait_time` asks `RunState.arrivals.active`).

    At the end of an open run of one-request iterations (the endpoint user), requests in flight are
    let finish (Locust's `stop_timeout`, up to `drain_s`, unless `--stop-timeout` was given): in an
    overloaded run they are the slowest, and cutting them would leave them out of the percentiles.
    Idle users stop at once. A page user's iteration is a whole visit: it is not waited for.
    """
    pool = run_state(environment).arrivals
    pool.active = scenario.is_open
    if not scenario.is_open:
        return
    if drain_s and not environment.stop_timeout and scenario.user != "pages":
        environment.stop_timeout = drain_s
    pool.expected_iteration_s = expected_iteration_s


def register(environment: LocustEnvironment) -> None:
    """Message handlers (init, on every runner)."""
    runner, state = environment.runner, run_state(environment)
    state.open_share.by_worker = {}
    if isinstance(runner, WorkerRunner):
        runner.register_message(MSG_SHARE, _receive_share)
    elif isinstance(runner, MasterRunner):
        runner.register_message(MSG_STATS, _receive_stats)


def totals(state: RunState) -> ArrivalStats:
    """The arrival counters of the whole run: this process's, or the sum of the workers'."""
    if state.open_share.by_worker:
        return merge(list(state.open_share.by_worker.values()))
    return state.arrivals.snapshot()


# --- test start -----------------------------------------------------------------------------------


def start(environment: LocustEnvironment) -> None:
    """Called by the hooks once load time starts (after the warm-up) on the master or local runner."""
    state, runner = run_state(environment), environment.runner
    scenario = state.scenario
    if scenario is None or not scenario.is_open:
        return
    state.open_share.by_worker = {}
    where = "this process"
    if isinstance(runner, MasterRunner):
        _share_out(runner, state, first=True)
        gevent.spawn(_watch_workers, runner, state)
        where = f"{len(state.open_share.shared_with)} worker(s)"
    else:
        state.arrivals.reset()
        state.arrivals.start(plan_for(scenario), scenario.arrivals)
    logger.info(
        "open model: %s arrivals at %.4g %s on average, offered by %s, pool cap %d users",
        scenario.arrivals, (scenario.offered_rate or 0) * scenario.rate_per, scenario.rate_unit, where,
        scenario.peak_users,
    )  # fmt: skip


def start_worker(environment: LocustEnvironment) -> None:
    """A worker's test start: run its share of the rate once both the settings and the share are known."""
    state = run_state(environment)
    state.open_share.started = True
    state.open_share.origin = None
    state.arrivals.reset()
    _maybe_start_worker_pacer(state)
    gevent.spawn(_report_to_master, environment.runner, state)


def _share_out(runner: MasterRunner, state: RunState, first: bool = False) -> None:
    """Each worker's part of the rate; `first` (at load start): its spawn gap is caught up, not skipped."""
    ids = compat.worker_ids(runner)
    state.open_share.shared_with = tuple(ids)
    for index, client_id in enumerate(ids):
        share = {"index": index, "count": len(ids), "elapsed": _elapsed(state), "catch_up": first}
        runner.send_message(MSG_SHARE, share, client_id=client_id)


def _elapsed(state: RunState) -> float:
    """Seconds of load time so far on the master (the workers' plans run on this clock)."""
    started = state.load_started_at
    return max(0.0, time.time() - started) if started is not None else 0.0


def _watch_workers(runner: MasterRunner, state: RunState) -> None:
    """A worker that joins or is lost mid-run: every worker gets its new share of the same plan."""
    while runner.state not in ("stopped", "stopping", "quitting", "cleanup"):
        gevent.sleep(REPORT_INTERVAL_S)
        ids = tuple(compat.worker_ids(runner))
        if ids and ids != state.open_share.shared_with:
            logger.info("open model: %d worker(s) now, the rate is shared anew", len(ids))
            _share_out(runner, state)


def _receive_share(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    state = run_state(environment)
    share = dict(msg.data)
    share["origin"] = time.time() - float(share.get("elapsed") or 0.0)  # the master's load start, on our clock
    state.open_share.share = share
    if state.open_share.started:
        _maybe_start_worker_pacer(state)


def _maybe_start_worker_pacer(state: RunState) -> None:
    scenario, share = state.scenario, state.open_share.share
    if scenario is None or not scenario.is_open or share is None:
        return
    count = max(1, int(share["count"]))
    index = int(share["index"])
    # The plan runs on the master's clock (module docstring). The first share of the run catches up
    # the spawn gap; a later one (workers joined or left, or this worker joined late) restarts the
    # pacer on the same clock and skips what is past: those arrivals were other workers' to offer.
    # The counters go on.
    first = state.open_share.origin is None
    origin = state.open_share.origin or share.get("origin") or time.time()
    state.open_share.origin = origin
    catch_up = first and bool(share.get("catch_up"))
    state.arrivals.start(
        plan_for(scenario, 1.0 / count), scenario.arrivals, offset=(index + 0.5) / count, started=origin,
        not_before=origin if catch_up else None,
    )  # fmt: skip
    logger.info("open model: this worker offers 1/%d of the rate (worker %d)", count, index)


def _report_to_master(runner: WorkerRunner, state: RunState) -> None:
    while runner.state not in ("stopped", "quitting", "cleanup"):
        gevent.sleep(REPORT_INTERVAL_S)
        send_stats(runner, state)


def send_stats(runner: Any, state: RunState) -> None:
    if isinstance(runner, WorkerRunner) and state.arrivals.active:
        runner.send_message(MSG_STATS, state.arrivals.snapshot().to_dict())


def _receive_stats(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    run_state(environment).open_share.by_worker[msg.node_id] = ArrivalStats.from_dict(msg.data)


@events.test_stopping.add_listener
def _on_test_stopping(environment: LocustEnvironment, **_: Any) -> None:
    """No arrival is offered once the load stops: the users stopping now would never take it."""
    pool = run_state(environment).arrivals
    if pool.active:
        pool.stop()


@events.test_stop.add_listener
def _on_test_stop(environment: LocustEnvironment, **_: Any) -> None:
    """The users have stopped: what is still queued is counted; a worker sends its final counters."""
    state = run_state(environment)
    if not state.arrivals.active:
        return
    state.arrivals.finish()
    state.open_share.started = False
    send_stats(environment.runner, state)


# --- the end --------------------------------------------------------------------------------------


def judge_drops(environment: LocustEnvironment) -> None:
    """More than 1% dropped: the run measured the generator, not OPS (status invalid, exit RUN_INVALID)."""
    state = run_state(environment)
    scenario = state.scenario
    if scenario is None or not scenario.is_open or isinstance(environment.runner, WorkerRunner):
        return
    state.arrivals.finish()
    stats = totals(state)
    if stats.dropped_fraction <= MAX_DROPPED_FRACTION:
        return
    detail = (
        f"{stats.dropped} of {stats.arrivals} arrivals ({100 * stats.dropped_fraction:.1f}%) were dropped "
        f"(more than {100 * MAX_DROPPED_FRACTION:g}%): the pool of {scenario.peak_users} users could not start "
        f"them on time; raise max_users (-u) or lower the arrival rate"
    )
    if state.status == "completed":
        state.status, state.status_detail = "invalid", detail
    logger.error("run invalid: %s", detail)
    environment.process_exit_code = int(ExitCode.RUN_INVALID)


def progress_suffix(state: RunState) -> str:
    """The open model's part of a progress line."""
    scenario = state.scenario
    if scenario is None or not scenario.is_open:
        return ""
    stats = totals(state)
    return (
        f", offered {(scenario.offered_rate or 0) * scenario.rate_per:.4g} {scenario.rate_unit}, "
        f"{stats.arrivals} arrivals, {stats.dropped} dropped ({100 * stats.dropped_fraction:.2f}%), "
        f"pool {stats.pool} ({stats.busy} busy)"
    )


def record_fields(state: RunState, scenario: Scenario) -> dict[str, Any]:
    """run.json: the model and the arrivals (schema 1; closed runs: offered_rate null, counts 0)."""
    if not scenario.is_open:
        return {"model": "closed", "offered_rate": None, "arrivals": 0, "dropped_arrivals": 0}
    stats = totals(state)
    return {
        "model": "open",
        "offered_rate": scenario.offered_rate,
        "arrivals": stats.arrivals,
        "dropped_arrivals": stats.dropped,
        "unstarted_arrivals": stats.unstarted,
        "late_arrivals": stats.late,
        "max_late_ms": round(stats.max_late_ms, 1),
        "arrival_process": scenario.arrivals,
        "arrival_rate_unit": scenario.rate_unit,
        "ramp": scenario.ramp,
        "max_users": scenario.peak_users,
        "peak_pool": stats.peak_pool,
        "arrival_processes": max(1, len(state.open_share.by_worker)),
    }
