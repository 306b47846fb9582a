"""`ops-perf demo`: the whole suite in one command, with no OPS access and no token.

It starts the simulator on a free 127.0.0.1 port, runs a short scenario against it through the
same `ops-perf run` path a real run takes (test login, warm-up, Locust, report, check), stops the
simulator and says where everything went. It is the README's first command.

`--diagnose` shows why: the simulator plays the `causes` profile (a per-row cost, a heavy record,
a serialised route; with `--db-url` a real N+1), the run is followed by `ops-perf diagnose` of the
run's slow endpoints plus the routes the simulator planted causes on (it says which in
`/__sim__/info`) and two healthy ones for contrast, and the report is written last, so its "Why it is
slow" section reads the diagnosis beside the run.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from ops_perf.cli.run import RunRequest, execute, free_port
from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode
from ops_perf.paths import REPORTS_DIR

SIM_START_TIMEOUT_S = 30.0


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited through exec; Python keeps an ignored SIGINT


def start_simulator(
    profile: str, time_scale: float | None, port: int | None = None, db_url: str | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m ops_perf.sim` and wait (bounded) for its ready line (`db_url`: its N+1's
    database, passed in the environment, never on the command line)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "ops_perf.sim", "--port", str(port), "--profile", profile]
    if time_scale is not None:
        cmd += ["--time-scale", f"{time_scale:g}"]
    env = {**os.environ, "OPS_SIM_DB_URL": db_url} if db_url else None
    # Ctrl-C reaches the whole process group: the simulator ignores it, so it keeps answering while
    # Locust stops and writes its results (no failures from a dying server); `run_demo` stops it.
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_ignore_sigint, env=env
    )
    deadline = time.monotonic() + SIM_START_TIMEOUT_S
    assert process.stdout is not None
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "serving" in line:
            return process, f"http://127.0.0.1:{port}"
        if not line and process.poll() is not None:
            err = (process.stderr.read() if process.stderr else "").strip().splitlines()
            raise OpsPerfError(f"the simulator did not start: {err[-1] if err else 'no output'}")
    process.kill()
    raise OpsPerfError(f"the simulator did not answer within {SIM_START_TIMEOUT_S:g}s; try `ops-perf sim` by hand")


DIAGNOSE_PROFILE = "causes"
CONTRAST = ("/api/v1/cans/", "/api/v1/portfolios/")
"""Healthy routes the demo's diagnosis probes beside the planted ones: what "nothing found" looks like."""


def planted_routes(url: str) -> list[str]:
    """The routes the simulator planted causes on (`/__sim__/info` `causes`), in a stable order."""
    with urllib.request.urlopen(f"{url}/__sim__/info", timeout=10) as answer:  # 127.0.0.1 only
        causes = json.loads(answer.read())["causes"]
    names = [*causes.get("n_plus_one", []), *causes.get("per_row_ms", {}), *causes.get("serialised", {})]
    return list(dict.fromkeys(names))


def _diagnose(url: str, prefix: Path, db_url: str | None) -> int:
    from ops_perf.cli.diagnose import build_parser, run_diagnose
    from ops_perf.diagnose.catalog import TARGETS

    names = [n for n in (*planted_routes(url), *CONTRAST) if n in TARGETS]
    argv = ["--env", "local", "--host", url, "--from", str(prefix)]
    for name in names:
        argv += ["--endpoint", name]
    if db_url:
        argv += ["--db-url", db_url]
    try:
        return int(run_diagnose(build_parser().parse_args(argv)))
    except OpsPerfError as err:
        print(f"ops-perf diagnose: error: {err}", file=sys.stderr, flush=True)
        return int(err.exit_code)


def run_demo(
    *,
    profile: str | None = None,
    time_scale: float | None = None,
    scenario: str = "smoke",
    run_time: str = "30s",
    users: int = 10,
    think_time: str = "0.1,0.5",
    results_dir: Path | None = None,
    reports_dir: Path | None = None,
    diagnose: bool = False,
    db_url: str | None = None,
) -> ExitCode:
    profile = profile or (DIAGNOSE_PROFILE if diagnose else "healthy")
    sim, url = start_simulator(profile, time_scale, db_url=db_url)
    print(f"ops-perf demo: simulator ({profile}) on {url}", flush=True)
    diagnosis = None
    try:
        outcome = execute(
            RunRequest(
                env="local", scenario=scenario, host=url, users=users, run_time=run_time,
                think_time=think_time, results_dir=results_dir, reports_dir=reports_dir, report=not diagnose,
            )
        )  # fmt: skip
        if diagnose and outcome.run_record is not None and outcome.exit_code != ExitCode.INTERRUPTED:
            print("ops-perf demo: why is it slow? ops-perf diagnose of the run and the planted routes", flush=True)
            code = _diagnose(url, outcome.prefix, db_url)
            if code == int(ExitCode.OK):
                found = sorted(
                    outcome.prefix.parent.glob("local-diagnose*/DIAGNOSIS.md"), key=lambda p: p.stat().st_mtime
                )
                diagnosis = found[-1] if found else None
            from ops_perf.report import write_report

            report_dir = (reports_dir or REPORTS_DIR / outcome.prefix.parent.name) / outcome.prefix.name
            report = write_report([outcome.prefix], report_dir, force=True)
            outcome = replace(outcome, report=report)
    finally:
        sim.terminate()
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()
    print(f"ops-perf demo: results  {outcome.prefix.parent}/{outcome.prefix.name}_stats.csv (and _run.json, .html)")
    if diagnosis is not None:
        print(f"ops-perf demo: why      {diagnosis}")
    if outcome.report is not None:
        print(f"ops-perf demo: report   {outcome.report}")
    return outcome.exit_code
