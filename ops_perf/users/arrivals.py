"""The open model: arrivals at the scenario's rate, whatever OPS does, and the pool that serves them.

Locust's users are a closed model: each waits for its answer before the next request, so a slow OPS
slows the load down with it and hides the queue that people, who arrive whether OPS is slow or not,
would form (coordinated omission). Here, as in k6's arrival-rate executors, the rate is the input:

- a **pacer** greenlet (one per process that runs users; each worker gets its share of the rate)
  puts the *intended* start time of every arrival on a queue: Poisson gaps by default, or evenly
  spaced, at a rate that steps or ramps between the scenario's stages;
- the users form a **pool**: their `wait_time` is "take the next arrival off the queue", and one
  iteration (one task of the endpoint user, one session of the page user) serves it. The shape
  (`ops_perf/plugin/shape.py`) grows the pool by Little's law (`pool_target`) up to the scenario's cap;
- an arrival that no user took within `DROP_AFTER_S` is **dropped**, counted, never sent late: it
  measured the generator, not OPS (more than `MAX_DROPPED_FRACTION` makes the run invalid);
- an arrival started late (a busy generator, a pool still growing) is timed from its intended start:
  `late_ms` is what the user adds to the response time of the iteration's first request
  (Hyperfoil's and wrk2's correction).

Why a shared queue and not Locust's `constant_throughput` or locust-plugins' `constant_total_ips`:
those pace a fixed set of users and cannot exceed users / response time, so they are still closed.

The page user (or any user class) takes part by calling `wait_for_first_arrival(self, pool)` in
`on_start`, `late_ms(self, pool)` before its first request of an iteration (the pool is the run's,
`RunState.arrivals`), and, when one iteration is not
one task, by defining `run_one_arrival(self)` (see `OPEN_ITERATION_METHOD`).
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import gevent
from gevent.queue import Queue

from ops_perf.settings import Scenario

DROP_AFTER_S = 1.0
"""An arrival not taken by a user within this long after its intended start is dropped."""
MAX_DROPPED_FRACTION = 0.01
"""More dropped arrivals than this makes the run invalid (exit RUN_INVALID)."""
CORRECT_FROM_MS = 1.0
"""A start later than this is added to the first request's response time (below it: timer noise)."""
LATE_REPORT_MS = 100.0
"""Starts later than this are counted as `late_arrivals` in run.json."""
POOL_SIGMAS = 3.0
POOL_MIN_SPARE = 5
POOL_STEP = 5
"""Pool = busy users (Little's law: rate x iteration time) + 3 sigma of their Poisson spread + 5 spare,
rounded up to a multiple of 5 so that Locust is not asked to spawn one user at a time."""
LOOKAHEAD_S = 2.0
"""The pool is sized for the highest rate of the next few seconds, so that a step up finds users."""
ITERATION_EWMA = 0.1
"""Weight of the newest iteration in the running mean of the iteration time."""
DEFAULT_ITERATION_S = 1.0
"""Iteration time assumed before any was measured, unless the user class says `expected_iteration_s`."""
OPEN_ITERATION_METHOD = "run_one_arrival"
"""A user class whose iteration is more than one task (the page user's session) defines this method."""


