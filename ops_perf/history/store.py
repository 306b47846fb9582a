"""The results store: every run's metadata and per-row figures in SQLite or PostgreSQL (SQLAlchemy Core).

Why a database and not the folders of CSVs: change detection needs the same endpoint's figure over
dozens of nights, which is one indexed query here and a walk over every results folder otherwise.
SQLite (a file, no server) is the default so that a laptop and the nightly need nothing installed;
a team's PostgreSQL takes the same schema by URL (`postgresql://user@host/db`, driver psycopg 3).

Guarantees:
- A run is stored once: its identity is a hash of its prefix and its stats CSV, so a re-import, or
  the import of a folder that `ops-perf run` already added, changes nothing.
- Nothing is lost when two runs end at once: each run is one transaction that starts with its first
  write (so SQLite's busy timeout, not an immediate "database is locked", handles the other writer;
  WAL lets readers go on meanwhile), and a duplicate identity is a no-op, not an error.
- The schema is versioned (`schema_version`); a store written by a newer ops-perf is refused in one line
  rather than misread, an older one is brought up to date when opened (schema 2 added each run's
  percentile precision, schema 3 a simulator's time scale, both filled in from the run.json the store
  kept).
- Only writers create a store (`ops-perf history import`, a run's end); the reading commands open an
  existing one (`create=False`), so a mistyped `--store` is one line, not an empty store that passes.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    event,
    func,
    insert,
    select,
)
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, IntegrityError, NoSuchModuleError, SQLAlchemyError

from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.histograms import bucket
from ops_perf.runfiles.precision import precision_of

SCHEMA_VERSION = 3
"""1: runs, rows, histograms (issue 12). 2: `runs.percentile_precision` (issue 18). 3: `runs.sim_time_scale`
(a simulator's runs are series of their own, by profile and time scale: issue 15)."""
DEFAULT_STORE = "sqlite:///results/history.sqlite"
SQLITE_BUSY_TIMEOUT_MS = 30_000
"""How long a writer waits for another (a run ending at the same moment) before giving up."""
MISSING_HINT = "check the path or URL (only `ops-perf history import` and a run create a store)"
INIT_ATTEMPTS = 5
"""Two processes creating the schema at once: the loser retries (its tables then exist)."""

metadata = MetaData()

schema_version = Table(
    "schema_version",
    metadata,
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("applied_at", String(40), nullable=False),
)

runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),
    Column("prefix", String(255), nullable=False),
    Column("source", Text, nullable=False),
    Column("env", String(64)),
    Column("scenario", String(255)),
    Column("started_at", String(40), nullable=False),
    Column("started_inferred", Boolean, nullable=False),
    Column("ended_at", String(40)),
    Column("duration_s", Float),
    Column("users", Integer),
    Column("user_kind", String(32)),
    Column("model", String(32)),
    Column("status", String(32)),
    Column("valid", Boolean, nullable=False),
    Column("invalid_reason", Text),
    Column("host", Text),
    Column("sim_profile", String(255)),
    Column("sim_time_scale", Float),
    Column("locust_version", String(32)),
    Column("percentile_precision", String(32)),
    Column("catalog_fingerprint", String(64)),
    Column("requests", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("imported_at", String(40), nullable=False),
    Column("record", Text, nullable=False),
    Index("ix_runs_series", "env", "scenario", "started_at"),
)

