"""A real, throw-away PostgreSQL server for the store's tests: initdb + pg_ctl in a temp dir, 127.0.0.1 only.

    with start_postgres() as pg:
        url = pg.new_database("store_a")      # postgresql://ops@127.0.0.1:<port>/store_a

    with start_postgres(settings={"shared_preload_libraries": "pg_stat_statements"}) as pg: ...

The binaries come from the machine's PostgreSQL (`/usr/lib/postgresql/<version>/bin`, what
`.ci/run` installs with apt where it is missing). initdb refuses to run as root, so as root the
server runs as the `postgres` system user that the Debian package creates (`runuser -u postgres`),
in a temp dir it owns. `skip_reason()` says why a test must skip (no binaries, root without a
`postgres` user) instead of failing on a machine that cannot run a server.

A test run killed mid-way (CI's timeout, a Ctrl-C twice) never reaches the `finally` that stops its
server, so each server's dir records the pid of the test process that owns it, and every start first
stops the servers whose owner is gone: a killed run's servers live only until the next run.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

PG_BIN_CANDIDATES = [
    Path("/usr/lib/postgresql/15/bin"),
    *sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True),
]
PG_USER = "postgres"
START_TIMEOUT_S = 60
DIR_PREFIX = "ops-perf-pg-"
OWNER_FILE = "owner.pid"


def pg_bin() -> Path | None:
    for candidate in PG_BIN_CANDIDATES:
        if (candidate / "initdb").is_file() and (candidate / "pg_ctl").is_file():
            return candidate
    return None


def _run_as() -> list[str]:
    return ["runuser", "-u", PG_USER, "--"] if os.geteuid() == 0 else []


def skip_reason() -> str | None:
    if pg_bin() is None:
        return "PostgreSQL server binaries not found (/usr/lib/postgresql/*/bin/initdb); .ci/run installs the postgresql package"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(PG_USER)
        except KeyError:
            return f"running as root and there is no {PG_USER!r} user to run initdb as (initdb refuses root)"
        if shutil.which("runuser") is None:
            return "running as root without runuser to start PostgreSQL as another user"
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _stop(binaries: Path, datadir: Path) -> None:
    subprocess.run(
        [*_run_as(), str(binaries / "pg_ctl"), "-D", str(datadir), "-m", "immediate", "-w", "stop"],
        capture_output=True, timeout=60, check=False,
    )  # fmt: skip


def reap_orphans(binaries: Path) -> list[Path]:
    """Stop and remove the servers of test processes that died without stopping them; the dirs reaped."""
    reaped = []
    for root in Path(tempfile.gettempdir()).glob(f"{DIR_PREFIX}*"):
        try:
            owner = int((root / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue
        if _alive(owner):
            continue
        if (root / "data" / "postmaster.pid").exists():
            _stop(binaries, root / "data")
        shutil.rmtree(root, ignore_errors=True)
        reaped.append(root)
    return reaped


STATEMENTS = {"shared_preload_libraries": "pg_stat_statements"}
"""Server settings that load `pg_stat_statements` (only a server start can): `start_postgres(settings=STATEMENTS)`."""


@dataclass
class Postgres:
    port: int
    bin: Path
    datadir: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://ops@127.0.0.1:{self.port}/{database}"

    def new_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def new_statements_database(self, name: str, password: str) -> str:
        """A new database with `pg_stat_statements` in it (the server must preload it: `STATEMENTS`).
        Its URL carries `password`: trust auth ignores it, and the suite must still never show it."""
        import psycopg

        url = self.new_database(name)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
        return url.replace("postgresql://ops@", f"postgresql://ops:{password}@")


@contextmanager
def start_postgres(settings: Mapping[str, str] | None = None) -> Iterator[Postgres]:
    """A server for the test; `settings` are extra `-c name=value` server settings (e.g. preloading
    `pg_stat_statements`, which only a server start can do)."""
    reason = skip_reason()
    if reason:
        raise RuntimeError(reason)
    binaries = pg_bin()
    assert binaries is not None
    reap_orphans(binaries)
    root = Path(tempfile.mkdtemp(prefix=DIR_PREFIX))
    (root / OWNER_FILE).write_text(str(os.getpid()))
    datadir, sockets, log = root / "data", root / "sock", root / "server.log"
    sockets.mkdir()
    if os.geteuid() == 0:
        entry = pwd.getpwnam(PG_USER)
        for path in (root, sockets):
            os.chown(path, entry.pw_uid, entry.pw_gid)
    as_user = _run_as()
    port = _free_port()
    subprocess.run(
        [*as_user, str(binaries / "initdb"), "-D", str(datadir), "-U", "ops", "--auth=trust", "-E", "UTF8", "--no-sync"],
        check=True, capture_output=True, timeout=START_TIMEOUT_S,
    )  # fmt: skip
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    for name, value in (settings or {}).items():
        options += f" -c {name}={value}"
    started = subprocess.run(
        [*as_user, str(binaries / "pg_ctl"), "-D", str(datadir), "-o", options, "-l", str(log), "-w",
         "-t", str(START_TIMEOUT_S), "start"],
        capture_output=True, text=True, timeout=START_TIMEOUT_S + 10,
    )  # fmt: skip
    try:
        if started.returncode != 0:
            text = log.read_text(errors="replace") if log.exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {started.stderr.strip()} {text[-2000:]}")
        yield Postgres(port, binaries, datadir)
    finally:
        _stop(binaries, datadir)
        shutil.rmtree(root, ignore_errors=True)