# --- the rate over time ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RatePlan:
    """The offered rate (arrivals per second) over the load time: steps or linear ramps per stage."""

    segments: tuple[tuple[float, float, float, float], ...]
    """(start s, end s, rate at start, rate at end), contiguous from 0."""

    @classmethod
    def from_stages(cls, stages: Sequence[tuple[float, float]], ramp: bool, share: float = 1.0) -> RatePlan:
        """`stages`: (duration s, rate per s). With `ramp`, stage i ramps from stage i-1's rate (the first from 0)."""
        segments, start, previous = [], 0.0, 0.0
        for duration, rate in stages:
            begin = previous if ramp else rate
            segments.append((start, start + duration, begin * share, rate * share))
            start += duration
            previous = rate
        return cls(tuple(segments))

    @property
    def duration_s(self) -> float:
        return self.segments[-1][1] if self.segments else 0.0

    def rate_at(self, t: float) -> float:
        for t0, t1, r0, r1 in self.segments:
            if t0 <= t < t1:
                return r0 + (r1 - r0) * (t - t0) / (t1 - t0)
        return 0.0

    def peak_rate(self, t0: float, t1: float) -> float:
        """Highest rate in [t0, t1] (rates are linear per segment: ends and boundaries suffice)."""
        points = [t0, t1, *(s[0] for s in self.segments if t0 < s[0] < t1)]
        return max(self.rate_at(min(p, self.duration_s - 1e-9)) for p in points)

    def expected(self, t: float | None = None) -> float:
        """Arrivals expected from 0 to `t` (default: the whole plan): the integral of the rate."""
        end = self.duration_s if t is None else t
        total = 0.0
        for t0, t1, r0, r1 in self.segments:
            if end <= t0:
                break
            x = min(end, t1) - t0
            total += r0 * x + (r1 - r0) / (t1 - t0) * x * x / 2
        return total

    def time_of(self, count: float) -> float | None:
        """When the expected number of arrivals reaches `count` (the inverse of `expected`); None past the end."""
        need = count
        for t0, t1, r0, r1 in self.segments:
            span = t1 - t0
            area = (r0 + r1) / 2 * span
            if need <= area and area > 0:
                slope = (r1 - r0) / span
                if abs(slope) < 1e-12:
                    return t0 + need / r0
                return t0 + (-r0 + math.sqrt(max(0.0, r0 * r0 + 2 * slope * need))) / slope
            need -= area
        return None


def plan_for(scenario: Scenario, share: float = 1.0) -> RatePlan:
    """The scenario's stages as a plan; `share` is this worker's part of the rate (1/workers)."""
    return RatePlan.from_stages([(s.duration_s, s.arrival_rate or 0.0) for s in scenario.stages], scenario.ramp, share)


def arrival_times(plan: RatePlan, process: str, rng: random.Random, offset: float = 0.5) -> Iterator[float]:
    """Intended start times (s from load start): a Poisson process, or evenly spaced ("constant").

    Both walk the expected-arrivals axis (unit steps for constant, exponential ones for Poisson) and
    map back to time, which gives the exact non-homogeneous process for ramps. Constant arrivals sit
    mid-step (0.5, 1.5, ...: a stage of 10 s at 1/s gets exactly 10); `offset` is this worker's phase,
    `(index + 0.5) / workers`, so that N workers interleave instead of bursting together.
    """
    count = offset if process == "constant" else 0.0
    while True:
        if process != "constant":
            count += rng.expovariate(1.0)
        moment = plan.time_of(count)
        if moment is None:
            return
        yield moment
        if process == "constant":
            count += 1.0


# --- the pool: a queue of arrivals and the users that take them ------------------------------------


@dataclass
class ArrivalStats:
    """What one process counted; summed over workers on the master (`merge`)."""

    arrivals: int = 0
    """Arrivals whose time came while the load ran: started, dropped, or (at the end) unstarted."""
    dropped: int = 0
    unstarted: int = 0
    """Arrivals still queued, under `DROP_AFTER_S` old, when the load ended (`ArrivalPool.finish`): offered and
    counted in `arrivals`, but neither started nor dropped (a run's end is not the pool's fault)."""
    late: int = 0
    max_late_ms: float = 0.0
    busy: int = 0
    pool: int = 0
    peak_pool: int = 0
    iteration_s: float = 0.0

    def to_dict(self) -> dict[str, float]:
        return dict(self.__dict__)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ArrivalStats:
        known = {k: data[k] for k in cls.__dataclass_fields__ if k in data}
        return cls(**known)

    @property
    def dropped_fraction(self) -> float:
        return self.dropped / self.arrivals if self.arrivals else 0.0


