"""Start-up: the run's settings resolved and checked, the token acquired and tried, the users configured.

At `init` on the master or the local runner (and again for each test started from the web UI, with
the form's values), `configure_run` fills the run's state (`RunState` on the environment) or stops
with one line. A worker resolves the same settings from the options the master forwarded, at its
first test start, or earlier when a user asks (`settings_needed`: a late joiner's first spawn can
beat `init`).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from locust import events
from locust.env import Environment as LocustEnvironment
from locust.runners import MasterRunner, WorkerRunner

from ops_perf import auth
from ops_perf.errors import OpsPerfError, die
from ops_perf.exitcodes import ExitCode
from ops_perf.plugin import arrivals as open_model
from ops_perf.plugin import bare_prefix, interrupt, messages, probe, webui
from ops_perf.plugin.progress import auth_failed
from ops_perf.plugin.run_record import git_commit
from ops_perf.settings import Environment, Scenario, check_run_allowed, host_note, normalise_host
from ops_perf.settings import resolve as resolve_settings
from ops_perf.users.endpoints.user import OPSUser, apply_mix
from ops_perf.users.headers import PROBE_USER_AGENT, RequestHeaders
from ops_perf.users.pages.person import POLL_PERIOD_S, PersonUser, visit_seconds
from ops_perf.users.state import UserSettings, run_state, settings_needed

logger = logging.getLogger("ops_perf")


@events.init.add_listener
def on_init(environment: LocustEnvironment, **_: Any) -> None:
    auth.install_redaction()
    interrupt.install(environment)
    open_model.register(environment)
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        messages.register_worker(environment)
        return
    options = environment.parsed_options
    if options is None:  # used as a library without Locust's CLI: the caller fills the run state
        return
    bare_prefix.announce(options)
    state = run_state(environment)
    try:
        configure_run(environment, options)
        if state.interrupted_at is not None:
            raise OpsPerfError("interrupted (Ctrl-C) before the load started; nothing was run", ExitCode.INTERRUPTED)
    except OpsPerfError as err:
        die(err, prog="locust")
    state.git_commit = git_commit()  # now: a subprocess at quit would let Locust's CSV writer run again
    if isinstance(runner, MasterRunner):
        messages.register_master(environment)
    if environment.web_ui is not None:
        webui.install(environment, configure_run, resolve)


def configure_run(environment: LocustEnvironment, options: Any, host: str | None = None) -> None:
    """Settings resolved and checked, token acquired, host probed; the run state filled.

    At start-up from the command line, and again for each test started from the web UI (with the
    form's values and host). Raises `OpsPerfError` (one line) and changes nothing when a value is bad.
    """
    state = run_state(environment)
    env, scenario = resolve(options)
    typed = (host if host is not None else environment.host) or ""
    host = normalise_host(typed) if typed else env.host
    note = host_note(typed, host) if typed else None
    if note:
        logger.info(note)
    check_run_allowed(env, scenario, host, bool(options.confirm_prod))
    provider = auth.TokenProvider(
        host,
        allowed_sources=env.token_sources,
        test_users=env.test_users[: max(1, options.test_users)] if env.test_users else (),
        frontend_url=env.frontend_url,
        timeout=env.connect_timeout_s + 5,
        on_failed=lambda reason: auth_failed(state, reason),
    )
    try:
        provider.acquire(run_seconds=scenario.duration_s)
        sim = _probe_host(host, env, provider)
    except OpsPerfError:
        provider.stop()
        raise
    if state.provider is not None and state.provider is not provider:
        state.provider.stop()  # a test started again from the web UI: the earlier token's renewal ends
    environment.host = host
    state.env, state.scenario, state.host, state.provider = env, scenario, host, provider
    state.sim_profile = sim.profile if sim else None
    state.sim_time_scale = sim.time_scale if sim else None
    state.started_at = time.time()
    configure_users(environment, env, scenario)
    state.headers = RequestHeaders(provider, env.frontend_url)
    if isinstance(environment.runner, MasterRunner):
        provider.on_renewed = lambda _token: messages.broadcast_token(environment)


def resolve(options: Any) -> tuple[Environment, Scenario]:
    """Settings from Locust's parsed options, by the same resolution `ops-perf run` made before."""
    return resolve_settings(
        options.ops_env, options.scenario, users=options.num_users, spawn_rate=options.spawn_rate,
        run_time=options.run_time, think_time=options.think_time or None,
        arrival_rate=getattr(options, "arrival_rate", 0.0) or None, user=getattr(options, "user", "") or None,
        frontend_defects=bool(getattr(options, "frontend_defects", False)),
    )  # fmt: skip


def configure_users(environment: LocustEnvironment, env: Environment, scenario: Scenario) -> None:
    """Who is simulated and how: the scenario's user class, its settings, the mix, the open model."""
    options = environment.parsed_options
    poll = getattr(options, "notification_poll", POLL_PERIOD_S)
    run_state(environment).users = UserSettings(
        think_time_s=scenario.think_time_s,
        request_timeout_s=env.request_timeout_s,
        connect_timeout_s=env.connect_timeout_s,
        frontend_defects=scenario.frontend_defects,
        page_tour=bool(getattr(options, "page_tour", False)),
        poll_period_s=poll if isinstance(poll, int | float) and poll > 0 else POLL_PERIOD_S,
    )
    # Who is simulated is the scenario's choice: Locust spawns only that class (workers by its name).
    pages = scenario.user == "pages"
    environment.user_classes[:] = [PersonUser if pages else OPSUser]
    apply_mix(OPSUser, scenario.mix)
    expected = visit_seconds(scenario.think_time_s) if pages else OPSUser.expected_iteration_s
    open_model.configure(environment, scenario, expected, env.request_timeout_s)


def _probe_host(host: str, env: Environment, provider: auth.TokenProvider) -> probe.SimTarget | None:
    """Before the warm-up: the host answers and takes each token (a 401 is renewed or refused in one
    line); returns the simulator's profile and time scale when the host is the local simulator."""
    headers = RequestHeaders(provider, env.frontend_url, PROBE_USER_AGENT)
    timeouts = (env.connect_timeout_s, env.request_timeout_s)  # refuse a dead host fast, wait for a slow one
    probe.check_tokens(host, provider.slot_count, headers.for_user, provider.renew_refused, timeouts)
    sim = probe.sim_target(host)
    if sim:
        logger.info("target: %s", sim.describe())
    return sim


@settings_needed.add_listener
def start_worker(environment: LocustEnvironment, **_: Any) -> None:
    """A worker takes its settings from the options the master forwarded with the spawn message.

    At its test start, or earlier when a user asks (`settings_needed`): a worker that joins a running
    test can get its first spawn message before Locust has fired `init` on it.
    """
    state = run_state(environment)
    if state.headers is not None or not isinstance(environment.runner, WorkerRunner):
        return
    try:
        env, scenario = resolve(environment.parsed_options)
    except OpsPerfError as err:
        logger.error("worker cannot resolve settings: %s", err)
        return
    try:
        host = normalise_host(environment.host) if environment.host else env.host
    except OpsPerfError as err:
        logger.error("worker cannot use the master's host: %s", err)
        return
    environment.host = host
    state.env, state.scenario, state.host = env, scenario, host
    configure_users(environment, env, scenario)
    state.headers = RequestHeaders(messages.passive_provider(environment), env.frontend_url)
