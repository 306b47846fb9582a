"""Where a run's files go and how they are named, so that no run ever overwrites another.

Layout (the 2025-10-15 naming): `results/<date>/<prefix>_stats.csv` etc., `<prefix>` being
`<env>-<scenario>`; a second run of the same prefix becomes `<prefix>-2`, then `-3`, ...

Two runs started at the same moment must not both pick the free `<prefix>`: looking for existing
files and then writing them is a race. So a prefix is *reserved* by creating `<prefix>_run.lock`
with `O_CREAT | O_EXCL`, which the file system grants to exactly one process; the loser moves on to
the next number. The lock is removed when the run has written its files (or was refused).
"""

from __future__ import annotations

import contextlib
import csv
import os
from collections.abc import Iterator
from pathlib import Path

from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.discover import (
    EXCEPTIONS_SUFFIX,
    FAILURES_SUFFIX,
    HISTOGRAMS_SUFFIX,
    HISTORY_SUFFIX,
    STATS_SUFFIX,
)

LOCK_SUFFIX = "_run.lock"
LOCUST_CSV_SUFFIXES = (STATS_SUFFIX, HISTORY_SUFFIX, FAILURES_SUFFIX, EXCEPTIONS_SUFFIX)
"""The files Locust opens at start-up, before the suite's own checks can refuse the run."""
EMPTY_RUN_SUFFIXES = (*LOCUST_CSV_SUFFIXES, HISTOGRAMS_SUFFIX, ".html")
"""What a run that measured nothing may still have written (Locust's HTML and the hooks' stats JSON)."""
MAX_CANDIDATES = 10_000
"""More runs of one prefix on one day than this means something is wrong (a loop): stop, do not spin."""

RESERVED_ENV = "OPS_PERF_RESERVED_PREFIX"
"""Set by `ops-perf run` for its Locust child: this `--csv` prefix is already reserved for it (the
plugin's own reservation for bare `locust --csv`, `ops_perf.plugin.bare_prefix`, takes it as given)."""


def prefix_taken(prefix: Path) -> bool:
    return any(prefix.parent.glob(f"{_glob_escape(prefix.name)}_*")) or prefix.with_name(f"{prefix.name}.html").exists()


def lock_path(prefix: Path) -> Path:
    return prefix.with_name(f"{prefix.name}{LOCK_SUFFIX}")


def unique_prefix(prefix: Path) -> Path:
    """`prefix` itself when none of its files exist, else the first free `prefix-N` (N >= 2).

    Looks only; `reserve_prefix` is what a run uses, since two runs may look at the same moment.
    """
    for candidate in _candidates(prefix):
        if not prefix_taken(candidate):
            return candidate
    raise OpsPerfError(f"more than {MAX_CANDIDATES} runs named {prefix.name} in {prefix.parent}; clean the folder up")


def _candidates(base: Path) -> Iterator[Path]:
    """`base`, `base-2`, `base-3`, ... up to `MAX_CANDIDATES` names: where a new run or folder may go."""
    yield base
    for number in range(2, MAX_CANDIDATES + 1):
        yield base.with_name(f"{base.name}-{number}")


def new_folder(base: Path) -> Path:
    """A new folder `base`, or the first free `base-N` (N >= 2), made now: `mkdir` is granted to one
    process only, so two searches or diagnoses started at once never share (or empty) a folder."""
    try:
        base.parent.mkdir(parents=True, exist_ok=True)
        for candidate in _candidates(base):
            try:
                candidate.mkdir()
            except FileExistsError:
                continue
            return candidate
    except OSError as err:
        raise OpsPerfError(
            f"cannot write to the results folder {base.parent} ({err.strerror or err}); "
            "make it writable or choose another with --results-dir"
        ) from None
    raise OpsPerfError(f"{MAX_CANDIDATES} folders named {base.name}-N in {base.parent} already: choose another folder")


def reserve_prefix(prefix: Path) -> Path:
    """The first free `prefix` / `prefix-N`, reserved for this process by an exclusively created lock file.

    The folder must exist. Raises `OpsPerfError` (one line) when it cannot be written to, so that a
    read-only results folder is refused before Locust starts rather than failing inside it.
    """
    for candidate in _candidates(prefix):
        if prefix_taken(candidate):
            continue
        try:
            fd = os.open(lock_path(candidate), os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            continue  # another run reserved it a moment ago
        except OSError as err:
            raise OpsPerfError(
                f"cannot write to the results folder {prefix.parent} ({err.strerror or err}); "
                "make it writable or choose another with --results-dir"
            ) from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(f"{os.getpid()}\n")
        # Another run may have written files between our look and our lock: look once more.
        if prefix_taken_by_others(candidate):
            release_prefix(candidate)
            continue
        return candidate
    raise OpsPerfError(f"more than {MAX_CANDIDATES} runs named {prefix.name} in {prefix.parent}; clean the folder up")


def prefix_taken_by_others(prefix: Path) -> bool:
    """Files of this prefix other than our own lock."""
    lock = lock_path(prefix)
    others = [p for p in prefix.parent.glob(f"{_glob_escape(prefix.name)}_*") if p != lock]
    return bool(others) or prefix.with_name(f"{prefix.name}.html").exists()


def release_prefix(prefix: Path) -> None:
    """Remove the reservation; the run's own files (if any) keep the prefix taken from now on."""
    with contextlib.suppress(OSError):
        lock_path(prefix).unlink()


def discard_empty_run_files(prefix: Path) -> bool:
    """Remove the files of a run that measured nothing (refused at start-up, a web UI closed before any
    test), so that it leaves nothing behind and the next run keeps the name. Returns whether it did.

    Only when every CSV Locust made holds no request and no failure: a run that measured something
    keeps its files, whatever else went wrong. Call it only for a prefix this process reserved.
    """
    if not _measured_nothing(prefix):
        return False
    for suffix in EMPTY_RUN_SUFFIXES:
        with contextlib.suppress(OSError):
            prefix.with_name(f"{prefix.name}{suffix}").unlink()
    return True


def _measured_nothing(prefix: Path) -> bool:
    try:
        for suffix in LOCUST_CSV_SUFFIXES:
            path = prefix.with_name(f"{prefix.name}{suffix}")
            if not path.exists():
                continue
            with open(path, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
            if suffix in (FAILURES_SUFFIX, EXCEPTIONS_SUFFIX):
                if rows:
                    return False
                continue
            count_columns = ("Request Count", "Failure Count", "Total Request Count", "Total Failure Count")
            if any(int(row.get(col) or 0) for row in rows for col in count_columns if col in row):
                return False
    except (OSError, UnicodeDecodeError, ValueError, csv.Error):
        return False
    return True


def check_writable(directory: Path, what: str, option: str) -> None:
    """Refuse with one line when `directory` (or, if it does not exist yet, where it would be made) is not writable.

    Tries to create a file rather than asking `os.access`: root passes `access()` on a read-only
    mount, and a read-only mount is exactly the case this is for.
    """
    existing = directory
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    probe = existing / f".ops-perf-write-test-{os.getpid()}"
    try:
        fd = os.open(probe, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as err:
        raise OpsPerfError(
            f"cannot write to the {what} {directory} ({err.strerror or err}); make it writable or choose another "
            f"with {option}"
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        probe.unlink()


def _glob_escape(name: str) -> str:
    """`glob.escape` for one path component (a prefix like `local-[x]` must match itself only)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in name)
