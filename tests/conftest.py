"""Shared fixtures: where the reference material lives, free ports, a repo-root handle, and how the
suite is shared out between pytest-xdist's workers.

The reference material (`../shared/reference`) is never copied into the project; tests that need it
read it in place and skip with a reason when it is absent.

Parallel runs (`-n 2 --dist loadgroup`, the default in pyproject.toml): most e2e tests wait on fixed
load times, not on the CPU, so two workers halve the wall time. Each module is one unit of work (its
module fixtures, often a set of runs, are made once), except that the modules in one of GROUPS share a
unit: they run one after the other on one worker, never beside each other. Units go out longest
first (SLOW_FIRST, measured), so that the last unit to finish is a short one.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Child processes inherit our stdin, and Locust asks it `isatty()`: when a runner starts the tests
# with stdin closed, give the children /dev/null instead of a missing file descriptor.
try:
    os.fstat(0)
except OSError:
    os.dup2(os.open(os.devnull, os.O_RDONLY), 0)


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    """Import Locust before any test module: its gevent monkey-patching must precede any ssl import.

    pytest-xdist and gevent: xdist's processes get their tests from a queue that execnet's receiver
    thread (a real OS thread, started before any patching) fills. In the controller (which hands out
    the tests and collects none) nothing needs Locust, so it is not patched at all; in a worker the
    queue's wait would become a gevent wait that a real thread cannot wake, so it polls instead.
    """
    worker = hasattr(config, "workerinput")
    if config.getoption("numprocesses", None) and not worker:
        return
    import locust  # noqa: F401

    if worker:
        _unpatch_xdist_queue(config)


@pytest.fixture(autouse=True)
def _locusts_default_buckets() -> Iterator[None]:
    """Each test starts with Locust's own response-time buckets, whatever was imported before it.

    Importing `ops_perf.plugin.hooks` (as locustfile.py does, and test modules that test the hooks)
    installs the suite's buckets process-wide (`ops_perf.plugin.precision`), and pytest imports every
    module at collection: a test that writes runs through Locust's stats in this process would get one
    precision or the other depending on which modules were collected with it. A test that wants the
    suite's asks for it (`tests/nights_helpers.bucketing`)."""
    stats = sys.modules.get("locust.stats")
    if stats is None or not hasattr(stats, "bucket_response_time"):
        yield
        return
    from ops_perf import locust_compat

    before = stats.bucket_response_time
    stats.bucket_response_time = locust_compat.LOCUST_BUCKETING
    try:
        yield
    finally:
        stats.bucket_response_time = before


POLL_S = 0.01


