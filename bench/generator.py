"""Requests per CPU-second of the load generator: the suite's OPSUser against a bare FastHttpUser.

    python bench/generator.py [--users 20] [--seconds 15] [--rounds 3]

Both run against the same simulator (healthy profile, no latency) with zero think time, in
alternating rounds of one benchmark run; each round is a real `locust --headless` process whose
load-phase CPU seconds are measured inside it (bench/measure.py). Prints each round, the medians
and the ratio suite/bare (goal: >= 0.8). Traffic stays on 127.0.0.1; every run is time-bounded.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import locust  # noqa: F401  (first: gevent monkey-patching must precede ssl/requests)
import requests

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
sys.path.insert(0, str(ROOT))

from ops_perf.catalog import pools_in_use  # noqa: E402
from ops_perf.demo import start_simulator  # noqa: E402
from ops_perf.warmup import harvest  # noqa: E402


def run_round(
    locustfile: str, url: str, users: int, seconds: int, out: Path, env: dict[str, str], extra: list[str]
) -> dict:
    cmd = [
        sys.executable, "-m", "locust", "-f", str(BENCH_DIR / locustfile), "--headless", "--only-summary",
        "--host", url, "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "5", *extra,
    ]  # fmt: skip
    run_env = {**os.environ, **env, "BENCH_OUT": str(out), "PYTHONPATH": f"{BENCH_DIR}{os.pathsep}{ROOT}"}
    subprocess.run(cmd, env=run_env, cwd=ROOT, capture_output=True, timeout=seconds + 120, check=False)
    return json.loads(out.read_text())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    sim, url = start_simulator("healthy", None)
    try:
        # Not the suite's test user: each login ends that user's other sessions (as in OPS).
        login = requests.post(f"{url}/auth/login/", json={"code": "power_user", "provider": "fakeauth"}, timeout=10)
        token = login.json()["access_token"]
        headers = {
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Referer": "http://localhost:3000/",
        }
        ids, _ = harvest(url, lambda: headers, pools_in_use(), ids_per_pool=200, deadline_s=60, timeout_s=10)
        with tempfile.TemporaryDirectory() as tmp:
            ids_file = Path(tmp) / "ids.json"
            ids_file.write_text(json.dumps(ids))
            results: dict[str, list[dict]] = {"suite": [], "bare": []}
            for round_no in range(1, args.rounds + 1):
                order = ["suite", "bare"] if round_no % 2 else ["bare", "suite"]
                for kind in order:
                    out = Path(tmp) / f"{kind}-{round_no}.json"
                    if kind == "suite":
                        extra = [
                            "--ops-env",
                            "local",
                            "--think-time",
                            "0",
                            "--csv",
                            str(Path(tmp) / f"suite-{round_no}"),
                        ]
                        result = run_round("suite_locustfile.py", url, args.users, args.seconds, out, {}, extra)
                    else:
                        env = {"BENCH_IDS": str(ids_file), "BENCH_TOKEN": token}
                        result = run_round("bare_locustfile.py", url, args.users, args.seconds, out, env, [])
                    results[kind].append(result)
                    print(
                        f"round {round_no} {kind:5}: {result['requests']:7d} requests, {result['failures']} failures, "
                        f"{result['cpu_s']:6.2f} CPU s in {result['wall_s']:5.1f} s -> "
                        f"{result['requests_per_cpu_s']:7.0f} requests/CPU-s",
                        flush=True,
                    )
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    suite = statistics.median(r["requests_per_cpu_s"] for r in results["suite"])
    bare = statistics.median(r["requests_per_cpu_s"] for r in results["bare"])
    print(
        f"median requests/CPU-s: suite {suite:.0f}, bare FastHttpUser {bare:.0f}, ratio {suite / bare:.2f} (goal >= 0.80)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
