"""Master and worker processes for the distributed tests, and what their request log must show.

Shared by the several-process tests (tests/e2e/test_distributed.py, test_netns.py, test_pages_distributed.py,
test_open_distributed.py), so each states only what it proves.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

from run_helpers import LOCUSTFILE, REPO_ROOT, clean_env, unlikely_to_miss

from ops_perf.users.endpoints.catalog import ENDPOINTS, pools_in_use

PID = re.compile(r"pid (\d+)")


def load_by_pid(log: list[dict]) -> dict[str, set[str]]:
    """Paths each load process requested, from the pid in its User-Agent."""
    seen: dict[str, set[str]] = defaultdict(set)
    for r in log:
        ua = r["user_agent"] or ""
        if "(locust" in ua and (m := PID.search(ua)):
            seen[m.group(1)].add(r["path"] + ("?" if r["query"] else ""))
    return seen


def assert_one_harvest(log: list[dict]) -> None:
    warmup = [r for r in log if "(warmup" in (r["user_agent"] or "")]
    assert {PID.search(r["user_agent"]).group(1) for r in warmup}.__len__() == 1, "more than one process harvested"
    per_path: dict[str, list[str]] = defaultdict(list)
    for r in warmup:
        per_path[r["path"]].append(r["query"] or "")
    assert set(per_path) == {p.list_path for p in pools_in_use().values()}
    assert all(len(q) == len(set(q)) for q in per_path.values()), "a list endpoint was harvested twice"


def assert_each_worker_covers_the_mix(log: list[dict], by_pid: dict[str, set[str]]) -> None:
    """Every worker requested every route its request count made all but certain; both together, all of them.

    Together they prove each worker got the ids, without failing a CI run in fifty on a weight-1 route.
    """
    sent: dict[str, int] = defaultdict(int)
    for r in log:
        ua = r["user_agent"] or ""
        if "(locust" in ua and (m := PID.search(ua)):
            sent[m.group(1)] += 1
    by_name = {ep.locust_name: ep.path.split("{")[0] for ep in ENDPOINTS}
    for pid, paths in by_pid.items():
        assert sent[pid] >= 300, f"worker {pid} sent only {sent[pid]} requests"
        routes = {by_name[n] for n in unlikely_to_miss(sent[pid])}
        missing = [r for r in routes if not any(p.startswith(r) for p in paths)]
        assert missing == [], f"worker {pid} never requested {missing} in {sent[pid]} requests"
    together = set().union(*by_pid.values())
    unseen = [r for r in set(by_name.values()) if not any(p.startswith(r) for p in together)]
    assert unseen == [], f"no worker requested {unseen}"


def worker(master_port: int) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--worker", "--master-host", "127.0.0.1",
           "--master-port", str(master_port)]  # fmt: skip
    return subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def master(
    sim_url: str, port: int, prefix: Path, workers: int, seconds: int, extra: list[str] = ()
) -> subprocess.Popen[str]:
    cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--master",
           "--master-bind-host", "127.0.0.1", "--master-bind-port", str(port), "--expect-workers", str(workers),
           "--expect-workers-max-wait", "30", "--ops-env", "local", "--host", sim_url, "-u", "6", "-r", "6",
           "-t", f"{seconds}s", "--think-time", "0,0.05", "--csv", str(prefix), *extra]  # fmt: skip
    return subprocess.Popen(
        cmd, cwd=REPO_ROOT, env=clean_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
