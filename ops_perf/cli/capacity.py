"""`ops-perf capacity`: how many requests (people) per second can OPS serve within its targets?

Each step is a real open-model run (`ops_perf.cli.run.plan`, the same Locust command `ops-perf run`
builds, with `--arrival-rate` and a step's hold time), judged from its files by the capacity rules
(`ops_perf.capacity.steps.judge_step`, each figure with its evidence); `search.Search` picks the next
rate; `advice.conclude` says the answer and what to do. Steps run one after the other in one
results folder, whose path is printed first; a Ctrl-C ends the search with what was measured. The
first step's warm-up ids serve every step (`--warmup-ids`): one warm-up, not one load spike per step.
"""

from __future__ import annotations

import math
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from ops_perf.capacity import render
from ops_perf.capacity.advice import Conclusion, conclude
from ops_perf.capacity.rules import CONFIDENCE, DEFAULT_WITHIN, WITHIN_CHOICES, Verdict
from ops_perf.capacity.search import DEFAULT_FACTOR, DEFAULT_RESOLUTION, Search, Tried
from ops_perf.capacity.steps import Step, judge_step, min_samples
from ops_perf.capacity.throughput import ALPHA
from ops_perf.cli.run import RunRequest, plan
from ops_perf.errors import OneLineParser, OpsPerfError
from ops_perf.exitcodes import ExitCode
from ops_perf.paths import RESULTS_DIR
from ops_perf.runfiles.discover import RUN_JSON_SUFFIX
from ops_perf.runfiles.prefix import new_folder, release_prefix, reserve_prefix
from ops_perf.settings import apply_overrides, load_environment, load_scenario, parse_duration
from ops_perf.settings.targets import Status, load_targets
from ops_perf.users.headers import PROBE_USER_AGENT

DEFAULT_SCENARIO = "open"
DEFAULT_STEP_S = 60.0
START_FRACTION = 1 / 16
"""The first step offers this fraction of the cap (the coarse ramp doubles from there)."""
REQUESTS_PER_ARRIVAL_GUESS = 20.0
"""Page user: API calls per session assumed for the first step's hold time (then measured)."""
LOCUST_REFUSED = 2
"""Locust's (and the hooks') exit code for a run refused before the load (e.g. the host probe timed out)."""
HOLD_MARGIN = 1.2
"""Hold a step 20% longer than the samples need: Poisson arrivals can fall short of the mean."""
RECOVERED_S = 2.0
COOL_DOWN_MAX_S = 120.0
NOT_HELD = (Verdict.FAIL, Verdict.UNSURE)
"""The outcomes listed as why the first bad step was bad (capacity.json `first_bad_rules`)."""
WARMUP_IDS_FILE = "warmup-ids.json"
"""The first step's warm-up ids, which every later step uses: one warm-up for the search (`ops_perf.users.warmup_file`)."""
"""Before the next step, the target must answer its health check within 2 s again (an overloaded
step leaves a queue behind: the next step would measure its tail), waiting at most 2 minutes."""


@dataclass(frozen=True)
class CapacityRequest:
    env: str
    host: str | None = None
    scenario: str = DEFAULT_SCENARIO
    max_rate: float | None = None
    step_duration: str | None = None
    start_rate: float | None = None
    resolution: float = DEFAULT_RESOLUTION
    factor: float = DEFAULT_FACTOR
    results_dir: Path | None = None
    targets: Path | None = None
    users: int | None = None
    within: Status = DEFAULT_WITHIN


