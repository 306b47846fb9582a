"""The Locust releases the suite supports, and what differs between them, without importing Locust.

Importing Locust monkey-patches the whole process with gevent, so `ops-perf run` (which only starts
Locust) asks the installed package's metadata instead. `compat` holds the reaches into Locust's
internals; this module says which releases they were checked on.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

OLDEST = (2, 43, 4)
"""The oldest Locust the suite supports: the first with `locust.stats.bucket_response_time`, the one
replaceable function the suite's exact percentiles rely on (issue 18). `.ci/run` runs the end-to-end
core on it in a second venv."""
NEWEST_TESTED = (2, 47, 0)
"""The newest release checked (the whole suite runs on it); pyproject.toml allows up to the next minor."""
FULL_HISTORY_SURVIVES_FORK = (2, 45, 0)
"""Before 2.45, workers forked by `--processes` keep `--csv-full-history` but lose `--csv`, and each exits
with "'--csv-full-history' requires '--csv'": the run sends no load (Locust fixed it in 2.45.0)."""


def parse(text: str) -> tuple[int, ...]:
    """`"2.43.4"` -> (2, 43, 4); a suffix such as `.dev3` or `rc1` is ignored."""
    parts: list[int] = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit()) if piece[:1].isdigit() else ""
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def installed() -> tuple[int, ...] | None:
    """The installed Locust's version (None when Locust is not installed)."""
    try:
        return parse(version("locust"))
    except PackageNotFoundError:
        return None


def full_history_with_processes() -> bool:
    """Whether `--csv-full-history` can be given together with `--processes` (see the constant)."""
    found = installed()
    return found is None or found >= FULL_HISTORY_SURVIVES_FORK
