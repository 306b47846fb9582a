"""What users do every day, with real processes (issue 11, items 3, 4, 5, 6, 8 and 10).

- two `ops-perf run` started together get two prefixes (before: both wrote `local-smoke`, and
  both died on the mixed-up `_stats_history.csv`);
- `--host .../api/v1` and `.../api/v1/` reach `/api/v1/...`, not `/api/v1/api/v1/...` (checked in the
  simulator's own log), through `ops-perf run` and bare `locust`; a host without a scheme is one line;
- a JWT whose session the simulator has ended is caught before the warm-up: renewed by the test
  login where allowed, else one line; a warm-up whose every list failed stops the run as invalid;
  `JWT_TOKEN='Bearer "eyJ..."'` works;
- `--ops-env`, `OPS_ENV` / `OPS_SCENARIO` and `.env` work for `ops-perf run` as for bare Locust;
- a read-only results folder is one line and exit 2 before Locust starts;
- run.json names the simulator's profile.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import pytest
from run_helpers import REPO_ROOT, clean_env, run_cli, run_locust
from sim_helpers import SimProcess, start_sim

pytestmark = pytest.mark.e2e

KEY = "ops-perf-e2e-hardening-key-0123456789abcdef"
SHORT = ["-u", "3", "-r", "3", "-t", "2s", "--think-time", "0,0.05"]


@pytest.fixture(scope="module")
def sim() -> Iterator[SimProcess]:
    with start_sim("healthy", extra_args=["--jwt-key", KEY]) as running:
        yield running


@pytest.fixture(scope="module")
def no_login_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root whose `local` takes tokens only from env and refresh (no test login)."""
    root = tmp_path_factory.mktemp("no-login-root")
    shutil.copytree(REPO_ROOT / "config", root / "config")
    shutil.copytree(REPO_ROOT / "scenarios", root / "scenarios")
    shutil.copy(REPO_ROOT / "locustfile.py", root / "locustfile.py")
    path = root / "config" / "environments.toml"
    head, sep, rest = path.read_text(encoding="utf-8").partition("[local]")
    body, sep2, tail = rest.partition("\n[dev]")
    body = body.replace('token_sources = ["env", "refresh", "login"]', 'token_sources = ["env", "refresh"]')
    path.write_text(head + sep + body + sep2 + tail, encoding="utf-8")
    assert tomllib.loads(path.read_text(encoding="utf-8"))["local"]["token_sources"] == ["env", "refresh"]
    return root


def run_args(host: str, out: Path, *extra: str) -> list[str]:
    return ["run", "--env", "local", "--scenario", "smoke", "--host", host, "--results-dir", str(out / "results"),
            "--no-report", *SHORT, *extra]  # fmt: skip


def load(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in log if "(locust" in (r["user_agent"] or "")]


def warmup(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in log if "(warmup" in (r["user_agent"] or "")]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if ": error: " in line or "/ERROR/" in line]


def assert_one_line(result: subprocess.CompletedProcess[str], code: int, *needles: str) -> str:
    assert result.returncode == code, (result.returncode, result.stderr[-3000:])
    assert "Traceback" not in result.stdout + result.stderr, result.stderr[-3000:]
    lines = error_lines(result.stderr)
    assert len(lines) == 1, lines
    for needle in needles:
        assert needle in lines[0], lines[0]
    return lines[0]


def record(prefix: Path) -> dict[str, Any]:
    return json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))


def mint(sub: str = "00000000-0000-1111-a111-000000000001", lifetime_s: float = 3600) -> str:
    now = time.time()
    claims = {"sub": sub, "roles": ["SYSTEM_OWNER"], "iss": "https://ops-perf-sim.local",
              "aud": "https://opre-ops-backend", "iat": int(now), "nbf": int(now), "jti": str(uuid.uuid4()),
              "exp": int(now + lifetime_s), "type": "access", "fresh": True}  # fmt: skip
    return jwt.encode(claims, KEY, algorithm="HS256")


# --- item 3: two runs at the same moment --------------------------------------------------------------


def test_two_runs_started_together_get_two_prefixes(sim: SimProcess, tmp_path: Path) -> None:
    cmd = [sys.executable, "-m", "ops_perf", *run_args(sim.url, tmp_path)]
    # A minted token has no session: two test logins as one user would end each other's (as on OPS).
    env = clean_env({"JWT_TOKEN": mint()})
    procs = [
        subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]  # both started before either has done anything: the same free prefix is in view of both
    outputs = [p.communicate(timeout=180) for p in procs]
    for proc, (_out, err) in zip(procs, outputs, strict=True):
        assert proc.returncode == 0, err[-3000:]
        assert "Traceback" not in err
    results = tmp_path / "results"
    prefixes = sorted(p.name.removesuffix("_run.json") for p in results.glob("*_run.json"))
    assert prefixes == ["local-smoke", "local-smoke-2"]
    for name in prefixes:
        assert record(results / name)["prefix"] == name
        with open(results / f"{name}_stats_history.csv", newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))
        assert len(rows) > 1 and {len(row) for row in rows} == {len(rows[0])}, "a history file was shared"
    assert list(results.glob("*.lock")) == []


