"""The health sampler against a real HTTP server on 127.0.0.1: pools read, slow answers given up, one line.

A sample never waits past the next one (its time-out is the interval, counted as such); an answer
without `pool_status` (another OPS version) is said once and gives no pool figures; the file keeps
every sample, and a soak's samples are thinned, never unbounded. The run-time side (the greenlet on
the master, `<prefix>_server.json` beside the run) is tested with real runs in tests/e2e/test_why_e2e.py.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from ops_perf.runfiles.server_json import read_server
from ops_perf.server.health import HealthSampler, parse_answer
from ops_perf.sim.pool import health_body


class Health(BaseHTTPRequestHandler):
    delay_s = 0.0
    body: bytes = b""
    calls = 0

    def do_GET(self) -> None:
        type(self).calls += 1
        time.sleep(type(self).delay_s)
        body = type(self).body
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[str]:
    Health.delay_s, Health.calls = 0.0, 0
    Health.body = json.dumps(health_body({"size": 10, "checked_in": 6, "overflow": -2, "checked_out": 2})).encode()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Health)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_sample_reads_the_pool_and_its_own_time(server: str) -> None:
    sampler = HealthSampler(server, 0.5)
    sample = sampler.sample(0.5)
    assert sample.answered and sample.pool is not None
    assert (sample.pool.size, sample.pool.checked_out, sample.pool.checked_in, sample.pool.overflow) == (10, 2, 6, -2)
    assert 0 < sample.ms < 500 and sample.worker is None
    assert "does not say which gunicorn worker" in sampler.watch.worker_note


def test_a_slow_answer_is_given_up_at_the_interval_and_counted(server: str) -> None:
    Health.delay_s = 0.6
    sampler = HealthSampler(server, 0.2)
    began = time.monotonic()
    ticks = iter(range(1000))
    sampler.run(lambda: next(ticks) < 4)  # four samples, each given up at 0.2 s
    elapsed = time.monotonic() - began
    watch = sampler.watch
    assert len(watch.samples) == 4 and watch.timeouts == 4
    assert all(s.timed_out and s.ms == pytest.approx(200.0) for s in watch.samples)
    assert elapsed < 4 * 0.2 + 1.0, "a sample waited past the next one"


def test_an_answer_without_pool_status_is_said_once_and_has_no_pool(server: str) -> None:
    Health.body = json.dumps(health_body(None)).encode()
    lines: list[str] = []
    sampler = HealthSampler(server, 0.05, note=lines.append)
    ticks = iter(range(1000))
    sampler.run(lambda: next(ticks) < 3)
    assert len(lines) == 1 and "without checks.database_connection.pool_status" in lines[0]
    assert sampler.watch.pool_status is False
    assert all(s.answered and s.pool is None for s in sampler.watch.samples)


def test_the_file_keeps_baseline_and_samples(server: str, tmp_path: Path) -> None:
    sampler = HealthSampler(server, 0.05)
    sampler.baseline(2)
    ticks = iter(range(1000))
    sampler.run(lambda: next(ticks) < 3)
    read = read_server(sampler.watch.write(tmp_path / "x_server.json"))
    assert read is not None
    assert len(read.baseline) == 2 and len(read.samples) == 3
    assert read.samples[0].pool == sampler.watch.samples[0].pool
    assert Health.calls == 5


def test_a_soaks_samples_are_thinned_not_unbounded(server: str) -> None:
    sampler = HealthSampler(server, 0.01, max_samples=10)
    ticks = iter(range(1000))
    sampler.run(lambda: next(ticks) < 25)
    watch = sampler.watch
    assert len(watch.samples) <= 10 and watch.dropped == 25 - len(watch.samples)
    assert watch.samples == sorted(watch.samples, key=lambda s: s.t), "thinned evenly, in order"


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (200, b"not json", (None, False, None, "not JSON")),
        (503, b"", (None, False, None, "HTTP 503")),
        (200, json.dumps({"status": "OK"}).encode(), (None, False, None, None)),
    ],
)
def test_answers_that_carry_no_pool(status: int, body: bytes, expected: tuple[object, ...]) -> None:
    assert parse_answer(status, body, {}) == expected


def test_a_named_server_is_kept() -> None:
    body = json.dumps(health_body({"size": 5, "checked_in": 0, "overflow": 0, "checked_out": 5})).encode()
    pool, has_pool, worker, error = parse_answer(200, body, {"X-Served-By": "web-2"})
    assert pool is not None and pool.at_limit and has_pool and worker == "web-2" and error is None
