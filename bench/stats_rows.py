"""CPU of Locust's once-a-second CSV writing, with Locust's percentile code and with one sort per histogram.

    python bench/stats_rows.py [--entries 96] [--requests 3000] [--repeat 15]

Locust rewrites the stats CSV and appends to the stats history once a second, in the process that
sends the load (a local run) or the master. Each row takes 11 percentiles; Locust sorts the entry's
histogram for each, and for a `--csv-full-history` row first diffs the whole histogram again for each
(`compat.install_one_sort_percentiles` shares one sort and one diff per row). This builds real Locust
stats (`entries` endpoints of `requests` log-normal times each, logged over 30 s of a moved clock so
that the ~10 s window exists), then times one writer pass (Locust's own `_requests_data_rows` and
`_stats_history_data_rows`, into real CSV files) both ways, with the suite's buckets and with Locust's.
Prints the median ms per pass of `--repeat` passes, alternating the two ways, and their ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace

import locust.stats
from locust.env import Environment
from locust.event import Events
from locust.stats import PERCENTILES_TO_REPORT, StatsCSVFileWriter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ops_perf import locust_compat as compat

START = 1_800_000_000.0


def build(entries: int, requests: int, seed: int) -> tuple[Environment, SimpleNamespace]:
    """Stats as a 30 s run leaves them, under a clock of our own (Locust's cache is keyed by second)."""
    clock = SimpleNamespace(now=START)
    locust.stats.time = SimpleNamespace(time=lambda: clock.now)  # type: ignore[attr-defined]
    env = Environment(events=Events())
    env.stats.use_response_times_cache = True
    env.stats.total.use_response_times_cache = True
    rng = random.Random(seed)
    medians = [rng.lognormvariate(3.5, 1.0) for _ in range(entries)]
    per_second = max(entries * requests // 30, 1)
    for logged in range(entries * requests):
        clock.now = START + logged / per_second
        index = rng.randrange(entries)
        env.stats.log_request("GET", f"/api/v1/endpoint-{index}/", rng.lognormvariate(0, 0.5) * medians[index], 100)
    clock.now = START + 31
    return env, clock


def use(one_sort: bool) -> None:
    """The suite's one sort per histogram, or Locust's own three functions exactly as found."""
    if one_sort:
        compat.install_one_sort_percentiles()
        return
    locust.stats.calculate_response_time_percentile = compat.LOCUST_PERCENTILE
    locust.stats.diff_response_time_dicts = compat.LOCUST_DIFF
    locust.stats.StatsCSV._percentile_fields = compat.LOCUST_PERCENTILE_FIELDS  # type: ignore[method-assign]


def one_pass(writer: StatsCSVFileWriter) -> float:
    """Seconds of CPU for one writer pass (the stats CSV rewritten, one history row per entry)."""
    began = time.process_time()
    writer.requests_csv_filehandle.seek(0)
    writer._requests_data_rows(writer.requests_csv_writer)
    writer.requests_csv_filehandle.truncate()
    writer._stats_history_data_rows(writer.stats_history_csv_writer, START + 31)
    return time.process_time() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=96)
    parser.add_argument("--requests", type=int, default=3000, help="requests per entry")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    real_time = locust.stats.time
    try:
        for name, bucketing in (
            ("suite buckets", compat.bucket_response_time),
            ("Locust buckets", compat.LOCUST_BUCKETING),
        ):
            if bucketing is None:
                continue
            compat.install_buckets(bucketing)
            env, _ = build(args.entries, args.requests, seed=18)
            with tempfile.TemporaryDirectory() as tmp:
                writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(Path(tmp) / "bench"), full_history=True)
                timings: dict[str, list[float]] = {"Locust's": [], "one sort": []}
                for _ in range(args.repeat):
                    for way in timings:
                        use(one_sort=way == "one sort")
                        timings[way].append(one_pass(writer))
                for handle in (writer.requests_csv_filehandle, writer.stats_history_csv_filehandle,
                               writer.failures_csv_filehandle, writer.exceptions_csv_filehandle):  # fmt: skip
                    handle.close()
            keys = statistics.median(len(e.response_times) for e in env.stats.entries.values())
            locusts, ours = (statistics.median(timings[w]) * 1000 for w in ("Locust's", "one sort"))
            print(
                f"{name}: {args.entries} entries x {args.requests} requests ({keys:.0f} keys per entry), one writer "
                f"pass (stats CSV + full history): Locust's {locusts:.1f} ms, one sort {ours:.1f} ms "
                f"(x{locusts / ours:.1f}; at one pass a second, {locusts / 10:.1f} % vs {ours / 10:.1f} % of a core)"
            )
    finally:
        use(one_sort=True)
        locust.stats.time = real_time  # type: ignore[attr-defined]
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
