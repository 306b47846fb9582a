"""Record the simulator's answers over HTTP, or compare them with a recording: a refactoring's proof.

    python bench/sim_golden.py record /tmp/sim-before.json     # on the code before the change
    python bench/sim_golden.py compare /tmp/sim-before.json    # after: exit 1 and the URLs that differ

Why over HTTP and a real process: the claim to prove is "the simulator answers byte for byte as
before", which includes the app's own paths (auth, redirects, 404s, the admin API), not just the
renderers that `tests/test_sim_golden.py` pins in-process. It runs `python -m ops_perf.sim` twice
(profiles `healthy` and `empty-reference`, seed `SEED`), asks every URL of `tests/sim_golden_urls.py`
as the test user `system_owner`, and keeps status, content type and the sha256 of the body. Fields
that differ on every run by design are left out of the hash: the tokens of `/auth/login/` and the
timings of `/__sim__/requests`. The fiscal year is today's (as the simulator runs): record and
compare on the same day of the year's side of 1 October.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from sim_golden_urls import LOGIN_USER, golden_urls  # noqa: E402
from sim_helpers import SimProcess, start_sim  # noqa: E402

SEED = 20251015
PROFILES = ("healthy", "empty-reference")
TIME_SCALE = 0.001  # the healthy profile's few ms, scaled away: the bodies do not depend on delays
_TIMING_FIELDS = ("t", "t_end", "queued_ms", "service_ms")


def _digest(status: int, content_type: str, body: bytes) -> str:
    return f"{status} {content_type} {hashlib.sha256(body).hexdigest()[:16]}"


def _tables(sim: SimProcess) -> tuple[dict[str, list[dict[str, Any]]], int]:
    summary = sim.get("/__sim__/data/").json()
    tables = {name: sim.get(f"/__sim__/data/{name}").json()["rows"] for name in summary["tables"]}
    return tables, int(summary["current_fiscal_year"])


def _app_cases(sim: SimProcess) -> dict[str, str]:
    """The app's own answers: login (tokens left out), no token, redirect, wrong method, JSON GET."""
    out: dict[str, str] = {}
    login = sim.http.post(f"{sim.url}/auth/login/", json={"code": LOGIN_USER, "provider": "fakeauth"}, timeout=10)
    body = login.json()
    token = body["access_token"]
    out["POST /auth/login/ (user)"] = _digest(
        login.status_code, login.headers["Content-Type"], json.dumps(body["user"]).encode()
    )
    for code in ("nobody", ""):
        r = sim.http.post(f"{sim.url}/auth/login/", json={"code": code, "provider": "fakeauth"}, timeout=10)
        out[f"POST /auth/login/ code={code!r}"] = _digest(r.status_code, r.headers["Content-Type"], r.content)
    r = sim.get("/api/v1/cans/")
    out["GET /api/v1/cans/ (no token)"] = _digest(r.status_code, r.headers["Content-Type"], r.content)
    r = sim.get("/api/v1/cans/", token="not-a-jwt")
    out["GET /api/v1/cans/ (bad token)"] = _digest(r.status_code, r.headers["Content-Type"], r.content)
    r = sim.get("/api/v1/cans?limit=5", token=token, allow_redirects=False)
    out["GET /api/v1/cans?limit=5 (redirect)"] = f"{r.status_code} {r.headers.get('Location')}"
    r = sim.http.post(f"{sim.url}/api/v1/cans/", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    out["POST /api/v1/cans/"] = _digest(r.status_code, r.headers["Content-Type"], r.content)
    r = sim.get("/api/v1/agreements/", token=token, headers={"Content-Type": "application/json"})
    out["GET /api/v1/agreements/ (JSON content type)"] = _digest(r.status_code, r.headers["Content-Type"], r.content)
    return out


def record_profile(profile: str) -> dict[str, str]:
    """Every golden URL's answer from one simulator process running `profile`."""
    with start_sim(profile, time_scale=TIME_SCALE, extra_args=["--seed", str(SEED)]) as sim:
        tables, current_fy = _tables(sim)
        out = _app_cases(sim)
        token = sim.login(LOGIN_USER)["access_token"]  # after the app's cases: a new login supersedes a token
        for url in golden_urls(tables, current_fy):
            r = sim.get(url, token=token, allow_redirects=False)
            out[url] = _digest(r.status_code, r.headers.get("Content-Type", ""), r.content)
        info = sim.get("/__sim__/info").json()
        out["/__sim__/info"] = _digest(200, "json", json.dumps(info, sort_keys=True).encode())
        counts = sim.get("/__sim__/counts").json()
        out["/__sim__/counts"] = _digest(200, "json", json.dumps(counts, sort_keys=True).encode())
        entries = [{k: v for k, v in e.items() if k not in _TIMING_FIELDS} for e in sim.requests()]
        out["/__sim__/requests (without timings)"] = _digest(200, "json", json.dumps(entries).encode())
        out["POST /__sim__/reset"] = _digest(200, "json", sim.http.post(f"{sim.url}/__sim__/reset", timeout=10).content)
    return out


def record() -> dict[str, dict[str, str]]:
    return {profile: record_profile(profile) for profile in PROFILES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("record", "compare"))
    parser.add_argument("file", type=Path, help="the recording (written by record, read by compare)")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    now = record()
    total = sum(len(v) for v in now.values())
    if args.mode == "record":
        args.file.write_text(json.dumps(now, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        print(
            f"recorded {total} answers ({', '.join(PROFILES)}) in {time.perf_counter() - started:.1f} s -> {args.file}"
        )
        return 0
    before = json.loads(args.file.read_text(encoding="utf-8"))
    differ = [
        f"{profile} {url}: {before.get(profile, {}).get(url)} -> {now[profile].get(url)}"
        for profile in sorted(set(before) | set(now))
        for url in sorted(set(before.get(profile, {})) | set(now.get(profile, {})))
        if before.get(profile, {}).get(url) != now.get(profile, {}).get(url)
    ]
    for line in differ[:50]:
        print(line)
    print(f"{total} answers compared, {len(differ)} differ ({time.perf_counter() - started:.1f} s)")
    return 1 if differ else 0


if __name__ == "__main__":
    raise SystemExit(main())
