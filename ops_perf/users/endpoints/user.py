"""`OPSUser`: one simulated OPS user, with tasks generated from the catalog.

Per-request cost matters (issue: the generator must not be the bottleneck of stress runs), so each
task is a small closure prepared once at import: the URL template, the Locust name and the pool are
bound up front, headers come pre-built per token, and the user is a `FastHttpUser`.

Everything of the run (think time, time-outs, ids, headers, the open model's queue) is read from
`self.environment` (`ops_perf.users.state`), which the plugin fills at start-up.
"""

from __future__ import annotations

import random
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import gevent
from locust import FastHttpUser, tag
from locust.env import Environment as LocustEnvironment
from locust.exception import RescheduleTaskImmediately, StopUser

from ops_perf import locust_compat as compat
from ops_perf.auth import AuthUnavailable
from ops_perf.users import arrivals
from ops_perf.users.answers import is_designed, not_json, unless_unfinished
from ops_perf.users.endpoints.catalog import ENDPOINTS, FISCAL_YEARS, Endpoint
from ops_perf.users.state import RunState, run_state, settings_needed
from ops_perf.users.warmup import READY_WAIT_S

MAX_RESCHEDULES = 50
"""Consecutive picks of id-less endpoints before a user takes a normal wait instead (no busy loop)."""
NO_TOKEN_PAUSE_S = 1.0
"""A user that got no token in time (renewal still going) pauses this long before its next task."""

_ID_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def make_task(endpoint: Endpoint) -> Callable[[OPSUser], None]:
    """A Locust task for one catalog entry; `[id]` from its pool, `[fy]` from the fiscal years."""
    template = endpoint.path + (f"?{endpoint.query}" if endpoint.query else "")
    name = endpoint.locust_name
    pool = endpoint.pool
    fields = _ID_PLACEHOLDER.findall(template)
    id_field = next((f for f in fields if f != "fiscal_year"), None)
    needs_fy = "fiscal_year" in fields

    if not fields:

        def task(user: OPSUser) -> None:
            user.request(template, name)

    else:

        def task(user: OPSUser) -> None:
            values: dict[str, object] = {}
            if pool is not None and id_field is not None:
                picked = user.run_state.ids.pick(pool)
                if picked is None:
                    user.skip_id_less()
                    return
                values[id_field] = picked
            if needs_fy:
                values["fiscal_year"] = random.choice(FISCAL_YEARS)
            user.request(template.format_map(values), name, values.get(id_field) if id_field else None)

    task.__name__ = f"get {name}"
    task.__qualname__ = task.__name__
    return tag(*endpoint.tags, "detail" if endpoint.is_detail else "list")(task)


def take_timeouts(user: FastHttpUser, environment: LocustEnvironment) -> None:
    """Before `FastHttpUser.__init__` makes the client: this run's request and connect time-outs (the
    environment's settings, not class attributes, which would hold for every run of the process)."""
    settings = run_state(environment).users
    user.network_timeout = settings.request_timeout_s
    user.connection_timeout = settings.connect_timeout_s


def start_user(environment: LocustEnvironment) -> tuple[RunState, int]:
    """What every user class does first: its run's state, resolved if need be, and its number.

    The number picks the user's token (`--test-users` shares the load out). On a worker the master's
    ids normally arrive before the spawn message; the user waits for them if not.
    """
    state = run_state(environment)
    if state.headers is None:
        settings_needed.fire(environment=environment)
    if not state.ids.ready.is_set():
        state.ids.ready.wait(timeout=READY_WAIT_S)
    return state, next(state.user_numbers)


def think(state: RunState) -> float:
    """Seconds between tasks: the scenario's think time, as Locust's `between` draws it."""
    low, high = state.users.think_time_s
    return low + random.random() * (high - low)


def auth_headers(state: RunState, index: int) -> tuple[str, dict[str, str]] | None:
    """The token and browser-like headers of user `index`, or None when nothing can be sent now.

    Shared by every user class so that all of them authenticate exactly alike.
    """
    headers_source = state.headers
    if headers_source is None:  # settings not resolved: the plugin stops the run before this
        return None
    try:
        return headers_source.for_user(index)
    except AuthUnavailable:
        # Nothing was sent, so nothing is recorded. The token can no longer be renewed: the plugin
        # stops the run with the reason (one line, run.json `cut_short_auth`); this user ends
        # quietly instead of raising the same exception from every task until then.
        provider = state.provider
        if provider is None or provider.failed:
            raise StopUser() from None
        gevent.sleep(NO_TOKEN_PAUSE_S)  # no token within the wait: renewal may still succeed
        return None


