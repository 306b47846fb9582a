"""OPS's health during the run: one greenlet on the master (or the local runner) samples its pool.

Every `--health-interval` seconds (default 5; 0 turns it off; `OPS_HEALTH_INTERVAL`) one
`GET /api/v1/health/` with its own client, outside Locust's statistics like the warm-up's requests,
also on prod (one light GET, no token). A few samples before the load give health's own time on the
idle server; the load's samples follow until the load stops. The sampler is `ops_perf.server.health`
(no Locust); this module starts and stops it at the run's phases and writes `<prefix>_server.json`.

| when | what |
|---|---|
| `warmup.on_test_start`, before the harvest | `before_load`: the idle samples |
| `warmup.on_test_start`, when the load's clock starts | `start`: the sampling greenlet |
| `test_stop` | the greenlet stopped |
| `outputs.on_quit` | `write`: `<prefix>_server.json` |
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import gevent
from locust import events
from locust.env import Environment as LocustEnvironment
from locust.runners import WorkerRunner

from ops_perf.runfiles.discover import SERVER_JSON_SUFFIX
from ops_perf.server.health import HealthSampler
from ops_perf.users.headers import HEALTH_USER_AGENT, with_pid
from ops_perf.users.state import RunState, run_state

logger = logging.getLogger("ops_perf")

_GREENLET = "_ops_perf_health_greenlet"


def _interval(environment: LocustEnvironment) -> float:
    options = environment.parsed_options
    value = getattr(options, "health_interval", 0.0) if options is not None else 0.0
    return float(value) if isinstance(value, int | float) and value > 0 else 0.0


def before_load(environment: LocustEnvironment) -> None:
    """Make the sampler (master or local runner, when on) and take health's idle samples."""
    state = run_state(environment)
    interval = _interval(environment)
    if isinstance(environment.runner, WorkerRunner) or not interval or not state.host:
        state.health = None
        return
    state.health = HealthSampler(
        state.host,
        interval,
        {"User-Agent": with_pid(HEALTH_USER_AGENT), "Accept": "application/json"},
        note=lambda line: logger.warning("health: %s", line),
    )
    state.health.baseline()
    idle = [s for s in state.health.watch.baseline if s.answered]
    logger.info(
        "health: sampling %s every %g s during the load (idle: %s)",
        state.health.url,
        interval,
        ", ".join(f"{s.ms:.0f} ms" for s in idle) if idle else "no answer",
    )


def start(environment: LocustEnvironment) -> None:
    """The load's clock started: sample until it stops."""
    state = run_state(environment)
    sampler = state.health
    if sampler is None:
        return
    setattr(environment, _GREENLET, gevent.spawn(sampler.run, lambda: state.load_ended_at is None))


@events.test_stop.add_listener
def on_test_stop(environment: LocustEnvironment, **_: Any) -> None:
    sampler = run_state(environment).health
    if sampler is not None:
        sampler.stop()
    greenlet = getattr(environment, _GREENLET, None)
    if greenlet is not None:
        greenlet.kill(block=False)  # a sample in flight is given up: the load is over
        setattr(environment, _GREENLET, None)


def write(state: RunState, prefix: str) -> Path | None:
    """`<prefix>_server.json` when health was sampled; a line when the samples said something."""
    sampler = state.health
    if sampler is None:
        return None
    watch = sampler.watch
    if watch.timeouts:
        logger.warning(
            "health: %d of %d samples timed out (longer than %g s): every server thread was busy, or health "
            "itself hung", watch.timeouts, len(watch.samples), watch.interval_s,
        )  # fmt: skip
    return watch.write(Path(f"{prefix}{SERVER_JSON_SUFFIX}"))
