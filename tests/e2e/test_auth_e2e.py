"""Tokens end to end (issue 3), with real processes: the simulator and `ops-perf run` / `locust`.

The simulator signs with a key these tests give it (`--jwt-key`), so they mint tokens as OPS would
(HS256 here, OPS's claims). Tokens minted here carry no simulator session: only signature, type and
expiry are checked for them, while tokens the simulator issues (login, refresh) follow OPS's session
rules (a new login ends the user's earlier session). Every host is 127.0.0.1: the simulator, or a
closed port when the run must be refused before any traffic.

- renewal: a 10 s JWT_TOKEN, then the simulator's 4 s tokens, carry a 14 s run with zero 401s (stats
  CSV and simulator log);
- a renewal source that dies mid-run stops the run at once with one line, exit 4, `cut_short_auth`;
- refusals through the real CLI: exit 2, one `error:` line, no traceback, nothing sent;
- no trace of a token in anything a run writes or prints, also when the server refuses it (401);
- `--test-users 3`: three logins, each session renewed on its own, and not one failure.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import tomllib
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from conftest import free_port
from run_helpers import REPO_ROOT, clean_env, read_failures, read_stats, run_cli, run_locust
from sim_helpers import SimProcess, start_sim

from ops_perf.exitcodes import ExitCode

pytestmark = pytest.mark.e2e

KEY = "ops-perf-e2e-auth-signing-key-0123456789"
SUBJECT = "00000000-0000-1111-a111-000000000001"
LIFETIME_S = 5
LOAD_UA = "(locust"
KILL_BEFORE_EXPIRY_S = 2.5
RENEWAL_ACCESS_S, RENEWED_S, RENEWAL_LOAD_S = 15, 4, 20
"""The load outlasts the JWT_TOKEN by one renewed lifetime: two renewals within it even with no start-up."""
SESSION_TOKEN_S = 600
"""A token taken before `ops-perf run` starts must outlive its start-up on a loaded machine."""


# --- helpers ---------------------------------------------------------------------------------------


def mint(lifetime_s: float, *, token_type: str = "access", key: str = KEY, issued: float | None = None) -> str:
    """A token with OPS's claims (as `ops_perf/sim/tokens.py` writes them), signed HS256 with `key`."""
    now = time.time() if issued is None else issued
    claims = {
        "sub": SUBJECT,
        "roles": ["SYSTEM_OWNER"],
        "iss": "https://ops-perf-sim.local",
        "aud": "https://opre-ops-backend",
        "iat": int(now),
        "nbf": int(now),
        "jti": str(uuid.uuid4()),
        "exp": int(now + lifetime_s),
        "type": token_type,
        "fresh": token_type == "access",
    }
    return jwt.encode(claims, key, algorithm="HS256")


def sim_args(lifetime_s: float = LIFETIME_S) -> list[str]:
    return ["--token-lifetime", str(lifetime_s), "--jwt-key", KEY]


def run_args(sim: SimProcess, out: Path, *extra: str) -> list[str]:
    """`ops-perf run` of `smoke` on `local` against the simulator, writing only under `out`."""
    return ["run", "--env", "local", "--scenario", "smoke", "--host", sim.url, "--results-dir", str(out / "results"),
            "--reports-dir", str(out / "reports"), *extra]  # fmt: skip


def load(log: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in log if LOAD_UA in (r["user_agent"] or "")]


def unauthorized(log: list[dict[str, Any]]) -> list[str]:
    return [f"{r['method']} {r['path']}" for r in log if r["status"] == 401]


def error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if "/ERROR/" in line or ": error: " in line]


def record(out: Path, prefix: str = "local-smoke") -> dict[str, Any]:
    return json.loads((out / "results" / f"{prefix}_run.json").read_text(encoding="utf-8"))


