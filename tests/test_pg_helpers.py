"""The throw-away PostgreSQL of the store's tests does not outlive a test run that was killed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pg_helpers import OWNER_FILE, skip_reason, start_postgres

TESTS = Path(__file__).resolve().parent
STARTER = """
import sys, time
sys.path.insert(0, sys.argv[1])
from pg_helpers import start_postgres
with start_postgres() as pg:
    print(pg.datadir.parent, flush=True)
    time.sleep(120)
"""


@pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or "")
def test_a_killed_runs_server_is_stopped_and_removed_by_the_next_start() -> None:
    killed = subprocess.Popen([sys.executable, "-c", STARTER, str(TESTS)], stdout=subprocess.PIPE, text=True)
    try:
        root = Path(killed.stdout.readline().strip())
        assert (root / OWNER_FILE).read_text() == str(killed.pid)
        server_pid = int((root / "data" / "postmaster.pid").read_text().split()[0])
    finally:
        killed.send_signal(signal.SIGKILL)  # what CI's timeout does: no finally, no atexit
        killed.wait(timeout=10)
    os.kill(server_pid, 0)  # the orphan is still serving
    with start_postgres() as pg:
        assert pg.datadir.parent != root
        assert not root.exists(), "the killed run's server dir was left behind"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(server_pid, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the orphaned PostgreSQL server {server_pid} still runs")
