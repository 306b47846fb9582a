"""The open model end to end (issue 10): real simulators, real Locust runs, the files they write.

A fixed service time makes the figures computable: the simulator's `fixed-50ms` profile answers in
50 ms, with `--slowdown 4` in 200 ms ("slowed to 4x its service times"). The runs of one test start together (they are light:
tens of requests per second) so that the module stays a few seconds long.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from run_helpers import finish, popen_locust, read_stats, run_cli
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e

SERVICE_MS = 50.0
RATE = 20  # tasks per second
SECONDS = 6
SPEEDS = {"open-fast": 1.0, "open-slow": 4.0, "closed-fast": 1.0, "closed-slow": 4.0}
"""Simulator `--slowdown` per run: 4 is the simulator slowed to 4x its service times."""


def fixed_profile(directory: Path, service_ms: float = SERVICE_MS, gateway_s: float = 20.0) -> Path:
    path = directory / "fixed.json"
    path.write_text(
        json.dumps(
            {
                "name": "fixed-test",
                "description": f"every answer takes {service_ms:g} ms",
                "extends": "healthy",
                "gateway_timeout_s": gateway_s,
                "default": {"latency_ms": [[0, service_ms], [100, service_ms]], "latency_multiplier": 1.0},
                "endpoints": {},
            }
        ),
        encoding="utf-8",
    )
    return path


def open_scenario(directory: Path, rate: float = RATE, max_users: int = 100, arrivals: str = "constant") -> Path:
    path = directory / "open-test.toml"
    path.write_text(
        f'description = "test"\nmodel = "open"\narrivals = "{arrivals}"\nmax_users = {max_users}\n'
        f'[[stages]]\nduration = "{SECONDS}s"\narrival_rate = {rate}\n',
        encoding="utf-8",
    )
    return path


def start_locust(args: Sequence[str]) -> subprocess.Popen[str]:
    return popen_locust(["--ops-env", "local", *args])


def aggregate(prefix: Path) -> tuple[float, float, int]:
    """(requests/s, median ms, requests) of a run's Aggregated row."""
    row = read_stats(prefix)["Aggregated"]
    return float(row["Requests/s"]), float(row["50%"]), int(row["Request Count"])


def test_open_keeps_its_rate_while_latency_grows_and_closed_slows_down(tmp_path: Path) -> None:
    scenario = str(open_scenario(tmp_path))
    users = "4"  # the closed runs: as many users as the open pool keeps busy at the slow speed (20/s x 0.2 s)
    # One simulator per run: a second login as the same test user ends the first one's session.
    sims = {label: start_sim("fixed-50ms", extra_args=["--slowdown", str(f)]) for label, f in SPEEDS.items()}
    try:
        runs = {}
        for label, sim in sims.items():
            if label.startswith("open"):
                args = ["--scenario", scenario]
            else:
                args = ["--scenario", "smoke", "-u", users, "-r", users, "-t", f"{SECONDS}s", "--think-time", "0"]
            runs[label] = start_locust([*args, "--host", sim.url, "--csv", str(tmp_path / label)])
        outcomes = {label: finish(proc) for label, proc in runs.items()}
    finally:
        for sim in sims.values():
            sim.close()
    for label, (code, err) in outcomes.items():
        assert code == 0, f"{label}: {err[-2000:]}"
    figures = {label: aggregate(tmp_path / label) for label in runs}
    open_fast, open_slow = figures["open-fast"], figures["open-slow"]
    closed_fast, closed_slow = figures["closed-fast"], figures["closed-slow"]
    assert open_slow[1] >= 3 * open_fast[1], f"latency should grow about 4x: {open_fast} -> {open_slow}"
    for rps, _, _ in (open_fast, open_slow):
        assert rps == pytest.approx(RATE, rel=0.05), f"the open run must offer its rate: {figures}"
    assert closed_slow[0] < 0.5 * closed_fast[0], f"a closed run slows down with OPS: {figures}"
    record = json.loads((tmp_path / "open-slow_run.json").read_text(encoding="utf-8"))
    assert record["model"] == "open" and record["offered_rate"] == RATE and record["dropped_arrivals"] == 0
    assert record["arrivals"] == RATE * SECONDS and record["status"] == "completed"
    closed = json.loads((tmp_path / "closed-slow_run.json").read_text(encoding="utf-8"))
    assert (closed["model"], closed["offered_rate"], closed["arrivals"]) == ("closed", None, 0)


