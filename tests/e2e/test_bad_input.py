"""Bad input: one line that says what is wrong and how to fix it, a non-zero exit, no traceback,
no users spawned and nothing overwritten, both through `ops-perf run` and bare `locust`."""

from __future__ import annotations

import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO_ROOT, free_port
from run_helpers import run_cli, run_locust
from sim_helpers import start_sim

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def sim():
    with start_sim("healthy") as running:
        yield running


def error_lines(result: subprocess.CompletedProcess[str]) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": error: " in line]


def assert_refused(result: subprocess.CompletedProcess[str], message: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stderr[-1500:])
    assert "Traceback" not in result.stderr + result.stdout
    lines = error_lines(result)
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]


def load_requests(sim) -> int:
    return sum(1 for r in sim.requests() if "(locust" in (r["user_agent"] or ""))


@pytest.fixture
def bad_scenario(tmp_path: Path) -> Path:
    path = tmp_path / "broken.toml"
    path.write_text("[[stages]]\nduration = '1m'\nusers = 'many'\nspawn_rate = 1\n")
    return path


CASES = [
    (["--env", "qa", "--scenario", "smoke"], "unknown environment 'qa'; choose one of local, dev, stg, prod"),
    # A name no scenario will ever have: 'nightly' was used here until a nightly scenario was added, and
    # the case then started a real nightly run instead of being refused (the module hung on it).
    (["--env", "local", "--scenario", "no-such-scenario"], "unknown scenario 'no-such-scenario'; choose one of"),
    (["--env", "local", "--scenario", "smoke", "-u", "0"], "users must be a positive number, not 0"),
    (["--env", "local", "--scenario", "smoke", "-u", "-3"], "users must be a positive number, not -3"),
    (["--env", "local", "--scenario", "smoke", "-r", "0"], "spawn rate must be positive"),
    (["--env", "local", "--scenario", "smoke", "-t", "soon"], "'soon' is not a duration"),
]


@pytest.fixture(scope="module")
def refusals(sim, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """Every case of CASES at once (each a process that only starts and refuses, in its own results
    folder), with the load requests the simulator saw before and after all of them."""
    root = tmp_path_factory.mktemp("refusals")
    before = load_requests(sim)

    def refuse(index: int) -> tuple[subprocess.CompletedProcess[str], Path]:
        results = root / str(index) / "results"
        return run_cli(["run", *CASES[index][0], "--host", sim.url, "--results-dir", str(results)]), results

    with ThreadPoolExecutor(len(CASES)) as pool:
        done = dict(enumerate(pool.map(refuse, range(len(CASES)))))
    return {"runs": done, "load": (before, load_requests(sim))}


@pytest.mark.parametrize(("case", "message"), [(i, message) for i, (_, message) in enumerate(CASES)])
def test_ops_perf_run_refuses(sim, refusals, case: int, message: str) -> None:
    result, results = refusals["runs"][case]
    assert_refused(result, message)
    assert not results.exists() or not any(results.iterdir())
    before, after = refusals["load"]
    assert after == before, "a refused run sent load"


def test_malformed_scenario_file(sim, tmp_path: Path, bad_scenario: Path) -> None:
    result = run_cli(["run", "--env", "local", "--scenario", str(bad_scenario), "--host", sim.url,
                      "--results-dir", str(tmp_path / "r")])  # fmt: skip
    assert_refused(result, "users must be a whole number, not 'many'")


def test_malformed_config_file(sim, tmp_path: Path) -> None:
    root = tmp_path / "project"
    shutil.copytree(REPO_ROOT / "scenarios", root / "scenarios")
    (root / "config").mkdir()
    (root / "config" / "environments.toml").write_text("[local]\nhost = 'http://127.0.0.1:1'\ndeployed = 'no'\n")
    result = run_cli(
        ["run", "--env", "local", "--scenario", "smoke", "--host", sim.url], env={"OPS_PERF_ROOT": str(root)}
    )
    assert_refused(result, "frontend_url")


def test_missing_token_for_prod(tmp_path: Path) -> None:
    # The host is a closed local port: the refusal must come before any network traffic.
    host = f"https://127.0.0.1:{free_port()}"
    result = run_cli(["run", "--env", "prod", "--scenario", "smoke", "--confirm-prod", "--host", host,
                      "--results-dir", str(tmp_path / "r")])  # fmt: skip
    assert_refused(result, "JWT_TOKEN")


def test_unreachable_host(tmp_path: Path) -> None:
    host = f"http://127.0.0.1:{free_port()}"
    result = run_cli(
        ["run", "--env", "local", "--scenario", "smoke", "--host", host, "--results-dir", str(tmp_path / "r")]
    )
    assert_refused(result, f"cannot reach {host}")


def test_bare_locust_refuses_too(sim, tmp_path: Path) -> None:
    before = load_requests(sim)
    result = run_locust(["--ops-env", "qa", "--host", sim.url])
    assert_refused(result, "unknown environment 'qa'")
    result = run_locust(["--ops-env", "local", "--host", sim.url, "-u", "0"])
    assert_refused(result, "users must be a positive number")
    assert load_requests(sim) == before


def test_second_run_with_the_same_prefix_gets_a_new_name(sim, tmp_path: Path) -> None:
    results = tmp_path / "results"
    args = ["run", "--env", "local", "--scenario", "smoke", "--host", sim.url, "-u", "2", "-t", "1s",
            "--think-time", "0.1,0.2", "--results-dir", str(results), "--no-report", "--no-check"]  # fmt: skip
    first = run_cli(args)
    assert first.returncode == 0, first.stderr[-1500:]
    stats = (results / "local-smoke_stats.csv").read_bytes()
    second = run_cli(args)
    assert second.returncode == 0, second.stderr[-1500:]
    assert (results / "local-smoke_stats.csv").read_bytes() == stats
    assert (results / "local-smoke-2_stats.csv").exists() and (results / "local-smoke-2_run.json").exists()


def test_settings_come_from_environment_variables_and_dotenv(sim, tmp_path: Path) -> None:
    # An unknown value proves the setting was read from there (and refuses before any request).
    result = run_locust(["--host", sim.url], env={"OPS_SCENARIO": "from-env-var"})
    assert_refused(result, "unknown scenario 'from-env-var'")
    (tmp_path / ".env").write_text("OPS_SCENARIO=from-dotenv\n")
    result = run_locust(["--host", sim.url], cwd=tmp_path)
    assert_refused(result, "unknown scenario 'from-dotenv'")
