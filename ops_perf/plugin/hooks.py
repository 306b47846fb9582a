"""Locust event listeners: how the suite plugs into Locust's own life cycle.

| event | process | what happens |
|---|---|---|
| `init_command_line_parser` | all | `--ops-env`, `--scenario`, `--think-time`, `--user`, ... (also `OPS_*` env vars, `.env`) |
| `init` | all | SIGINT taken over (`ops_perf.plugin.interrupt`): Ctrl-C stops the load and keeps the results |
| `init` | master / local | settings resolved and checked, production guard, token acquired and tried on the server (`ops_perf.plugin.probe`); a bad value exits with one line |
| `init` | worker | message handlers for the master's ids and tokens |
| web UI `/swarm` | master / local | the form's settings resolved and checked like the command line's (`ops_perf.plugin.webui`) |
| `ops_perf_hello` message | master | a late (or reconnecting) worker asks for, and gets, the ids and the token |
| `test_start` | master / local | the one warm-up (every list failed: the run stops as invalid), or the ids of `--warmup-ids FILE` (ops_perf/users/warmup_file.py); ids broadcast; statistics and the shape clock reset after it |
| `test_stop` | master / local | the real end of the load time (run.json `load_ended_at`) |
| `test_start` | worker | settings from the options the master forwarded; waits for ids in `OPSUser.on_start` |
| open model | all | the pacer, the rate shared across workers, dropped arrivals: `ops_perf/plugin/arrivals.py` |
| `ops_perf_pages` message | master | a worker's page counts at the end of its run (ops_perf/users/pages/stats.py) |
| `quit` | master / local | `<prefix>_run.json`, and `<prefix>_pages.json` for a pages run (none when no test ever started) |
| `--csv` parsed | master / local | the prefix reserved like `ops-perf run`'s (`ops_perf/plugin/bare_prefix.py`): a taken one becomes `-N` |

Workers never harvest and never renew tokens: the master does both once and sends the result.
"""

from __future__ import annotations

import csv
import gc
import json
import logging
import time
from pathlib import Path
from typing import Any

import gevent
from dotenv import load_dotenv
from locust import between, constant, events
from locust.argument_parser import LocustArgumentParser
from locust.env import Environment as LocustEnvironment
from locust.runners import MasterRunner, WorkerRunner
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, StatsCSVFileWriter

from ops_perf import auth
from ops_perf.errors import OpsPerfError, die
from ops_perf.exitcodes import ExitCode
from ops_perf.plugin import arrivals as arrival_hooks
from ops_perf.plugin import bare_prefix, interrupt, probe, webui
from ops_perf.plugin.run_record import git_commit, run_record
from ops_perf.plugin.shape import ScenarioShape
from ops_perf.runfiles.discover import (
    EXCEPTIONS_SUFFIX,
    FAILURES_SUFFIX,
    HISTOGRAMS_SUFFIX,
    RUN_JSON_SUFFIX,
    STATS_SUFFIX,
    WARMUP_JSON_SUFFIX,
)
from ops_perf.settings import (
    Environment,
    Scenario,
    apply_overrides,
    check_run_allowed,
    host_note,
    load_environment,
    load_scenario,
    normalise_host,
    parse_think_time,
)
from ops_perf.users import warmup_file
from ops_perf.users.endpoints.catalog import pools_in_use
from ops_perf.users.endpoints.user import OPSUser, apply_mix
from ops_perf.users.pages.catalog import CATALOG as PAGE_CATALOG
from ops_perf.users.pages.person import POLL_PERIOD_S, PersonUser, visit_seconds
from ops_perf.users.pages.stats import MSG_PAGES, TALLY
from ops_perf.users.state import CONTEXT, PROBE_USER_AGENT, WARMUP_USER_AGENT, RequestHeaders
from ops_perf.users.warmup import CACHE, WarmupSummary, harvest

logger = logging.getLogger("ops_perf")
CONTEXT.prepare = lambda environment: _start_worker(environment)

MSG_IDS = "ops_perf_ids"
MSG_TOKEN = "ops_perf_token"
MSG_RENEW = "ops_perf_renew"
MSG_HELLO = "ops_perf_hello"
AUTH_POLL_S = 0.5
"""How often the master checks whether the token provider has given up."""
PROGRESS_MIN_INTERVAL_S = 5.0
PROGRESS_MAX_INTERVAL_S = 60.0
"""Progress lines come every tenth of the scenario, within these bounds."""

