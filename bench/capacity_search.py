"""Several capacity searches in a row against a simulator that serves 80 requests/s by construction.

    .venv/bin/python bench/capacity_search.py --searches 5 [--step-duration 6s] [--keep DIR]

Issue 15 item 5: against `ops-perf sim --workers 4 --profile fixed-50ms` (4 requests at once, 50 ms
each: 80 requests/s) every answer of `ops-perf capacity` must lie within 72-80 req/s: never above what
the simulator can serve, and at most the search's resolution (10 %) below it. One simulator serves
every search, as `tests/e2e/test_capacity_e2e.py` starts it: time scale 0.05 brings the gateway
ceiling from 20 s down to 1 s (a queue that long answers 504), `--slowdown 20` puts the service time
back at 50 ms. Each search runs as users run it (`python -m ops_perf capacity`, its own results
folder), with the e2e test's settings unless told otherwise; the bench prints each answer as it comes
and then how many lie within the band. Exit 1 when one does not.

Everything runs on 127.0.0.1; the simulator is stopped (by its process id) at the end.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
WORKERS, SERVICE_S = 4, 0.050
CAPACITY_RPS = WORKERS / SERVICE_S
TIME_SCALE, SLOWDOWN = 0.05, 20
BAND = (0.9 * CAPACITY_RPS, CAPACITY_RPS)
"""72-80 req/s: what the simulator serves, less the search's 10 % resolution."""
SEARCH_TIMEOUT_S = 600.0
START_TIMEOUT_S = 20.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_sim(log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """The simulator with its capacity, its output in `log` (a pipe left unread would block it)."""
    port = free_port()
    cmd = [sys.executable, "-m", "ops_perf.sim", "--port", str(port), "--profile", "fixed-50ms",
           "--time-scale", f"{TIME_SCALE:g}", "--workers", str(WORKERS), "--slowdown", f"{SLOWDOWN:g}"]  # fmt: skip
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never through a proxy
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the simulator exited ({process.returncode}); see {log}")
        try:
            with opener.open(f"{url}/api/v1/health/", timeout=2):
                return process, url
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"the simulator did not answer within {START_TIMEOUT_S:g} s; see {log}")


def search(url: str, results: Path, args: argparse.Namespace) -> dict[str, Any]:
    """One `ops-perf capacity` run; its capacity.json."""
    cmd = [sys.executable, "-m", "ops_perf", "capacity", "--env", "local", "--host", url,
           "--max-rate", f"{2 * CAPACITY_RPS:g}", "--start-rate", f"{args.start_rate:g}",
           "--step-duration", args.step_duration, "--results-dir", str(results)]  # fmt: skip
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=SEARCH_TIMEOUT_S, check=False)
    folders = sorted(results.glob("*-capacity*"))
    if done.returncode not in (0, 1) or not folders:
        raise SystemExit(f"the search failed (exit {done.returncode}): {(done.stderr or done.stdout)[-1500:]}")
    return dict(json.loads((folders[-1] / "capacity.json").read_text(encoding="utf-8")))


def _rate(value: float | None) -> str:
    return "none" if value is None else f"{value:g}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--searches", type=int, default=5, help="searches in a row (default: 5)")
    parser.add_argument(
        "--step-duration", default="6s", help="each step's shortest hold (default: 6s, as the e2e test)"
    )
    parser.add_argument(
        "--start-rate", type=float, default=40, help="first step, tasks/s (default: 40, as the e2e test)"
    )
    parser.add_argument("--keep", type=Path, help="keep every search's folder here (default: a temporary folder)")
    args = parser.parse_args()
    if not 1 <= args.searches <= 20:
        parser.error(f"--searches {args.searches}: give 1 to 20 (each search takes about a minute)")
    with tempfile.TemporaryDirectory(prefix="ops-perf-capacity-bench-") as tmp:
        base = args.keep or Path(tmp)
        base.mkdir(parents=True, exist_ok=True)
        sim, url = start_sim(base / "sim.log")
        answers: list[float | None] = []
        try:
            print(f"simulator: {url}, {WORKERS} workers x {SERVICE_S * 1000:g} ms = {CAPACITY_RPS:g} req/s", flush=True)
            for number in range(1, args.searches + 1):
                began = time.monotonic()
                data = search(url, base / f"search-{number}", args)
                answers.append(data["capacity_rps"])
                print(
                    f"search {number}: {_rate(data['capacity_rps'])} req/s; {len(data['steps'])} steps in "
                    f"{time.monotonic() - began:.0f} s; {data['answer']}",
                    flush=True,
                )
        finally:
            sim.terminate()
            try:
                sim.wait(timeout=5)
            except subprocess.TimeoutExpired:
                sim.kill()
                sim.wait(timeout=5)
    low, high = BAND
    inside = [a for a in answers if a is not None and low <= a <= high]
    print(f"answers: {', '.join(_rate(a) for a in answers)} req/s; "
          f"{len(inside)} of {len(answers)} within {low:g}-{high:g} req/s")  # fmt: skip
    return 0 if len(inside) == len(answers) else 1


if __name__ == "__main__":
    sys.exit(main())
