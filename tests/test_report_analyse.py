"""Failure classes, ceilings, metadata and full history: the analysis rules on controlled inputs.

Includes one test on files written by Locust's own `StatsCSVFileWriter` (in a subprocess, so gevent's
monkey-patching never touches the test process), which is the ground truth for the format.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from fixtures_report.synth import Ep, Run, basic_run, write_run

from ops_perf.report import write_report
from ops_perf.report.analyse import analyse, classify_error
from ops_perf.report.cli import catalog_names
from ops_perf.runfiles.load import discover_runs, load_run, split_prefix
from ops_perf.settings.targets import load_targets


@pytest.mark.parametrize(
    ("error", "kind", "code"),
    [
        ("HTTPError('504 Server Error: Gateway Time-out for url: /api/v1/cans/')", "gateway_timeout", 504),
        ("HTTPError('504 Server Error: Gateway Timeout for url: /api/v1/ops-db-histories/')", "gateway_timeout", 504),
        ("HTTPError('404 Client Error: Not Found for url: /api/v1/agreement-agencies/')", "http_4xx", 404),
        ("HTTPError('500 Server Error: Internal Server Error for url: /api/v1/portfolios/[id]')", "http_5xx", 500),
        ("HTTPError('401 Client Error: UNAUTHORIZED for url: /api/v1/cans/')", "http_4xx", 401),
        ("LocustBadStatusCode(code=504)", "gateway_timeout", 504),  # FastHttpUser
        ("LocustBadStatusCode(code=422)", "http_4xx", 422),
        ("CatchResponseError('Got status code 503')", "http_5xx", 503),
        ("CatchResponseError('504: Gateway Time-out (gateway HTML page)')", "gateway_timeout", 504),
        ("CatchResponseError('expected JSON list, got dict')", "check", None),
        ("RetriesExceeded('http://h/api/v1/agreements/', 3, original=timed out)", "client_timeout", None),
        (
            "ReadTimeout(ReadTimeoutError(\"HTTPConnectionPool(host='h', port=80): Read timed out. (read timeout=30)\"))",
            "client_timeout",
            None,
        ),
        ("TimeoutError('timed out')", "client_timeout", None),
        ("<Timeout at 0x.... seconds=10>", "client_timeout", None),
        ("ConnectionRefusedError(111, 'Connection refused')", "connection", None),
        ("ConnectionResetError(104, 'Connection reset by peer')", "connection", None),
        (
            "ConnectionError(\"HTTPConnectionPool(host='h', port=80): Max retries exceeded with url: /x (Caused by "
            "NewConnectionError('<urllib3.connection.HTTPConnection object at 0x....>: Failed to establish a new "
            "connection: [Errno 111] Connection refused'))\")",
            "connection",
            None,
        ),
        ("RemoteDisconnected('Remote end closed connection without response')", "connection", None),
        ("ValueError('something odd')", "other", None),
    ],
)
def test_classify_error(error: str, kind: str, code: int | None) -> None:
    cls = classify_error(error)
    assert (cls.kind, cls.code) == (kind, code)


def test_split_prefix() -> None:
    assert split_prefix("production-baseline-normal") == ("production", "baseline-normal")
    assert split_prefix("local-smoke-2") == ("local", "smoke")
    assert split_prefix("dev") == ("dev", None)


def _analysis(*prefixes: Path):
    runs = [load_run(i) for i in discover_runs(list(prefixes))]
    return analyse(runs, {r.prefix: load_targets(env=r.meta.env) for r in runs}, load_targets(), catalog_names())


def test_ceiling_needs_two_endpoints_at_one_max(tmp_path: Path) -> None:
    gateway = "HTTPError('504 Server Error: Gateway Time-out for url: {}')"
    endpoints = [
        Ep("/a", 10, 2, max=30050.0, p95=30000),
        Ep("/b", 10, 1, max=30500.0, p95=30000),
        Ep("/c", 10, 1, max=31000.0, p95=31000),
        Ep("/d", 10, 1, max=60000.0, p95=60000),
        Ep("/e", 10, 0, max=30900.0, p95=2000),
        Ep("/f", 10, 0, max=900.0, p95=800),
    ]
    failures = [(e.name, gateway.format(e.name), e.failures) for e in endpoints if e.failures]
    prefix = write_run(tmp_path / "r", Run("stg-soak", endpoints, failures))
    g = _analysis(prefix).run("stg-soak").gateway
    assert g.total_504 == 5 and len(g.endpoints_504) == 4
    assert g.ceiling is not None and g.ceiling.seconds == 30
    assert [e.label for e in g.ceiling.endpoints] == ["/a", "/b", "/c", "/e"]  # /e: at the ceiling, no 504
    assert [e.gateway_timeouts for e in g.ceiling.endpoints] == [2, 1, 1, 0]

    lone = write_run(tmp_path / "s", Run("stg-lone", [Ep("/a", 3, 3, max=30040.0)], [("/a", gateway.format("/a"), 3)]))
    assert _analysis(lone).run("stg-lone").gateway.ceiling is None


def test_run_json_is_used_and_design_limit_noted(tmp_path: Path) -> None:
    meta = {
        "schema": 1,
        "prefix": "local-normal",
        "env": "local",
        "host": "http://127.0.0.1:8080",
        "scenario": "normal",
        "users": 10,
        "spawn_rate": 2.0,
        "duration_s": 1200.0,
        "think_time_s": [1.0, 3.0],
        "started_at": "2026-11-27T03:00:00Z",
        "load_started_at": "2026-11-27T03:00:05Z",
        "ended_at": "2026-11-27T03:20:05Z",
        "warmup": {
            "seconds": 1.5,
            "pools": {"can_ids": 50, "division_ids": 0},
            "failures": [{"endpoint": "/api/v1/divisions/", "error": "404"}],
            "empty_pools": ["division_ids"],
            "endpoints_without_ids": ["/api/v1/divisions/[id]"],
        },
        "status": "completed",
        "future_key": {"ignored": True},
    }
    prefix = write_run(tmp_path / "r", basic_run("local-normal", run_json=meta))
    a = _analysis(prefix)
    run = a.run("local-normal")
    assert run.meta.inferred == set()
    assert (run.meta.host, run.meta.users, run.meta.spawn_rate, run.meta.duration_s) == (
        "http://127.0.0.1:8080",
        10,
        2.0,
        1200.0,
    )
    assert [(d.tier, d.bound, d.typical) for d in run.design_limits] == [
        ("target", 10.0, 5.0),
        ("acceptable", 10.0, 5.0),
    ]
    assert {f.kind for f in a.findings} >= {"design_limit", "warmup"}
    text = write_report([prefix], tmp_path / "out").read_text()
    assert "| local-normal | 10 x 20 |" in text
    assert "| local-normal | local | normal | http://127.0.0.1:8080 | 10 | 2 | 1200 s (20.0 min) | 1-3 |" in text
    assert "make at most 10.00 requests/s even with instant responses (about 5.00 at the mean think time)" in text
    assert "- Id pools: can_ids 50, division_ids 0." in text
    assert "Empty pools: `division_ids`." in text


def test_warmup_json_when_no_run_json(tmp_path: Path) -> None:
    prefix = write_run(tmp_path / "r", basic_run())
    Path(f"{prefix}_warmup.json").write_text(json.dumps({"seconds": 2.25, "pools": {"can_ids": 7}}))
    text = write_report([prefix], tmp_path / "out").read_text()
    assert "- Took 2.25 s." in text and "- Id pools: can_ids 7." in text


def test_full_history_gives_per_endpoint_chart(tmp_path: Path) -> None:
    prefix = write_run(tmp_path / "r", basic_run(full_history=True))
    data = load_run(discover_runs([prefix])[0])
    assert data.history is not None and not data.history.cumulative
    assert data.history.endpoints is not None
    assert set(data.history.endpoints["label"].cat.categories) == {
        "/api/v1/cans/",
        "/api/v1/agreements/",
        "/api/v1/research-projects/",
    }
    assert len(data.history.aggregated) == 60
    out = write_report([prefix], tmp_path / "out")
    assert (out.parent / "charts" / "local-smoke-endpoints-p95.png").is_file()
    assert "](charts/local-smoke-endpoints-p95.png)" in out.read_text()


def test_folder_with_several_runs_is_ordered_by_environment(tmp_path: Path) -> None:
    folder = tmp_path / "2026-11-27"
    for prefix in ("production-smoke", "dev-smoke", "stg-smoke", "local-smoke"):
        write_run(folder, basic_run(prefix))
    assert [r.prefix for r in discover_runs([folder, folder / "dev-smoke"])] == [
        "local-smoke",
        "dev-smoke",
        "stg-smoke",
        "production-smoke",
    ]


def test_the_long_spellings_sort_as_their_environment(tmp_path: Path) -> None:
    """`production-x` sorts with prod, `staging-x` with stg (targets.ENV_ALIASES, the one map)."""
    folder = tmp_path / "2026-11-27"
    for prefix in ("production-smoke", "staging-smoke", "development-smoke", "local-smoke", "qa-smoke"):
        write_run(folder, basic_run(prefix))
    assert [r.prefix for r in discover_runs([folder])] == [
        "local-smoke",
        "development-smoke",
        "staging-smoke",
        "production-smoke",
        "qa-smoke",
    ]


def test_a_run_named_twice_is_reported_once(tmp_path: Path) -> None:
    """The folder, one of its prefixes by another path, and one of its files: each run once, where first named."""
    folder = tmp_path / "2026-11-27"
    for prefix in ("stg-smoke", "dev-smoke"):
        write_run(folder, basic_run(prefix))
    other = tmp_path / "2026-11-27" / ".." / "2026-11-27"
    found = discover_runs([other / "stg-smoke", folder, folder / "dev-smoke_stats.csv"])
    assert [r.prefix for r in found] == ["stg-smoke", "dev-smoke"]


_LOCUST_WRITER = textwrap.dedent("""
    import sys
    import gevent
    import locust.stats as ls
    from geventhttpclient.useragent import RetriesExceeded
    from locust.contrib.fasthttp import LocustBadStatusCode
    from locust.env import Environment
    from locust.exception import CatchResponseError

    ls.CSV_STATS_INTERVAL_SEC = 0.2
    env = Environment()
    env.create_local_runner()
    writer = ls.StatsCSVFileWriter(env, ls.PERCENTILES_TO_REPORT, sys.argv[1], full_history=True)
    greenlet = gevent.spawn(writer.stats_writer)
    names = ["/api/v1/cans/", "/api/v1/agreements/", "/api/v1/health/"]
    for i in range(30):
        for j, name in enumerate(names):
            env.stats.log_request("GET", name, 50 + 37 * i * (j + 1) + 0.25, 1000)
        if i % 10 == 0:
            env.stats.log_error("GET", names[0], LocustBadStatusCode("http://h" + names[0], code=504))
            env.stats.log_error("GET", names[1], RetriesExceeded("http://h" + names[1], 3, original="timed out"))
            env.stats.log_error("GET", names[2], ConnectionRefusedError(111, "Connection refused"))
            env.stats.log_error("GET", names[1], CatchResponseError("Got status code 503"))
        gevent.sleep(0.03)
    gevent.sleep(0.45)
    greenlet.kill()
    writer.close_files()
""")


def test_files_written_by_locust_itself(tmp_path: Path) -> None:
    pytest.importorskip("locust")
    base = tmp_path / "2026-11-27" / "local-smoke"
    base.parent.mkdir()
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", _LOCUST_WRITER, str(base)], capture_output=True, text=True, env=env, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert b"\r\n" in Path(f"{base}_stats.csv").read_bytes()  # Locust's csv.writer writes CRLF
    data = load_run(discover_runs([base])[0])
    assert data.total is not None and data.total["requests"] == 90
    assert data.history is not None and data.history.endpoints is not None
    assert data.failures is not None
    from ops_perf.plugin.versions import installed

    if installed() >= (2, 44):  # Locust writes First Seen / Last Seen from 2.44 (the reader takes both)
        assert "first_seen" in data.failures.columns
    run = _analysis(base).run("local-smoke")
    classes = {c.key: c.occurrences for c in run.failure_classes}
    assert classes == {"gateway_timeout:504": 3, "http_5xx:503": 3, "client_timeout": 3, "connection": 3}
    out = write_report([base], tmp_path / "out")
    assert (out.parent / "charts" / "local-smoke-endpoints-p95.png").is_file()