# --- item 4: hosts as people type them ------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["/", "/api/v1", "/api/v1/"])
def test_a_host_with_api_v1_still_requests_api_v1_paths(sim: SimProcess, tmp_path: Path, suffix: str) -> None:
    sim.reset()
    result = run_cli(run_args(sim.url + suffix, tmp_path, "--no-check"))
    assert result.returncode == 0, result.stderr[-3000:]
    log = sim.requests()
    assert load(log) and warmup(log)
    doubled = [r["path"] for r in log if r["path"].startswith("/api/v1/api/")]
    assert doubled == []
    assert all(r["path"].startswith("/api/v1/") for r in load(log) + warmup(log))
    assert {r["status"] for r in load(log)} == {200}
    assert record(tmp_path / "results" / "local-smoke")["host"] == sim.url


def test_bare_locust_takes_a_host_with_api_v1_too(sim: SimProcess, tmp_path: Path) -> None:
    sim.reset()
    prefix = tmp_path / "local-smoke"
    result = run_locust(["--ops-env", "local", "--host", sim.url + "/api/v1/", *SHORT, "--csv", str(prefix)])
    assert result.returncode == 0, result.stderr[-3000:]
    log = sim.requests()
    assert load(log) and not [r for r in log if r["path"].startswith("/api/v1/api/")]
    assert {r["status"] for r in load(log)} == {200}


def test_a_host_without_a_scheme_is_one_line(sim: SimProcess, tmp_path: Path) -> None:
    bare = sim.url.removeprefix("http://")
    before = sim.counts()["total"]
    result = run_cli(run_args(bare, tmp_path))
    assert_one_line(result, 2, "has no scheme", f"https://{bare}", f"http://{bare}")
    result = run_locust(["--ops-env", "local", "--host", bare, *SHORT])
    assert_one_line(result, 2, "has no scheme", f"http://{bare}")
    assert "InvalidSchema" not in result.stderr
    assert sim.counts()["total"] == before, "a request was sent"


# --- item 5: a token the server no longer accepts; a warm-up that failed everywhere ----------------------


def ended_session_token(sim: SimProcess) -> str:
    """A JWT that decodes fine (valid, unexpired, access) but whose session a second login has ended."""
    token = sim.login("system_owner")["access_token"]
    sim.login("system_owner")  # each login ends the user's earlier sessions
    assert sim.get("/api/v1/version/", token).status_code == 401
    return token


def test_an_ended_session_without_a_way_to_renew_stops_before_the_warm_up(
    sim: SimProcess, tmp_path: Path, no_login_root: Path
) -> None:
    token = ended_session_token(sim)
    sim.reset()
    result = run_cli(run_args(sim.url, tmp_path), env={"JWT_TOKEN": token, "OPS_PERF_ROOT": str(no_login_root)})
    assert_one_line(result, 2, "before the run", "401", "cannot be renewed")
    log = sim.requests()
    assert warmup(log) == [] and load(log) == [], "the warm-up or the load ran on a dead token"
    assert [(r["path"], r["status"]) for r in log] == [("/api/v1/version/", 401)]
    assert token[:20] not in result.stdout + result.stderr
    results = tmp_path / "results"
    assert not results.exists() or not any(results.iterdir()), sorted(results.iterdir())


def test_an_ended_session_is_renewed_by_the_test_login_before_the_warm_up(sim: SimProcess, tmp_path: Path) -> None:
    token = ended_session_token(sim)
    sim.reset()
    result = run_cli(run_args(sim.url, tmp_path, "--no-check"), env={"JWT_TOKEN": token})
    assert result.returncode == 0, result.stderr[-3000:]
    log = sim.requests()
    assert [r["status"] for r in log if r["path"] == "/api/v1/version/" and "(probe" in r["user_agent"]] == [401, 200]
    assert [r["status"] for r in log if r["path"] == "/auth/login/"] == [200]
    assert {r["status"] for r in warmup(log)} == {200} and {r["status"] for r in load(log)} == {200}
    run = record(tmp_path / "results" / "local-smoke")
    assert run["status"] == "completed" and run["warmup"]["failures"] == []
    assert run["auth"]["renewals"] == 1


def test_a_warm_up_whose_every_list_failed_stops_the_run_as_invalid(tmp_path: Path) -> None:
    profile = tmp_path / "lists-fail.json"
    ok = {"errors": {"500": 0.0}}
    profile.write_text(json.dumps({"name": "lists-fail", "description": "every list answers 500",
                                   "extends": "healthy", "default": {"errors": {"500": 1.0}},
                                   "endpoints": {"/api/v1/version/": ok, "/api/v1/health/": ok}}))  # fmt: skip
    with start_sim(str(profile)) as failing:
        result = run_cli(run_args(failing.url, tmp_path))
        log = failing.requests()
    assert result.returncode == 4, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert warmup(log) and load(log) == [], "the load ran without any ids"
    run = record(tmp_path / "results" / "local-smoke-sim-lists-fail")  # a run of another profile says so
    assert run["status"] == "invalid" and run["exit_code"] == 4
    assert "the warm-up failed on all" in run["status_detail"]
    assert run["sim_profile"] == "lists-fail"