def _poll_instead_of_waiting(event: object) -> None:
    """Make `event.wait` poll (gevent's sleep) instead of waiting on a lock the patching made a gevent
    lock: a real thread's `set()` could not wake that wait (gevent's LoopExit: "would block forever")."""
    import time

    def wait(timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while not event.is_set() and (deadline is None or time.monotonic() < deadline):  # type: ignore[attr-defined]
            time.sleep(POLL_S)
        return bool(event.is_set())  # type: ignore[attr-defined]

    event.wait = wait  # type: ignore[attr-defined]


def _unpatch_xdist_queue(config: pytest.Config) -> None:
    """The two events execnet's receiver thread sets in a worker: the test queue's "items arrived", and
    the gateway's "next task for the main thread" (waited on once the tests are over, until shutdown)."""
    for plugin in config.pluginmanager.get_plugins():
        # xdist runs its worker code as execnet's `__channelexec__` module, not as `xdist.remote`
        if type(plugin).__name__ == "WorkerInteractor" and hasattr(plugin, "torun"):
            _poll_instead_of_waiting(plugin.torun._has_items_event)
            ready = getattr(plugin.channel.gateway._execpool, "_primary_thread_task_ready", None)
            if ready is not None:
                _poll_instead_of_waiting(ready)


REFERENCE_DIR = Path(os.environ.get("OPS_PERF_REFERENCE", REPO_ROOT.parent / "shared" / "reference"))
REFERENCE_RESULTS = REFERENCE_DIR / "results-2025-10-15"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def reference_dir() -> Path:
    if not REFERENCE_DIR.is_dir():
        pytest.skip(f"reference material not found at {REFERENCE_DIR} (set OPS_PERF_REFERENCE or add ../shared)")
    return REFERENCE_DIR


@pytest.fixture
def reference_results(reference_dir: Path) -> Path:
    if not REFERENCE_RESULTS.is_dir():
        pytest.skip(f"reference CSVs not found at {REFERENCE_RESULTS}")
    return REFERENCE_RESULTS


def _postgres(settings: dict[str, str] | None = None) -> Iterator[Any]:
    from pg_helpers import skip_reason, start_postgres

    reason = skip_reason()
    if reason:
        pytest.skip(reason)
    with start_postgres(settings) as pg:
        yield pg


@pytest.fixture(scope="module")
def postgres() -> Iterator[Any]:
    """A throw-away PostgreSQL server for one test module (`pg_helpers.Postgres`), or a skip that says
    why none can be started here."""
    yield from _postgres()


@pytest.fixture(scope="module")
def postgres_statements() -> Iterator[Any]:
    """The same with `pg_stat_statements` preloaded, for the tests that count real statements."""
    from pg_helpers import STATEMENTS

    yield from _postgres(STATEMENTS)


GROUPS: dict[str, tuple[str, ...]] = {
    # The tests whose figures come from rates and latencies (an offered rate within 5 %, a capacity
    # within 15 %, a planted change detected, tokens renewed on time): one at a time, so that none of
    # them shares the machine with another of them.
    "timing": (
        "e2e/test_history_e2e.py",
        "e2e/test_capacity_e2e.py",
        "e2e/test_open_e2e.py",
        "e2e/test_open_distributed.py",
        "e2e/test_auth_e2e.py",
        "test_sim_causes_http.py",
    ),
}
SLOW_FIRST = (
    "timing",
    "e2e/test_run_hardening_e2e.py",
    "e2e/test_distributed.py",
    "e2e/test_why_e2e.py",
    "test_verdict_e2e.py",
    "e2e/test_interrupt_e2e.py",
    "e2e/test_netns.py",
    "e2e/test_judge_e2e.py",
    "e2e/test_diagnose_e2e.py",
    "e2e/test_pages_e2e.py",
    "e2e/test_answers_e2e.py",
    "e2e/test_history_nights_e2e.py",
    "e2e/test_precision_e2e.py",
    "e2e/test_run_e2e.py",
    "e2e/test_report_e2e.py",
    "e2e/test_pages_distributed.py",
    "e2e/test_compare_e2e.py",
    "e2e/test_webui.py",
    "e2e/test_bad_input.py",
    "test_auth.py",
    "test_history.py",
)
"""Units of work by measured duration, longest first (`--durations`); the rest follow in file order."""


def unit_of(nodeid: str) -> str:
    """The unit of work a test belongs to: its GROUPS entry, else its module (relative to tests/)."""
    module = nodeid.split("::", 1)[0].removeprefix("tests/")
    return next((name for name, modules in GROUPS.items() if module in modules), module)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slow units first (every worker collects and sorts alike, so all agree on the order); the
    order within a unit is kept, so module fixtures behave exactly as in a serial run."""
    rank = {unit: i for i, unit in enumerate(SLOW_FIRST)}
    order = {id(item): i for i, item in enumerate(items)}
    items.sort(key=lambda item: (rank.get(unit_of(item.nodeid), len(rank)), order[id(item)]))


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's: pytest without it must not refuse it
def pytest_xdist_make_scheduler(config: pytest.Config, log: object) -> object | None:
    """`--dist loadgroup` with our units: whole modules (or GROUPS) to a worker, in collection order.

    xdist's own loadgroup reads `xdist_group` marks into node ids, which pytest 9 no longer lets it
    rewrite; a scheduler that maps node ids to units itself needs no marks at all.
    """
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class UnitScheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return unit_of(nodeid.split("@", 1)[0])

    config.option.loadscopereorder = False  # keep SLOW_FIRST's order, not "most tests first"
    return UnitScheduling(config, log)
