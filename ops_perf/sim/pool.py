"""OPS's database pool as its health endpoint reports it, and the health body itself.

Why: `GET /api/v1/health/` is the one window OPS opens on its server side without a token: its
`checks.database_connection.pool_status` is the SQLAlchemy QueuePool of the worker that answered
(`size`, `checked_out`, `checked_in`, `overflow`; ops-health.md). The suite samples it during runs to
tell "the pool is at its limit" from "the workers are saturated, the pool is not the limit", so the
simulator's pool must move with the requests it has in service, as OPS's does.

The model (QueuePool without `max_overflow` blocking): every request in service holds one
connection; connections are opened lazily when more are in use than are open, and kept up to
`size` (those beyond `size` are overflow, closed when returned). Hence, with `in use` now and
`peak` the most ever in use at once:

    open        = max(min(peak, size), in use)
    checked_out = in use
    checked_in  = open - in use
    overflow    = open - size           (negative while fewer than `size` are open)

"In service" is what the simulator's capacity model says: with `--workers` the requests holding a
worker (`capacity.Workers.busy`: so a health call, waiting for a worker like any request, counts
itself once it is answered), without it the API requests past the auth rules whose answer is not
ready yet (`InService`). The health request itself is in service when its body is made, as OPS's
own `SELECT 'OK'` holds a connection while the pool is read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

DEFAULT_POOL_SIZE = 10  # SQLAlchemy's QueuePool default (OPS's SQLALCHEMY_POOL_SIZE default)


class InService:
    """Requests in service now and the most at once, without `--workers` (one greenlet thread: no locks)."""

    def __init__(self) -> None:
        self.current = 0
        self.peak = 0

    def enter(self) -> None:
        self.current += 1
        self.peak = max(self.peak, self.current)

    def leave(self) -> None:
        self.current -= 1

    def usage(self) -> tuple[int, int]:
        return self.current, self.peak


class PoolGauge:
    """The QueuePool figures of `size` connections over a source of (in use now, most ever in use)."""

    def __init__(self, size: int, usage: Callable[[], tuple[int, int]]) -> None:
        if size < 1:
            raise ValueError("--pool-size must be at least 1")
        self.size = size
        self._usage = usage

    def status(self) -> dict[str, int]:
        """`pool_status` in OPS's key order (`size`, `checked_in`, `overflow`, `checked_out`)."""
        in_use, peak = self._usage()
        opened = max(min(peak, self.size), in_use)
        return {"size": self.size, "checked_in": opened - in_use, "overflow": opened - self.size, "checked_out": in_use}


#: What one health call sees on an idle simulator with the default pool: itself, on the one open connection.
IDLE_POOL = PoolGauge(DEFAULT_POOL_SIZE, lambda: (1, 1)).status()


def health_body(pool_status: dict[str, int] | None) -> dict[str, Any]:
    """OPS's health answer (`ops/resources/health_check.py` + `ops/utils/health_check.py`).

    `pool_status=None` gives the body of an OPS that does not report its pool (an older version, or
    reading the pool failed): `database_connection` without the key.
    """
    database: dict[str, Any] = {"db_conn_is_ok": True, "alarm_level": 0}
    if pool_status is not None:
        database["pool_status"] = pool_status
    return {
        "status": "OK",
        "alarm_level": 0,
        "checks": {"auth_services": {"status_code": 200, "alarm_level": 0}, "database_connection": database},
    }
