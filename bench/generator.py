"""Requests per CPU-second of the load generator: the suite's users against a bare FastHttpUser.

    python bench/generator.py [--users 20] [--seconds 15] [--rounds 6] [--only endpoints|pages]

Two pairs, against the same simulator (healthy profile, one process for the whole bench) with zero
think time; each run is a real `locust --headless` process whose load-phase CPU seconds are
measured inside it, the same way for both sides (bench/measure.py: `time.process_time()` from
test_start to test_stop, HTTP requests only):
- endpoints: the suite's OPSUser vs a bare FastHttpUser over the catalog's weighted URLs;
- pages: the suite's PersonUser (page views: waves, fan-outs, JSON parsing, the in-flight limit)
  vs a bare FastHttpUser replaying the very URLs the latest page-user run sent (same mix, same
  bodies: the simulator's request log of that run); every page run draws from one seed (`PAGE_SEED`).
Why pairs: the machine is shared, so its load drifts between runs. Each round runs the two sides
of a pair back to back (alternating which goes first) and their ratio is taken within the round;
the verdict is the median of those per-round ratios (goal: >= 0.8), which a drift across rounds
does not move. Which side goes first matters a little (the second run of a round tends to be the
slower), so the rounds alternate and the medians of each order are printed too. Each line also shows the load average, so a noisy round can be told. Both sides
write Locust's CSVs, as a real run does. Traffic stays on 127.0.0.1; every run is time-bounded.
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

from ops_perf.cli.demo import start_simulator  # noqa: E402
from ops_perf.users.endpoints.catalog import pools_in_use  # noqa: E402
from ops_perf.users.warmup import harvest  # noqa: E402

GOAL = 0.8
PAIRS = {"endpoints": ("suite", "bare"), "pages": ("pages", "bare-pages")}
"""pair -> (the suite's side, its bare yardstick)."""
SUITE_ARGS = ["--ops-env", "local", "--think-time", "0"]
REPLAY_SECONDS = 5
"""The page-user run whose URLs the first bare-pages run replays (later ones replay the latest round's)."""
PAGE_SEED = "7"
"""Every page run draws the same people's moves (`$BENCH_SEED`, bench/suite_locustfile.py): each run
otherwise draws another page mix, whose cost per request differs. Seen on a noisy machine, 6 page
runs each way: 2259-2559 requests/CPU-s seeded vs 2262-2859 drawn afresh."""


def run_round(
    locustfile: str, url: str, users: int, seconds: int, out: Path, env: dict[str, str], extra: list[str]
) -> dict:
    cmd = [
        sys.executable, "-m", "locust", "-f", str(BENCH_DIR / locustfile), "--headless", "--only-summary",
        "--host", url, "-u", str(users), "-r", str(users), "-t", f"{seconds}s", "--stop-timeout", "5",
        "--csv", str(out.with_name(f"{out.stem}-csv")), *extra,  # (the suite writes <prefix>.json too)
    ]  # fmt: skip
    run_env = {**os.environ, **env, "BENCH_OUT": str(out), "PYTHONPATH": f"{BENCH_DIR}{os.pathsep}{ROOT}"}
    subprocess.run(cmd, env=run_env, cwd=ROOT, capture_output=True, timeout=seconds + 120, check=False)
    if not out.exists():
        raise SystemExit(f"bench: the {locustfile} run wrote no figures; run it by hand to see why: {' '.join(cmd)}")
    return json.loads(out.read_text())


class Bench:
    """One simulator, its token and ids, and the runs of each side."""

    def __init__(self, url: str, tmp: Path, users: int, seconds: int) -> None:
        self.url, self.tmp, self.users, self.seconds = url, tmp, users, seconds
        self.session = requests.Session()
        self.session.trust_env = False
        # Not the suite's test user: each login ends that user's other sessions (as in OPS).
        login = self.session.post(f"{url}/auth/login/", json={"code": "power_user", "provider": "fakeauth"}, timeout=10)
        self.token = login.json()["access_token"]
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json",
                   "Referer": "http://localhost:3000/"}  # fmt: skip
        ids, _ = harvest(url, lambda: headers, pools_in_use(), ids_per_pool=200, deadline_s=60, timeout_s=10)
        self.ids_file = tmp / "ids.json"
        self.ids_file.write_text(json.dumps(ids))
        self.urls_file = tmp / "page-urls.json"

    def pages(self, out: Path, seconds: int) -> dict:
        """A page-user run; what it sent (the simulator's log) becomes the bare side's replay."""
        self.session.post(f"{self.url}/__sim__/reset", timeout=10)
        result = run_round("suite_locustfile.py", self.url, self.users, seconds, out, {"BENCH_SEED": PAGE_SEED},
                           [*SUITE_ARGS, "--user", "pages"])  # fmt: skip
        log = self.session.get(f"{self.url}/__sim__/requests", timeout=120).json()["requests"]
        self.urls_file.write_text(json.dumps([r for r in log if "(locust" in (r["user_agent"] or "")]))
        return result

    def run(self, kind: str, name: str) -> dict:
        out = self.tmp / f"{name}.json"
        if kind == "pages":
            return self.pages(out, self.seconds)
        if kind == "suite":
            return run_round("suite_locustfile.py", self.url, self.users, self.seconds, out, {}, SUITE_ARGS)
        env = {"BENCH_TOKEN": self.token}
        env |= {"BENCH_URLS": str(self.urls_file)} if kind == "bare-pages" else {"BENCH_IDS": str(self.ids_file)}
        return run_round("bare_locustfile.py", self.url, self.users, self.seconds, out, env, [])


