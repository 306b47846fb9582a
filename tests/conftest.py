"""Shared fixtures: where the reference material lives, free ports, and a repo-root handle.

The reference material (`../shared/reference`) is never copied into the project; tests that need it
read it in place and skip with a reason when it is absent.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import locust  # noqa: F401  (first: gevent's monkey-patching must precede any ssl import)
import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Child processes inherit our stdin, and Locust asks it `isatty()`: when a runner starts the tests
# with stdin closed, give the children /dev/null instead of a missing file descriptor.
try:
    os.fstat(0)
except OSError:
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)
REFERENCE_DIR = Path(os.environ.get("OPS_PERF_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))
REFERENCE_RESULTS = REFERENCE_DIR / "results-2025-10-15"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference material not found at {REFERENCE_DIR} (set OPS_PERF_REFERENCE or add ../shared)")
    return REFERENCE_DIR


@pytest.fixture
def reference_results(reference_dir: Path) -> Path:
    if not REFERENCE_RESULTS.is_dir():
        pytest.skip(f"reference CSVs not found at {REFERENCE_RESULTS}")
    return REFERENCE_RESULTS