def test_a_bearer_prefixed_quoted_jwt_token_is_cleaned(sim: SimProcess, tmp_path: Path, no_login_root: Path) -> None:
    token = mint()
    sim.reset()
    env = {"JWT_TOKEN": f'Bearer "{token}"', "OPS_PERF_ROOT": str(no_login_root)}
    result = run_cli(run_args(sim.url, tmp_path, "--no-check"), env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    run = record(tmp_path / "results" / "local-smoke")
    assert run["auth"]["source"] == "env" and run["auth"]["unauthorized"] == 0
    assert {r["status"] for r in load(sim.requests())} == {200}


# --- item 6: one set of names ------------------------------------------------------------------------------


def test_ops_env_option_and_ops_variables_work_for_ops_perf_run(sim: SimProcess, tmp_path: Path) -> None:
    base = ["run", "--host", sim.url, "--no-report", "--no-check", *SHORT]
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    (workdir / ".env").write_text("OPS_ENV=local\nOPS_SCENARIO=smoke\nOPS_THINK_TIME=0,0.05\n", encoding="utf-8")
    # The three runs go at once (they only differ in where env and scenario come from). A minted token
    # has no session: three test logins as one user would end each other's (as on OPS).
    token = {"JWT_TOKEN": mint()}
    dotenv_args = ["run", "--host", sim.url, "--no-report", "--no-check", "-u", "2", "-t", "2s",
                   "--results-dir", str(tmp_path / "c")]  # fmt: skip
    calls = {
        "option": lambda: run_cli(
            [*base, "--ops-env", "local", "--scenario", "smoke", "--results-dir", str(tmp_path / "a")], env=token
        ),
        "env": lambda: run_cli(
            [*base, "--results-dir", str(tmp_path / "b")], env={**token, "OPS_ENV": "local", "OPS_SCENARIO": "smoke"}
        ),
        "dotenv": lambda: run_cli(dotenv_args, cwd=workdir, env=token),
    }
    with ThreadPoolExecutor(len(calls)) as pool:
        done = dict(zip(calls, pool.map(lambda call: call(), calls.values()), strict=True))
    for name, result in done.items():
        assert result.returncode == 0, f"{name}: {result.stderr[-3000:]}"
    for folder in ("a", "b", "c"):
        run = record(tmp_path / folder / "local-smoke")
        assert run["env"] == "local" and run["scenario"] == "smoke"
    assert record(tmp_path / "c" / "local-smoke")["think_time_s"] == [0, 0.05]
    missing = run_cli(["run", "--host", sim.url, "--results-dir", str(tmp_path / "d")])
    assert_one_line(missing, 2, "--env (or OPS_ENV)", "--scenario (or OPS_SCENARIO)")


# --- item 8: a read-only results folder ----------------------------------------------------------------------


def test_a_read_only_results_folder_is_one_line_before_locust(sim: SimProcess, tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("unshare (util-linux) is not installed: cannot make a read-only mount")
    results = tmp_path / "results"
    results.mkdir()
    probe = subprocess.run(["unshare", "-m", "sh", "-c", f"mount --bind -o ro {results} {results}"],
                           capture_output=True, text=True, check=False)  # fmt: skip
    if probe.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here (no mount namespace): {probe.stderr.strip()}")
    before = sim.counts()["total"]
    inner = " ".join([sys.executable, "-m", "ops_perf", *run_args(sim.url, tmp_path)])
    # Root writes through a chmod, so the folder is made read-only the way a full or read-only disk is.
    result = subprocess.run(
        ["unshare", "-m", "sh", "-c", f"mount --bind -o ro {results} {results} && exec {inner}"],
        capture_output=True, text=True, cwd=REPO_ROOT, env=clean_env(), timeout=120, check=False,
    )  # fmt: skip
    assert_one_line(result, 2, f"cannot write to the results folder {results}", "--results-dir")
    assert sim.counts()["total"] == before, "Locust started against a folder it cannot write"
    assert list(results.iterdir()) == []


# --- item 10: the simulator's profile in run.json ------------------------------------------------------------


def test_run_json_names_the_simulator_profile(tmp_path: Path) -> None:
    with start_sim("prod-2025-10-15", time_scale=0.01) as prod_like:
        result = run_cli(run_args(prod_like.url, tmp_path, "--no-check"))
    assert result.returncode in (0, 1), result.stderr[-3000:]
    run = record(tmp_path / "results" / "local-smoke-sim-prod-2025-10-15")  # named for its profile (issue 15)
    assert run["sim_profile"] == "prod-2025-10-15" and run["sim_time_scale"] == 0.01
