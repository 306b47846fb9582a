"""The results store, change detection over the runs, and trends (issue 12).

store (SQLAlchemy Core: SQLite default, PostgreSQL by URL) <- ingest (runs on disk, via the project's
one CSV reader) ; detect (Apache Otava's change points per series) ; trend (charts + text).
Never imports Locust user code: history works on any machine that has the results or the store.
Imports are lazy so that `ops-perf --help` and a run's end stay cheap.
"""

from __future__ import annotations

from ops_perf.history.record import STORE_ENV, record_run, store_url_for_run

__all__ = ["STORE_ENV", "main", "record_run", "store_url_for_run"]


def main(argv: list[str] | None = None) -> int:
    """`ops-perf history import | detect | trend | runs`."""
    from ops_perf.history.cli import main as _main

    return _main(argv)