def merge(parts: Sequence[ArrivalStats]) -> ArrivalStats:
    """Counts add up; the iteration time is the busy-weighted mean."""
    total = ArrivalStats()
    weight = 0.0
    for part in parts:
        total.arrivals += part.arrivals
        total.dropped += part.dropped
        total.unstarted += part.unstarted
        total.late += part.late
        total.max_late_ms = max(total.max_late_ms, part.max_late_ms)
        total.busy += part.busy
        total.pool += part.pool
        total.peak_pool += part.peak_pool
        w = max(1, part.busy)
        total.iteration_s += part.iteration_s * w
        weight += w
    total.iteration_s = total.iteration_s / weight if weight else 0.0
    return total


@dataclass
class ArrivalPool:
    """This process's queue of arrivals, the pacer that fills it and the counters."""

    drop_after_s: float = DROP_AFTER_S
    clock: Callable[[], float] = time.time
    active: bool = False
    """True in an open run: users pace themselves on the queue (set by the hooks)."""
    expected_iteration_s: float = DEFAULT_ITERATION_S
    stats: ArrivalStats = field(default_factory=ArrivalStats)
    _queue: Queue = field(default_factory=Queue)
    _pacer: Any = None
    _users: int = 0
    _idle: int = 0

    def reset(self) -> None:
        self.stop()
        self.stats = ArrivalStats()
        self._queue = Queue()
        self._users = self._idle = 0

    # -- the pacer ----------------------------------------------------------------------------------
    def start(
        self,
        plan: RatePlan,
        process: str,
        seed: int | None = None,
        offset: float = 0.0,
        started: float | None = None,
        not_before: float | None = None,
    ) -> None:
        """Offer arrivals following `plan` from `started` (epoch s; default now), in a greenlet.

        Arrivals before `not_before` (default now) are skipped. A worker restarted with a new share (a
        worker joined or left) passes the run's start and skips the past: those arrivals belonged to
        the previous share. A worker starting its first share passes `not_before=started`: the
        arrivals of its spawn gap are offered at once, late (timed from their intended start) or,
        past `drop_after_s`, dropped, so that none vanishes.
        """
        self.stop()
        self.active = True
        origin = self.clock() if started is None else started
        rng = random.Random(seed)
        first = self.clock() if not_before is None else not_before
        self._pacer = gevent.spawn(self._run, origin, arrival_times(plan, process, rng, offset), first)

    def _run(self, started: float, times: Iterator[float], not_before: float) -> None:
        for moment in times:
            intended = started + moment
            if intended < not_before:
                continue
            delay = intended - self.clock()
            if delay > 0:
                gevent.sleep(delay)
            self._purge()
            self._queue.put(intended)

    def stop(self) -> None:
        """Stop offering; arrivals still queued past their drop time are counted as dropped."""
        if self._pacer is not None:
            self._pacer.kill(block=False)
            self._pacer = None
        self._purge()

    def finish(self) -> None:
        """The load ended: stop offering, and count what is still queued (stale ones dropped, the rest
        unstarted), so that every arrival offered is an arrival in the counts. Idempotent."""
        self.stop()
        while not self._queue.empty():
            self._queue.get_nowait()
            self.stats.unstarted += 1
            self.stats.arrivals += 1

    def _purge(self) -> None:
        now = self.clock()
        while not self._queue.empty() and now - self._queue.peek_nowait() > self.drop_after_s:
            self._queue.get_nowait()
            self._drop()

    def _drop(self) -> None:
        self.stats.dropped += 1
        self.stats.arrivals += 1

    # -- the users ----------------------------------------------------------------------------------
    def join(self, user: Any) -> None:
        self._users += 1
        self.stats.peak_pool = max(self.stats.peak_pool, self._users)
        user._ops_arrival = None
        user._ops_picked_at = None
        user._ops_pool = self

    def leave(self, user: Any) -> None:
        if getattr(user, "_ops_pool", None) is self:
            self._users -= 1
            user._ops_pool = None

    def take(self, user: Any) -> float:
        """Block until an arrival is due; return its intended start (epoch s). Stale ones are dropped."""
        if getattr(user, "_ops_pool", None) is not self:
            self.join(user)
        picked = user._ops_picked_at
        if picked is not None:
            took = self.clock() - picked
            mean = self.stats.iteration_s
            self.stats.iteration_s = took if not mean else mean + ITERATION_EWMA * (took - mean)
        self._idle += 1
        try:
            while True:
                intended = self._queue.get()
                now = self.clock()
                if now - intended > self.drop_after_s:
                    self._drop()
                    continue
                break
        finally:
            self._idle -= 1
        self.stats.arrivals += 1
        late = (now - intended) * 1000.0
        if late > LATE_REPORT_MS:
            self.stats.late += 1
        self.stats.max_late_ms = max(self.stats.max_late_ms, late)
        user._ops_arrival = intended
        user._ops_picked_at = now
        return intended

    def late_ms(self, user: Any) -> float:
        """How late this iteration's first request starts (ms); 0 afterwards, and always 0 when closed."""
        intended = getattr(user, "_ops_arrival", None)
        if intended is None:
            return 0.0
        user._ops_arrival = None
        late = (self.clock() - intended) * 1000.0
        return late if late > CORRECT_FROM_MS else 0.0

    def snapshot(self) -> ArrivalStats:
        self._purge()
        stats = ArrivalStats(**self.stats.to_dict())
        stats.pool = self._users
        stats.busy = max(0, self._users - self._idle)
        if not stats.iteration_s:
            stats.iteration_s = self.expected_iteration_s
        return stats


