"""`ops-perf demo`: the whole suite in one command, with no OPS access and no token.

It starts the simulator on a free 127.0.0.1 port, runs a short scenario against it through the
same `ops-perf run` path a real run takes (test login, warm-up, Locust, report, check), stops the
simulator and says where everything went. It is the README's first command.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

from ops_perf.cli.run import RunRequest, execute, free_port
from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode

SIM_START_TIMEOUT_S = 30.0


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # inherited through exec; Python keeps an ignored SIGINT


def start_simulator(
    profile: str, time_scale: float | None, port: int | None = None
) -> tuple[subprocess.Popen[str], str]:
    """Start `python -m ops_perf.sim` and wait (bounded) for its ready line."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "ops_perf.sim", "--port", str(port), "--profile", profile]
    if time_scale is not None:
        cmd += ["--time-scale", f"{time_scale:g}"]
    # Ctrl-C reaches the whole process group: the simulator ignores it, so it keeps answering while
    # Locust stops and writes its results (no failures from a dying server); `run_demo` stops it.
    process = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_ignore_sigint
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


def run_demo(
    *,
    profile: str = "healthy",
    time_scale: float | None = None,
    scenario: str = "smoke",
    run_time: str = "30s",
    users: int = 10,
    think_time: str = "0.1,0.5",
    results_dir: Path | None = None,
    reports_dir: Path | None = None,
) -> ExitCode:
    sim, url = start_simulator(profile, time_scale)
    print(f"ops-perf demo: simulator ({profile}) on {url}", flush=True)
    try:
        outcome = execute(
            RunRequest(
                env="local", scenario=scenario, host=url, users=users, run_time=run_time,
                think_time=think_time, results_dir=results_dir, reports_dir=reports_dir,
            )
        )  # fmt: skip
    finally:
        sim.terminate()
        try:
            sim.wait(timeout=10)
        except subprocess.TimeoutExpired:
            sim.kill()
    print(f"ops-perf demo: results  {outcome.prefix.parent}/{outcome.prefix.name}_stats.csv (and _run.json, .html)")
    if outcome.report is not None:
        print(f"ops-perf demo: report   {outcome.report}")
    return outcome.exit_code
