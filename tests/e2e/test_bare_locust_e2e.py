"""Bare `locust -f locustfile.py --csv X` keeps the promises `ops-perf run` makes (issue 11, items 2 and 3).

- Two bare runs started together with the same `--csv` (and `--html X.html`) get two prefixes, as two
  `ops-perf run` do: the second says so in one line and neither overwrites the other (before: both
  wrote `X_*`, one `run.json` survived, the histories were mixed).
- A bare run refused at start-up leaves nothing behind: no empty CSVs, no lock, not even the folder
  it made for them.
- Ctrl-C (SIGINT to the process group) on a web UI where no test was ever started closes it with
  exit 0 and writes no run files at all (before: an `interrupted` run.json of nothing, exit 130);
  after a test that ended from the UI, Ctrl-C still closes it (before: ignored as "already
  stopping") and the run keeps its own status.
"""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jwt
import pytest
import requests
from conftest import free_port
from run_helpers import LOCUSTFILE, REPO_ROOT, clean_env, run_locust
from sim_helpers import SimProcess, start_sim

pytestmark = pytest.mark.e2e

KEY = "ops-perf-e2e-bare-locust-key-0123456789abcdef"
UI_START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 60.0
TAKEN_LINE = "is taken by another run"


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_sim("healthy", time_scale=10, extra_args=["--jwt-key", KEY]) as running:
        yield running


def mint(lifetime_s: float = 3600) -> str:
    """A token the simulator accepts without a login: two logins as one user would end each other's session."""
    now = time.time()
    claims = {"sub": "00000000-0000-1111-a111-000000000001", "roles": ["SYSTEM_OWNER"],
              "iss": "https://ops-perf-sim.local", "aud": "https://opre-ops-backend", "iat": int(now),
              "nbf": int(now), "jti": str(uuid.uuid4()), "exp": int(now + lifetime_s), "type": "access",
              "fresh": True}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="HS256")


def locust_cmd(sim: SimProcess, *args: str) -> list[str]:
    return [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--ops-env", "local", "--host", sim.url, *args]


def test_two_bare_runs_with_the_same_csv_get_two_prefixes(sim: SimProcess, tmp_path: Path) -> None:
    results = tmp_path / "results"  # not made: the first run to parse makes it
    prefix = results / "local-smoke"
    cmd = locust_cmd(sim, "--headless", "-u", "2", "-r", "2", "-t", "2s", "--think-time", "0,0.1",
                     "--csv", str(prefix), "--csv-full-history", "--html", f"{prefix}.html", "--only-summary")  # fmt: skip
    env = clean_env({"JWT_TOKEN": mint()})
    procs = [
        subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for _ in range(2)
    ]  # both started before either has parsed its options: the same free prefix is in view of both
    outputs = [p.communicate(timeout=120)[0] for p in procs]
    for proc, out in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, out[-3000:]
        assert "Traceback" not in out
    names = sorted(p.name.removesuffix("_run.json") for p in results.glob("*_run.json"))
    assert names == ["local-smoke", "local-smoke-2"]
    for name in names:
        record = json.loads((results / f"{name}_run.json").read_text(encoding="utf-8"))
        assert record["prefix"] == name and record["status"] == "completed"
        with open(results / f"{name}_stats.csv", newline="", encoding="utf-8") as fh:
            aggregated = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
        assert int(aggregated["Request Count"]) > 0, name
        with open(results / f"{name}_stats_history.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert len(rows) > 1 and {len(row) for row in rows} == {len(rows[0])}, "a history file was shared"
        assert (results / f"{name}.html").stat().st_size > 0, "--html X.html follows the new name"
    # The one that lost says so, in one line naming both names; the other says nothing of it.
    said = [[line for line in out.splitlines() if TAKEN_LINE in line] for out in outputs]
    assert sorted(len(lines) for lines in said) == [0, 1], said
    line = next(lines[0] for lines in said if lines)
    assert f"{prefix} {TAKEN_LINE}" in line and f"this run is {prefix}-2 " in line, line
    assert list(results.glob("*.lock")) == []


def test_a_refused_bare_run_leaves_nothing(tmp_path: Path) -> None:
    results = tmp_path / "results"
    result = run_locust(["--ops-env", "local", "-u", "0", "--csv", str(results / "local-smoke")])
    assert result.returncode == 2, result.stderr[-2000:]
    assert "users must be a positive number" in result.stderr and "Traceback" not in result.stderr
    assert not results.exists(), sorted(p.name for p in results.iterdir())  # no CSVs, no lock, no folder


class WebUI:
    """`locust -f locustfile.py` with its web UI on a free 127.0.0.1 port, in its own process group."""

    def __init__(self, sim: SimProcess, prefix: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        cmd = locust_cmd(sim, "--web-host", "127.0.0.1", "--web-port", str(self.port),
                         "--csv", str(prefix), "--html", f"{prefix}.html")  # fmt: skip
        with open(log, "w", encoding="utf-8") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=clean_env({"JWT_TOKEN": mint()}), stdout=out,
                                         stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                         start_new_session=True)  # fmt: skip
        self.http = requests.Session()
        self.http.trust_env = False

    def wait_until_up(self) -> None:
        deadline = time.monotonic() + UI_START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"locust exited {self.proc.returncode}: {self.output()[-2000:]}")
            try:
                if self.http.get(self.url + "/", timeout=2).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.3)
        pytest.fail(f"the web UI did not answer within {UI_START_TIMEOUT_S:g}s: {self.output()[-2000:]}")

    def state(self) -> dict[str, Any]:
        return dict(self.http.get(self.url + "/stats/requests", timeout=5).json())

    def ctrl_c(self) -> int:
        """SIGINT to the process group, as Ctrl-C in the terminal sends it; the exit code."""
        os.killpg(self.proc.pid, signal.SIGINT)
        return self.proc.wait(timeout=STOP_TIMEOUT_S)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def close(self) -> None:
        self.http.close()
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)


