"""Requests per CPU-second of the load generator: the suite's users against a bare FastHttpUser.

    python bench/generator.py [--users 20] [--seconds 15] [--rounds 3] [--only endpoints|pages]

Two pairs, against the same simulator (healthy profile) with zero think time, in alternating rounds;
each round is a real `locust --headless` process whose load-phase CPU seconds are measured inside
it (bench/measure.py):
- endpoints: the suite's OPSUser vs a bare FastHttpUser over the catalog's weighted URLs;
- pages: the suite's PersonUser (page views: waves, fan-outs, JSON parsing, the in-flight limit)
  vs a bare FastHttpUser replaying the very URLs a page-user run sent (same mix, same bodies).
Prints each round, the medians and the ratios suite/bare (goal: >= 0.8). Traffic stays on
127.0.0.1; every run is time-bounded.
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
    parser.add_argument("--only", choices=["endpoints", "pages"], default=None, help="run one pair only")
    args = parser.parse_args()
    kinds = {"endpoints": ["suite", "bare"], "pages": ["pages", "bare-pages"]}
    pairs = [args.only] if args.only else ["endpoints", "pages"]

    sim, url = start_simulator("healthy", None)
    try:
        # Not the suite's test user: each login ends that user's other sessions (as in OPS).
        session = requests.Session()
        session.trust_env = False
        login = session.post(f"{url}/auth/login/", json={"code": "power_user", "provider": "fakeauth"}, timeout=10)
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
            urls_file = Path(tmp) / "page-urls.json"
            results: dict[str, list[dict]] = {kind: [] for pair in pairs for kind in kinds[pair]}
            suite_args = ["--ops-env", "local", "--think-time", "0"]
            if "pages" in pairs:
                # The bare yardstick replays what a page-user run really sent (its URLs, its mix).
                session.post(f"{url}/__sim__/reset", timeout=10)
                out = Path(tmp) / "pages-0.json"
                run_round("suite_locustfile.py", url, args.users, 5, out, {}, [*suite_args, "--user", "pages"])
                log = session.get(f"{url}/__sim__/requests", timeout=60).json()["requests"]
                urls_file.write_text(json.dumps([r for r in log if "(locust" in (r["user_agent"] or "")]))
            for round_no in range(1, args.rounds + 1):
                order = [k for pair in pairs for k in kinds[pair]]
                order = order if round_no % 2 else order[::-1]
                for kind in order:
                    out = Path(tmp) / f"{kind}-{round_no}.json"
                    csv_args = ["--csv", str(Path(tmp) / f"{kind}-{round_no}")]
                    if kind == "suite":
                        result = run_round("suite_locustfile.py", url, args.users, args.seconds, out, {},
                                           [*suite_args, *csv_args])  # fmt: skip
                    elif kind == "pages":
                        result = run_round("suite_locustfile.py", url, args.users, args.seconds, out, {},
                                           [*suite_args, "--user", "pages", *csv_args])  # fmt: skip
                    elif kind == "bare":
                        env = {"BENCH_IDS": str(ids_file), "BENCH_TOKEN": token}
                        result = run_round("bare_locustfile.py", url, args.users, args.seconds, out, env, [])
                    else:
                        env = {"BENCH_URLS": str(urls_file), "BENCH_TOKEN": token}
                        result = run_round("bare_locustfile.py", url, args.users, args.seconds, out, env, [])
                    results[kind].append(result)
                    print(
                        f"round {round_no} {kind:10}: {result['requests']:7d} requests, {result['failures']} failures, "
                        f"{result['cpu_s']:6.2f} CPU s in {result['wall_s']:5.1f} s -> "
                        f"{result['requests_per_cpu_s']:7.0f} requests/CPU-s",
                        flush=True,
                    )
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    for pair in pairs:
        mine, bare_kind = kinds[pair]
        suite = statistics.median(r["requests_per_cpu_s"] for r in results[mine])
        bare = statistics.median(r["requests_per_cpu_s"] for r in results[bare_kind])
        print(
            f"{pair}: median requests/CPU-s: suite {suite:.0f}, bare FastHttpUser {bare:.0f}, "
            f"ratio {suite / bare:.2f} (goal >= 0.80)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
