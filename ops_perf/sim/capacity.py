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
from gevent.event import AsyncResult


@dataclass(frozen=True)
class Service:
    """What happened to one request at the workers.

    `release` (when not None) must be called once the response is ready: the worker is held until
    then (and at least until its service ends on the workers' timeline).
    """

    queued_s: float  # arrival to worker granted, on the timeline (the whole wait when it timed out queued)
    timed_out: bool  # True: the gateway's 504 at the ceiling (in the queue or in service)
    service_s: float = 0.0  # how long it held a worker (0 when it never got one)
    release: Callable[[], None] | None = None


class Workers:
    """N workers with a FIFO queue; counts what tests and `/__sim__/info` report.

    Hand-overs run on an exact timeline: a worker freed by a request whose service ends at T goes
    to the next waiter at max(T, when it queued), and that waiter's service ends at that grant plus
    its service time, however late the event loop wakes it. So a loaded machine delays single
    answers but does not lower the capacity (N / mean service time) while it keeps up at all.
    """

    def __init__(self, n: int, clock: Callable[[], float], sleep: Callable[[float], Any] = gevent.sleep) -> None:
        if n < 1:
            raise ValueError("--workers must be at least 1")
        self.n = n
        self.clock = clock
        self.sleep = sleep
        self.busy = 0
        self.busy_peak = 0  # the most ever in service at once (never reset: the health pool's open connections)
        self._waiting: deque[tuple[AsyncResult, float]] = deque()
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

    def _acquire(self, timeout_s: float | None) -> float | None:
        """Take a worker, queueing FIFO for at most `timeout_s`: the grant time, or None (timed out)."""
        now = self.clock()
        if self.busy < self.n and not self._waiting:
            self.busy += 1
            self.busy_high_water = max(self.busy_high_water, self.busy)
            self.busy_peak = max(self.busy_peak, self.busy)
            return now
        entry = (AsyncResult(), now)
        self._waiting.append(entry)
        self.queue_high_water = max(self.queue_high_water, len(self._waiting))
        try:
            return float(entry[0].get(timeout=timeout_s))
        except gevent.Timeout:
            if entry[0].ready():  # handed over just as the timeout fired: it has the worker
                return float(entry[0].value)
            self._waiting.remove(entry)  # left the queue at the ceiling
            return None

    def _release(self, free_at: float) -> None:
        """A worker is free from `free_at` (its holder's service end): hand it over, or idle it."""
        if self._waiting:
            ticket, queued_at = self._waiting.popleft()
            ticket.set(max(free_at, queued_at))  # busy unchanged: the worker passes on
        else:
            self.busy -= 1

    def acquire(self, timeout_s: float | None) -> float | None:
        """Take a slot, FIFO, waiting at most `timeout_s`: the grant time, or None (timed out, not taken).

        For a caller that holds the slot around other waiting (a serialised route in front of the
        workers); it must `release` it. `serve` is the usual way in.
        """
        return self._acquire(timeout_s)

    def release(self, free_at: float) -> None:
        """Give back a slot taken with `acquire`, free from `free_at`."""
        self._release(free_at)

    def _release_at(self, free_at: float) -> None:
        self.sleep(max(0.0, free_at - self.clock()))
        self._release(free_at)

    def serve(
        self,
        service_s: float,
        ceiling_s: float | None,
        arrival: float,
        work: Callable[[], object] | None = None,
    ) -> Service:
        """Queue, hold a worker for `service_s`, and say whether the gateway gave up first.

        `arrival` (on `clock`) is when the request came in; the ceiling counts from then. Returns
        once the client's answer is due: after the service, or at the ceiling. `work` (real work of
        the request, e.g. its SQL) runs once the worker is granted, inside the service time: the
        answer is due at grant + `service_s`, or when the work ends if that is later.
        """
        waited = self.clock() - arrival
        timeout = None if ceiling_s is None else max(0.0, ceiling_s - waited)
        grant = self._acquire(timeout)
        if grant is None:
            self.timed_out_in_queue += 1
            return Service(self.clock() - arrival, True)
        queued = max(0.0, grant - arrival)
        end = grant + service_s
        if work is not None:
            work()
            end = max(end, self.clock())  # real work past the planned service holds the worker longer
            service_s = end - grant
        if ceiling_s is not None and queued + service_s >= ceiling_s:
            self.sleep(max(0.0, arrival + ceiling_s - self.clock()))
            gevent.spawn(self._release_at, end)  # the worker finishes the abandoned request
            self.timed_out_in_service += 1
            return Service(queued, True, service_s)
        self.sleep(max(0.0, end - self.clock()))
        self.served += 1
        return Service(queued, False, service_s, lambda: self._release(end))

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
