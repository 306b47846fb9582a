"""How long and how much memory `ops-perf report` needs for a 24-hour soak with full history.

Generates, in a temporary folder, what Locust writes for such a run with `--csv-full-history`:
70 endpoints x 86,400 one-second ticks plus the Aggregated row per tick (about 6.1M history rows,
roughly 1 GB), a stats file, a failures file with 504s and an exceptions file. Then runs the report in
a child process (`python -m ops_perf.report`) and prints its wall time and peak RSS, read with
`resource.getrusage(RUSAGE_CHILDREN)` after the child has exited.

    python bench/report_scale.py                 # 24 h, 70 endpoints
    python bench/report_scale.py --hours 1       # a quick look
    python bench/report_scale.py --keep          # keep the generated files and the report

Targets (issue 4): under 60 s and under 2 GB on a 2-core machine. Exit code 1 when either is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PCTS = ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%")
STATS_HEADER = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s," + ",".join(PCTS)
)
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,"
    + ",".join(PCTS)
    + ",Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)
VARIANTS = 16
"""Distinct row tails per endpoint; ticks cycle through them so the series vary like a real run."""


def _percentiles(rng: random.Random, base: int) -> list[int]:
    out, value = [], base
    for _ in PCTS:
        value = int(value * rng.uniform(1.0, 1.4)) + 1
        out.append(value)
    return out


def generate(directory: Path, prefix: str, hours: float, endpoints: int, users: int) -> tuple[Path, int]:
    """Write the run's files; returns (prefix path, history rows). Fast: one string template per tick."""
    rng = random.Random(20251015)
    ticks = int(hours * 3600)
    names = [f"/api/v1/endpoint-{i:02d}/" if i % 3 else f"/api/v1/endpoint-{i:02d}/[id]" for i in range(endpoints)]
    bases = {name: rng.randint(40, 3000) for name in names}
    start = 1_760_000_000

    def tail(base: int, rps: float, fps: float, n: int, f: int) -> str:
        p = _percentiles(rng, base)
        return (
            f"{rps:2f},{fps:2f},"
            + ",".join(map(str, p))
            + f",{n},{f},{p[0]},{base * 1.1:.6f},{base / 3:.6f},{p[-1] * 1.2:.6f},{rng.randint(200, 90000)}.0"
        )

    variants = []
    for v in range(VARIANTS):
        lines = [
            f"TS,UC,GET,{name},{tail(bases[name] + v * 7, 0.4 + v / 100, 0.01 * (v % 3), 1000 + v, v)}\n"
            for name in names
        ]
        lines.append(f"TS,UC,,Aggregated,{tail(800 + v * 9, 30.0 + v / 10, 0.2, 70000 + v, 300 + v)}\n")
        variants.append("".join(lines))

    history = directory / f"{prefix}_stats_history.csv"
    with history.open("w", encoding="utf-8", newline="") as fh:
        fh.write(HISTORY_HEADER + "\n")
        for i in range(ticks):
            user_count = min(users, i // 2)
            fh.write(variants[i % VARIANTS].replace("TS", str(start + i)).replace("UC", str(user_count)))
    rows = ticks * (endpoints + 1)

    stats_lines = [STATS_HEADER]
    failures = ["Method,Name,Error,Occurrences,First Seen,Last Seen"]
    total_req = total_fail = 0
    for i, name in enumerate(names):
        req = rng.randint(20_000, 400_000)
        fail = req // 200 if i % 4 == 0 else 0
        total_req, total_fail = total_req + req, total_fail + fail
        p = _percentiles(rng, bases[name])
        mx = 20_100.0 + i if fail else p[-1] * 1.1
        stats_lines.append(
            f"GET,{name},{req},{fail},{p[0]}.0,{bases[name] * 1.2:.6f},{bases[name] / 3:.6f},"
            f"{mx:.6f},5000.0,{req / ticks:.6f},{fail / ticks:.6f}," + ",".join(map(str, p))
        )
        if fail:
            failures.append(
                f"GET,{name},HTTPError('504 Server Error: Gateway Time-out for url: {name}'),{fail},"
                "2025-10-16T00:00:10Z,2025-10-16T23:59:50Z"
            )
    p = _percentiles(rng, 700)
    stats_lines.append(
        f",Aggregated,{total_req},{total_fail},{p[0]}.0,900.5,20.1,20150.2,5000.0,"
        f"{total_req / ticks:.6f},{total_fail / ticks:.6f}," + ",".join(map(str, p))
    )
    (directory / f"{prefix}_stats.csv").write_text("\n".join(stats_lines) + "\n")
    (directory / f"{prefix}_failures.csv").write_text("\n".join(failures) + "\n")
    (directory / f"{prefix}_exceptions.csv").write_text("Count,Message,Traceback,Nodes\n")
    return directory / prefix, rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--endpoints", type=int, default=70)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--keep", action="store_true", help="keep the generated files and the report")
    parser.add_argument("--max-seconds", type=float, default=60.0)
    parser.add_argument("--max-rss-mb", type=float, default=2048.0)
    args = parser.parse_args(argv)

    workdir = Path(tempfile.mkdtemp(prefix="ops-perf-bench-"))
    try:
        results = workdir / "results" / "2025-10-16"
        results.mkdir(parents=True)
        t0 = time.perf_counter()
        prefix, rows = generate(results, "stg-soak", args.hours, args.endpoints, args.users)
        size = sum(p.stat().st_size for p in results.iterdir())
        print(
            f"generated {rows:,} history rows ({args.endpoints} endpoints x {int(args.hours * 3600):,} s + "
            f"Aggregated), {size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s"
        )

        out = workdir / "report"
        env = {**os.environ, "PYTHONPATH": str(ROOT), "SOURCE_DATE_EPOCH": "1760572800"}
        command = [sys.executable, "-m", "ops_perf.report", str(prefix), "-o", str(out)]
        start = time.perf_counter()
        done = subprocess.run(command, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - start
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
        if done.returncode != 0:
            print(f"report failed (exit {done.returncode}): {done.stderr.strip()}")
            return 2
        charts = sorted(p.name for p in (out / "charts").iterdir())
        print(f"command: python -m ops_perf.report {prefix} -o {out}")
        print(f"report:  wall {wall:.1f} s, peak RSS {peak_mb:,.0f} MB, cpus {os.cpu_count()}, charts {charts}")
        ok = wall < args.max_seconds and peak_mb < args.max_rss_mb
        print(f"limits:  < {args.max_seconds:.0f} s and < {args.max_rss_mb:,.0f} MB: {'met' if ok else 'MISSED'}")
        if args.keep:
            print(f"kept:    {workdir}")
        return 0 if ok else 1
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    raise SystemExit(main())