def line(round_no: int, kind: str, result: dict) -> str:
    load = os.getloadavg()[0]
    return (
        f"round {round_no} {kind:10}: {result['requests']:7d} requests, {result['failures']} failures, "
        f"{result['cpu_s']:6.2f} CPU s in {result['wall_s']:5.1f} s -> {result['requests_per_cpu_s']:7.0f} "
        f"requests/CPU-s (load average {load:.1f} on {os.cpu_count()} cores)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=6, help="an even number: as many rounds in each order")
    parser.add_argument("--only", choices=sorted(PAIRS), default=None, help="run one pair only")
    args = parser.parse_args()
    pairs = [args.only] if args.only else list(PAIRS)
    ratios: dict[str, list[float]] = {pair: [] for pair in pairs}
    rates: dict[str, list[float]] = {kind: [] for pair in pairs for kind in PAIRS[pair]}

    sim, url = start_simulator("healthy", None)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            bench = Bench(url, Path(tmp), args.users, args.seconds)
            if "pages" in pairs:  # the first bare-pages run needs URLs to replay
                bench.pages(Path(tmp) / "pages-0.json", REPLAY_SECONDS)
            for round_no in range(1, args.rounds + 1):
                for pair in pairs:
                    mine, bare = PAIRS[pair]
                    got = {}
                    for kind in (mine, bare) if round_no % 2 else (bare, mine):
                        got[kind] = bench.run(kind, f"{kind}-{round_no}")
                        rates[kind].append(got[kind]["requests_per_cpu_s"])
                        print(line(round_no, kind, got[kind]), flush=True)
                    ratio = got[mine]["requests_per_cpu_s"] / max(got[bare]["requests_per_cpu_s"], 1e-9)
                    ratios[pair].append(ratio)
                    print(f"round {round_no} {pair}: ratio {ratio:.2f}", flush=True)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    for pair in pairs:
        mine, bare = PAIRS[pair]
        median = statistics.median(ratios[pair])
        by_order = f"suite first {statistics.median(ratios[pair][0::2]):.2f}"
        by_order += f", bare first {statistics.median(ratios[pair][1::2]):.2f}" if len(ratios[pair]) > 1 else ""
        print(
            f"{pair}: median requests/CPU-s: suite {statistics.median(rates[mine]):.0f}, bare FastHttpUser "
            f"{statistics.median(rates[bare]):.0f}; per-round ratios {', '.join(f'{r:.2f}' for r in ratios[pair])} "
            f"(medians: {by_order}); median ratio {median:.2f} (goal >= {GOAL:.2f}: {'met' if median >= GOAL else 'NOT met'})"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
