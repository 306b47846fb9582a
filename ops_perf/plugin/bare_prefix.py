"""`locust -f locustfile.py --csv X` reserves its results prefix the way `ops-perf run` does.

Why here, in the parser: Locust opens (and so truncates) `X_stats.csv` and the other CSVs right after
parsing the command line, before any `init` listener runs, so a reservation in `init` would come
after an earlier run's files were already emptied. The `--csv` argument's `type` is the one hook that
runs before that: `install` wraps it, and the wrapper reserves `X` (or the first free `X-N`) with
`ops_perf.runfiles.prefix.reserve_prefix`, as `ops-perf run` does. Locust parses the command line more than
once in a process (the web UI builds its form from a second parse), so the reservation is made once
and the same answer given after.

`ops-perf run` reserves the prefix itself before it starts Locust and says so in `RESERVED_ENV`;
the child then uses it as given.

At exit (`atexit`, in the reserving process only: `--processes` forks after parsing) the lock is
released, and when nothing ran (no `run.json`: refused at start-up, or a web UI closed before any
test) the files Locust opened with no more than a header are removed, so that the run leaves
nothing behind and the next one keeps the name, as with `ops-perf run`.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from ops_perf import locust_compat as compat
from ops_perf.errors import OpsPerfError
from ops_perf.runfiles.discover import RUN_JSON_SUFFIX
from ops_perf.runfiles.prefix import RESERVED_ENV, discard_empty_run_files, release_prefix, reserve_prefix

logger = logging.getLogger("ops_perf")

CSV_DEST = "csv_prefix"


@dataclass
class Reservation:
    asked: str
    got: str
    pid: int
    ours: bool
    """False when `ops-perf run` holds the reservation (it releases and cleans up itself)."""
    new_dir: bool = False
    """The results folder was made for this run: removed again (if empty) when nothing ran."""

    @property
    def renamed(self) -> bool:
        return self.asked != self.got


_reserved: dict[str, Reservation] = {}


def install(parser: argparse.ArgumentParser) -> None:
    """Make Locust's `--csv` reserve its prefix when parsed (idempotent)."""
    compat.wrap_option_type(parser, CSV_DEST, _reserve)


def current() -> Reservation | None:
    """This process's reservation, if `--csv` was given."""
    return next(iter(_reserved.values()), None)


def announce(options: object) -> None:
    """From `init`: the one line when the name was taken, and `--html X.html` follows the new name."""
    reservation = current()
    if reservation is None or not reservation.renamed:
        return
    html = getattr(options, "html_file", None)
    if html and html == f"{reservation.asked}.html":
        options.html_file = f"{reservation.got}.html"  # type: ignore[attr-defined]
    logger.warning(
        "results: %s is taken by another run; this run is %s (nothing is overwritten)",
        reservation.asked, reservation.got,
    )  # fmt: skip


def _reserve(value: str) -> str:
    if value in _reserved:
        return _reserved[value].got
    if os.environ.get(RESERVED_ENV) == value:
        _reserved[value] = Reservation(value, value, os.getpid(), ours=False)
        return value
    prefix = Path(value)
    new_dir = not prefix.parent.exists()
    try:
        prefix.parent.mkdir(parents=True, exist_ok=True)
        got = reserve_prefix(prefix)
    except OpsPerfError as err:
        raise argparse.ArgumentTypeError(str(err).replace("--results-dir", "--csv")) from None
    except OSError as err:
        raise argparse.ArgumentTypeError(
            f"cannot create the results folder {prefix.parent} ({err.strerror or err}); choose another with --csv"
        ) from None
    reservation = Reservation(value, str(got), os.getpid(), ours=True, new_dir=new_dir)
    _reserved[value] = reservation
    atexit.register(_finish, reservation)
    return reservation.got


def _finish(reservation: Reservation) -> None:
    """At exit: nothing ran, nothing stays; the lock goes either way."""
    if os.getpid() != reservation.pid or not reservation.ours:
        return  # a forked worker, or `ops-perf run`'s child: not ours to release
    prefix = Path(reservation.got)
    release_prefix(prefix)
    with contextlib.suppress(OSError):
        ran = prefix.with_name(f"{prefix.name}{RUN_JSON_SUFFIX}").exists()
        if not ran and discard_empty_run_files(prefix) and reservation.new_dir:
            prefix.parent.rmdir()  # not empty: something else is in it, and it stays