@dataclass
class OpenShare:
    """The open model across processes (`ops_perf.plugin.arrivals`): on the master, each worker's last
    counters; on a worker, its share of the rate and the master's load clock."""

    by_worker: dict[str, ArrivalStats] = field(default_factory=dict)
    share: dict[str, Any] | None = None
    shared_with: tuple[str, ...] = ()
    started: bool = False
    origin: float | None = None
    """The master's load start on this worker's clock (the worker's plan runs on it)."""


def open_wait(user: Any, pool: ArrivalPool) -> float:
    """`wait_time` of a user in an open run: wait for the next arrival, then start at once."""
    pool.take(user)
    return 0.0


def wait_for_first_arrival(user: Any, pool: ArrivalPool) -> None:
    """Call from `on_start`: Locust runs a task before its first wait, which would be unpaced.

    Locust's own `User.wait()` runs the user's `wait_time` (in an open run: take the next arrival)
    with the user counted as waiting, so that a graceful stop (`stop_timeout`) ends it at once
    instead of waiting for an arrival that will not come.
    """
    if pool.active:
        user.wait()


def late_ms(user: Any, pool: ArrivalPool) -> float:
    """Add this to the response time of the first request of an iteration (0 in a closed run)."""
    return pool.late_ms(user) if pool.active else 0.0


def pool_target(rate_per_s: float, stats: ArrivalStats, cap: int) -> int:
    """Users needed for `rate_per_s`: Little's law and a Poisson margin, never fewer than now, at most `cap`."""
    little = rate_per_s * (stats.iteration_s or DEFAULT_ITERATION_S)
    demand = max(little, float(stats.busy))
    need = demand + POOL_SIGMAS * math.sqrt(demand) + POOL_MIN_SPARE
    target = int(math.ceil(need / POOL_STEP) * POOL_STEP)
    return max(1, min(cap, max(stats.pool, target)))


__all__ = [
    "ArrivalPool",
    "ArrivalStats",
    "OpenShare",
    "RatePlan",
    "arrival_times",
    "late_ms",
    "merge",
    "open_wait",
    "plan_for",
    "pool_target",
    "wait_for_first_arrival",
]
