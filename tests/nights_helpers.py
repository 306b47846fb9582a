"""Nightly runs written as Locust writes them, with seeded response times: a month of nights in seconds.

Why not 30 real runs: a run of the suite takes about 10 s and the machine's own noise (other tests
beside it) is larger than what the detection tests plant, so 30 real nights would be slow and
flaky. These nights go through Locust's own code instead: each response time is logged into a real
`locust.stats.RequestStats` (so bucketed by the bucketing in force), and the files come from Locust's
own writers:
- `plain=True`, a run as plain Locust leaves it (the OPS team's results folders, any run made
  without the suite's hooks): Locust's default bucketing, `StatsCSV.requests_csv` for `_stats.csv`
  (whole-ms percentile cells), `_failures.csv`, `_exceptions.csv` and `_stats_history.csv` (Locust's
  own history row writer, at the night's timestamps), and nothing else: no run.json, no histograms;
- `plain=False`, a run as the suite leaves it: the suite's buckets (`locust_compat.bucket_response_time`),
  its final-CSV writer (`locust_compat.write_final_csvs`), `<prefix>.json` from
  `locust_compat.serialized_entries` and a run.json with the keys the store reads.
Real `locust` and `ops-perf run` runs are what tests/e2e/test_history_e2e.py and the plain night of
tests/e2e/test_history_nights_e2e.py use; this module is for the month.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from locust.env import Environment
from locust.event import Events
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, StatsCSVFileWriter

from ops_perf import locust_compat as compat
from ops_perf.users.endpoints.catalog import ENDPOINTS

FIRST_NIGHT = datetime(2026, 1, 5, 6, 17, tzinfo=UTC)
"""The nightly's schedule (06:17 UTC), one night a day from here."""
NIGHT_S = 600
"""Each night's load time: the nightly scenario's 10 minutes."""


@dataclass(frozen=True)
class NightModel:
    """Log-normal response times per endpoint, a factor for the whole night and one per endpoint and night.

    Defaults: the nightly's budget (600 requests, the even mix over the catalog's endpoints), medians
    spread from 20 ms to 2 s, a narrow spread (sigma 0.3, like the simulator's curves) and a few % of
    night-to-night noise."""

    requests: int = 600
    sigma: float = 0.3
    night_sd: float = 0.04
    endpoint_night_sd: float = 0.04
    seed: int = 7
    names: tuple[str, ...] = field(default_factory=lambda: tuple(e.locust_name for e in ENDPOINTS if e.weight > 0))

    def medians(self) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        return np.exp(rng.uniform(math.log(20.0), math.log(2000.0), len(self.names)))


