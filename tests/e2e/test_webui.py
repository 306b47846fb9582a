"""Locust's web UI is the suite's too (issue 11, item 7), in a real browser.

Seen: without `--headless` the form's "Custom parameters" were empty (the suite's options, added
through an argument group, were not registered for the UI), and `POST /swarm user_count=7` ran the
3-user smoke shape. Here Chromium (Debian's, driven by Playwright) opens the UI of a real
`locust -f locustfile.py` against the real simulator, finds the suite's options in the form, starts
7 users with a think time of its choosing, and sees the requests in the stats table and 7 users in
the header; then a bad value in the form is refused there in one line and nothing starts.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from conftest import free_port
from run_helpers import LOCUSTFILE, REPO_ROOT, clean_env
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
UI_START_TIMEOUT_S = 30.0
SMOKE_MAX_RATE = 3 / 1.0
"""Requests per second that the smoke scenario's 3 users, with at least 1 s between requests, stay under."""
SEEN_TIMEOUT_MS = 20_000
"""How long the page may take to show what it should (bounded; a loaded machine is slow, not wrong)."""


@pytest.fixture
def browser_page(tmp_path: Path) -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium not found at {CHROMIUM}: apt-get install chromium chromium-driver (.ci/run does)")
    sync_api = pytest.importorskip(
        "playwright.sync_api", reason="playwright is in the dev extra: pip install -e '.[dev]'"
    )
    with sync_api.sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path / "chromium-profile"),  # empty: no cookies, no state from an earlier run
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_ARGS,
        )
        try:
            page = context.new_page()
            page.set_default_timeout(SEEN_TIMEOUT_MS)
            yield page
        finally:
            context.close()


@pytest.fixture
def web_ui(tmp_path: Path) -> Iterator[dict[str, Any]]:
    """The simulator and `locust -f locustfile.py --ops-env local` with its web UI on 127.0.0.1."""
    with start_sim("healthy", time_scale=10) as sim:
        port = free_port()
        prefix = tmp_path / "results" / "local-smoke"
        prefix.parent.mkdir()
        cmd = [sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--ops-env", "local", "--host", sim.url,
               "--web-host", "127.0.0.1", "--web-port", str(port), "--csv", str(prefix)]  # fmt: skip
        log = tmp_path / "locust.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=clean_env(), stdout=out, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_for(url, proc, log)
            yield {"url": url, "sim": sim, "prefix": prefix, "proc": proc, "log": log}
        finally:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)


def _wait_for(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    session = requests.Session()
    session.trust_env = False
    deadline = time.monotonic() + UI_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"locust exited {proc.returncode}: {log.read_text()[-2000:]}")
        try:
            if session.get(url + "/", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    pytest.fail(f"the web UI did not answer within {UI_START_TIMEOUT_S:g}s: {log.read_text()[-2000:]}")


def field(scope: Any, label: str) -> Any:
    """A "Custom parameters" field: Locust labels them `<Title Case Name> (<help>)`."""
    return scope.get_by_label(re.compile(rf"^{re.escape(label)}\b"))


def test_the_form_shows_the_suites_options_and_a_start_runs_what_it_says(
    browser_page: Any, web_ui: dict[str, Any]
) -> None:
    page = browser_page
    page.goto(str(web_ui["url"]) + "/")
    users = page.get_by_label("Number of users (peak concurrency)")
    # the form opens with the scenario's own numbers (smoke: 3 users, 3 per second), not Locust's 1 and 1
    assert users.input_value() == "3"
    assert page.get_by_label("Ramp up (users started/second)").input_value() == "3"
    page.get_by_text("Custom parameters").click()
    assert field(page, "Ops Env").input_value() == "local"
    assert field(page, "Scenario").input_value() == "smoke"
    for option in ("Think Time", "Test Users", "Ids Per Pool", "Warmup Deadline"):
        assert field(page, option).count() == 1, option
    assert field(page, "Confirm Prod").count() == 0  # production is a command-line decision only

    users.fill("7")
    page.get_by_label("Ramp up (users started/second)").fill("7")
    field(page, "Think Time").fill("0.1,0.5")
    page.get_by_role("button", name="Start").click()

    # requests in the stats table, and 7 users (the smoke shape alone would have run 3)
    table = page.locator("table").first
    table.get_by_text("/api/v1/agreements/", exact=True).wait_for()
    header = page.locator("header")
    deadline = time.monotonic() + SEEN_TIMEOUT_MS / 1000
    while not re.search(r"Users\s+7\b", header.inner_text()) and time.monotonic() < deadline:
        time.sleep(0.25)
    assert re.search(r"Users\s+7\b", header.inner_text()), header.inner_text()
    aggregated = table.locator("tr", has_text="Aggregated").inner_text()
    assert int(aggregated.split()[1]) > 0, aggregated  # "# Requests" of the Aggregated row
    page.get_by_role("button", name="Stop").click()
    page.get_by_text("STOPPED").wait_for()

    # The simulator saw the form's load: 7 users with 0.1-0.5 s between requests make ~20 requests/s;
    # smoke's own 3 users with 1-3 s could never exceed 3 per second.
    load = [r["t"] for r in web_ui["sim"].requests() if "(locust" in (r["user_agent"] or "")]
    rate = (len(load) - 1) / (max(load) - min(load))
    assert rate > SMOKE_MAX_RATE * 2, f"{len(load)} load requests at {rate:.1f}/s"

    # A bad value is refused in the form, in one line, and nothing starts.
    page.get_by_role("button", name="New").click()
    dialog = page.locator("form")  # the "Start new load test" form over the stats
    dialog.get_by_text("Custom parameters").click()
    field(dialog, "Think Time").fill("three")
    dialog.get_by_role("button", name="Start").click()
    dialog.get_by_text("think time 'three' is not MIN,MAX seconds").wait_for()
    state = requests.get(f"{web_ui['url']}/stats/requests", timeout=5).json()
    assert state["state"] == "stopped" and state["user_count"] == 0

    # What the run records is what the form said: 7 users, one steady stage, the form's think time.
    proc = web_ui["proc"]
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=30)
    record = json.loads(Path(f"{web_ui['prefix']}_run.json").read_text())
    assert (record["users"], record["think_time_s"], record["scenario"]) == (7, [0.1, 0.5], "smoke")
    assert record["stages"] == [{"duration_s": 60.0, "users": 7, "spawn_rate": 7.0}]