rows = Table(
    "rows",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("method", String(16), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("requests", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("p50_ms", Float),
    Column("p95_ms", Float),
    Column("p99_ms", Float),
    Column("avg_ms", Float),
    Column("min_ms", Float),
    Column("max_ms", Float),
    Column("rps", Float),
    Column("percentiles", Text, nullable=False),
)

histograms = Table(
    "histograms",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id", ondelete="CASCADE"), primary_key=True),
    Column("method", String(16), primary_key=True),
    Column("name", String(512), primary_key=True),
    Column("buckets", Text, nullable=False),
)

RUN_FIELDS = tuple(c.name for c in runs.columns)
ROW_FIELDS = tuple(c.name for c in rows.columns if c.name != "run_id")


@dataclass
class StoredRun:
    """One run as the store holds it: `run` is the runs-table row; `rows` and `histograms` its children."""

    run: dict[str, Any]
    rows: list[dict[str, Any]] = field(default_factory=list)
    histograms: list[dict[str, Any]] = field(default_factory=list)

    @property
    def run_id(self) -> str:
        return str(self.run["run_id"])


def safe_url(url: str) -> str:
    """The URL with any password masked: what messages may show."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable store URL>"


def _engine(url: str, create: bool = True) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise OpsPerfError(
            f"--store {url!r}: not a database URL; use sqlite:///path/history.sqlite or postgresql://user@host/db"
        ) from None
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, the dependency we ship
    if backend == "sqlite":
        database = parsed.database or ""
        if database in ("", ":memory:"):
            raise OpsPerfError(f"--store {url}: name a file, e.g. sqlite:///results/history.sqlite")
        path = Path(database).expanduser()
        if not create and not path.is_file():
            raise OpsPerfError(f"--store {url}: no store there; {MISSING_HINT}")
        path.parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if backend != "postgresql":
        raise OpsPerfError(f"--store {safe_url(url)}: only sqlite:/// and postgresql:// stores are supported")
    try:
        return create_engine(parsed, pool_pre_ping=True)
    except NoSuchModuleError as err:
        raise OpsPerfError(f"--store {safe_url(url)}: {err}; install psycopg[binary]") from None


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never block the writer, nor it them
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


class Store:
    """An open results store. Use `open_store(url)`; `close()` (or `with`) releases the connections."""

    def __init__(self, url: str, *, create: bool = True) -> None:
        """`create=False`: open an existing store only (what the reading commands do); refused in one line
        when there is none, so a mistyped `--store` never becomes an empty store that finds nothing."""
        self.url = url
        self.engine = _engine(url, create)
        try:
            if not create:
                self._require_schema()
            self._init_schema()
        except SQLAlchemyError as err:
            self.engine.dispose()
            raise OpsPerfError(f"--store {safe_url(url)}: cannot open it ({_reason(err)})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.engine.dispose()

    # ---- schema ----------------------------------------------------------------------------------
    def _require_schema(self) -> None:
        from sqlalchemy import inspect

        with self.engine.connect() as conn:
            if not inspect(conn).has_table("schema_version"):
                self.engine.dispose()
                raise OpsPerfError(f"--store {safe_url(self.url)}: not an ops-perf history store; {MISSING_HINT}")

    def _init_schema(self) -> None:
        for attempt in range(INIT_ATTEMPTS):
            try:
                with self.engine.begin() as conn:
                    found = self._check_version(conn)
                    metadata.create_all(conn, checkfirst=True)
                    if found is not None and found < SCHEMA_VERSION:
                        _upgrade(conn, found)
                    if found is None or found < SCHEMA_VERSION:
                        conn.execute(insert(schema_version).values(version=SCHEMA_VERSION, applied_at=_now()))
                return
            except (IntegrityError, DBAPIError) as err:
                # Another process created the schema between our check and our CREATE: go again.
                if attempt == INIT_ATTEMPTS - 1 or getattr(err, "connection_invalidated", False):
                    raise
                time.sleep(0.2 * (attempt + 1))

    def _check_version(self, conn: Connection) -> int | None:
        """The store's schema version (None: a new store); a newer one than this ops-perf reads is refused."""
        from sqlalchemy import inspect

        if not inspect(conn).has_table("schema_version"):
            return None
        found = conn.execute(select(func.max(schema_version.c.version))).scalar()
        if found is not None and int(found) > SCHEMA_VERSION:
            raise OpsPerfError(
                f"--store {safe_url(self.url)}: schema version {found} was written by a newer ops-perf "
                f"(this one reads up to {SCHEMA_VERSION}); upgrade ops-perf, or use another store"
            )
        return None if found is None else int(found)

    def version(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.max(schema_version.c.version))).scalar_one())

    # ---- writing ---------------------------------------------------------------------------------
    def add(self, stored: StoredRun) -> bool:
        """Store one run in one transaction; False (and nothing written) when it is already stored."""
        try:
            with self.engine.begin() as conn:
                # The first statement writes, so the write lock is taken (or waited for) at once; a
                # read first would let SQLite fail a concurrent writer instead of making it wait.
                conn.execute(insert(runs).values(**stored.run))
                if stored.rows:
                    conn.execute(insert(rows), [{"run_id": stored.run_id, **r} for r in stored.rows])
                if stored.histograms:
                    conn.execute(insert(histograms), [{"run_id": stored.run_id, **h} for h in stored.histograms])
            return True
        except IntegrityError:
            if self.has_run(stored.run_id):
                return False
            raise

    def has_run(self, run_id: str) -> bool:
        with self.engine.connect() as conn:
            return conn.execute(select(runs.c.run_id).where(runs.c.run_id == run_id)).first() is not None

    # ---- reading ---------------------------------------------------------------------------------
    def runs(
        self, env: str | None = None, scenario: str | None = None, *, valid_only: bool = False
    ) -> list[dict[str, Any]]:
        """Runs oldest first (start time, then prefix), optionally of one environment and scenario."""
        query = select(*[c for c in runs.columns if c.name != "record"])
        if env is not None:
            query = query.where(runs.c.env == env)
        if scenario is not None:
            query = query.where(runs.c.scenario == scenario)
        if valid_only:
            query = query.where(runs.c.valid.is_(True))
        query = query.order_by(runs.c.started_at, runs.c.prefix, runs.c.run_id)
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(query)]

    def rows_of(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        """Every row of these runs (endpoint, page and aggregate), as dicts with `run_id`."""
        if not run_ids:
            return []
        out: list[dict[str, Any]] = []
        with self.engine.connect() as conn:
            for start in range(0, len(run_ids), 500):  # stay below any driver's bound-parameter limit
                chunk = list(run_ids[start : start + 500])
                out.extend(dict(r._mapping) for r in conn.execute(select(rows).where(rows.c.run_id.in_(chunk))))
        return out

    def histograms_of(self, run_ids: Sequence[str]) -> dict[tuple[str, str, str], dict[float, int]]:
        """Every stored histogram of these runs by (run_id, method, name): one query per 500 runs, not per row."""
        out: dict[tuple[str, str, str], dict[float, int]] = {}
        with self.engine.connect() as conn:
            for start in range(0, len(run_ids), 500):
                chunk = list(run_ids[start : start + 500])
                for r in conn.execute(select(histograms).where(histograms.c.run_id.in_(chunk))):
                    buckets = _buckets(r.buckets)
                    out[(r.run_id, r.method, r.name)] = buckets
        return out

    def histogram(self, run_id: str, method: str, name: str) -> dict[float, int] | None:
        query = select(histograms.c.buckets).where(
            histograms.c.run_id == run_id, histograms.c.method == method, histograms.c.name == name
        )
        with self.engine.connect() as conn:
            found = conn.execute(query).scalar()
        return None if found is None else _buckets(found)

    def counts(self) -> Mapping[str, int]:
        with self.engine.connect() as conn:
            return {
                table.name: int(conn.execute(select(func.count()).select_from(table)).scalar_one())
                for table in (runs, rows, histograms)
            }


def _upgrade(conn: Connection, found: int) -> None:
    """Bring a store of schema `found` up to `SCHEMA_VERSION`, in the caller's transaction."""
    from sqlalchemy import inspect, text, update

    if found < 2:
        if "percentile_precision" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
            conn.execute(text("ALTER TABLE runs ADD COLUMN percentile_precision VARCHAR(32)"))
        for run_id, record in conn.execute(select(runs.c.run_id, runs.c.record)).all():
            value = precision_of(_record(record))
            conn.execute(update(runs).where(runs.c.run_id == run_id).values(percentile_precision=value))
    if found < 3:
        if "sim_time_scale" not in {c["name"] for c in inspect(conn).get_columns("runs")}:
            conn.execute(text("ALTER TABLE runs ADD COLUMN sim_time_scale FLOAT"))
        for run_id, record in conn.execute(select(runs.c.run_id, runs.c.record)).all():
            scale = _record(record).get("sim_time_scale")
            if isinstance(scale, int | float) and not isinstance(scale, bool):
                conn.execute(update(runs).where(runs.c.run_id == run_id).values(sim_time_scale=float(scale)))


def _record(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _buckets(text: str) -> dict[float, int]:
    """A stored histogram: keys in ms as floats (the suite's buckets are not whole ms: `"19.87"`)."""
    return {bucket(k): int(v) for k, v in json.loads(text).items()}


def _reason(err: SQLAlchemyError) -> str:
    original = getattr(err, "orig", None)
    text = str(original if original is not None else err).strip().splitlines()
    return text[0] if text else type(err).__name__


@contextmanager
def open_store(url: str) -> Iterator[Store]:
    store = Store(url)
    try:
        yield store
    finally:
        store.close()