@pytest.fixture
def web_ui(sim: SimProcess, tmp_path: Path) -> Iterator[tuple[WebUI, Path]]:
    prefix = tmp_path / "results" / "local-smoke"
    ui = WebUI(sim, prefix, tmp_path / "locust.log")
    try:
        ui.wait_until_up()
        yield ui, prefix
    finally:
        ui.close()


def test_ctrl_c_on_a_web_ui_that_never_ran_a_test_writes_nothing(web_ui: tuple[WebUI, Path]) -> None:
    ui, prefix = web_ui
    assert prefix.parent.is_dir(), "Locust opened its CSVs at start-up (and bare_prefix reserved the name)"
    code = ui.ctrl_c()
    out = ui.output()
    assert code == 0, out[-3000:]
    assert "Traceback" not in out and "KeyboardInterrupt" not in out, out[-3000:]
    assert "no test was started, so nothing is written" in out
    # No run.json, no stats JSON, no HTML, no header-only CSVs, no lock: the folder made for them is gone too.
    assert not prefix.parent.exists(), sorted(p.name for p in prefix.parent.iterdir())


def test_ctrl_c_after_a_web_ui_test_ended_closes_it_and_keeps_the_run(
    sim: SimProcess, web_ui: tuple[WebUI, Path]
) -> None:
    ui, prefix = web_ui
    form = {"user_count": "2", "spawn_rate": "2", "host": sim.url, "run_time": "2s", "think_time": "0,0.1"}
    response = ui.http.post(ui.url + "/swarm", data=form, timeout=30)
    assert response.status_code == 200 and response.json().get("success"), response.text
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while time.monotonic() < deadline and ui.state()["state"] != "stopped":
        time.sleep(0.3)  # the 2 s test runs, ends by its run time, and the UI waits for the next
    assert ui.state()["state"] == "stopped", ui.output()[-2000:]
    code = ui.ctrl_c()
    out = ui.output()
    assert code == 0, out[-3000:]
    assert "Traceback" not in out and "already stopping" not in out, out[-3000:]
    record = json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))
    assert record["status"] == "completed" and record["exit_code"] == 0, record["status_detail"]
    with open(f"{prefix}_stats.csv", newline="", encoding="utf-8") as fh:
        aggregated = next(r for r in csv.DictReader(fh) if r["Name"] == "Aggregated")
    assert int(aggregated["Request Count"]) > 0
