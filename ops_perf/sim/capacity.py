"""A finite OPS: N workers and a FIFO queue in front of them (`--workers N`).

Why: OPS runs on gunicorn with a few workers x threads (2 x 4 in the measured setup). Each request
holds one of them for as long as it takes; the rest wait. That queue is what turned 2025-10-15's
bursts into 20 s gateway timeouts, and it is what `ops-perf capacity` must find. Without
`--workers` the simulator has infinite capacity (every request sleeps its own latency at once).

The model, per request (`Workers.serve` does the waiting; the app decides the answer):
- it queues (FIFO) until a worker is free, then holds it for its service time (the profile's
  sampled latency);
- the gateway gives up at `ceiling` seconds after arrival (the profile's `gateway_timeout_s` x the
  time scale): a request still queued then leaves the queue and gets the gateway's 504 (its worker
  is never spent); a request in service then also gets the 504 at the ceiling, but its worker stays
  busy for the whole service time, as gunicorn finishes a request whose client has gone.
So the capacity is N / mean service time: with a fixed 50 ms and `--workers 4`, 80 requests/s.

Single-threaded under gevent: no locks, each waiter is a `gevent.event.Event` in a deque.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import gevent
from gevent.event import Event


@dataclass(frozen=True)
class Service:
    """What happened to one request at the workers.

    `release` (when not None) must be called once the response is ready: the worker is held until
    then, so the log's `t_end` never falls after the next request's service start.
    """

    queued_s: float  # arrival to worker granted (the whole ceiling when it timed out in the queue)
    timed_out: bool  # True: the gateway's 504 at the ceiling (in the queue or in service)
    release: Callable[[], None] | None = None


class Workers:
    """N workers with a FIFO queue; counts what tests and `/__sim__/info` report."""

    def __init__(self, n: int, clock: Callable[[], float], sleep: Callable[[float], Any] = gevent.sleep) -> None:
        if n < 1:
            raise ValueError("--workers must be at least 1")
        self.n = n
        self.clock = clock
        self.sleep = sleep
        self.busy = 0
        self._waiting: deque[Event] = deque()
        self.reset_counts()

    def reset_counts(self) -> None:
        self.queue_high_water = len(self._waiting)
        self.busy_high_water = self.busy
        self.served = 0
        self.timed_out_in_queue = 0
        self.timed_out_in_service = 0

    @property
    def queued(self) -> int:
        return len(self._waiting)

    def _acquire(self, timeout_s: float | None) -> bool:
        """Take a worker, queueing FIFO for at most `timeout_s`; False when it passed first."""
        if self.busy < self.n and not self._waiting:
            self.busy += 1
            self.busy_high_water = max(self.busy_high_water, self.busy)
            return True
        ticket = Event()
        self._waiting.append(ticket)
        self.queue_high_water = max(self.queue_high_water, len(self._waiting))
        granted = ticket.wait(timeout_s)
        if not granted and not ticket.is_set():
            self._waiting.remove(ticket)  # left the queue at the ceiling
            return False
        return True  # the releasing request handed its worker over: busy unchanged

    def _release(self) -> None:
        if self._waiting:
            self._waiting.popleft().set()  # hand the worker to the longest waiter
        else:
            self.busy -= 1

    def _release_after(self, delay_s: float) -> None:
        self.sleep(delay_s)
        self._release()

    def serve(self, service_s: float, ceiling_s: float | None, arrival: float) -> Service:
        """Queue, hold a worker for `service_s`, and say whether the gateway gave up first.

        `arrival` (on `clock`) is when the request came in; the ceiling counts from then. Returns
        once the client's answer is due: after the service, or at the ceiling.
        """
        waited_so_far = self.clock() - arrival
        timeout = None if ceiling_s is None else max(0.0, ceiling_s - waited_so_far)
        if not self._acquire(timeout):
            self.timed_out_in_queue += 1
            return Service(self.clock() - arrival, True)
        queued = self.clock() - arrival
        remaining = None if ceiling_s is None else ceiling_s - queued
        if remaining is not None and service_s >= remaining:
            self.sleep(max(0.0, remaining))
            gevent.spawn(self._release_after, service_s - max(0.0, remaining))
            self.timed_out_in_service += 1
            return Service(queued, True)
        self.sleep(service_s)
        self.served += 1
        return Service(queued, False, self._release)

    def stats(self) -> dict[str, int]:
        return {
            "workers": self.n,
            "in_service": self.busy,
            "queued": self.queued,
            "in_service_high_water": self.busy_high_water,
            "queue_high_water": self.queue_high_water,
            "served": self.served,
            "timed_out_in_queue": self.timed_out_in_queue,
            "timed_out_in_service": self.timed_out_in_service,
        }
