"""Several machines for real (issue 11, item 11): master and workers on hosts of their own.

Until now master and workers were only ever processes on 127.0.0.1. Here each is a host with its
own network stack and address (Linux network namespaces joined by veth pairs on a bridge, see
`netns_helpers`): the simulator on 10.203.0.1, the master on .2, two workers on .3 and .4, all
started by the test and removed after it, also when it fails. The guarantees are those of the
`--processes` test: one harvest (by the master), every endpoint requested by both workers, one
merged set of stats with every endpoint, zero failures, and `run.json` counting two workers. And
the load really came from the workers' hosts: the simulator's gateway saw their addresses.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from distributed_helpers import assert_each_worker_covers_the_mix, assert_one_harvest, load_by_pid
from netns_helpers import Hosts, unavailable
from run_helpers import LOCUSTFILE, REPO_ROOT, assert_stats_cover_the_mix, clean_env, read_stats

pytestmark = pytest.mark.e2e

SIM_PORT = 8080
MASTER_PORT = 5557
"""Locust's defaults: each host has its own ports, so nothing here can collide with the machine's."""
RUN_S = 18
"""Each worker makes ~80 requests/s here; the rarest routes weigh 1/248 of the mix, so 18 s (~1,400
requests per worker) leaves each a ~0.3 % chance of going unrequested by one worker (12 s: ~2 %)."""
HOSTS = ["sim", "master", "w1", "w2"]
TESTS_DIR = Path(__file__).resolve().parents[1]


def _env() -> dict[str, str]:
    """No proxy: the namespaces can reach only each other, and must not try anything else."""
    return {k: v for k, v in clean_env().items() if "proxy" not in k.lower()}


def _wait_line(proc: subprocess.Popen[str], needle: str, what: str) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:  # bounded: the process exits (EOF) or prints the line
        if needle in line:
            return
    pytest.fail(f"{what} did not start: {proc.stderr.read() if proc.stderr else ''}")


def test_master_and_two_workers_on_separate_hosts(tmp_path: Path) -> None:
    if reason := unavailable():
        pytest.skip(reason)
    prefix = tmp_path / "local-smoke"
    peers_file = tmp_path / "peers.json"
    with Hosts(HOSTS) as hosts:
        sim_address, master_address = hosts.address("sim"), hosts.address("master")
        sim = hosts.popen(
            "sim",
            [sys.executable, "-m", "ops_perf.sim", "--port", str(SIM_PORT), "--profile", "healthy"],
            cwd=REPO_ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_line(sim, "serving", "the simulator")
        relay = hosts.popen(
            "sim",
            [sys.executable, str(TESTS_DIR / "netns_helpers.py"), "relay", sim_address, str(SIM_PORT), str(SIM_PORT),
             str(peers_file)],
            env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        _wait_line(relay, "relay:", "the relay")
        sim_url = f"http://{sim_address}:{SIM_PORT}"
        master = hosts.popen(
            "master",
            [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--master",
             "--master-bind-host", master_address, "--master-bind-port", str(MASTER_PORT), "--expect-workers", "2",
             "--expect-workers-max-wait", "30", "--ops-env", "local", "--host", sim_url, "-u", "6", "-r", "6",
             "-t", f"{RUN_S}s", "--think-time", "0,0.05", "--csv", str(prefix)],
            cwd=REPO_ROOT, env=_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        worker_cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host",
                      master_address, "--master-port", str(MASTER_PORT)]  # fmt: skip
        workers = [
            hosts.popen(name, worker_cmd, cwd=REPO_ROOT, env=_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            for name in ("w1", "w2")
        ]
        try:
            _, master_err = master.communicate(timeout=RUN_S + 60)
        except subprocess.TimeoutExpired:
            master.kill()
            _, master_err = master.communicate()
        for w in workers:
            try:
                w.wait(timeout=30)
            except subprocess.TimeoutExpired:
                w.kill()
        fetched = hosts.run("sim", [sys.executable, "-c", _FETCH_LOG.format(port=SIM_PORT)])
        assert fetched.returncode == 0, fetched.stderr
        log = json.loads(fetched.stdout)["requests"]
        relay.terminate()
        relay.wait(timeout=10)
    assert master.returncode == 0, master_err[-3000:]
    assert_one_harvest(log)
    by_pid = load_by_pid(log)
    assert sorted(by_pid) == sorted(str(w.pid) for w in workers), "the load came from the two workers"
    assert_each_worker_covers_the_mix(log, by_pid)
    stats = read_stats(prefix)
    assert_stats_cover_the_mix(stats)
    assert int(stats["Aggregated"]["Failure Count"]) == 0
    assert not [r for r in log if r["status"] >= 400]
    record = json.loads(Path(f"{prefix}_run.json").read_text())
    assert record["workers"] == 2 and record["host"] == sim_url
    # Who connected to the simulator's host: the master (login, warm-up) and the two workers, each
    # from its own address, and nobody else.
    peers = json.loads(peers_file.read_text())
    assert set(peers) == {hosts.address(n) for n in ("master", "w1", "w2")}, peers


_FETCH_LOG = (
    "import sys, urllib.request; "
    "sys.stdout.write(urllib.request.urlopen('http://127.0.0.1:{port}/__sim__/requests', timeout=30).read().decode())"
)
"""Run inside the simulator's host: its admin API is on that host's loopback only."""
