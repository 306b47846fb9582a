"""Ctrl-C in a Locust process: stop the load cleanly and keep everything it measured.

Why not Locust's own handling: Locust lets SIGINT raise `KeyboardInterrupt` wherever the main
greenlet happens to be. Ctrl-C reaches every process of the terminal's group (and `ops-perf run`
passes a SIGINT on to Locust), so a second copy often lands inside Locust's shutdown and kills it
with a traceback before `run.json` is written; one landing in the shape's join is taken for the
end of the scenario and the run is reported as `completed`.

So the suite takes SIGINT over (a gevent signal watcher: no `KeyboardInterrupt` at all):

- web UI: the first SIGINT stops the load (if one runs) and the UI, so Locust shuts down as it
  did on Ctrl-C before (with the results written); a test still running is `interrupted`, and with
  no test ever started there is nothing to keep: exit 0 and no run files at all.
- master / local runner: the first SIGINT marks the run `interrupted` (exit code 130), records
  when, and stops the load the way the auth guard does (`runner.quit()`): Locust then writes the
  CSVs, the HTML and the summary as at the end of any run, and the hooks write `run.json` with the
  load time actually run. Later SIGINTs are ignored (one line says so). Before the test has
  started (token, probe, waiting for workers) there is nothing to keep: the process exits with 130
  at once (`SystemExit` thrown into the main greenlet, so `atexit` still stops Locust's workers).
- worker: the master stops it (its Ctrl-C came to the master too, or the master's own shutdown
  sends the quit); a worker that is still running `WORKER_GRACE_S` later quits by itself, so a
  Ctrl-C on a standalone worker still ends it.
"""

from __future__ import annotations

import logging
import signal
import time
from typing import Any

import gevent
from locust.env import Environment as LocustEnvironment
from locust.runners import WorkerRunner

from ops_perf.exitcodes import ExitCode
from ops_perf.users.state import RunState, run_state

logger = logging.getLogger("ops_perf")

WORKER_GRACE_S = 5.0
"""How long a worker waits for its master to stop it after a Ctrl-C before it quits on its own."""
STOPPED_STATES = ("stopped", "quitting", "cleanup")

_watchers: list[Any] = []
"""This process's SIGINT watcher: a signal belongs to the process, not to an environment."""


def install(environment: LocustEnvironment) -> None:
    """Take SIGINT over for this process (idempotent). Call as early as possible in `init`."""
    if _watchers:
        return
    if isinstance(environment.runner, WorkerRunner):
        _watchers.append(gevent.signal_handler(signal.SIGINT, _worker_interrupted, environment))
    else:
        _watchers.append(gevent.signal_handler(signal.SIGINT, interrupted, environment))


def interrupted(environment: LocustEnvironment) -> None:
    """The first SIGINT: status `interrupted`, exit code 130, and the load stopped (if it runs)."""
    state = run_state(environment)
    if environment.web_ui is not None and environment.runner is not None:
        _close_web_ui(environment)
        return
    if state.interrupted_at is not None or state.load_ended_at is not None:
        logger.info("already stopping: writing the results (Ctrl-\\ aborts without them)")
        return
    state.interrupted_at = time.time()
    if state.status == "completed":  # a reason that came first (auth, an invalid warm-up) stays the reason
        state.status = "interrupted"
        state.status_detail = "stopped by Ctrl-C (SIGINT)" + _load_time_note(state)
        environment.process_exit_code = int(ExitCode.INTERRUPTED)
    runner = environment.runner
    if not state.test_started or runner is None:
        # Nothing measured yet, so nothing to keep: leave at once, wherever the main greenlet waits
        # (the token, the probe, Locust's wait for workers), with the shell's code for Ctrl-C.
        logger.warning("interrupted (Ctrl-C) before the load started; nothing was run")
        gevent.get_hub().parent.throw(SystemExit(int(ExitCode.INTERRUPTED)))
        return
    logger.warning("interrupted (Ctrl-C): stopping the load and writing the results%s", _load_time_note(state))
    if runner.state not in STOPPED_STATES:
        runner.quit()


def _close_web_ui(environment: LocustEnvironment) -> None:
    """The web UI runs until told: stop the load (if one runs) and the UI; Locust's shutdown follows.

    Only a test still running is `interrupted` (exit 130, its results kept); one that ended first
    keeps its own status, and with no test ever started nothing ran: the UI closes with exit 0 and
    no run files (`outputs` writes none, `bare_prefix` removes Locust's empty CSVs).
    """
    state = run_state(environment)
    if state.interrupted_at is not None:
        logger.info("already stopping: writing the results (Ctrl-\\ aborts without them)")
        return
    state.interrupted_at = time.time()
    if not state.test_started:
        logger.warning("interrupted (Ctrl-C): closing the web UI; no test was started, so nothing is written")
    elif state.load_ended_at is None and state.status == "completed":
        state.status = "interrupted"
        state.status_detail = "stopped by Ctrl-C (SIGINT)" + _load_time_note(state)
        environment.process_exit_code = int(ExitCode.INTERRUPTED)
        logger.warning("interrupted (Ctrl-C): stopping%s", _load_time_note(state))
    else:
        logger.warning("interrupted (Ctrl-C): closing the web UI; the last test had ended")
    assert environment.runner is not None and environment.web_ui is not None
    environment.runner.quit()
    environment.web_ui.stop()


def stop_before_load(environment: LocustEnvironment) -> None:
    """Called from inside `test_start` (the shape's greenlet) when the interrupt came before the load.

    `runner.quit()` kills the shape's greenlet, so it must run in another one; joining it hands
    over control and ends this greenlet there, before a single user spawns.
    """
    runner = environment.runner
    if runner is not None:
        # From the web UI a test ends but the UI stays, ready for the next; headless, Locust ends.
        gevent.spawn(runner.stop if environment.web_ui is not None else runner.quit).join()


def _load_time_note(state: RunState) -> str:
    started = state.load_started_at
    if started is None:
        return ""
    return f" after {time.time() - started:.1f} s of load"


def _worker_interrupted(environment: LocustEnvironment) -> None:
    state = run_state(environment)
    if state.interrupted_at is not None:
        return
    state.interrupted_at = time.time()
    logger.info("interrupted (Ctrl-C): waiting up to %gs for the master to stop this worker", WORKER_GRACE_S)
    gevent.spawn_later(WORKER_GRACE_S, _worker_quit, environment)


def _worker_quit(environment: LocustEnvironment) -> None:
    runner = environment.runner
    if runner is not None and runner.state not in ("quitting",):
        logger.warning("the master did not stop this worker after Ctrl-C; quitting")
        runner.quit()