def judge_answer(state: RunState, response: Any, name: str) -> tuple[bool, str]:
    """Inside a `catch_response` block: OPS's designed answer is a success (and counted), a 2xx that is not
    JSON a failure named as such; anything else as Locust decides (`users/answers.py`).
    Returns (designed answer?, why it is not JSON or "") for callers that keep their own verdict."""
    designed, why = judge(state, name, response.status_code, response.headers, response.content)
    if designed:
        response.success()
    elif why:
        response.failure(why)
    return designed, why


def judge(state: RunState, name: str, status: int, headers: Any, content: bytes | None) -> tuple[bool, str]:
    """(OPS's designed answer? (counted), why a 2xx is not JSON or ""): `judge_answer`'s verdict, for a
    caller that reports the request itself too (the page user, `locust_compat.get_unreported`)."""
    if is_designed(name, status):
        state.answers.record(name, status)
        return True, ""
    return False, not_json(status, headers.get("Content-Type") if headers is not None else None, content)


def after_response(state: RunState, token: str, status_code: int) -> None:
    """A 401 is recorded by Locust as the failure it was; the provider renews at most once per token."""
    if status_code == 401 and state.provider is not None:
        state.provider.on_unauthorized(token)


def build_tasks(endpoints: Sequence[Endpoint] = ENDPOINTS) -> dict[Callable[[OPSUser], None], int]:
    return {make_task(ep): ep.weight for ep in endpoints}


def apply_mix(user_class: type[OPSUser], mix: str) -> None:
    """Set the class's task list for `mix` (a scenario's `mix`), at test start, on master and workers.

    Locust expands the weights into a list with each task repeated weight times, and has already
    filtered it by `--tags` / `--exclude-tags` by now; `even` keeps each remaining task once, so the
    tag filter and the mix compose. The weighted list is kept so a later run (web UI) can return to it.
    A class attribute on purpose: the task list is what Locust reads from the class, and its own tag
    filter rewrites it the same way.
    """
    weighted = user_class.__dict__.get("_weighted_tasks")
    if weighted is None:
        weighted = list(user_class.tasks)
        user_class._weighted_tasks = weighted  # type: ignore[attr-defined]
    user_class.tasks = list(dict.fromkeys(weighted)) if mix == "even" else list(weighted)


class OPSUser(FastHttpUser):
    """A person using the OPS frontend: reads lists and details with the catalog's weights."""

    tasks = build_tasks()
    insecure = False
    expected_iteration_s = 0.5
    """Open model: one task, about one response; the pool's first size before any is measured."""

    def __init__(self, environment: LocustEnvironment) -> None:
        take_timeouts(self, environment)  # the client is made here
        super().__init__(environment)

    def on_start(self) -> None:
        self.run_state, self.index = start_user(self.environment)
        self._reschedules = 0
        arrivals.wait_for_first_arrival(self, self.run_state.arrivals)  # open model: even the first task waits

    def on_stop(self) -> None:
        run_state(self.environment).arrivals.leave(self)

    def wait_time(self) -> float:
        """The scenario's think time; in the open model, the wait for the next arrival."""
        if self.run_state.arrivals.active:
            return arrivals.open_wait(self, self.run_state.arrivals)
        return think(self.run_state)

    def request(self, url: str, name: str, record: object = None) -> None:
        """One GET; `record`: the id an `[id]` endpoint was sent for, counted per record (`state.records`)."""
        self._reschedules = 0
        auth = auth_headers(self.run_state, self.index)
        if auth is None:
            return
        token, headers = auth
        late = arrivals.late_ms(self, self.run_state.arrivals)
        started = time.perf_counter() if record is not None else 0.0

        def send() -> Any:
            with self.client.get(url, name=name, headers=headers, catch_response=True) as response:
                if late:  # open model, started late: timed from the intended start (coordinated omission)
                    compat.add_response_time(response, late)
                judge_answer(self.run_state, response, name)
            return response

        response = unless_unfinished(self.environment, "GET", name, send)
        status = response.status_code
        after_response(self.run_state, token, status)
        if record is not None:
            ms = (time.perf_counter() - started) * 1000.0 + late
            failed = (status == 0 or status >= 400) and not is_designed(name, status)
            self.run_state.records.add(name, record, ms, len(response.content or b""), failed)

    def skip_id_less(self) -> None:
        """This endpoint's pool is empty (reported by the warm-up): pick another task at once."""
        self._reschedules += 1
        if self._reschedules <= MAX_RESCHEDULES:
            raise RescheduleTaskImmediately()
        self._reschedules = 0