def run_capacity(request: CapacityRequest) -> ExitCode:
    env = load_environment(request.env)
    if not env.capacity_allowed:
        raise OpsPerfError(
            f"ops-perf capacity is not allowed on {env.name}: it loads past the targets on purpose; "
            "search on local, dev or stg (config/environments.toml `capacity`)"
        )
    base = load_scenario(request.scenario)
    unit_cap = env.max_people_per_min if base.rate_per == 60 else env.max_rate_rps
    cap = request.max_rate if request.max_rate is not None else unit_cap
    if cap <= 0 or cap > unit_cap:
        raise OpsPerfError(
            f"--max-rate {cap:g} must be above 0 and at most {env.name}'s cap of {unit_cap:g} "
            f"{base.rate_unit} (config/environments.toml)"
        )
    step_s = parse_duration(request.step_duration, "--step-duration") if request.step_duration else DEFAULT_STEP_S
    targets = load_targets(request.targets, env.name)
    need = min_samples(targets)
    per_arrival = 1.0 if base.rate_per == 1 else REQUESTS_PER_ARRIVAL_GUESS
    # Start where a step of --step-duration gathers the p95's samples (lower steps would be held longer).
    quick = HOLD_MARGIN * need / (step_s * per_arrival) * base.rate_per
    start = (
        request.start_rate if request.start_rate is not None else _nice(min(cap / 2, max(cap * START_FRACTION, quick)))
    )
    try:
        search = Search(start=min(start, cap), cap=cap, factor=request.factor, resolution=request.resolution)
    except ValueError as err:
        raise OpsPerfError(f"{err}; check --start-rate, --max-rate and --resolution") from None
    users = request.users or env.max_users
    probe = apply_overrides(base, users=users, run_time=step_s, arrival_rate=start)
    host = (request.host or env.host).rstrip("/")
    _ = plan(_run_request(request, probe, env.name, 1, start, step_s, Path("/nonexistent")))  # refuse bad input now
    folder = new_folder(
        (request.results_dir or RESULTS_DIR / date.today().isoformat()) / f"{env.results_name}-capacity"
    )
    unit = base.rate_unit
    print(f"ops-perf capacity: searching {host} up to {cap:g} {unit}; results in {folder}/", flush=True)
    tried: list[Tried] = []
    steps: list[Step] = []
    began = time.monotonic()
    interrupted = False
    while (rate := search.next_rate(tried)) is not None:
        rate_per_s = rate / base.rate_per
        hold = math.ceil(max(step_s, HOLD_MARGIN * need / (rate_per_s * per_arrival)))
        step = Step(len(steps) + 1, search.phase(tried), rate, rate_per_s, hold, f"step-{len(steps) + 1:02d}")
        if steps and not steps[-1].good:
            _cool_down(host)
        started = time.monotonic()
        run_request = _run_request(request, base, env.name, step.number, rate, hold, folder, users)
        code = _run_step(run_request, folder, step)
        if code == LOCUST_REFUSED and steps and not (folder / f"{step.prefix}{RUN_JSON_SUFFIX}").is_file():
            # A target still slow from the last step can fail the start-up probe: drain and try once more.
            print(f"ops-perf capacity: step {step.number} refused to start ({_refusal(folder, step)}); retrying once")
            _cool_down(host)
            code = _run_step(run_request, folder, step)
        step.wall_s = round(time.monotonic() - started, 1)
        if code is None:
            interrupted = True
            break
        if not (folder / f"{step.prefix}{RUN_JSON_SUFFIX}").is_file():
            raise OpsPerfError(
                f"step {step.number} wrote no run.json (locust exited {code}); see {folder}/{step.prefix}.log"
            )
        fastest = [s.min_ms for s in steps if s.min_ms is not None]
        judge_step(
            step, folder / step.prefix, targets, request.within, request.resolution,
            best_response_ms=min(fastest) if fastest else None, pages=base.rate_per != 1,
        )  # fmt: skip
        if base.rate_per != 1 and step.arrivals:
            per_arrival = max(1.0, step.requests / max(1, step.arrivals - step.dropped_arrivals))
        steps.append(step)
        tried.append(Tried(rate, step.good))
        print(f"ops-perf capacity: {step.line(unit)}", flush=True)
    answer = search.answer(tried)
    conclusion = conclude(steps, answer, host, unit, request.within, base.rate_per != 1, cap)
    summary = _summary(request, env.name, host, base, cap, unit, step_s, need, targets, users, answer, conclusion)
    summary["search_s"] = round(time.monotonic() - began, 1)
    summary["interrupted"] = interrupted
    chart = None
    if steps:
        critical = targets.aggregate.get("p95_ms")
        limit = _limit(critical, request.within) if critical else None
        render.knee_chart(steps, unit, answer.capacity, limit, folder / render.CHART_NAME)
        chart = render.CHART_NAME
    render.write_json(folder / "capacity.json", summary, steps)
    render.write_markdown(folder / "CAPACITY.md", summary, steps, chart)
    for advice in conclusion.advice:
        print(f"ops-perf capacity: advice: {advice}", flush=True)
    print(f"ops-perf capacity: {summary['answer']} ({len(steps)} steps in {summary['search_s']:.0f} s) "
          f"-> {folder}/CAPACITY.md", flush=True)  # fmt: skip
    if interrupted:
        return ExitCode.INTERRUPTED
    return ExitCode.OK if answer.capacity is not None else ExitCode.THRESHOLDS_BREACHED


