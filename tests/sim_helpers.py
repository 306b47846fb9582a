"""Start and stop the OPS simulator as a real process, for any test that needs an OPS to talk to.

    from sim_helpers import start_sim

    with start_sim("healthy", time_scale=0.01, extra_args=["--jwt-key", "k"]) as sim:
        requests.get(sim.url + "/api/v1/health/")
        sim.counts()["by_path"]

`start_sim` runs `python -m ops_perf.sim --port <free port> ...` as a subprocess (so the simulator
is exercised exactly as users run it), waits until `/api/v1/health/` answers (bounded; if the
process dies first, the error carries its stderr), and `stop()` terminates it (SIGTERM, then kill).
All traffic goes to 127.0.0.1 with proxies ignored.

Also `facts_rows`: the facts file's endpoint table, which the simulator tests check against.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import requests

REPO_ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
START_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 5.0
_BIND_ATTEMPTS = 3  # a free port can be taken between choosing it and the simulator binding it


class SimStartError(RuntimeError):
    """The simulator did not come up; the message holds its stderr."""


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False  # never route 127.0.0.1 through an HTTP(S)_PROXY from the environment
    return session


class SimProcess:
    """A running simulator process: its URL, its admin API, and how to stop it."""

    def __init__(self, proc: subprocess.Popen[bytes], port: int, workdir: tempfile.TemporaryDirectory[str]) -> None:
        self.proc = proc
        self.port = port
        self.url = f"http://{HOST}:{port}"
        self._workdir = workdir
        self.http = _session()

    # ---- convenience for tests -----------------------------------------------------------------
    def get(self, path: str, token: str | None = None, **kwargs: Any) -> requests.Response:
        """GET `path` on the simulator, with a bearer token when given (timeout 10 s unless set)."""
        headers = dict(kwargs.pop("headers", {}) or {})
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        kwargs.setdefault("timeout", 10)
        return self.http.get(self.url + path, headers=headers, **kwargs)

    def login(self, user: str = "system_owner", **kwargs: Any) -> dict[str, Any]:
        """`POST /auth/login/` with the fake-auth provider; returns the JSON body (raises on non-200)."""
        kwargs.setdefault("timeout", 10)
        response = self.http.post(f"{self.url}/auth/login/", json={"code": user, "provider": "fakeauth"}, **kwargs)
        response.raise_for_status()
        return response.json()

    # ---- the admin API -------------------------------------------------------------------------
    def requests(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.url}/__sim__/requests", timeout=30)
        response.raise_for_status()
        return list(response.json()["requests"])

    def counts(self) -> dict[str, Any]:
        response = self.http.get(f"{self.url}/__sim__/counts", timeout=10)
        response.raise_for_status()
        return dict(response.json())

    def reset(self) -> None:
        self.http.post(f"{self.url}/__sim__/reset", timeout=10).raise_for_status()

    # ---- process -------------------------------------------------------------------------------
    def stdout(self) -> str:
        return (Path(self._workdir.name) / "stdout.txt").read_text(encoding="utf-8", errors="replace")

    def stderr(self) -> str:
        return (Path(self._workdir.name) / "stderr.txt").read_text(encoding="utf-8", errors="replace")

    def stop(self) -> int | None:
        """SIGTERM, wait up to STOP_TIMEOUT_S, then SIGKILL. Returns the exit code."""
        self.http.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=STOP_TIMEOUT_S)
        return self.proc.returncode

    def close(self) -> None:
        self.stop()
        self._workdir.cleanup()

    def __enter__(self) -> SimProcess:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _launch(args: list[str], timeout_s: float) -> SimProcess:
    port = _free_port()
    workdir = tempfile.TemporaryDirectory(prefix="ops-perf-sim-")
    out_path, err_path = Path(workdir.name) / "stdout.txt", Path(workdir.name) / "stderr.txt"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    with out_path.open("wb") as out, err_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "ops_perf.sim", "--port", str(port), *args],
            stdout=out,
            stderr=err,
            stdin=subprocess.DEVNULL,
            cwd=REPO_ROOT,
            env=env,
        )
    sim = SimProcess(proc, port, workdir)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            stderr = sim.stderr().strip()
            workdir.cleanup()
            raise SimStartError(
                f"the simulator exited with code {proc.returncode} before answering: {stderr or '(no stderr)'}"
            )
        try:
            if sim.http.get(f"{sim.url}/api/v1/health/", timeout=0.5).status_code == 200:
                return sim
        except requests.RequestException:
            pass
        time.sleep(0.05)
    stderr = sim.stderr().strip()
    sim.close()
    raise SimStartError(
        f"the simulator did not answer /api/v1/health/ within {timeout_s:g}s: {stderr or '(no stderr)'}"
    )


def start_sim(
    profile: str = "healthy",
    time_scale: float = 1.0,
    extra_args: Sequence[str] = (),
    timeout_s: float = START_TIMEOUT_S,
) -> SimProcess:
    """Start `python -m ops_perf.sim` on a free 127.0.0.1 port and wait until it answers."""
    args = ["--profile", profile, "--time-scale", repr(float(time_scale)), *extra_args]
    for attempt in range(_BIND_ATTEMPTS):
        try:
            return _launch(args, timeout_s)
        except SimStartError as err:
            if "cannot listen" not in str(err) or attempt == _BIND_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # the loop either returns or raises


_FACTS_ROW = re.compile(r"^\| (\d+) \| `([^`]+)` \| (?:`([^`]+)`|—) \| `([^`]+)` \| (\d+) \| (?:`([^`]+)`|—) \|")


def facts_rows(reference_dir: Path) -> list[tuple[str, str | None, str, str | None]]:
    """(path requested, query, Locust name, id pool) for each row of the facts file's endpoint table."""
    rows = []
    for line in (reference_dir / "ops-api-facts.md").read_text(encoding="utf-8").splitlines():
        found = _FACTS_ROW.match(line)
        if found:
            rows.append((found.group(2), found.group(3), found.group(4), found.group(6)))
    return rows
