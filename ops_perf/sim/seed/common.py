"""What every generator uses: the table map it fills, non-contiguous ids, timestamps and dates.

Why a module of its own: the id and time helpers define properties every table shares (ids with
gaps, so a guessed id may 404; timestamps from a fixed epoch, so a seed always yields the same
bytes, never the clock).
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from ops_perf.sim.dataset import Row

Tables = dict[str, list[Row]]

EPOCH = datetime(2023, 10, 1, 14, 0, 0)


def new_ids(rng: random.Random, start: int, count: int, max_gap: int) -> list[int]:
    """`count` increasing ids from `start`, with random gaps so neighbours of a real id may 404."""
    out, current = [], start
    for _ in range(count):
        out.append(current)
        current += rng.randint(1, max_gap)
    return out


def stamp(rng: random.Random, days: int = 700) -> str:
    """An ISO timestamp within `days` of the epoch, microseconds included, as OPS writes them."""
    moment = EPOCH + timedelta(
        days=rng.randint(0, days), seconds=rng.randint(0, 86399), microseconds=rng.randint(0, 999999)
    )
    return moment.isoformat() + "Z"


def day(rng: random.Random, first: date, span_days: int) -> str:
    """An ISO date within `span_days` after `first`."""
    return (first + timedelta(days=rng.randint(0, span_days))).isoformat()
