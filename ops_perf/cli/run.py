"""`ops-perf run`: one load test from settings to verdict, with results that are never lost.

The run itself is Locust's own headless CLI in a child process (so every Locust option and the
master/worker engine behave exactly as documented); this module checks the settings first, picks a
results prefix that overwrites nothing, and afterwards (`post_run.finish`) stores, reports and judges the run.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

from ops_perf.cli.post_run import finish
from ops_perf.errors import OpsPerfError
from ops_perf.exitcodes import ExitCode
from ops_perf.paths import LOCUSTFILE, REPORTS_DIR, RESULTS_DIR
from ops_perf.plugin import versions
from ops_perf.plugin.probe import sim_target
from ops_perf.runfiles.discover import RUN_JSON_SUFFIX
from ops_perf.runfiles.prefix import (
    RESERVED_ENV,
    check_writable,
    discard_empty_run_files,
    release_prefix,
    reserve_prefix,
)
from ops_perf.settings import check_run_allowed, normalise_host, resolve
from ops_perf.settings.options import locust_args, run_options

LOCUST_USAGE_EXIT = 2
"""Locust's and our own exit code for bad input found inside the Locust process."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class RunRequest:
    """One run as asked for: the run options' table (`settings.options`, the same fields by name), the
    Locust options `ops-perf run` mirrors, and where its outputs go."""

    env: str
    scenario: str
    think_time: str | None = None
    arrival_rate: float | None = None
    """Open model: arrivals per second (people per minute for the page user), one steady stage."""
    ids_per_pool: int | None = None
    warmup_deadline: float | None = None
    test_users: int | None = None
    confirm_prod: bool = False
    user: str | None = None
    frontend_defects: bool = False
    page_tour: bool = False
    notification_poll: float | None = None
    health_interval: float | None = None
    """Seconds between OPS health samples (0: off); None: Locust's side's default (5)."""
    host: str | None = None
    results_dir: Path | None = None
    reports_dir: Path | None = None
    users: int | None = None
    spawn_rate: float | None = None
    run_time: str | None = None
    processes: int | None = None
    report: bool = True
    check: bool = True
    extra_args: tuple[str, ...] = ()
    name: str | None = None
    """File prefix instead of `<env>-<scenario>` (the capacity search names its steps)."""


@dataclass(frozen=True)
class RunOutcome:
    prefix: Path
    exit_code: ExitCode
    report: Path | None
    run_record: dict[str, Any] | None


@dataclass(frozen=True)
class Plan:
    """A checked request: where its results would go and the Locust command for a reserved prefix."""

    request: RunRequest
    env_name: str
    host: str
    base_prefix: Path
    """`results/<date>/<env>-<scenario>`; the run gets this or the first free `-N` (`reserve_prefix`)."""

    @property
    def full_history(self) -> bool:
        """Per-endpoint rows in `_stats_history.csv`; not with `--processes` on a Locust whose forked
        workers reject it (`plugin.versions.FULL_HISTORY_SURVIVES_FORK`): the run would send nothing."""
        return not self.request.processes or versions.full_history_with_processes()

    def child_env(self, prefix: Path) -> dict[str, str]:
        """Locust's environment: ours, plus the word that `prefix` is reserved for it already (so the
        locustfile's own reservation for bare `locust --csv`, `ops_perf.plugin.bare_prefix`, takes it as given)."""
        return {**os.environ, RESERVED_ENV: str(prefix)}

    def command(self, prefix: Path) -> list[str]:
        request = self.request
        cmd = [
            sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless", "--host", self.host,
            "--csv", str(prefix), "--html", f"{prefix}.html", "--only-summary",
        ]  # fmt: skip
        if self.full_history:
            cmd.insert(cmd.index("--html"), "--csv-full-history")
        if request.users is not None:
            cmd += ["--users", str(request.users)]
        if request.spawn_rate is not None:
            cmd += ["--spawn-rate", f"{request.spawn_rate:g}"]
        if request.run_time:
            cmd += ["--run-time", request.run_time]
        if request.processes:
            # The master and its forked workers meet on this machine's loopback, on a free port: with
            # Locust's default (5557, every interface) two runs on one machine swap workers.
            port = free_port()
            cmd += ["--processes", str(request.processes), "--master-bind-host", "127.0.0.1",
                    "--master-bind-port", str(port), "--master-port", str(port)]  # fmt: skip
        values = {option.dest: getattr(request, option.dest) for option in run_options()}
        values["env"] = self.env_name
        return cmd + locust_args(values) + list(request.extra_args)