load_dotenv(Path.cwd() / ".env", override=False)


# --- arguments ------------------------------------------------------------------------------------


@events.init_command_line_parser.add_listener
def add_arguments(parser: LocustArgumentParser) -> None:
    group = parser.add_argument_group("ops-perf", "OPS load-test settings (also OPS_* environment variables)")
    group.add_argument("--ops-env", env_var="OPS_ENV", default="local", help="local, dev, stg or prod")
    group.add_argument("--scenario", env_var="OPS_SCENARIO", default="smoke", help="a file in scenarios/")
    group.add_argument(
        "--think-time", env_var="OPS_THINK_TIME", default="", help="MIN,MAX seconds between tasks (default: scenario)"
    )
    group.add_argument(
        "--arrival-rate",
        env_var="OPS_ARRIVAL_RATE",
        type=float,
        default=0.0,
        help="open model: arrivals per second (tasks; people per minute for the page user), one steady stage",
    )
    group.add_argument("--ids-per-pool", env_var="OPS_IDS_PER_POOL", type=int, default=0, help="warm-up ids per pool")
    group.add_argument(
        "--warmup-deadline", env_var="OPS_WARMUP_DEADLINE", type=float, default=0.0, help="warm-up deadline (s)"
    )
    group.add_argument(
        "--test-users", env_var="OPS_TEST_USERS", type=int, default=1, help="test users to log in and share out"
    )
    group.add_argument(
        "--confirm-prod", env_var="OPS_CONFIRM_PROD", action="store_true", default=False, help="allow a prod run"
    )
    group.add_argument(
        "--user", env_var="OPS_USER", default="", choices=["", "pages", "endpoints"], help="who (default: scenario)"
    )
    group.add_argument(
        "--frontend-defects",
        env_var="OPS_FRONTEND_DEFECTS",
        action="store_true",
        default=False,
        help="pages: also send the calls the frontend gets wrong (users/-1, ...), announced, not OPS failures",
    )
    group.add_argument(
        "--page-tour",
        env_var="OPS_PAGE_TOUR",
        action="store_true",
        default=False,
        help="pages: each person first visits every page of the catalog once",
    )
    group.add_argument(
        "--notification-poll",
        env_var="OPS_NOTIFICATION_POLL",
        type=float,
        default=POLL_PERIOD_S,
        help="pages: seconds between notification polls (the frontend: 60)",
    )
    webui.show_in_form(group)
    group.add_argument(  # after show_in_form, and no OPS_* variable: the capacity search's, not a setting
        "--warmup-ids",
        default="",
        help="a file of warm-up ids: used instead of a warm-up where it exists, else written by this run's",
    )
    bare_prefix.install(parser)  # `--csv X` reserves X (or X-N) before Locust opens its CSV files


# --- init -----------------------------------------------------------------------------------------


@events.init.add_listener
def on_init(environment: LocustEnvironment, **_: Any) -> None:
    auth.install_redaction()
    interrupt.install(environment)
    runner = environment.runner
    arrival_hooks.register(runner)
    if isinstance(runner, WorkerRunner):
        _passive_provider(runner)
        events.test_stop.add_listener(lambda **_kw: _send_page_counts(runner))
        runner.register_message(MSG_IDS, _receive_ids)
        runner.register_message(MSG_TOKEN, _receive_token)
        # Ask for the ids and the token now that we can receive them: anything the master pushed on
        # connect arrived before these handlers existed (Locust drops unknown message types).
        runner.send_message(MSG_HELLO)
        return
    options = environment.parsed_options
    if options is None:  # used as a library without Locust's CLI: the caller configures the context
        return
    bare_prefix.announce(options)
    try:
        configure_run(environment, options)
        if CONTEXT.interrupted_at is not None:
            raise OpsPerfError("interrupted (Ctrl-C) before the load started; nothing was run", ExitCode.INTERRUPTED)
    except OpsPerfError as err:
        die(err, prog="locust")
    CONTEXT.git_commit = git_commit()  # now: a subprocess at quit would let Locust's CSV writer run again
    if isinstance(runner, MasterRunner):
        events.worker_connect.add_listener(lambda client_id: CONTEXT.worker_ids.add(client_id))
        runner.register_message(MSG_HELLO, lambda environment, msg, **_kw: _send_state(runner, msg.node_id))
        runner.register_message(MSG_RENEW, _renewal_requested)
        runner.register_message(MSG_PAGES, lambda environment, msg, **_kw: TALLY.merge(msg.data))
    if environment.web_ui is not None:
        webui.install(environment, configure_run, resolve)