@pytest.fixture(scope="module")
def light_runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The two light runs below, at once (each against its own simulator): the 2-user pool that drops
    most of its 30 arrivals/s (a busier machine only drops more), and the page user's 1 person/s
    (evenly spaced: the pacer counts intended starts, whatever the machine's speed). Not beside the
    rate test above: that one holds its rate within 5 %."""
    root = tmp_path_factory.mktemp("open-light")
    small, pages = root / "small", root / "pages"
    small.mkdir()
    pages.mkdir()
    profile = str(fixed_profile(small))
    small_scenario = str(open_scenario(small, rate=30, max_users=2, arrivals="poisson"))
    pages_scenario = pages / "pages-open.toml"
    pages_scenario.write_text(
        'description = "test"\nuser = "pages"\nmodel = "open"\narrivals = "constant"\nmax_users = 40\n'
        'think_time_s = [0.1, 0.3]\n[[stages]]\nduration = "6s"\narrival_rate = 60\n',
        encoding="utf-8",
    )
    # 2 users x 5 answers/s serve 10 of the 30 arrivals/s
    with start_sim(profile, time_scale=4.0) as small_sim, start_sim("healthy") as pages_sim:

        def small_run() -> Any:
            return run_cli(
                ["run", "--env", "local", "--scenario", small_scenario, "--host", small_sim.url,
                 "--results-dir", str(small / "r"), "--reports-dir", str(small / "reports")]
            )  # fmt: skip

        def pages_run() -> Any:
            return finish(start_locust(["--scenario", str(pages_scenario), "--host", pages_sim.url,
                                        "--csv", str(pages / "p")]))  # fmt: skip

        with ThreadPoolExecutor(2) as pool:
            small_future, pages_future = pool.submit(small_run), pool.submit(pages_run)
            return {"small": (small, small_future.result()), "pages": (pages, pages_future.result())}


def test_a_pool_too_small_drops_arrivals_and_the_run_is_invalid(light_runs: dict[str, Any]) -> None:
    folder, result = light_runs["small"]
    assert result.returncode == 4, result.stdout[-2000:] + result.stderr[-2000:]
    assert "run invalid" in result.stderr and "dropped" in result.stderr
    progress = [line for line in result.stderr.splitlines() if "progress:" in line]
    assert progress and "dropped" in progress[-1]
    (record_path,) = (folder / "r").glob("*_run.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["status"] == "invalid" and "arrivals" in record["status_detail"]
    # 2 users x 5 answers/s start at most ~62 of the ~180 arrivals in 6 s; the rest are dropped or, queued
    # when the load ended, unstarted (counted apart since 801e412: 79 dropped + 24 unstarted of 163 seen,
    # so dropped alone sat at the old 50 % bar). Not started > 50 % fails only below ~124 arrivals (< 1e-5).
    not_started = record["dropped_arrivals"] + record["unstarted_arrivals"]
    assert not_started > 0.5 * record["arrivals"] > 0 and record["dropped_arrivals"] > 0, record
    assert record["peak_pool"] <= 2
    served = int(read_stats(record_path.parent / record["prefix"])["Aggregated"]["Request Count"])
    started = record["arrivals"] - record["dropped_arrivals"] - record["unstarted_arrivals"]
    assert served == started, "a dropped (or unstarted) arrival is never sent; those in flight at the end finish"


def test_the_page_user_arrives_as_people_per_minute_each_a_visit_of_page_views(light_runs: dict[str, Any]) -> None:
    folder, (code, err) = light_runs["pages"]
    assert code == 0, err[-2000:]
    record = json.loads((folder / "p_run.json").read_text(encoding="utf-8"))
    assert (record["user"], record["model"], record["arrival_rate_unit"]) == ("pages", "open", "people/min")
    assert record["offered_rate"] == pytest.approx(1.0), "offered_rate is arrivals (people) per second"
    assert record["arrivals"] == 6 and record["dropped_arrivals"] == 0
    stats = read_stats(folder / "p")
    views = sum(int(row["Request Count"]) for row in stats.values() if row["Type"] == "PAGE")
    assert views >= 6 * 2, f"each person views several pages in a visit (3..12), got {views}"
    assert "offered 60 people/min" in err, "the progress line speaks the page user's unit"