def plan(request: RunRequest) -> Plan:
    """Validate everything that can be validated without the network or the disk (the same
    resolution of settings as inside Locust: `settings.resolve`)."""
    env, scenario = resolve(
        request.env, request.scenario, users=request.users, spawn_rate=request.spawn_rate,
        run_time=request.run_time, think_time=request.think_time, arrival_rate=request.arrival_rate,
        user=request.user, frontend_defects=request.frontend_defects,
    )  # fmt: skip
    host = normalise_host(request.host) if request.host else env.host
    check_run_allowed(env, scenario, host, request.confirm_prod)
    if request.processes is not None and (request.processes == 0 or request.processes < -1):
        raise OpsPerfError(f"--processes must be -1 (one per core) or at least 1, not {request.processes}")
    results_dir = request.results_dir or RESULTS_DIR / date.today().isoformat()
    name = request.name or f"{env.results_name}-{scenario.name}"
    return Plan(request, env.name, host, results_dir / name)


def execute(request: RunRequest) -> RunOutcome:
    checked = plan(request)
    sim = sim_target(checked.host)
    if sim is not None and sim.suffix and request.name is None:
        # A replay or a slowed simulator is named as such: never a result to take for OPS's.
        checked = replace(checked, base_prefix=checked.base_prefix.with_name(checked.base_prefix.name + sim.suffix))
    results_dir = checked.base_prefix.parent
    reports_root = request.reports_dir or REPORTS_DIR / results_dir.name
    if request.report:
        check_writable(reports_root, "reports folder", "--reports-dir")
    new_dir = not results_dir.exists()
    check_writable(results_dir, "results folder", "--results-dir")
    try:
        results_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OpsPerfError(
            f"cannot create the results folder {results_dir} ({err.strerror or err}); choose another with --results-dir"
        ) from None
    prefix = reserve_prefix(checked.base_prefix)
    try:
        print(f"ops-perf: running {prefix.name} -> {prefix.parent}/", flush=True)
        if not checked.full_history:
            print(
                "ops-perf: Locust before 2.45 cannot write --csv-full-history with --processes; the history CSV "
                "keeps the aggregate only (upgrade Locust for per-endpoint history)",
                flush=True,
            )
        code, interrupted = _run_locust(checked.command(prefix), checked.child_env(prefix))
        record = read_run_record(prefix)
        if record is None:
            _discard_refused(prefix, new_dir)
    finally:
        release_prefix(prefix)
    if record is None:
        if interrupted:
            print("ops-perf: interrupted before the load started; nothing was kept", file=sys.stderr)
            return RunOutcome(prefix, ExitCode.INTERRUPTED, None, None)
        if code == LOCUST_USAGE_EXIT:
            return RunOutcome(prefix, ExitCode.USAGE_ERROR, None, None)
        print(f"ops-perf: locust exited with {code} and wrote no {prefix.name}{RUN_JSON_SUFFIX}", file=sys.stderr)
        return RunOutcome(prefix, ExitCode.RUN_INVALID, None, None)
    if record.get("status") == "interrupted":
        load_s = record.get("duration_s")
        ran = f" after {load_s:.0f} s of load" if isinstance(load_s, int | float) else ""
        print(f"ops-perf: interrupted{ran}; the results so far are kept and reported, not judged", flush=True)
    report_dir = reports_root / prefix.name if request.report else None
    verdict, report_path = finish(prefix, record, request.env, report_dir, request.check)
    print(f"ops-perf: results in {prefix.parent}/{prefix.name}_*  (exit code {int(verdict)} {verdict.name})")
    return RunOutcome(prefix, verdict, report_path, record)


def _discard_refused(prefix: Path, new_dir: bool) -> None:
    """A run refused inside Locust (an expired token, an unreachable host) never started, but Locust had
    already opened its CSV files: remove them while empty (the prefix was new, so they are ours), so
    the refused run leaves nothing behind and the next run keeps this prefix."""
    discard_empty_run_files(prefix)
    release_prefix(prefix)
    if new_dir:
        with contextlib.suppress(OSError):  # not empty: something else is in it
            prefix.parent.rmdir()


def read_run_record(prefix: Path) -> dict[str, Any] | None:
    path = prefix.parent / f"{prefix.name}{RUN_JSON_SUFFIX}"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, json.JSONDecodeError):
        return None


def _run_locust(cmd: Sequence[str], env: dict[str, str]) -> tuple[int, bool]:
    """Run Locust in the foreground; returns its exit code and whether we were interrupted.

    Ctrl-C sends SIGINT to the whole process group, so Locust gets it directly; a SIGINT sent to
    this process alone (`kill -INT`) is passed on, so both ways stop the load the same way. Locust's
    hooks stop cleanly on the first SIGINT and ignore the rest (`ops_perf.plugin.interrupt`), so the copy
    a Ctrl-C delivers twice is harmless. This process keeps waiting for Locust to write its files.
    """
    # Locust asks stdin `isatty()`; with no stdin at all (a CI runner), give it /dev/null.
    process = subprocess.Popen(cmd, stdin=subprocess.DEVNULL if sys.stdin is None else None, env={**os.environ, **env})
    interrupted = False

    def forward(_signum: int, _frame: object) -> None:
        nonlocal interrupted
        interrupted = True
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGINT)

    in_main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, forward) if in_main_thread else None
    try:
        return process.wait(), interrupted
    finally:
        if in_main_thread:
            signal.signal(signal.SIGINT, previous)