def configure_run(environment: LocustEnvironment, options: Any, host: str | None = None) -> None:
    """Settings resolved and checked, token acquired, host probed; the run context filled.

    At start-up from the command line, and again for each test started from the web UI (with the
    form's values and host). Raises `OpsPerfError` (one line) and changes nothing when a value is bad.
    """
    runner = environment.runner
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
        on_failed=_auth_failed,
    )
    try:
        provider.acquire(run_seconds=scenario.duration_s)
        _probe_host(host, env, provider)
    except OpsPerfError:
        provider.stop()
        raise
    if CONTEXT.provider is not None and CONTEXT.provider is not provider:
        CONTEXT.provider.stop()  # a test started again from the web UI: the earlier token's renewal ends
    environment.host = host
    CONTEXT.env, CONTEXT.scenario, CONTEXT.host, CONTEXT.provider = env, scenario, host, provider
    CONTEXT.started_at = time.time()
    ScenarioShape.scenario = scenario
    ScenarioShape.load_started = staticmethod(lambda: CONTEXT.load_started_at is not None)
    # Who is simulated is the scenario's choice: Locust spawns only that class (workers by its name).
    environment.user_classes[:] = [PersonUser if scenario.user == "pages" else OPSUser]
    _configure_users(env, scenario, environment)
    CONTEXT.headers = RequestHeaders(provider, env.frontend_url)
    if isinstance(runner, MasterRunner):
        provider.on_renewed = lambda _token: _broadcast_token(runner)


def resolve(options: Any) -> tuple[Environment, Scenario]:
    """Settings from Locust's parsed options: environment, scenario, and -u/-r/-t overrides."""
    env = load_environment(options.ops_env)
    scenario = load_scenario(options.scenario)
    think = parse_think_time(options.think_time) if options.think_time else None
    scenario = apply_overrides(
        scenario,
        users=options.num_users,
        spawn_rate=options.spawn_rate,
        run_time=options.run_time,
        think_time=think,
        arrival_rate=getattr(options, "arrival_rate", 0.0) or None,
        user=getattr(options, "user", "") or None,
        frontend_defects=bool(getattr(options, "frontend_defects", False)),
    )
    return env, scenario


def _configure_users(env: Environment, scenario: Scenario, environment: LocustEnvironment) -> None:
    options = environment.parsed_options
    low, high = scenario.think_time_s
    for cls in (OPSUser, PersonUser):
        cls.wait_time = constant(low) if low == high else between(low, high)
        cls.network_timeout = env.request_timeout_s
        cls.connection_timeout = env.connect_timeout_s
    apply_mix(OPSUser, scenario.mix)
    PersonUser.frontend_defects = scenario.frontend_defects
    PersonUser.think_time_s = scenario.think_time_s
    PersonUser.expected_iteration_s = visit_seconds(scenario.think_time_s)
    PersonUser.page_tour = bool(getattr(options, "page_tour", False))
    poll = getattr(options, "notification_poll", POLL_PERIOD_S)
    PersonUser.poll_period_s = poll if isinstance(poll, int | float) and poll > 0 else POLL_PERIOD_S
    arrival_hooks.configure(list(environment.user_classes or [OPSUser]), scenario, environment, env.request_timeout_s)


def _announce_pages(scenario: Scenario) -> None:
    """A pages run says so, and says loudly when it sends the frontend's own failing calls."""
    if scenario.user != "pages":
        return
    logger.info(
        "pages: %d page views of the frontend, think time %g-%g s, notifications every %g s",
        len(PAGE_CATALOG.pages), *scenario.think_time_s, PersonUser.poll_period_s,
    )  # fmt: skip
    if scenario.frontend_defects:
        defects = sorted({c.defect for p in PAGE_CATALOG.pages.values() for c in p.calls if c.defect})
        logger.warning(
            "pages: frontend defects ON: sending the calls the real frontend gets wrong, recorded as "
            "'<url> (frontend defect)'; their expected 404s are not counted as failures: %s",
            "; ".join(defects),
        )


def _send_page_counts(runner: WorkerRunner) -> None:
    """A worker's page counts go to the master at the end of its run (the master writes the sidecar)."""
    if TALLY.routes:
        runner.send_message(MSG_PAGES, TALLY.as_dict())
        TALLY.clear()


