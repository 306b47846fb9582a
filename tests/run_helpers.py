"""Running the suite as users do, as real processes: `locust -f locustfile.py` and `ops-perf`."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
LOCUSTFILE = REPO_ROOT / "locustfile.py"
MISS_EXPECTED = 7.0
"""A weighted endpoint may be missing from a run only where the mix expected fewer requests of it than this:
e^-7 is about one miss in a thousand, so missing any endpoint more likely to be hit is a real defect."""
SAFE_ENV_DROP = ("JWT_TOKEN", "JWT_REFRESH_TOKEN", "OPS_ENV", "OPS_SCENARIO", "OPS_CONFIRM_PROD")


def clean_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The caller's environment without tokens or OPS_* choices that would change what a test means."""
    env = {k: v for k, v in os.environ.items() if k not in SAFE_ENV_DROP}
    env.update(extra or {})
    return env


def run_locust(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 120, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=clean_env(env), cwd=cwd or REPO_ROOT, check=False
    )


def popen_locust(args: Sequence[str], *, headless: bool = True) -> subprocess.Popen[str]:
    """A Locust process left running, for tests that act on it while it runs (workers, signals, a second run)."""
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), *(["--headless"] if headless else []), *args]
    return subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def finish(proc: subprocess.Popen[str], timeout: float = 90) -> tuple[int, str]:
    """Wait for a process (killed past `timeout`, so no test hangs): its exit code and stderr."""
    try:
        _, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        _, err = proc.communicate()
    return proc.returncode, err


def run_cli(
    args: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float = 180, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "ops_perf", *args]
    return subprocess.run(
        cmd, capture_output=True, text=True, timeout=timeout, env=clean_env(env), cwd=cwd or REPO_ROOT, check=False
    )


def read_stats(prefix: Path) -> dict[str, dict[str, str]]:
    """Rows of `<prefix>_stats.csv` by Name (the Aggregated row included)."""
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        return {row["Name"]: row for row in csv.DictReader(fh)}


def read_failures(prefix: Path) -> list[dict[str, str]]:
    with open(f"{prefix}_failures.csv", newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def unlikely_to_miss(requests: int) -> list[str]:
    """Names of the weighted endpoints that `requests` draws from the mix all but surely include.

    A weight-1 endpoint of 248 is expected about four times in 1,000 requests: demanding it of every short
    run fails one CI run in fifty, which is the test's fault, not the suite's.
    """
    from ops_perf.users.endpoints.catalog import ENDPOINTS

    total = sum(ep.weight for ep in ENDPOINTS)
    return [ep.locust_name for ep in ENDPOINTS if requests * ep.weight / total >= MISS_EXPECTED]


def assert_stats_cover_the_mix(stats: dict[str, dict[str, str]]) -> None:
    """Every endpoint the run's request count made all but certain has a stats row with requests."""
    sent = int(stats["Aggregated"]["Request Count"])
    assert sent >= 300, f"the run sent only {sent} requests"
    missing = [n for n in unlikely_to_miss(sent) if int(stats.get(n, {}).get("Request Count", 0)) == 0]
    assert missing == [], f"no requests of {missing} in {sent}"
