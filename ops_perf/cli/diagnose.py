"""`ops-perf diagnose`: why the slow endpoints are slow, from isolated probes (docs/DIAGNOSE.md).

Which endpoints: those the judge found over target in `--from PREFIX`, the `--endpoint` names, or
`--all` (any together: their union, in that order). Refused where `config/environments.toml` says
`diagnose = false` (prod), and while a run of this results folder is loading (its `_run.lock` held by
a live process): probes measure an endpoint alone. The request budget is printed before the first
request; progress follows line by line; diagnose.json is rewritten after each endpoint, so a Ctrl-C
keeps what was measured (exit 130). Exit codes: 0 diagnosed (causes found or not), 2 bad input or
refused, 4 nothing could be measured (no endpoint answered 2xx), 130 interrupted.
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from dotenv import load_dotenv

from ops_perf.auth import TokenProvider, install_redaction, register_secret
from ops_perf.diagnose import catalog, plan
from ops_perf.diagnose.client import Budget, BudgetSpent, Client
from ops_perf.diagnose.database import ENV_VAR, Statements, Unavailable
from ops_perf.diagnose.probes import EndpointRun, Prober
from ops_perf.diagnose.render import write_json, write_markdown
from ops_perf.errors import OneLineParser, OpsPerfError
from ops_perf.exitcodes import ExitCode
from ops_perf.judge import judge_run
from ops_perf.judge.causes import judge_diagnosis, over_target
from ops_perf.paths import RESULTS_DIR
from ops_perf.runfiles.diagnosis_json import SCHEMA, parse_diagnosis
from ops_perf.runfiles.load import Run, open_runs
from ops_perf.runfiles.prefix import LOCK_SUFFIX, new_folder
from ops_perf.settings import load_environment, normalise_host
from ops_perf.settings.environments import Environment
from ops_perf.settings.targets import load_targets
from ops_perf.users.endpoints.catalog import POOLS, ListShape
from ops_perf.users.headers import DIAGNOSE_USER_AGENT, RequestHeaders

PROG = "ops-perf diagnose"


def say(line: str) -> None:
    print(f"{PROG}: {line}", flush=True)


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog=PROG,
        description="Isolated probes of chosen endpoints (concurrency, page-size and record sweeps; with a database "
        "URL, pg_stat_statements) and the judge's reading of them: diagnose.json, DIAGNOSIS.md and charts. Exit "
        "codes: 0 diagnosed, 2 usage error or refused (prod), 4 nothing could be measured, 130 interrupted.",
    )
    parser.add_argument("--env", help="local, dev or stg (config/environments.toml `diagnose`); default: the run's")
    parser.add_argument(
        "--host", help="override the environment's host, e.g. the simulator's URL (default: the environment's)"
    )
    parser.add_argument(
        "--from",
        dest="from_run",
        metavar="PREFIX",
        help="a run: probe the endpoints the judge found over target in it (default none)",
    )
    parser.add_argument(
        "--endpoint",
        action="append",
        default=[],
        metavar="NAME",
        help="a Locust name, repeatable (default: those of --from)",
    )
    parser.add_argument(
        "--all", action="store_true", help="every endpoint of the catalog, the budget decides how far (default off)"
    )
    parser.add_argument(
        "--budget", type=int, default=plan.DEFAULT_BUDGET, help=f"requests in all (default {plan.DEFAULT_BUDGET})"
    )
    parser.add_argument(
        "--max-in-flight",
        type=int,
        default=plan.DEFAULT_IN_FLIGHT,
        help=f"highest concurrency of the sweep, 1-{plan.DEFAULT_IN_FLIGHT} (default {plan.DEFAULT_IN_FLIGHT})",
    )
    parser.add_argument(
        "--db-url",
        help=f"PostgreSQL URL for pg_stat_statements (default {ENV_VAR}, else none); never printed or stored",
    )
    parser.add_argument("--results-dir", type=Path, help="default: the --from run's folder, else results/<today>")
    parser.add_argument("--targets", type=Path, help="targets file (default config/targets.toml)")
    return parser


# ---- what to probe ------------------------------------------------------------------------------------


def _from_run(prefix: str, targets_path: Path | None) -> tuple[Run, list[str]]:
    run = open_runs([prefix])[0]
    targets = load_targets(targets_path, run.env)
    judged = judge_run(run, targets, run.raw_histograms if run.has_pages else None)
    return run, over_target(judged.endpoint_statuses)


def _selection(args: Any) -> tuple[list[catalog.Target], str, Run | None, list[str]]:
    notes: list[str] = []
    targets: list[catalog.Target] = []
    kinds = []
    run = None
    if args.from_run:
        run, slow = _from_run(args.from_run, args.targets)
        found, unknown = catalog.known(slow)
        targets += found
        kinds.append("from")
        say(f"{run.label}: {len(slow)} endpoint(s) over target" + (f": {', '.join(slow)}" if slow else ""))
        if unknown:
            notes.append(f"not in the catalog, not probed: {', '.join(unknown)}")
    if args.endpoint:
        targets += catalog.resolve(args.endpoint)
        kinds.append("endpoint")
    if args.all:
        targets += catalog.every_target()
        kinds.append("all")
    if not kinds:
        raise OpsPerfError("say what to probe: --from PREFIX (its endpoints over target), --endpoint NAME, or --all")
    unique = list({t.name: t for t in targets}.values())
    return unique, "+".join(kinds), run, notes


def _environment(args: Any, run: Run | None) -> Environment:
    name = args.env or (run.env if run is not None else None)
    if not name:
        raise OpsPerfError("--env is needed (local, dev or stg), or --from a run that names its environment")
    env = load_environment(name)
    if run is not None and run.env and args.env and load_environment(run.env).name != env.name:
        raise OpsPerfError(f"--from {run.label} is a run on {run.env}, --env says {env.name}; diagnose one environment")
    if not env.diagnose_allowed:
        raise OpsPerfError(
            f"ops-perf diagnose is not allowed on {env.name}: its sweeps put up to 8 requests at once on one endpoint; "
            "diagnose on local, dev or stg (config/environments.toml `diagnose`)"
        )
    return env


def _live_locks(folders: Sequence[Path]) -> list[Path]:
    """`_run.lock` files of runs still loading (their process alive)."""
    found = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for lock in [*folder.glob(f"*{LOCK_SUFFIX}"), *folder.glob(f"*/*{LOCK_SUFFIX}")]:
            try:
                pid = int(lock.read_text(encoding="utf-8").split()[0])
                os.kill(pid, 0)
            except (OSError, ValueError, IndexError):
                continue
            found.append(lock)
    return found


# ---- the ids ------------------------------------------------------------------------------------------


def _harvest(client: Client, pools: Sequence[str], cap: int) -> dict[str, list[Any]]:
    """Ids of each pool (at most `cap`), as the warm-up takes them: paged lists by `limit=50` pages."""
    ids: dict[str, list[Any]] = {}
    for name in pools:
        pool = POOLS[name]
        found: list[Any] = []
        pages = 1 if pool.shape is ListShape.PLAIN else -(-cap // plan.HARVEST_PAGE)
        for page in range(pages):
            query = (
                "" if pool.shape is ListShape.PLAIN else f"?limit={plan.HARVEST_PAGE}&offset={page * plan.HARVEST_PAGE}"
            )
            answer = client.get(pool.list_path + query)
            body = answer.json() if answer.ok else None
            items = body.get("data") if isinstance(body, dict) else body
            if not isinstance(items, list):
                break
            found += [item["id"] for item in items if isinstance(item, dict) and "id" in item]
            if len(items) < plan.HARVEST_PAGE:
                break
        ids[name] = list(dict.fromkeys(found))[:cap]
        say(f"ids: {name}: {len(ids[name])}")
    return ids


# ---- the command --------------------------------------------------------------------------------------


def run_diagnose(args: Any) -> ExitCode:
    load_dotenv(Path.cwd() / ".env", override=False)
    install_redaction()
    targets, selection, run, notes = _selection(args)
    env = _environment(args, run)
    if not 1 <= args.max_in_flight <= plan.DEFAULT_IN_FLIGHT:
        raise OpsPerfError(f"--max-in-flight {args.max_in_flight} must be 1 to {plan.DEFAULT_IN_FLIGHT}")
    host = normalise_host(args.host) if args.host else env.host
    db_url = args.db_url or os.environ.get(ENV_VAR) or ""
    if db_url:
        register_secret(db_url)
    if not targets:
        say("nothing to probe: no endpoint over target (pass --endpoint NAME or --all to choose some)")
        return ExitCode.OK
    results_dir = args.results_dir or (
        run.inputs.directory if run is not None else RESULTS_DIR / date.today().isoformat()
    )
    locks = _live_locks([results_dir, RESULTS_DIR])
    if locks:
        raise OpsPerfError(
            f"a run is loading ({locks[0]}): diagnose probes endpoints alone, so wait for it to end and try again"
        )
    pools = plan.pools_of(targets)
    fixed = plan.TOKEN_REQUESTS + plan.HEALTH_REQUESTS + plan.harvest_requests(pools)
    if args.budget <= fixed:
        raise OpsPerfError(
            f"--budget {args.budget} leaves nothing to probe with: the token, the health look and the ids take up to {fixed}"
        )
    database: dict[str, Any] = {"given": bool(db_url), "statements": False, "note": ""}
    db: Statements | None = None
    if db_url:  # a database that cannot be reached is refused here, before any request or folder
        try:
            db = Statements(db_url)
            database["statements"] = True
        except Unavailable as why:
            database["note"] = str(why)
    folder = new_folder(results_dir / f"{env.results_name}-diagnose")
    say(
        f"{len(targets)} endpoint(s) on {host}; budget: at most {args.budget} requests in all (up to {fixed} for the "
        f"token, one health look and the ids of {len(pools)} pool(s); the rest for the probes), at most "
        f"{args.max_in_flight} in flight, a probe stops after {plan.STOP_AFTER} consecutive 5xx or time-outs; "
        f"results in {folder}/"
    )
    if database["note"]:
        say(database["note"])
    budget = Budget(args.budget)
    client: Client | None = None
    runs: list[EndpointRun] = []
    started, began = datetime.now(UTC), time.monotonic()
    interrupted = False
    provider: TokenProvider | None = None

    def snapshot(final: bool = False) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "env": env.name,
            "host": host,
            "started_at": started.isoformat(),
            "finished_at": datetime.now(UTC).isoformat(),
            "seconds": round(time.monotonic() - began, 3),
            "interrupted": interrupted,
            "complete": final and not interrupted,
            "from_run": str(run.path) if run is not None else None,
            "selection": selection,
            "budget": {"requests": args.budget, "in_flight": args.max_in_flight, "planned": planned,
                       "used": budget.used, "stop_after": plan.STOP_AFTER},
            "database": database,
            "notes": notes,
            "endpoints": [r.to_dict() for r in runs],
        }  # fmt: skip

    planned = 0
    try:
        budget.take()  # the token's login or refresh (the auth's own requests)
        provider = TokenProvider(
            host,
            allowed_sources=env.token_sources,
            test_users=env.test_users[:1],
            frontend_url=env.frontend_url,
            timeout=env.connect_timeout_s + 5,
        )
        provider.acquire(run_seconds=600)
        headers = RequestHeaders(provider, env.frontend_url, DIAGNOSE_USER_AGENT)
        client = Client(host, lambda: headers.for_user(0)[1], budget, env.request_timeout_s, args.max_in_flight)
        notes += _health_look(client)
        if db is not None:
            others = db.idle_traffic()
            notes.append(
                f"other traffic on the database: {others} statements in half a second without a request of ours; "
                "the statement counts include whatever ran beside the probes"
                if others
                else "no other traffic on the database before the probes (half a second idle); statement counts are "
                "deltas over the whole database, so traffic that came later would add to them"
            )
        ids = _harvest(client, pools, plan.RECORD_CAP)
        chosen = plan.plan(targets, ids, budget.left, args.max_in_flight)
        planned = budget.used + chosen.requests
        if chosen.left_out:
            notes.append(f"left out for the budget: {', '.join(chosen.left_out)}")
            say(f"left out for the budget: {', '.join(chosen.left_out)}")
        say(
            f"plan: {chosen.requests} probe requests for {len(chosen.endpoints)} endpoint(s) "
            f"({budget.used} sent so far, {planned} of {args.budget} in all)"
        )
        prober = Prober(client, db, say)
        for number, endpoint_plan in enumerate(chosen.endpoints, 1):
            target = endpoint_plan.target
            current = EndpointRun(target.name, target.kind)
            runs.append(current)  # before it is announced: a Ctrl-C at the announcement still finds it begun
            say(f"[{number}/{len(chosen.endpoints)}] {target.name}: {endpoint_plan.requests} requests")
            if target.kind == "detail" and not endpoint_plan.records:
                current.stopped = f"no ids in its pool ({target.pool}): nothing to probe"
                say(f"{target.name}: {current.stopped}")
            else:
                prober.run(endpoint_plan, current)
            write_json(folder, snapshot())
    except KeyboardInterrupt:
        interrupted = True
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # further Ctrl-Cs while writing are ignored
        say("interrupted (Ctrl-C): writing what was measured")
    except BudgetSpent as spent:
        notes.append(str(spent))
        say(str(spent))
    except OpsPerfError:  # refused before anything was measured (no token, host unreachable): leave nothing
        for leftover in folder.iterdir():
            leftover.unlink()
        folder.rmdir()
        raise
    finally:
        if provider is not None:
            provider.stop()
        if client is not None:
            client.close()
        if db is not None:
            db.close()
    data = snapshot(final=True)
    path = write_json(folder, data)
    diagnosis = parse_diagnosis(data, path)
    assert diagnosis is not None
    judged = judge_diagnosis(diagnosis, load_targets(args.targets, env.name))
    report = write_markdown(folder, judged)
    for cause in judged.causes:
        say(f"cause: {cause.line()}")
    if not judged.causes:
        say("no cause found in these probes")
    say(f"{budget.used} requests of {args.budget} in {data['seconds']:.1f} s -> {report}")
    if interrupted:
        return ExitCode.INTERRUPTED
    measured = any(
        any(s.ok for s in (*e.records, *e.page_size)) or any(lv.ok for lv in e.concurrency) for e in diagnosis.endpoints
    )
    return ExitCode.OK if measured else ExitCode.RUN_INVALID


def _health_look(client: Client) -> list[str]:
    """One look at OPS's health before the probes: connections in use beyond this look mean other load."""
    from ops_perf.runfiles.server_json import parse_pool

    answer = client.get("/api/v1/health/")
    body = answer.json()
    checks = body.get("checks") if isinstance(body, dict) else None
    database = checks.get("database_connection") if isinstance(checks, dict) else None
    pool = parse_pool(database.get("pool_status")) if isinstance(database, dict) else None
    if pool is None:
        return [f"health before the probes: {answer.error or f'HTTP {answer.status}'}, no pool figures"]
    line = f"health before the probes: {pool.checked_out} of {pool.size} connections in use, {answer.ms:.0f} ms"
    if pool.checked_out > 1:
        line += " (more than health's own: something else was in service; its load is in these figures)"
    say(line)
    return [line]


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    try:
        return int(run_diagnose(args))
    except OpsPerfError as err:
        print(f"{PROG}: error: {' '.join(str(err).split())}", file=sys.stderr, flush=True)
        return int(err.exit_code)


__all__ = ["main", "run_diagnose"]
