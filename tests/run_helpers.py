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
