"""What the database did for a probe: `pg_stat_statements` before and after, as deltas.

Why deltas and no reset: `pg_stat_statements_reset()` needs more than a read-only role and wipes
what others collect; a snapshot before and after a request, taken on the same database, counts
what ran in between: the statements of that request, plus any other traffic on the database then
(named as a limit in the diagnosis; an idle check before the probes says whether there was some).
Our own snapshot queries are left out by their text.

The URL is a secret (it may hold a password): never printed, logged or stored. Every message that
could hold it passes `redact_url`, and diagnose.json records only that a database was given.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ops_perf.errors import OpsPerfError

ENV_VAR = "OPS_DB_URL"
CONNECT_TIMEOUT_S = 10
IDLE_CHECK_S = 0.5
QUERY_CHARS = 200
TOP_STATEMENTS = 5
HOW_TO_ENABLE = (
    "the database has no pg_stat_statements ({why}): add shared_preload_libraries = 'pg_stat_statements' to "
    "postgresql.conf, restart, and run CREATE EXTENSION pg_stat_statements in the database; the probes go on "
    "without database figures"
)
_OURS = "%pg_stat_statements%"
_THIS_DATABASE = "dbid = (SELECT oid FROM pg_database WHERE datname = current_database())"
_TOTAL = (
    "SELECT coalesce(sum(calls), 0)::bigint, coalesce(sum(total_exec_time), 0)::float8 FROM pg_stat_statements "
    f"WHERE {_THIS_DATABASE} AND query NOT LIKE %s"
)
_SNAPSHOT = (
    "SELECT queryid, query, calls, total_exec_time FROM pg_stat_statements "
    f"WHERE {_THIS_DATABASE} AND query NOT LIKE %s"
)


def redact_url(text: str, url: str) -> str:
    """`text` with the URL and its password replaced by `***`."""
    out = text.replace(url, "***") if url else text
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return out.replace(password, "***") if password else out


class Unavailable(RuntimeError):
    """The database has no usable pg_stat_statements: the one line saying how to enable it."""


@dataclass(frozen=True)
class Total:
    calls: int
    ms: float


Snapshot = dict[Any, tuple[str, int, float]]
"""queryid -> (normalised text, calls, total ms)."""


class Statements:
    """One autocommit connection to the database, reading `pg_stat_statements`."""

    def __init__(self, url: str) -> None:
        import psycopg  # only with a database URL

        self._url = url
        self._psycopg = psycopg
        try:
            self.conn = psycopg.connect(url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except psycopg.Error as err:
            raise OpsPerfError(
                f"cannot connect to the --db-url database: {redact_url(str(err).strip(), url)}; check the URL "
                f"(or {ENV_VAR}) and that this machine may reach it"
            ) from None
        try:
            self.total()
        except psycopg.Error as err:
            self.conn.close()
            first = redact_url(str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__, url)
            raise Unavailable(HOW_TO_ENABLE.format(why=first)) from None

    def total(self) -> Total:
        calls, ms = self.conn.execute(_TOTAL, (_OURS,)).fetchone()
        return Total(int(calls), float(ms))

    def snapshot(self) -> Snapshot:
        return {
            qid: (str(query), int(calls), float(ms))
            for qid, query, calls, ms in self.conn.execute(_SNAPSHOT, (_OURS,)).fetchall()
        }

    def idle_traffic(self, seconds: float = IDLE_CHECK_S) -> int:
        """Statements others ran while we sent nothing for `seconds`."""
        before = self.total()
        time.sleep(seconds)
        return self.total().calls - before.calls

    def close(self) -> None:
        self.conn.close()


def difference(before: Snapshot, after: Snapshot) -> list[tuple[str, int, float]]:
    """(text, calls, ms) of each statement that ran between two snapshots, most calls first."""
    out = []
    for qid, (query, calls, ms) in after.items():
        _, calls0, ms0 = before.get(qid, (query, 0, 0.0))
        if calls > calls0:
            out.append((" ".join(query.split())[:QUERY_CHARS], calls - calls0, ms - ms0))
    out.sort(key=lambda x: (-x[1], x[0]))
    return out
