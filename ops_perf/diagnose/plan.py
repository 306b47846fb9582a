"""The request budget: every request a diagnosis sends is counted, and planned before it is sent.

Why a budget at all: the probes run against real environments (dev, stg), where a tool that "just
tries" can hurt. So the total is capped (default 400 requests, at most 8 in flight) and said before
the first request; the ids are fetched first (their cost bounded by `HARVEST_PAGE` pages per pool),
then each endpoint's sweeps are sized to what is left, in steps (`STEPS`: fewer records, fewer
repeats, one round per concurrency level), and if even the smallest does not fit, the endpoints at
the end are left out, by name. Nothing is sent beyond the plan: `client.Budget` refuses it.
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


@dataclass(frozen=True)
class Step:
    records: int
    repeats: int
    rounds: int


STEPS = (Step(RECORD_CAP, 3, 2), Step(60, 3, 2), Step(30, 3, 2), Step(30, 2, 2), Step(15, 2, 1), Step(8, 1, 1))
"""From the fullest plan to the smallest, tried in order until the budget holds."""


@dataclass
class EndpointPlan:
    target: Target
    records: list[Any] = field(default_factory=list)
    """Ids of the record sweep (detail endpoints)."""
    limits: tuple[int, ...] = ()
    """`limit` values of the page-size sweep (lists)."""
    repeats: int = 0
    levels: tuple[int, ...] = LEVELS
    rounds: int = 2
    """Requests per in-flight slot at each concurrency level."""

    @property
    def name(self) -> str:
        return self.target.name

    @property
    def requests(self) -> int:
        return len(self.records) + len(self.limits) * self.repeats + self.rounds * sum(self.levels)


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
    plan = EndpointPlan(target, levels=lv, rounds=step.rounds)
    if target.kind == "detail" and target.pool is not None:
        plan.records = spread(ids.get(target.pool, ()), step.records)
    if target.kind == "list":
        plan.limits, plan.repeats = PAGE_LIMITS, step.repeats
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