def _refusal(folder: Path, step: Step) -> str:
    """The one-line reason Locust gave for refusing a step (the last `error:` line of its log)."""
    try:
        lines = (folder / f"{step.prefix}.log").read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return "no log"
    return next((line.split("error: ", 1)[1] for line in reversed(lines) if "error: " in line), "see its log")


def _cool_down(host: str) -> None:
    """Wait until the target answers quickly again (the queue of the last step has drained)."""
    import requests  # here: after Locust's gevent patching (through settings), which must precede ssl

    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + COOL_DOWN_MAX_S
    said = False
    while time.monotonic() < deadline:
        began = time.monotonic()
        try:
            session.get(f"{host}/api/v1/health/", timeout=RECOVERED_S, headers={"User-Agent": PROBE_USER_AGENT})
            if time.monotonic() - began < RECOVERED_S:
                return
        except requests.RequestException:
            pass
        if not said:
            print(f"ops-perf capacity: waiting for {host} to drain the last step's queue", flush=True)
            said = True
        time.sleep(RECOVERED_S)


def _run_request(
    request: CapacityRequest, scenario: Any, env: str, number: int, rate: float, hold: float, folder: Path,
    users: int | None = None,
) -> RunRequest:  # fmt: skip
    return RunRequest(
        env=env, scenario=request.scenario, host=request.host, results_dir=folder, users=users or request.users,
        run_time=f"{hold:g}s", arrival_rate=rate, report=False, check=False, name=f"step-{number:02d}",
        extra_args=("--warmup-ids", str(folder / WARMUP_IDS_FILE)),
    )  # fmt: skip


def _run_step(run_request: RunRequest, folder: Path, step: Step) -> int | None:
    """One Locust run, its output in `<step>.log`; None when interrupted (Ctrl-C)."""
    checked = plan(run_request)
    prefix = reserve_prefix(checked.base_prefix)
    step.prefix = prefix.name
    try:
        with open(folder / f"{prefix.name}.log", "wb") as log:
            process = subprocess.Popen(
                checked.command(prefix),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env=checked.child_env(prefix),
            )
            try:
                return process.wait()
            except KeyboardInterrupt:
                process.send_signal(signal.SIGINT)
                process.wait()
                return None
    finally:
        release_prefix(prefix)


