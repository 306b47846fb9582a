"""A Locust plugin for the benchmarks: CPU seconds and requests of the load phase only.

Imported by a locustfile *after* its own hooks, so its `test_start` listener runs after the
warm-up: start-up imports and the harvest are not counted. Writes JSON to `$BENCH_OUT` at quit.
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from locust import events

_marks: dict[str, float] = {}


def _api_requests(environment: Any) -> int:
    """HTTP requests only: the page user's PAGE entries are views, not requests."""
    entries = environment.runner.stats.entries.values()
    return sum(e.num_requests for e in entries if e.method != "PAGE")


@events.test_start.add_listener
def _start(environment: Any, **_: Any) -> None:
    _marks["cpu0"] = time.process_time()
    _marks["wall0"] = time.perf_counter()
    _marks["req0"] = _api_requests(environment)


@events.test_stop.add_listener
def _stop(environment: Any, **_: Any) -> None:
    _marks["cpu1"] = time.process_time()
    _marks["wall1"] = time.perf_counter()
    total = environment.runner.stats.total
    _marks["req1"] = _api_requests(environment)
    _marks["fail1"] = total.num_failures


@events.quit.add_listener
def _quit(**_: Any) -> None:
    out = os.environ.get("BENCH_OUT")
    if not out or "cpu1" not in _marks:
        return
    requests = _marks["req1"] - _marks["req0"]
    cpu = _marks["cpu1"] - _marks["cpu0"]
    result = {
        "requests": requests,
        "failures": _marks["fail1"],
        "cpu_s": cpu,
        "wall_s": _marks["wall1"] - _marks["wall0"],
        "requests_per_cpu_s": requests / cpu if cpu > 0 else 0.0,
    }
    with open(out, "w", encoding="utf-8") as fh:
        json.dump(result, fh)