def night_samples(model: NightModel, night: int, slow: Mapping[str, float] | None = None) -> dict[str, list[float]]:
    """One night's response times (ms) per endpoint name: the even mix, `slow` multiplying some endpoints."""
    rng = np.random.default_rng([model.seed, night])
    k = len(model.names)
    counts = np.full(k, model.requests // k)
    counts[rng.choice(k, model.requests - int(counts.sum()), replace=False)] += 1
    night_factor = rng.normal(0.0, model.night_sd)
    out: dict[str, list[float]] = {}
    for i, (name, median) in enumerate(zip(model.names, model.medians(), strict=True)):
        level = math.log(median) + night_factor + rng.normal(0.0, model.endpoint_night_sd)
        times = np.exp(level + model.sigma * rng.standard_normal(int(counts[i])))
        out[name] = [float(t) * (slow or {}).get(name, 1.0) for t in times]
    return out


@contextmanager
def bucketing(plain: bool) -> Iterator[None]:
    """Locust's default buckets (a plain run) or the suite's, for the duration; then whatever was in force."""
    import locust.stats

    before = locust.stats.bucket_response_time
    assert compat.LOCUST_BUCKETING is not None, "needs Locust >= 2.43.4"
    compat.install_buckets(compat.LOCUST_BUCKETING if plain else compat.bucket_response_time)
    try:
        yield
    finally:
        compat.install_buckets(before)


def write_night(
    directory: Path, prefix: str, started: datetime, samples: Mapping[str, list[float]], *, plain: bool
) -> Path:
    """Write one night's files under `directory` as Locust (plain) or the suite does; returns the run prefix."""
    directory.mkdir(parents=True, exist_ok=True)
    base = directory / prefix
    env = Environment(events=Events())
    with bucketing(plain):
        for name, times in samples.items():
            for t in times:
                env.stats.log_request("GET", name, t, 1024)
        precision = compat.precision()
    for entry in [*env.stats.entries.values(), env.stats.total]:  # the night's clock, not the writing's
        entry.start_time = started.timestamp()
        entry.last_request_timestamp = started.timestamp() + NIGHT_S
    if plain:
        _write_as_locust(env, base)
    else:
        _write_as_suite(env, base, started, precision)
    _write_history(env, base, started)
    return base


def _write_as_locust(env: Environment, base: Path) -> None:
    writer = StatsCSV(env, PERCENTILES_TO_REPORT)
    for suffix, write in (
        ("_stats.csv", writer.requests_csv),
        ("_failures.csv", writer.failures_csv),
        ("_exceptions.csv", writer.exceptions_csv),
    ):
        with open(f"{base}{suffix}", "w", encoding="utf-8", newline="") as fh:
            write(csv.writer(fh))


def _write_as_suite(env: Environment, base: Path, started: datetime, precision: str) -> None:
    compat.write_final_csvs(
        env, Path(f"{base}_stats.csv"), Path(f"{base}_failures.csv"), Path(f"{base}_exceptions.csv")
    )
    Path(f"{base}.json").write_text(json.dumps(compat.serialized_entries(env), indent=1), encoding="utf-8")
    env_name, _, scenario = base.name.partition("-")
    record = {
        "schema": 1,
        "prefix": base.name,
        "env": env_name,
        "scenario": scenario,
        "user": "endpoints",
        "mix": "even",
        "users": 3,
        "status": "completed",
        "started_at": _iso(started),
        "load_started_at": _iso(started + timedelta(seconds=5)),
        "ended_at": _iso(started + timedelta(seconds=NIGHT_S + 5)),
        "duration_s": float(NIGHT_S),
        "percentile_precision": precision,
    }
    Path(f"{base}_run.json").write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")


def _write_history(env: Environment, base: Path, started: datetime) -> None:
    """Locust's `_stats_history.csv` (Aggregated rows), one at the start of the load and one at its end."""
    writer = StatsCSVFileWriter(env, PERCENTILES_TO_REPORT, str(base) + "-history-only", full_history=False)
    try:
        with open(f"{base}_stats_history.csv", "w", encoding="utf-8", newline="") as fh:
            rows = csv.writer(fh)
            rows.writerow(writer.stats_history_csv_columns)
            for moment in (started, started + timedelta(seconds=NIGHT_S)):
                writer._stats_history_data_rows(rows, moment.timestamp())
    finally:
        for handle in (
            writer.requests_csv_filehandle,
            writer.stats_history_csv_filehandle,
            writer.failures_csv_filehandle,
            writer.exceptions_csv_filehandle,
        ):
            handle.close()
        for leftover in base.parent.glob(f"{base.name}-history-only*"):
            leftover.unlink()


def write_month(
    root: Path, model: NightModel, nights: int, *, plain: bool, slow_from: int | None = None,
    slowed: str = "", factor: float = 2.0, prefix: str = "stg-nightly",
) -> list[Path]:  # fmt: skip
    """`nights` nights, one results folder a day (`root/<date>/<prefix>_*`), `slowed` x`factor` from night
    `slow_from` (1-based) on; returns the run prefixes oldest first."""
    out = []
    for night in range(1, nights + 1):
        started = FIRST_NIGHT + timedelta(days=night - 1)
        slow = {slowed: factor} if slow_from is not None and night >= slow_from else None
        samples = night_samples(model, night, slow)
        out.append(write_night(root / started.strftime("%Y-%m-%d"), prefix, started, samples, plain=plain))
    return out


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