def needles(*tokens: str) -> dict[str, str]:
    """What must never appear: each token, its first 20 characters, its payload and its signature."""
    found: dict[str, str] = {}
    for n, token in enumerate(tokens):
        _header, payload, signature = token.split(".")
        found |= {f"token {n}": token, f"token {n} first 20": token[:20], f"token {n} payload": payload,
                  f"token {n} signature": signature}  # fmt: skip
    return found


def leaks(texts: dict[str, bytes], secrets: dict[str, str]) -> list[str]:
    return [f"{what} in {where}" for where, data in texts.items() for what, s in secrets.items() if s.encode() in data]


def written_files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def no_login_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A project root (`OPS_PERF_ROOT`) whose `local` takes tokens only from env and refresh: no test login."""
    root = tmp_path_factory.mktemp("no-login-root")
    shutil.copytree(REPO_ROOT / "config", root / "config")
    shutil.copytree(REPO_ROOT / "scenarios", root / "scenarios")
    shutil.copy(REPO_ROOT / "locustfile.py", root / "locustfile.py")
    path = root / "config" / "environments.toml"
    text = path.read_text(encoding="utf-8")
    head, sep, rest = text.partition("[local]")
    body, sep2, tail = rest.partition("\n[dev]")
    body = body.replace('token_sources = ["env", "refresh", "login"]', 'token_sources = ["env", "refresh"]')
    path.write_text(head + sep + body + sep2 + tail, encoding="utf-8")
    config = tomllib.loads(path.read_text(encoding="utf-8"))
    assert config["local"]["token_sources"] == ["env", "refresh"]
    assert config["dev"]["token_sources"] == ["env", "refresh", "login"]
    return root


# --- 1 + 4: a token shorter than the run, renewed with zero 401s; and no trace of it anywhere ---------


@pytest.fixture(scope="module")
def renewal_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """`ops-perf run` (report and check included) for 20 s on a 15 s JWT_TOKEN renewed via JWT_REFRESH_TOKEN
    into the simulator's 4 s tokens.

    The JWT_TOKEN's lifetime counts from its minting, once the simulator answers, before `ops-perf run`
    starts; a JWT_TOKEN already expired when the run starts is (rightly) exchanged at once, so the
    token would not come from `env`. A loaded machine (two test workers beside other work) took more
    than 10 s to start the simulator and the run; 15 s outlives that start-up, and the 4 s renewed
    tokens and 20 s of load still give at least two renewals within the load however fast the start.
    """
    out = tmp_path_factory.mktemp("renewal")
    with start_sim("healthy", extra_args=sim_args(RENEWED_S)) as sim:
        access, refresh = mint(RENEWAL_ACCESS_S), mint(3600, token_type="refresh")
        result = run_cli(
            run_args(sim, out, "-u", "4", "-r", "4", "-t", f"{RENEWAL_LOAD_S}s", "--think-time", "0,0.05"),
            env={"JWT_TOKEN": access, "JWT_REFRESH_TOKEN": refresh},
        )
        log = sim.requests()
    yield {"out": out, "result": result, "log": log, "tokens": (access, refresh)}


def test_a_token_shorter_than_the_run_is_renewed_with_zero_401s(renewal_run: dict[str, Any]) -> None:
    result, out, log = renewal_run["result"], renewal_run["out"], renewal_run["log"]
    # The exit code is judged on what renewal decides: a run cut short by auth exits 4 (RUN_INVALID). A
    # latency breach (exit 1) is not this test's business: a loaded machine answers the healthy profile's
    # requests late. Failures (a 401 is one) are asserted to be zero below, so an exit 1 here can only
    # come from latency, never from auth.
    assert result.returncode in (ExitCode.OK, ExitCode.THRESHOLDS_BREACHED), result.stderr[-3000:]
    stats = read_stats(out / "results" / "local-smoke")
    assert int(stats["Aggregated"]["Request Count"]) > 300
    assert int(stats["Aggregated"]["Failure Count"]) == 0, read_failures(out / "results" / "local-smoke")
    assert unauthorized(log) == [], "the simulator answered 401"
    refreshed = [r for r in log if r["path"] == "/auth/refresh/" and r["status"] == 200]
    assert len(refreshed) >= 2
    requests = load(log)
    assert requests[-1]["t"] - requests[0]["t"] > 10, "the load stalled at a renewal"
    run = record(out)
    assert run["status"] == "completed"
    assert run["auth"]["source"] == "env"
    assert run["auth"]["renewals"] >= 2, run["auth"]
    assert run["auth"]["cut_short"] is False and run["auth"]["unauthorized"] == 0


def test_no_trace_of_the_token_in_anything_the_run_wrote_or_printed(renewal_run: dict[str, Any]) -> None:
    out, result = renewal_run["out"], renewal_run["result"]
    files = written_files(out)
    kinds = ["_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", "local-smoke.html",
             "_run.json", "_warmup.json", "_junit.xml", "local-smoke.json", "PERFORMANCE_REPORT.md"]  # fmt: skip
    missing = [kind for kind in kinds if not any(name.endswith(kind) for name in files)]
    assert missing == [], f"the run did not write {missing}: {sorted(files)}"
    files |= {"stdout": result.stdout.encode(), "stderr": result.stderr.encode()}
    assert leaks(files, needles(*renewal_run["tokens"])) == []
    # The simulator's renewed tokens share the header, hence the first 20 characters, of ours.
    assert renewal_run["tokens"][0][:20] == jwt.encode({"sub": "x"}, KEY, algorithm="HS256")[:20]


def test_no_trace_of_a_refused_token_in_failures_html_or_output(tmp_path: Path) -> None:
    """JWT_TOKEN is a real session's, so the probe before the run accepts it; mid-run a second login as
    that user ends the session: the simulator answers 401, those failures are recorded, and the
    suite recovers by the test login. (A token refused already before the run is renewed by the
    probe instead: tests/e2e/test_run_hardening_e2e.py.)

    The token is the session's, not a short one: it is taken before `ops-perf run` starts, and a loaded
    machine took longer than the 5 s default lifetime to start it (the run was refused as expired).
    """
    with start_sim("healthy", extra_args=sim_args(SESSION_TOKEN_S)) as sim:
        token = sim.login("system_owner")["access_token"]
        cmd = [sys.executable, "-m", "ops_perf", *run_args(sim, tmp_path, "-u", "3", "-r", "3", "-t", "6s",
               "--think-time", "0,0.05", "--no-report", "--no-check")]  # fmt: skip
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=clean_env({"JWT_TOKEN": token}), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True)  # fmt: skip
        try:
            deadline = time.monotonic() + 90
            while not load(sim.requests()) and time.monotonic() < deadline and proc.poll() is None:
                time.sleep(0.2)
            assert load(sim.requests()), "the run never started its load"
            sim.login("system_owner")  # the run's token now gets 401
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        log = sim.requests()
    assert proc.returncode == 0, stderr[-3000:]
    assert unauthorized(load(log)), "the scenario is meant to get 401s"
    prefix = tmp_path / "results" / "local-smoke"
    failures = [row for row in read_failures(prefix) if "401" in row["Error"]]
    assert failures, "the 401s are not in the failures CSV, so this test would prove nothing"
    assert "LocustBadStatusCode(code=401)" in Path(f"{prefix}.html").read_text(encoding="utf-8")
    assert record(tmp_path)["auth"]["unauthorized"] >= 1
    files = written_files(tmp_path) | {"stdout": stdout.encode(), "stderr": stderr.encode()}
    assert leaks(files, needles(token)) == []


# --- 2: the renewal source dies mid-run -------------------------------------------------------------


def test_a_renewal_source_dying_mid_run_stops_it_with_one_line(tmp_path: Path, no_login_root: Path) -> None:
    """JWT_REFRESH_TOKEN is a real session's; a second login as that user ends it while the run goes on.

    The access token (12 s) then cannot be renewed at expiry, and this environment has no test login:
    the run must stop at once, exit 4, say why in one line, and never send the lapsing token.

    The session must end before the token's first expiry: once renewed (at expiry, from the still
    live session) the new token belongs to the session, and the login that ends it makes the server
    refuse that token (401), a different story. So the session is ended when the load has begun, or
    at the latest `KILL_BEFORE_EXPIRY_S` before the expiry (a loaded machine can take 8 s to start).
    """
    lifetime_s = 12
    with start_sim("healthy", extra_args=sim_args()) as sim:
        refresh = sim.login("system_owner")["refresh_token"]
        access = mint(lifetime_s)
        expires_at = jwt.decode(access, options={"verify_signature": False})["exp"]
        cmd = [sys.executable, "-m", "ops_perf",
               *run_args(sim, tmp_path, "-u", "4", "-r", "4", "-t", "40s", "--think-time", "0,0.05")]  # fmt: skip
        env = clean_env({"JWT_TOKEN": access, "JWT_REFRESH_TOKEN": refresh, "OPS_PERF_ROOT": str(no_login_root)})
        started = time.monotonic()
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            kill_by = expires_at - KILL_BEFORE_EXPIRY_S
            while not load(sim.requests()) and time.time() < kill_by and proc.poll() is None:
                time.sleep(0.2)
            killed_at = time.time()
            sim.login("system_owner")  # someone logs in as the same user: the refresh token's session ends
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.communicate()
        elapsed = time.monotonic() - started
        log = sim.requests()

    assert killed_at < expires_at - 1, "the session was ended too late: the token was renewed first"
    assert load(log), "the run never started its load before the token's expiry"
    assert proc.returncode == 4, stderr[-3000:]
    assert elapsed < lifetime_s + 15, f"the 40 s run took {elapsed:.0f} s: it was not stopped when the token died"
    assert "Traceback" not in stdout + stderr
    lines = error_lines(stderr)
    assert len(lines) == 1, lines
    assert "stopping the run: the token expired at" in lines[0] and "cannot be renewed" in lines[0], lines[0]
    assert "the refresh token was refused (401" in lines[0], lines[0]
    run = record(tmp_path)
    assert run["status"] == "cut_short_auth" and run["exit_code"] == 4
    assert run["auth"]["cut_short"] is True and run["auth"]["renewals"] == 0
    assert run["status_detail"] == lines[0].split("stopping the run: ", 1)[1]
    ended = datetime.fromisoformat(run["ended_at"].replace("Z", "+00:00")).timestamp()
    assert ended < expires_at + 3, "the run went on after the token could not be renewed"
    assert unauthorized(load(log)) == [], "a lapsing token was sent instead of pausing the users"
    assert max(r["t"] for r in load(log)) < expires_at
    assert [r["status"] for r in log if r["path"] == "/auth/refresh/"] == [401]
    # Users stop quietly: no AuthUnavailable from every task (HTML: written from memory at the end).
    assert "AuthUnavailable" not in stderr
    assert "AuthUnavailable" not in (tmp_path / "results" / "local-smoke.html").read_text(encoding="utf-8")


# --- 3: refusals through the real CLI ----------------------------------------------------------------

CLOSED = f"https://127.0.0.1:{free_port()}"  # a closed local port: never a real OPS host

# (id, token factory, use the no-login root, run args after `run`, message)
REFUSALS: list[tuple[str, Callable[[], str], bool, list[str], str]] = [
    ("expired", lambda: mint(60, issued=time.time() - 3600), False, [], "JWT_TOKEN expired at "),
    ("malformed", lambda: mint(3600).rsplit(".", 1)[0], False, [],
     "JWT_TOKEN is not a JWT (it has 2 dot-separated parts, not 3)"),
    ("refresh-type", lambda: mint(3600, token_type="refresh"), False, [],
     "JWT_TOKEN is a refresh token, not an access token; put it in JWT_REFRESH_TOKEN"),
    ("lapses-before-the-end", lambda: mint(30), True, [],
     "before the scenario ends in 60 s; set JWT_REFRESH_TOKEN"),
    ("prod-unconfirmed", lambda: mint(3600), False, ["--env", "prod", "--scenario", "smoke", "--host", CLOSED],
     "prod is production: add --confirm-prod"),
    ("prod-stress", lambda: mint(3600), False,
     ["--env", "prod", "--scenario", "stress", "--confirm-prod", "--host", CLOSED],
     "scenario 'stress' is not allowed on prod"),
    ("http-for-deployed", lambda: mint(3600), False,
     ["--env", "stg", "--scenario", "smoke", "--host", CLOSED.replace("https", "http")],
     "is not https; stg is a deployed environment"),
]  # fmt: skip


@pytest.fixture(scope="module")
def quiet_sim() -> Iterator[SimProcess]:
    with start_sim("healthy", extra_args=sim_args()) as sim:
        yield sim


@pytest.mark.parametrize(("make_token", "no_login", "args", "message"), [c[1:] for c in REFUSALS],
                         ids=[c[0] for c in REFUSALS])  # fmt: skip
def test_refused_before_any_request(
    quiet_sim: SimProcess,
    no_login_root: Path,
    tmp_path: Path,
    make_token: Callable[[], str],
    no_login: bool,
    args: list[str],
    message: str,
) -> None:
    token = make_token()
    before = quiet_sim.counts()["total"]
    env = {"JWT_TOKEN": token} | ({"OPS_PERF_ROOT": str(no_login_root)} if no_login else {})
    cli = run_args(quiet_sim, tmp_path) if not args else ["run", *args, "--results-dir", str(tmp_path / "results")]
    result = run_cli(cli, env=env)
    assert result.returncode == 2, (result.returncode, result.stderr[-2000:])
    output = result.stdout + result.stderr
    assert "Traceback" not in output
    lines = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert len(lines) == 1, result.stderr
    assert message in lines[0], lines[0]
    assert token[:20] not in output and token.split(".")[1] not in output
    assert quiet_sim.counts()["total"] == before, "a request reached the simulator"
    results = tmp_path / "results"
    assert not results.exists() or not any(results.iterdir()), sorted(results.iterdir())


# --- 5: several test users ----------------------------------------------------------------------------


def test_three_test_users_log_in_once_each_and_are_renewed(tmp_path: Path) -> None:
    prefix = tmp_path / "local-smoke"
    with start_sim("healthy", extra_args=sim_args()) as sim:
        result = run_locust(["--ops-env", "local", "--scenario", "smoke", "--host", sim.url, "--test-users", "3",
                             "-u", "6", "-r", "6", "-t", "6s", "--think-time", "0,0.05", "--csv", str(prefix)])  # fmt: skip
        log = sim.requests()
        by_user = sim.counts()["by_user"]
    assert result.returncode == 0, result.stderr[-3000:]
    logins = [r for r in log if r["path"] == "/auth/login/"]
    assert [r["status"] for r in logins] == [200, 200, 200]
    # The load is spread over the three users' own tokens (the simulator counts by token subject).
    assert len(by_user) == 3, by_user
    assert min(by_user.values()) > 0.2 * sum(by_user.values()), f"the load is not shared out: {by_user}"
    assert unauthorized(log) == []
    assert int(read_stats(prefix)["Aggregated"]["Failure Count"]) == 0
    run = json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))
    assert run["auth"]["source"] == "login"
    users = run["auth"]["test_users"]
    assert len(users) == len(set(users)) == 3, users
    # Each user's token is renewed on its own (one refresh per session), still without a single 401.
    assert run["auth"]["renewals"] >= 3, run["auth"]
    assert len([r for r in log if r["path"] == "/auth/refresh/" and r["status"] == 200]) >= 3
