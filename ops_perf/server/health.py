"""OPS's health endpoint, sampled through a run: its database pool and its own response time.

Why health: `GET /api/v1/health/` needs no token, does almost no work (one `SELECT 'OK'` and a call
to the identity provider: ../shared/reference/ops-health.md), and answers with the SQLAlchemy pool
of the gunicorn worker that took it. So each sample says two things: how many connections were in
use against the pool's `size` (is the pool the limit?), and how long a trivial request waited (when
it takes seconds, every server thread was busy). Its time is compared with its own time before the
load (`baseline`), not with zero: the identity provider's call is in it.

A sample never waits past the next one: its time-out is the interval, and a given-up sample is
counted as one (`error` "timeout"). The answer does not say which gunicorn worker served it: the
samples describe whichever worker took each call, and the file says the worker could not be told
(unless the answer named it in one of `WORKER_HEADERS`, as a proxy in front can). An answer without
`pool_status` (another OPS version) is said once and gives no pool figures; it never fails a run.

No Locust here: the plugin runs `HealthSampler.run` in a greenlet (`requests` and `time.sleep` are
cooperative under Locust's gevent patching), and the sampler is plain Python for tests and tools.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping
from typing import Any

import requests

from ops_perf.runfiles.server_json import TIMEOUT, HealthSample, ServerWatch, parse_pool

HEALTH_PATH = "/api/v1/health/"
DEFAULT_INTERVAL_S = 5.0
BASELINE_SAMPLES = 3
BASELINE_TIMEOUT_S = 2.0
"""The idle samples before the load: at most this long each, so a dead health endpoint delays the start little."""
MAX_SAMPLES = 20_000
WORKER_HEADERS = ("X-Served-By", "X-Backend-Server", "X-Worker-Id")
"""Headers a proxy or server may use to name who answered; OPS itself sets none."""
WORKER_UNKNOWN = (
    "the health answer does not say which gunicorn worker took it (each worker has its own pool): each "
    "sample is the pool of whichever worker answered"
)
NO_POOL_STATUS = (
    "{url} answers without checks.database_connection.pool_status (another OPS version, or reading the "
    "pool failed): health's times are kept, no pool figures this run"
)


def parse_answer(status: int, body: bytes, headers: Mapping[str, str]) -> tuple[Any, bool, str | None, str | None]:
    """(pool or None, whether the body had a pool_status, the worker if named, an error or None)."""
    worker = next((headers[h] for h in WORKER_HEADERS if headers.get(h)), None)
    if not 200 <= status < 300:
        return None, False, worker, f"HTTP {status}"
    try:
        data = json.loads(body)
    except ValueError:
        return None, False, worker, "not JSON"
    checks = data.get("checks") if isinstance(data, dict) else None
    database = checks.get("database_connection") if isinstance(checks, dict) else None
    raw = database.get("pool_status") if isinstance(database, dict) else None
    return parse_pool(raw), raw is not None, worker, None


class HealthSampler:
    """Samples `host`'s health every `interval_s` seconds into a `ServerWatch`.

    `note` receives the one line said about the endpoint (no pool_status); `session` is its own HTTP
    client (never Locust's: health stays out of the run's statistics).
    """

    def __init__(
        self,
        host: str,
        interval_s: float = DEFAULT_INTERVAL_S,
        headers: Mapping[str, str] | None = None,
        *,
        note: Callable[[str], None] = lambda _line: None,
        session: requests.Session | None = None,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
        max_samples: int = MAX_SAMPLES,
    ) -> None:
        if interval_s <= 0:
            raise ValueError("the health interval must be above 0 (0 turns the sampler off before it is made)")
        self.url = host.rstrip("/") + HEALTH_PATH
        self.headers = dict(headers or {})
        self.watch = ServerWatch(interval_s=interval_s, timeout_s=interval_s, path=HEALTH_PATH)
        self.watch.worker_note = WORKER_UNKNOWN
        self._note = note
        self._said_no_pool = False
        self.session = session or requests.Session()
        self.session.trust_env = False  # never through a proxy from the environment: the target itself
        self._clock, self._monotonic, self._sleep = clock, monotonic, sleep
        self.max_samples = max_samples
        self.stopped = False

    def sample(self, timeout_s: float) -> HealthSample:
        """One GET, given up after `timeout_s`."""
        sent, began = self._clock(), self._monotonic()
        try:
            response = self.session.get(self.url, headers=self.headers, timeout=timeout_s, allow_redirects=False)
        except requests.Timeout:
            return HealthSample(sent, timeout_s * 1000.0, 0, TIMEOUT)
        except requests.RequestException as err:
            return HealthSample(sent, (self._monotonic() - began) * 1000.0, 0, type(err).__name__)
        ms = (self._monotonic() - began) * 1000.0
        if ms > timeout_s * 1000.0:  # connect + read each within the time-out, the whole past it
            return HealthSample(sent, ms, response.status_code, TIMEOUT)
        pool, has_pool, worker, error = parse_answer(response.status_code, response.content, response.headers)
        if worker is not None:
            self.watch.worker_identified = True
            self.watch.worker_note = "the answer named its server (" + ", ".join(WORKER_HEADERS) + ")"
        if error is None and not has_pool:
            self.watch.pool_status = False
            if not self._said_no_pool:
                self._said_no_pool = True
                self._note(NO_POOL_STATUS.format(url=self.url))
        return HealthSample(sent, ms, response.status_code, error, pool, worker)

    def baseline(self, count: int = BASELINE_SAMPLES) -> None:
        """Health's own time on the idle server, before the load."""
        timeout = min(BASELINE_TIMEOUT_S, self.watch.interval_s)
        for _ in range(count):
            self.watch.baseline.append(self.sample(timeout))

    def keep(self, sample: HealthSample) -> None:
        samples = self.watch.samples
        samples.append(sample)
        if len(samples) > self.max_samples:  # thin out, keeping the whole run's span
            kept = samples[::2]
            self.watch.dropped += len(samples) - len(kept)
            self.watch.samples = kept

    def run(self, running: Callable[[], bool] = lambda: True) -> None:
        """Sample on a fixed schedule until `running()` is false or `stop()`; a late sample skips
        the slots it overran rather than bunching up."""
        interval = self.watch.interval_s
        start = self._monotonic()
        slot = 0
        while running() and not self.stopped:
            self.keep(self.sample(interval))
            slot = max(slot + 1, int((self._monotonic() - start) / interval) + 1)
            wait = start + slot * interval - self._monotonic()
            if wait > 0:
                self._sleep(wait)

    def stop(self) -> None:
        self.stopped = True