def _summary(
    request: CapacityRequest, env: str, host: str, base: Any, cap: float, unit: str, step_s: float, need: int,
    targets: Any, users: int, answer: Any, conclusion: Conclusion,
) -> dict[str, Any]:  # fmt: skip
    """capacity.json's fields besides the steps (schema 2: ops_perf/capacity/README.md)."""
    pages = base.rate_per == 60
    best, bad = conclusion.best, conclusion.bad
    deciding = bad.deciding if bad is not None else None
    return {
        "schema": render.SCHEMA,
        "env": env,
        "host": host,
        "scenario": base.name,
        "user": "pages" if pages else "endpoints",
        "rate_unit": unit,
        "max_rate": cap,
        "max_users": users,
        "arrivals": base.arrivals,
        "step_duration_s": step_s,
        "min_samples": need,
        "targets": str(targets.source or "config/targets.toml"),
        "within": request.within.value,
        "confidence": CONFIDENCE,
        "max_growth": request.resolution,
        "throughput_alpha": ALPHA,
        "capacity_rps": conclusion.capacity_rps,
        "capacity_people_per_min": best.rate if best is not None and pages else None,
        "capacity_rate": answer.capacity,
        "capacity_step": best.number if best is not None else None,
        "first_bad_rate": answer.first_bad,
        "first_bad_step": bad.number if bad is not None else None,
        "first_bad_decided_by": deciding.rule if deciding else None,
        "first_bad_breaching": deciding.text if deciding else None,
        "first_bad_rules": [o.to_dict() for o in bad.outcomes if o.verdict in NOT_HELD] if bad is not None else [],
        "served_at_most_rps": conclusion.served_at_most,
        "saturated": conclusion.saturated,
        "advice": conclusion.advice,
        "search_reason": answer.reason,
        "answer": conclusion.text,
        "command": [a for a in sys.argv],
    }


def _limit(tier: Any, within: Status) -> float:
    """The aggregate p95 limit of the `--within` tier (the chart's line)."""
    return float({Status.TARGET: tier.target, Status.ACCEPTABLE: tier.acceptable}.get(within, tier.critical))


def _nice(rate: float) -> float:
    return float(f"{max(rate, 0.1):.2g}")


def build_parser() -> OneLineParser:
    parser = OneLineParser(
        prog="ops-perf capacity",
        description="Step the offered rate up until a step is not good (its p95 and failure % within --within "
        "with evidence, no 504s, a queue that does not grow, throughput that keeps up); answer what the highest "
        "good step served. Exit codes: 0 answered, 1 no step was good, 2 usage or input error, 130 interrupted "
        "(Ctrl-C, as ops-perf run).",
    )
    parser.add_argument(
        "--env",
        required=True,
        help="local, dev or stg (config/environments.toml `capacity`); required, no default (never prod)",
    )
    parser.add_argument(
        "--host", help="override the environment's host, e.g. the simulator's URL (default: the environment's)"
    )
    parser.add_argument(
        "--scenario", default=DEFAULT_SCENARIO, help="scenario name or file: whose user, arrivals, pool (default: open)"
    )
    parser.add_argument(
        "--max-rate",
        type=float,
        help="highest rate to try, in the scenario's unit: tasks/s, or people/min for the page user "
        "(default: the environment's cap)",
    )
    parser.add_argument("--step-duration", help="shortest hold per step, e.g. 60s or 2m (default: 60s)")
    parser.add_argument(
        "--start-rate",
        type=float,
        help="first step's rate, in the scenario's unit (default: 1/16 of the cap, or where a step gathers "
        "the p95's samples)",
    )
    parser.add_argument(
        "--resolution",
        type=float,
        default=DEFAULT_RESOLUTION,
        help="stop when good and bad are this close, relative (default: 0.1); also the queue rule's "
        "limit in s of latency per s",
    )
    parser.add_argument(
        "--within",
        choices=[w.value for w in WITHIN_CHOICES],
        default=DEFAULT_WITHIN.value,
        help="the tier a step's p95 and failure %% must lie in, with their whole confidence interval "
        f"(default: {DEFAULT_WITHIN.value})",
    )
    parser.add_argument(
        "-u", "--users", type=int, help="pool cap per step, users (default: the environment's max_users)"
    )
    parser.add_argument("--targets", type=Path, help="targets file (default: config/targets.toml)")
    parser.add_argument("--results-dir", type=Path, help="where the search's folder goes (default: results/<today>)")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    request = CapacityRequest(
        env=args.env, host=args.host, scenario=args.scenario, max_rate=args.max_rate, step_duration=args.step_duration,
        start_rate=args.start_rate, resolution=args.resolution, results_dir=args.results_dir, targets=args.targets,
        users=args.users, within=Status(args.within),
    )  # fmt: skip
    return int(run_capacity(request))