def _probe_host(host: str, env: Environment, provider: auth.TokenProvider) -> None:
    """Before the warm-up: the host answers and takes each token (a 401 is renewed or refused in one
    line), and a local simulator names its profile for run.json."""
    headers = RequestHeaders(provider, env.frontend_url, PROBE_USER_AGENT)
    timeouts = (env.connect_timeout_s, env.request_timeout_s)  # refuse a dead host fast, wait for a slow one
    probe.check_tokens(host, provider.slot_count, headers.for_user, provider.renew_refused, timeouts)
    CONTEXT.sim_profile = probe.sim_profile(host)
    if CONTEXT.sim_profile:
        logger.info("target: the OPS simulator, profile %s", CONTEXT.sim_profile)


# --- test start: the one warm-up ------------------------------------------------------------------


@events.test_start.add_listener
def on_test_start(environment: LocustEnvironment, **_: Any) -> None:
    runner = environment.runner
    if isinstance(runner, WorkerRunner):
        CONTEXT.headers = None  # a new test: settings may have changed on the master
        _start_worker(environment)
        arrival_hooks.start_worker(environment)
        return
    if CONTEXT.env is None or CONTEXT.provider is None:
        return
    CONTEXT.test_started = True
    if CONTEXT.interrupted_at is not None:
        interrupt.stop_before_load(environment)
        return
    env, provider = CONTEXT.env, CONTEXT.provider
    options = environment.parsed_options
    ids_per_pool = (options.ids_per_pool if options and options.ids_per_pool else 0) or env.warmup_ids_per_pool
    deadline = (options.warmup_deadline if options and options.warmup_deadline else 0) or env.warmup_deadline_s
    ids_file = Path(options.warmup_ids) if options and getattr(options, "warmup_ids", "") else None
    reused = warmup_file.load(ids_file, pools_in_use()) if ids_file else None
    if reused is not None:
        ids, summary = reused
    else:
        warmup_headers = RequestHeaders(provider, env.frontend_url, WARMUP_USER_AGENT)
        logger.info("warm-up: harvesting ids from %d list endpoints (deadline %gs)", len(pools_in_use()), deadline)
        ids, summary = harvest(
            CONTEXT.host,
            lambda: warmup_headers.for_user(0)[1],
            pools_in_use(),
            ids_per_pool=ids_per_pool,
            deadline_s=deadline,
            timeout_s=env.request_timeout_s,
        )
        if ids_file is not None and len(summary.failures) < len(summary.pools) and not ids_file.exists():
            warmup_file.save(ids_file, ids, summary)  # for the runs that follow (a capacity search's steps)
    CACHE.fill(ids)
    CONTEXT.warmup = summary
    for line in summary.lines():
        (logger.warning if "FAILED" in line or "no ids" in line else logger.info)(line)
    if options and options.csv_prefix:
        summary.write(Path(f"{options.csv_prefix}{WARMUP_JSON_SUFFIX}"))
    if CONTEXT.interrupted_at is not None:
        interrupt.stop_before_load(environment)
        return
    if summary.pools and len(summary.failures) >= len(summary.pools):
        _warmup_failed(environment, summary)
        return
    if isinstance(runner, MasterRunner):
        CONTEXT.worker_ids.update(runner.clients.keys())  # those that connected before our init ran
        runner.send_message(MSG_IDS, CACHE.as_message())
        _broadcast_token(runner)
    # Load time starts now: statistics (Requests/s) and the scenario clock exclude the warm-up.
    runner.stats.reset_all()
    TALLY.clear()
    if CONTEXT.scenario is not None:
        _announce_pages(CONTEXT.scenario)
    if environment.shape_class is not None:
        environment.shape_class.reset_time()
    CONTEXT.load_started_at, CONTEXT.load_ended_at = time.time(), None
    arrival_hooks.start(environment)
    gevent.spawn(_watch_auth, environment)
    gevent.spawn(_report_progress, environment)


def _warmup_failed(environment: LocustEnvironment, summary: WarmupSummary) -> None:
    """Every list failed: the detail endpoints would go unexercised and the rest measure a broken host."""
    first = summary.failures[0]
    CONTEXT.status = "invalid"
    CONTEXT.status_detail = (
        f"the warm-up failed on all {len(summary.pools)} list endpoints (first: {first['endpoint']}: "
        f"{first['error']}); check --host (the base URL, without /api/v1) and the token"
    )
    environment.process_exit_code = int(ExitCode.RUN_INVALID)
    logger.error("stopping the run: %s", CONTEXT.status_detail)
    interrupt.stop_before_load(environment)


