"""Where a run's history goes, and how `ops-perf run` adds a finished run to it."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ops_perf.runfiles.load import Run

STORE_ENV = "OPS_HISTORY_STORE"
"""Environment variable naming the store (a URL) for `ops-perf run` and every `history` command."""


def store_url_for_run(prefix: Path) -> str:
    """`OPS_HISTORY_STORE`, else `history.sqlite` in the results root (the folder above results/<date>)."""
    configured = os.environ.get(STORE_ENV)
    if configured:
        return configured
    return f"sqlite:///{prefix.parent.parent / 'history.sqlite'}"


def record_run(run: Run | Path) -> bool:
    """Add a finished run to the store; a store problem is one warning line, never a failed run.

    `run`: the run as `ops-perf run` loaded it (read once for the store, the report and the check), or
    a run prefix to load. The run's results are already safe on disk, so losing the store entry costs
    nothing that `ops-perf history import` cannot repair; failing the run for it would lose a night's verdict.
    """
    from sqlalchemy.exc import SQLAlchemyError

    from ops_perf.errors import OpsPerfError
    from ops_perf.history.ingest import find_runs, from_run, stored_run
    from ops_perf.history.store import Store, safe_url

    prefix = run if isinstance(run, Path) else run.path
    url = store_url_for_run(prefix)
    try:
        with Store(url) as store:
            added = store.add(stored_run(find_runs([run])[0]) if isinstance(run, Path) else from_run(run))
    except (OpsPerfError, SQLAlchemyError, OSError) as err:
        print(f"ops-perf: warning: run not added to the history store: {err}", file=sys.stderr, flush=True)
        return False
    print(f"ops-perf: run {'added to' if added else 'already in'} the history store {safe_url(url)}", flush=True)
    return added
