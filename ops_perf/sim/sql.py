"""Real SQL for a planted N+1 route (`--db-url`): what `pg_stat_statements` must see to prove one.

Why real statements: the suite's `diagnose` reads `pg_stat_statements` before and after probing an
endpoint and calls it an N+1 when statements per request grow with the rows answered. Only a
database that really ran them can prove that reading right, so for each request of a planted route
the simulator runs, against the PostgreSQL it is given, what an ORM's lazy loading would:

    an [id] route (causes.EMBEDDED: parent P, child C by field F), record found:
        SELECT doc FROM ops_perf_sim.P WHERE id = $1                      1
        SELECT id FROM ops_perf_sim.C WHERE F = $1 ORDER BY id            1
        SELECT doc FROM ops_perf_sim.C WHERE id = $1      once per row    rows
        -> 2 + rows statements (1 when the id is unknown: the 404 stops after the first)
    a list route over table T, answering `rows` items:
        SELECT count(*) FROM ops_perf_sim.T                               1
        SELECT id FROM ops_perf_sim.T ORDER BY id LIMIT $1                1
        SELECT doc FROM ops_perf_sim.T WHERE id = $1      once per item   rows
        -> 2 + rows statements

Each request's count is in its log entry (`sql_statements`). At start the simulator creates its own
schema and tables (`CREATE ... IF NOT EXISTS`, one `(id, doc jsonb, <field>...)` table per dataset
table used) and makes their rows those of its dataset (upsert, then delete the others), under an
advisory lock so two simulators starting on one database take turns. Connections are autocommit
(no BEGIN/COMMIT statements to count) and come from a small pool: requests wait for one
cooperatively. psycopg 3 is cooperative under gevent once `select` is monkey-patched (the
simulator's entry point patches before anything is imported; psycopg is imported here, lazily).

The URL is a secret: it is never printed, logged or served; error messages have it (and its
password) replaced by `***`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from gevent.queue import Empty, LifoQueue

from ops_perf.sim.causes import EMBEDDED, route_of
from ops_perf.sim.dataset import Dataset

SCHEMA = "ops_perf_sim"
CONNECTIONS = 4  # the simulator's own pool: enough for a few concurrent N+1 requests, small for the server
CONNECT_TIMEOUT_S = 10
WAIT_FOR_CONNECTION_S = 30.0
_LOCK_KEY = 20251016  # pg_advisory_xact_lock key of the setup
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class SqlError(RuntimeError):
    """The database cannot be used; the message never holds the URL or its password."""


def redact(text: str, url: str) -> str:
    """`text` with the URL and its password (if any) replaced by `***`."""
    out = text.replace(url, "***")
    try:
        password = urlsplit(url).password
    except ValueError:
        password = None
    return out.replace(password, "***") if password else out


@dataclass(frozen=True)
class Plan:
    """The statements one planted route issues: an [id] record with its embedded rows, or a list."""

    table: str  # the record's table ([id]) or the listed table (list)
    child: str | None = None  # [id]: the embedded rows' table
    field: str | None = None  # [id]: the child's field holding the record's id

    def tables(self) -> dict[str, set[str]]:
        """Tables this plan reads, each with the extra integer fields it filters on."""
        out: dict[str, set[str]] = {self.table: set()}
        if self.child is not None and self.field is not None:
            out.setdefault(self.child, set()).add(self.field)
        return out


def plan_for(name: str) -> Plan:
    """The plan of a planted Locust name (validated by `causes.build`: it answers rows)."""
    route = route_of(name)
    spec = EMBEDDED.get(route.name)
    if spec is not None:
        return Plan(spec.parent, spec.child, spec.field)
    assert route.table is not None, f"{name}: a list route without a table cannot issue SQL"
    return Plan(route.table)


def _ident(name: str) -> str:
    if not _IDENTIFIER.match(name):
        raise SqlError(f"cannot make a table of {name!r}")
    return name


class SqlRunner:
    """Runs the N+1 statements against one PostgreSQL database with a small connection pool."""

    def __init__(self, url: str, ds: Dataset, plans: dict[str, Plan], connections: int = CONNECTIONS) -> None:
        import psycopg  # lazily: after gevent's monkey-patching, so its waits are cooperative
        import psycopg.waiting

        self._psycopg = psycopg
        self._url = url
        self.plans = plans
        self.size = connections
        self._idle: LifoQueue[Any] = LifoQueue()
        self.opened = 0
        self.statements = 0
        self.errors = 0
        self._tables: dict[str, set[str]] = {}
        for plan in plans.values():
            for table, fields in plan.tables().items():
                self._tables.setdefault(_ident(table), set()).update(_ident(f) for f in fields)
        self._setup(ds)

    # ---- connections -------------------------------------------------------------------------
    def _connect(self) -> Any:
        try:
            return self._psycopg.connect(self._url, autocommit=True, connect_timeout=CONNECT_TIMEOUT_S)
        except self._psycopg.Error as err:
            raise SqlError(f"cannot connect to the --db-url database: {redact(str(err), self._url)}") from None

    @contextmanager
    def _connection(self) -> Iterator[Any]:
        try:
            conn = self._idle.get_nowait()
        except Empty:
            if self.opened < self.size:
                self.opened += 1
                try:
                    conn = self._connect()
                except SqlError:
                    self.opened -= 1
                    raise
            else:
                conn = self._idle.get(timeout=WAIT_FOR_CONNECTION_S)
        broken = False
        try:
            yield conn
        except self._psycopg.Error:
            broken = True
            raise
        finally:
            if broken or conn.closed:
                self.opened -= 1
                conn.close()
            else:
                self._idle.put(conn)

    def close(self) -> None:
        while True:
            try:
                self._idle.get_nowait().close()
            except Empty:
                return

    # ---- setup -------------------------------------------------------------------------------
    def _setup(self, ds: Dataset) -> None:
        """Schema, tables and rows from the dataset (idempotent; concurrent starts take turns)."""
        try:
            with self._connection() as conn, conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
                for table, fields in sorted(self._tables.items()):
                    self._fill(conn, ds, table, sorted(fields))
        except self._psycopg.Error as err:
            raise SqlError(f"cannot set up the --db-url database: {redact(str(err), self._url)}") from None

    @staticmethod
    def _fill(conn: Any, ds: Dataset, table: str, fields: list[str]) -> None:
        qualified = f"{SCHEMA}.{table}"
        conn.execute(f"CREATE TABLE IF NOT EXISTS {qualified} (id integer PRIMARY KEY, doc jsonb NOT NULL)")
        for field in fields:
            conn.execute(f"ALTER TABLE {qualified} ADD COLUMN IF NOT EXISTS {field} integer")
            conn.execute(f"CREATE INDEX IF NOT EXISTS {table}_{field}_idx ON {qualified} ({field})")
        columns = ["id", "doc", *fields]
        updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns[1:])
        rows = ds.rows(table)
        with conn.cursor() as cur:
            cur.executemany(
                f"INSERT INTO {qualified} ({', '.join(columns)}) VALUES ({', '.join(['%s'] * len(columns))}) "
                f"ON CONFLICT (id) DO UPDATE SET {updates}",
                [(r["id"], json.dumps(r, default=str), *(r.get(f) for f in fields)) for r in rows],
            )
        conn.execute(f"DELETE FROM {qualified} WHERE NOT (id = ANY(%s))", ([r["id"] for r in rows],))

    # ---- per request -------------------------------------------------------------------------
    def run(self, name: str, row_id: int | None, rows: int) -> int:
        """Issue the statements of one request to the planted `name`; returns how many ran."""
        plan = self.plans[name]
        done = 0
        try:
            with self._connection() as conn:

                def query(text: str, params: tuple[Any, ...] = ()) -> Any:
                    nonlocal done
                    cursor = conn.execute(text, params)
                    done += 1
                    return cursor

                if plan.child is not None:  # an [id] record, then its embedded rows one at a time
                    if query(f"SELECT doc FROM {SCHEMA}.{plan.table} WHERE id = %s", (row_id,)).fetchone() is None:
                        return done
                    ids = query(
                        f"SELECT id FROM {SCHEMA}.{plan.child} WHERE {plan.field} = %s ORDER BY id", (row_id,)
                    ).fetchall()
                    child = plan.child
                else:  # a page of a list, then each item on its own
                    query(f"SELECT count(*) FROM {SCHEMA}.{plan.table}").fetchone()
                    ids = query(f"SELECT id FROM {SCHEMA}.{plan.table} ORDER BY id LIMIT %s", (rows,)).fetchall()
                    child = plan.table
                for (child_id,) in ids:
                    query(f"SELECT doc FROM {SCHEMA}.{child} WHERE id = %s", (child_id,)).fetchone()
        except (self._psycopg.Error, SqlError, Empty) as err:
            self.errors += 1
            if self.errors == 1:  # one line, not one per request; never the URL
                message = redact(str(err) or type(err).__name__, self._url)
                print(f"ops-perf sim: SQL failed ({name}): {message}", file=sys.stderr, flush=True)
        finally:
            self.statements += done
        return done

    def stats(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "tables": sorted(self._tables),
            "connections": self.size,
            "open": self.opened,
            "statements": self.statements,
            "errors": self.errors,
            # psycopg's wait: "wait_c" blocks the event loop (not monkey-patched), the others yield to it
            "cooperative": self._psycopg.waiting.wait.__name__ != "wait_c",
        }
