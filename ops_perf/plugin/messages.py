"""Master and workers: what crosses between them, and who does what on each side.

Workers never harvest and never renew tokens: the master does both once and sends the result.

| message | from -> to | when |
|---|---|---|
| `ops_perf_ids` | master -> all workers | after the harvest, before any spawn message |
| `ops_perf_token` | master -> workers | with the ids, and after every renewal |
| `ops_perf_hello` | worker -> master | in the worker's `init` (Locust drops custom messages that arrive before a worker registers its handlers, which is what happens to a worker that joins late), with the worker's percentile precision; the master answers with ids and token |
| `ops_perf_renew` | worker -> master | a worker saw a 401: the master renews (at most once per token) and broadcasts |
| `ops_perf_pages` | worker -> master | the worker's page counts in its `test_stop`; the master merges them |
| `ops_perf_answers` | worker -> master | the worker's designed answers (per endpoint and status) in its `test_stop` |
| `ops_perf_records` | worker -> master | the worker's per-record tally in its `test_stop` (`ops_perf.server.records`); the master merges it |

The open model's messages are `ops_perf.plugin.arrivals`'.
"""

from __future__ import annotations

import logging
from typing import Any

from locust import events
from locust.env import Environment as LocustEnvironment
from locust.runners import MasterRunner, WorkerRunner

from ops_perf import auth
from ops_perf import locust_compat as compat
from ops_perf.server.records import MSG_RECORDS
from ops_perf.users.pages.stats import MSG_PAGES
from ops_perf.users.state import RunState, run_state

logger = logging.getLogger("ops_perf")

MSG_IDS = "ops_perf_ids"
MSG_TOKEN = "ops_perf_token"
MSG_RENEW = "ops_perf_renew"
MSG_HELLO = "ops_perf_hello"
MSG_ANSWERS = "ops_perf_answers"


def register_worker(environment: LocustEnvironment) -> None:
    """A worker's side, in its `init`: the handlers, then the hello that asks for ids and token."""
    runner = environment.runner
    assert isinstance(runner, WorkerRunner)
    passive_provider(environment)
    events.test_stop.add_listener(lambda **_kw: _send_page_counts(environment))
    events.test_stop.add_listener(lambda **_kw: _send_record_counts(environment))
    runner.register_message(MSG_IDS, _receive_ids)
    runner.register_message(MSG_TOKEN, _receive_token)
    # Ask for the ids and the token now that we can receive them: anything the master pushed on
    # connect arrived before these handlers existed (Locust drops unknown message types).
    runner.send_message(MSG_HELLO, {"precision": compat.precision()})


def register_master(environment: LocustEnvironment) -> None:
    """The master's side, in its `init`."""
    runner, state = environment.runner, run_state(environment)
    assert isinstance(runner, MasterRunner)
    events.worker_connect.add_listener(lambda client_id: state.worker_ids.add(client_id))
    runner.register_message(MSG_HELLO, _hello)
    runner.register_message(MSG_RENEW, _renewal_requested)
    runner.register_message(MSG_PAGES, lambda environment, msg, **_kw: run_state(environment).pages.merge(msg.data))
    runner.register_message(MSG_ANSWERS, lambda environment, msg, **_kw: run_state(environment).answers.merge(msg.data))
    runner.register_message(MSG_RECORDS, lambda environment, msg, **_kw: run_state(environment).records.merge(msg.data))


def passive_provider(environment: LocustEnvironment) -> Any:
    """Workers never log in or refresh: a refused token is reported to the master, which renews."""
    state = run_state(environment)
    if state.provider is None:
        runner = environment.runner
        assert runner is not None
        state.provider = auth.TokenProvider(
            "",
            frontend_url="",
            passive=True,
            on_renewal_needed=lambda token: runner.send_message(MSG_RENEW, {"token": token}),
        )
    return state.provider


def send_ids(environment: LocustEnvironment) -> None:
    """After the harvest: the ids and the token to every worker (also those that connected before `init`)."""
    runner, state = environment.runner, run_state(environment)
    assert isinstance(runner, MasterRunner)
    state.worker_ids.update(compat.worker_ids(runner, present=False))  # those that connected before our init
    runner.send_message(MSG_IDS, state.ids.as_message())
    broadcast_token(environment)


def broadcast_token(environment: LocustEnvironment, client_id: str | None = None) -> None:
    provider = run_state(environment).provider
    runner = environment.runner
    if provider is not None and isinstance(runner, MasterRunner):
        runner.send_message(MSG_TOKEN, provider.export_tokens(), client_id=client_id)


def _hello(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    """A worker joined: note the precision it buckets at (the master merges its keys), send it the state."""
    data = msg.data if isinstance(msg.data, dict) else {}
    run_state(environment).worker_precisions[msg.node_id] = str(data.get("precision") or "")
    _send_state(environment, msg.node_id)


def _send_state(environment: LocustEnvironment, client_id: str) -> None:
    state = run_state(environment)
    state.worker_ids.add(client_id)
    if state.ids.ready.is_set():
        environment.runner.send_message(MSG_IDS, state.ids.as_message(), client_id=client_id)  # type: ignore[union-attr]
        broadcast_token(environment, client_id)


def _send_page_counts(environment: LocustEnvironment) -> None:
    """A worker's counts go to the master at the end of its run (the master writes them out)."""
    state, runner = run_state(environment), environment.runner
    assert runner is not None
    if state.pages.routes:
        runner.send_message(MSG_PAGES, state.pages.as_dict())
        state.pages.clear()
    if state.answers.counts:
        runner.send_message(MSG_ANSWERS, state.answers.as_dict())
        state.answers.clear()


def _send_record_counts(environment: LocustEnvironment) -> None:
    """A worker's per-record tally goes to the master at the end of its run, as its page counts do."""
    tally = run_state(environment).records
    if tally:
        environment.runner.send_message(MSG_RECORDS, tally.as_message())  # type: ignore[union-attr]
        tally.clear()


def _receive_ids(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    run_state(environment).ids.fill(msg.data)
    logger.info("received %d ids in %d pools from the master", sum(map(len, msg.data.values())), len(msg.data))


def _receive_token(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    passive_provider(environment).import_tokens(msg.data)


def _renewal_requested(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    """A worker got a 401: the master renews (at most once per token) and broadcasts the result."""
    state: RunState = run_state(environment)
    if state.provider is not None:
        state.provider.on_unauthorized(msg.data.get("token", ""))