@events.test_stop.add_listener
def on_test_stop(environment: LocustEnvironment, **_: Any) -> None:
    if not isinstance(environment.runner, WorkerRunner) and CONTEXT.load_started_at and not CONTEXT.load_ended_at:
        CONTEXT.load_ended_at = time.time()


def _report_progress(environment: LocustEnvironment) -> None:
    """One compact line now and then, so a long run (`--only-summary`) shows it is alive and how it goes."""
    scenario, runner = CONTEXT.scenario, environment.runner
    if scenario is None or runner is None or CONTEXT.load_started_at is None:
        return
    interval = min(PROGRESS_MAX_INTERVAL_S, max(PROGRESS_MIN_INTERVAL_S, scenario.duration_s / 10))
    while True:
        gevent.sleep(interval)
        if runner.state in ("stopped", "quitting", "cleanup") or CONTEXT.load_ended_at is not None:
            return
        total = runner.stats.total
        elapsed = time.time() - CONTEXT.load_started_at
        failed_pct = 100.0 * total.num_failures / total.num_requests if total.num_requests else 0.0
        p95 = total.get_response_time_percentile(0.95) if total.num_requests else 0
        logger.info(
            "progress: %.0f/%.0f s, %d users, %d requests, %d failures (%.2f%%), p95 %s ms, %.1f req/s%s",
            min(elapsed, scenario.duration_s), scenario.duration_s, runner.user_count, total.num_requests,
            total.num_failures, failed_pct, p95, total.total_rps, arrival_hooks.progress_suffix(),
        )  # fmt: skip


def _watch_auth(environment: LocustEnvironment) -> None:
    """Stop the run with one clear line when the token can no longer be renewed."""
    provider = CONTEXT.provider
    runner = environment.runner
    while runner is not None and runner.state not in ("stopped", "quitting", "cleanup"):
        if provider.failed:
            if CONTEXT.status != "cut_short_auth":  # a provider without our listener (library use)
                _auth_failed(provider.failed)
            environment.process_exit_code = int(ExitCode.RUN_INVALID)
            runner.quit()
            return
        gevent.sleep(AUTH_POLL_S)


def _auth_failed(reason: str) -> None:
    """The provider gave up renewing: the one line that says why, and the run's status (run.json).

    Called by the provider the moment it gives up (so the status holds even if the run ends before
    `_watch_auth` looks again); `_watch_auth` then stops the run.
    """
    CONTEXT.status = "cut_short_auth"
    CONTEXT.status_detail = reason
    logger.error("stopping the run: %s", reason)


def _passive_provider(runner: WorkerRunner) -> Any:
    """Workers never log in or refresh: a refused token is reported to the master, which renews."""
    if CONTEXT.provider is None:
        CONTEXT.provider = auth.TokenProvider(
            "",
            frontend_url="",
            passive=True,
            on_renewal_needed=lambda token: runner.send_message(MSG_RENEW, {"token": token}),
        )
    return CONTEXT.provider


def _start_worker(environment: LocustEnvironment) -> None:
    """A worker takes its settings from the options the master forwarded with the spawn message.

    Also called from `OPSUser.on_start` (via `CONTEXT.prepare`): a worker that joins a running
    test can get its first spawn message before Locust has fired `init` on it.
    """
    if CONTEXT.headers is not None:
        return
    options = environment.parsed_options
    try:
        env, scenario = resolve(options)
    except OpsPerfError as err:
        logger.error("worker cannot resolve settings: %s", err)
        return
    try:
        host = normalise_host(environment.host) if environment.host else env.host
    except OpsPerfError as err:
        logger.error("worker cannot use the master's host: %s", err)
        return
    environment.host = host
    CONTEXT.env, CONTEXT.scenario, CONTEXT.host = env, scenario, host
    _configure_users(env, scenario, environment)
    CONTEXT.headers = RequestHeaders(_passive_provider(environment.runner), env.frontend_url)


def _send_state(runner: MasterRunner, client_id: str) -> None:
    CONTEXT.worker_ids.add(client_id)
    if CACHE.ready.is_set():
        runner.send_message(MSG_IDS, CACHE.as_message(), client_id=client_id)
        _broadcast_token(runner, client_id)


