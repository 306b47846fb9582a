"""The request budget: every request a diagnosis sends is counted, and planned before it is sent.

Why a budget at all: the probes run against real environments (dev, stg), where a tool that "just
tries" can hurt. So the total is capped (default 400 requests, at most 8 in flight) and said before
the first request; the ids are fetched first (their cost bounded by `HARVEST_PAGE` pages per pool),
then each endpoint's sweeps are sized to what is left, in steps (`STEPS`: only the two ends of the
concurrency sweep, then fewer records), and if even the smallest does not fit, the endpoints at the
end are left out, by name.

Why these sizes: the rules must hold on a noisy server (OPS's answers are heavy-tailed: the
simulator's prod profile has medians of a few hundred ms and tails at the gateway's 20 s), so no
verdict rests on one answer: the first concurrency level has `SEQUENTIAL` answers for its median, the
others `ROUNDS` per slot (the verdict reads the second wave, which meets the queue the first one
left), each page size `REPEATS` answers, and the slowest records are asked again (`CONFIRM`). Nothing is sent beyond the plan: `client.Budget` refuses it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ops_perf.diagnose.catalog import PAGE_LIMITS, Target
from ops_perf.users.endpoints.catalog import POOLS, ListShape

DEFAULT_BUDGET = 400
DEFAULT_IN_FLIGHT = 8
LEVELS = (1, 2, 4, 8)
STOP_AFTER = 3
"""A probe stops after this many consecutive 5xx answers or time-outs."""
HARVEST_PAGE = 50
"""OPS's largest `limit`: the id harvest's page size."""
RECORD_CAP = 100
"""At most this many ids of a pool in a record sweep (spread evenly over the pool when it has more)."""
TOKEN_REQUESTS = 1
"""The test login (or refresh) that gets the token, when one is needed."""
HEALTH_REQUESTS = 1
"""One look at OPS's health before the probes: is anything else in service?"""


SEQUENTIAL = 6
"""Requests of the concurrency sweep's first level (one in flight): its median is the reference."""
ROUNDS = 2
"""Requests per in-flight slot at the higher levels: the second wave meets a full queue (the steady state)."""
CONFIRM = (3, 2)
"""The record sweep's 3 slowest records are asked 2 more times each: a record is slow when it is slow
again (one slow answer of a noisy server must not name a record)."""
REPEATS = 3
"""Requests per `limit` of a page-size sweep: a median per page size, and whether the sizes' answers overlap."""


@dataclass(frozen=True)
class Step:
    records: int
    all_levels: bool
    """Every level of `LEVELS`, or the two ends only (1 and the highest)."""


STEPS = (
    Step(RECORD_CAP, True),
    Step(RECORD_CAP, False),
    Step(60, False),
    Step(30, False),
    Step(15, False),
    Step(8, False),
)
"""From the fullest plan to the smallest, tried in order until the budget holds: the concurrency sweep's
middle levels go first (the verdict reads its two ends), then records (the sweep that finds the heavy one)."""


@dataclass
class EndpointPlan:
    target: Target
    records: list[Any] = field(default_factory=list)
    """Ids of the record sweep (detail endpoints)."""
    limits: tuple[int, ...] = ()
    """`limit` values of the page-size sweep (lists)."""
    repeats: int = 0
    levels: tuple[int, ...] = LEVELS

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def confirmations(self) -> int:
        """Requests re-measuring the slowest records (none with fewer records than are re-measured)."""
        slowest, again = CONFIRM
        return slowest * again if len(self.records) >= slowest else 0

    @staticmethod
    def level_requests(level: int) -> int:
        return SEQUENTIAL if level == 1 else ROUNDS * level

    @property
    def requests(self) -> int:
        sweep = sum(self.level_requests(level) for level in self.levels)
        return len(self.records) + self.confirmations + len(self.limits) * self.repeats + sweep


@dataclass
class Plan:
    endpoints: list[EndpointPlan]
    left_out: list[str]
    step: Step | None

    @property
    def requests(self) -> int:
        return sum(e.requests for e in self.endpoints)


def levels(in_flight: int) -> tuple[int, ...]:
    """The concurrency levels up to `in_flight` (the highest always included)."""
    out = [lv for lv in LEVELS if lv < in_flight]
    return (*out, in_flight) if in_flight >= 1 else (1,)


def pools_of(targets: Sequence[Target]) -> list[str]:
    return list(dict.fromkeys(t.pool for t in targets if t.pool is not None))


def harvest_requests(pools: Sequence[str], cap: int = RECORD_CAP) -> int:
    """The most requests fetching `cap` ids of each pool can take."""
    return sum(1 if POOLS[p].shape is ListShape.PLAIN else math.ceil(cap / HARVEST_PAGE) for p in pools)


def spread(ids: Sequence[Any], count: int) -> list[Any]:
    """`count` ids spread evenly over the pool (all of them when it has no more)."""
    if len(ids) <= count:
        return list(ids)
    step = len(ids) / count
    return [ids[int(i * step)] for i in range(count)]


def _sized(target: Target, ids: Mapping[str, Sequence[Any]], step: Step, lv: tuple[int, ...]) -> EndpointPlan:
    plan = EndpointPlan(target, levels=lv if step.all_levels else (lv[0], lv[-1]) if len(lv) > 1 else lv)
    if target.kind == "detail" and target.pool is not None:
        plan.records = spread(ids.get(target.pool, ()), step.records)
    if target.kind == "list":
        plan.limits, plan.repeats = PAGE_LIMITS, REPEATS
    return plan


def plan(targets: Sequence[Target], ids: Mapping[str, Sequence[Any]], available: int, in_flight: int) -> Plan:
    """The fullest plan of `STEPS` within `available` requests; endpoints left out from the end if none is."""
    lv = levels(in_flight)
    for step in STEPS:
        sized = [_sized(t, ids, step, lv) for t in targets]
        if sum(p.requests for p in sized) <= available:
            return Plan(sized, [], step)
    smallest = STEPS[-1]
    kept: list[EndpointPlan] = []
    used = 0
    left_out = []
    for target in targets:
        sized_one = _sized(target, ids, smallest, lv)
        if used + sized_one.requests <= available:
            kept.append(sized_one)
            used += sized_one.requests
        else:
            left_out.append(target.name)
    return Plan(kept, left_out, smallest)
