"""`capacity.Workers` in process: FIFO hand-over, at most N busy, the ceiling in the queue and in service.

Unit tests on top of the process tests in test_sim_workers.py: gevent greenlets stand in for
requests; what is asserted is order and counts, never how long a sleep took.
"""

from __future__ import annotations

import time

import gevent
import pytest

from ops_perf.sim.capacity import Workers


def _run(workers: Workers, service_s: float, ceiling_s: float | None, n: int) -> tuple[list[int], list[bool]]:
    started: list[int] = []
    timed_out = [False] * n

    def request(i: int) -> None:
        arrival = time.time()
        result = workers.serve(service_s, ceiling_s, arrival)
        timed_out[i] = result.timed_out
        if not result.timed_out:
            started.append(i)
        if result.release is not None:
            result.release()

    greenlets = []
    for i in range(n):
        greenlets.append(gevent.spawn(request, i))
        gevent.sleep(0)  # arrive in order
    gevent.joinall(greenlets, timeout=10)
    return started, timed_out


def test_fifo_and_never_more_than_n_busy() -> None:
    workers = Workers(2, time.time)
    started, timed_out = _run(workers, 0.01, None, 7)
    assert started == list(range(7)) and not any(timed_out)
    stats = workers.stats()
    assert stats["in_service_high_water"] == 2 and stats["queue_high_water"] == 5
    assert stats["served"] == 7 and stats["in_service"] == 0 and stats["queued"] == 0


def test_the_ceiling_empties_the_queue_and_cuts_service() -> None:
    workers = Workers(1, time.time)
    # 1 worker, 100 ms each, a 250 ms ceiling, 6 at once: the first few make it (2 on an idle
    # machine), the one in service at the ceiling is cut, the rest are still queued then.
    started, timed_out = _run(workers, 0.1, 0.25, 6)
    k = len(started)
    assert 1 <= k <= 2 and started == list(range(k))
    assert timed_out == [False] * k + [True] * (6 - k)  # FIFO: the late ones time out
    stats = workers.stats()
    assert stats["timed_out_in_service"] <= 1 and stats["timed_out_in_queue"] >= 3
    assert stats["timed_out_in_service"] + stats["timed_out_in_queue"] == 6 - k
    gevent.sleep(0.15)  # a cut request's worker finishes its work, then frees
    assert workers.stats()["in_service"] == 0


def test_at_least_one_worker() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Workers(0, time.time)