def _broadcast_token(runner: MasterRunner, client_id: str | None = None) -> None:
    provider = CONTEXT.provider
    if provider is not None:
        runner.send_message(MSG_TOKEN, provider.export_tokens(), client_id=client_id)


def _receive_ids(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    CACHE.fill(msg.data)
    logger.info("received %d ids in %d pools from the master", sum(map(len, msg.data.values())), len(msg.data))


def _receive_token(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    _passive_provider(environment.runner).import_tokens(msg.data)


def _renewal_requested(environment: LocustEnvironment, msg: Any, **_: Any) -> None:
    """A worker got a 401: the master renews (at most once per token) and broadcasts the result."""
    if CONTEXT.provider is not None:
        CONTEXT.provider.on_unauthorized(msg.data.get("token", ""))


# --- the end --------------------------------------------------------------------------------------


@events.cpu_warning.add_listener
def on_cpu_warning(**_: Any) -> None:
    CONTEXT.cpu_warning = True


@events.quitting.add_listener
def on_quitting(environment: LocustEnvironment, **_: Any) -> None:
    """`<prefix>.json`: per-endpoint stats with response-time histograms, for the bootstrap verdicts.

    Written here rather than with Locust's `--json-file`, whose serialisation resets every entry
    and so can zero the endpoint rows of the stats CSV if its writer runs once more at shutdown.
    """
    arrival_hooks.judge_drops(environment)  # before Locust picks the exit code
    options = environment.parsed_options
    if isinstance(environment.runner, WorkerRunner) or options is None or not options.csv_prefix:
        return
    if not CONTEXT.test_started:
        return  # a web UI closed before any test: nothing ran, so no run files (bare_prefix removes Locust's)
    _write_final_csvs(environment, options.csv_prefix)
    entries = [
        entry.serialize()
        for entry in environment.runner.stats.entries.values()
        if entry.num_requests or entry.num_failures
    ]
    Path(f"{options.csv_prefix}{HISTOGRAMS_SUFFIX}").write_text(json.dumps(entries, indent=1), encoding="utf-8")


def _write_final_csvs(environment: LocustEnvironment, prefix: str) -> None:
    """The stats, failures and exceptions CSVs as of the end of the run.

    Locust rewrites them once a second and not again at shutdown, so the last second (for a run
    stopped by the auth guard: every failure it recorded) could be missing. Same writer, same files.
    """
    writer = StatsCSV(environment, PERCENTILES_TO_REPORT)
    for suffix, write in (
        (STATS_SUFFIX, writer.requests_csv),
        (FAILURES_SUFFIX, writer.failures_csv),
        (EXCEPTIONS_SUFFIX, writer.exceptions_csv),
    ):
        with open(f"{prefix}{suffix}", "w", encoding="utf-8", newline="") as fh:
            write(csv.writer(fh))


@events.quit.add_listener
def on_quit(exit_code: int, **_: Any) -> None:
    _stop_csv_writer()
    options = _last_options.get("options")
    if CONTEXT.env is None or options is None or not getattr(options, "csv_prefix", None):
        return
    if not CONTEXT.test_started:
        return  # nothing ran (a web UI closed before any test): no run.json, nothing to report
    path = Path(f"{options.csv_prefix}{RUN_JSON_SUFFIX}")
    path.write_text(json.dumps(run_record(options, exit_code), indent=2, sort_keys=True) + "\n", encoding="utf-8")
    if CONTEXT.scenario is not None and CONTEXT.scenario.user == "pages":
        TALLY.write(options.csv_prefix)  # after runner.quit(): the workers' counts are in


def _stop_csv_writer() -> None:
    """Stop Locust's once-a-second CSV writer now that the files are final.

    Locust closes the CSV files after `quit` but leaves the writer's greenlet alive; with
    `--processes`, `atexit` then waits for the workers, the writer wakes, and dies on the closed file
    with a traceback (seen after a Ctrl-C). Locust keeps no handle on the greenlet, hence the search.
    """
    for obj in gc.get_objects():
        if isinstance(obj, gevent.Greenlet) and not obj.dead:
            run = getattr(obj, "_run", None)
            if getattr(run, "__func__", None) is StatsCSVFileWriter.stats_writer:
                obj.kill(block=False)


_last_options: dict[str, Any] = {}


@events.init.add_listener
def _remember_options(environment: LocustEnvironment, **_: Any) -> None:
    _last_options["options"] = environment.parsed_options
    _last_options["environment"] = environment
