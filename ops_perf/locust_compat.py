"""Every reach into Locust beyond its documented API, in one place: what it touches, why, and since when.

Supported: Locust 2.43.4 to 2.47.x (`ops_perf.plugin.versions`; pyproject.toml allows `<2.48`).
`.ci/run` runs the whole suite on the newest and the end-to-end core on 2.43.4 in a second venv.
Each function names what it relies on and why Locust has no public way for it; where Locust has one,
the suite uses that instead and nothing is here (`User.wait()` for the open model's first arrival,
`locust.tag` for the catalog's tags, Flask's `before_request`/`after_request` on `web_ui.app` for the
web UI's form, `locust.stats.bucket_response_time` for the percentiles' precision, installed here).

Differences between the supported releases that the suite meets (checked in both sources):
- `--processes` with `--csv-full-history`: forked workers exit before 2.45 (`plugin.versions`);
- the failures CSV has `First Seen`/`Last Seen` from 2.44 (the readers accept both);
- `/swarm` copies the form's users into `parsed_options.users` before 2.46.7, `num_users` after;
- the Median column is the lower middle of an even count before 2.46, the upper after (the suite's final
  stats CSV writes the upper, `PreciseStatsCSV`, so its runs read alike on both).
"""

from __future__ import annotations

import argparse
import csv
import gc
import math
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from itertools import accumulate
from pathlib import Path
from typing import Any

import gevent
import locust.stats
from locust.contrib.fasthttp import FAILURE_EXCEPTIONS, FastHttpSession
from locust.env import Environment as LocustEnvironment
from locust.stats import PERCENTILES_TO_REPORT, StatsCSV, StatsCSVFileWriter, StatsEntry, sort_stats

from ops_perf.runfiles.precision import LOCUST_DEFAULT, PRECISE

# ---- the percentiles' precision (issue 18) ---------------------------------------------------------

LOCUST_BUCKETING: Callable[[float], float] | None = getattr(locust.stats, "bucket_response_time", None)
"""Locust's own bucketing, as found before anything was installed (None before 2.43.4): what a plain
Locust run has, for tests and benches that write such runs."""

BUCKET_RATIO = 1.019
"""Bucket edges grow by this factor; the key of bucket [a, a*r) is a*2r/(1+r), (r-1)/(r+1) = 0.94 % from
either edge, so every time in a bucket is within 0.94 % of its key (4 significant digits add <= 0.05 %)."""
_LOG_RATIO = math.log(BUCKET_RATIO)
_INV_LOG_RATIO = 1.0 / _LOG_RATIO
_MIDDLE = 2.0 * BUCKET_RATIO / (1.0 + BUCKET_RATIO)
BUCKET_FLOOR_MS = 0.001
"""Below 1 microsecond every time shares one bucket (key 0.001 ms); 0 stays 0."""
_INV_FLOOR = 1.0 / BUCKET_FLOOR_MS


def _bucket_key(index: int) -> float:
    key = BUCKET_FLOOR_MS * math.exp(index * _LOG_RATIO) * _MIDDLE
    return round(key, 3 - math.floor(math.log10(key)))  # 4 significant digits: a readable JSON key


_KEYS = [_bucket_key(i) for i in range(1200)]
"""Keys of buckets 0..1199 (1 us to about 6 hours), computed once: a call is one log and a list lookup."""


def bucket_response_time(response_time: float) -> float:
    """Locust's `bucket_response_time` replaced: log-spaced buckets, float keys in ms, <= 1 % from any time.

    About 585 keys from 1 ms to 60 s where Locust's default has 330; about 0.2 us a call, as the default."""
    if response_time <= 0:
        return 0
    if response_time < BUCKET_FLOOR_MS:
        return BUCKET_FLOOR_MS
    index = int(math.log(response_time * _INV_FLOOR) * _INV_LOG_RATIO)  # int() floors: the log is >= 0
    return _KEYS[index] if index < len(_KEYS) else _bucket_key(index)


def install_buckets(bucketing: Callable[[float], float]) -> bool:
    """Make Locust bucket every response time of this process with `bucketing`; False where it cannot.

    Documented since 2.43.4 ("Customizing response time bucketing": assign `locust.stats.bucket_response_time`,
    which `StatsEntry._log_response_time` looks up at each call). Before, the rounding was inline and the
    assignment would do nothing, hence the check. Only processes that log requests bucket (the local
    runner, workers); a master merges the workers' keys as they come (`StatsEntry.extend`, msgpack keeps
    float keys), so it needs nothing, and forked `--processes` workers inherit the parent's function."""
    if not callable(getattr(locust.stats, "bucket_response_time", None)):
        return False
    locust.stats.bucket_response_time = bucketing
    return True


def precision() -> str:
    """The precision this process's Locust buckets at: `PRECISE` with the suite's buckets installed."""
    return PRECISE if getattr(locust.stats, "bucket_response_time", None) is bucket_response_time else LOCUST_DEFAULT


# ---- one sort per histogram for a row's percentiles ----------------------------------------------------

LOCUST_PERCENTILE = locust.stats.calculate_response_time_percentile
LOCUST_DIFF = locust.stats.diff_response_time_dicts
LOCUST_PERCENTILE_FIELDS = StatsCSV._percentile_fields
"""Locust's own functions, as found (for tests and benches that compare with them)."""


class _Row:
    """What one row's percentiles share: each histogram's walk and each diff, by the identity of what
    they were made from (kept alive with them, so no identity is reused within the row). Only for the
    thread (under gevent: the greenlet) that opened the row; any other passes through to Locust's."""

    __slots__ = ("diffs", "owner", "walks")

    def __init__(self) -> None:
        self.owner = threading.get_ident()
        self.walks: dict[tuple[int, int], _Walk] = {}
        self.diffs: dict[tuple[int, int], tuple[dict[Any, int], dict[Any, int], dict[Any, int]]] = {}


_row: _Row | None = None
"""The row being computed (`one_sort_per_histogram`); None outside one."""


def _own_row() -> _Row | None:
    """The open row, if the calling thread (greenlet) opened it; None otherwise (Locust's own code then)."""
    row = _row
    return row if row is not None and row.owner == threading.get_ident() else None


class _Walk:
    """A histogram's keys from the largest down, and the requests counted down to each."""

    __slots__ = ("counts", "histogram", "keys", "num_requests", "rising")

    def __init__(self, histogram: dict[Any, int], num_requests: int) -> None:
        self.histogram, self.num_requests = histogram, num_requests
        self.keys = sorted(histogram, reverse=True)
        self.counts = list(accumulate(histogram[key] for key in self.keys))
        self.rising = all(count >= 0 for count in histogram.values())
        """(A count below 0, which no histogram of Locust's has, would break the bisection: Locust's
        loop then.)"""

    def percentile(self, percent: float) -> Any:
        """Locust's rule: the first key, from the top, at which the requests counted reach
        `num_requests - int(num_requests * percent)`; 0 where none does."""
        if not self.rising:
            return LOCUST_PERCENTILE(self.histogram, self.num_requests, percent)
        at = bisect_left(self.counts, self.num_requests - int(self.num_requests * percent))
        return self.keys[at] if at < len(self.keys) else 0


def _percentile(response_times: dict[Any, int], num_requests: int, percent: float) -> Any:
    """`calculate_response_time_percentile`, from one sort per histogram within a row."""
    row = _own_row()
    if row is None:
        return LOCUST_PERCENTILE(response_times, num_requests, percent)
    walk = row.walks.get((id(response_times), num_requests))
    if walk is None:
        walk = row.walks[(id(response_times), num_requests)] = _Walk(response_times, num_requests)
    return walk.percentile(percent)


def _diff(latest: dict[Any, int], old: dict[Any, int]) -> dict[Any, int]:
    """`diff_response_time_dicts`, once per pair of histograms within a row."""
    row = _own_row()
    if row is None:
        return LOCUST_DIFF(latest, old)
    found = row.diffs.get((id(latest), id(old)))
    if found is None:
        found = row.diffs[(id(latest), id(old))] = (latest, old, LOCUST_DIFF(latest, old))
    return found[2]


@contextmanager
def one_sort_per_histogram() -> Iterator[None]:
    """Within the block, Locust's percentiles of one histogram share one sort (and its `--csv-full-history`
    window one diff). Only for a block that does not yield to another greenlet, so that no request
    changes a histogram inside it; a block within a block shares the outer one's row."""
    global _row
    if _row is not None:
        yield
        return
    _row = _Row()
    try:
        yield
    finally:
        _row = None


def _percentile_fields(self: StatsCSV, stats_entry: StatsEntry, use_current: bool = False) -> Any:
    """Locust's own `_percentile_fields` (its cells, its counts, its window), its 11 percentiles from one
    sort of the histogram."""
    with one_sort_per_histogram():
        return LOCUST_PERCENTILE_FIELDS(self, stats_entry, use_current)


def install_one_sort_percentiles() -> None:
    """Each stats CSV row of this process (Locust's once-a-second stats CSV and stats history) takes its
    11 percentiles from one sort of the entry's histogram, not one sort each.

    Why: Locust sorts an entry's keys again for each of the 11 percentiles of a row, and for the
    `--csv-full-history` row first diffs the whole histogram again for each; once a second, for every
    entry. With the suite's finer buckets that became a cost of its own: one writer pass over 96 entries
    of 3,000 requests (stats CSV and full history) took 30 ms with Locust's code and takes 11 ms with
    one sort (bench/stats_rows.py). (The row's Median, `median_response_time`, is Locust's own sort
    beside it, outside the row, from 2.46.) Locust's own functions still decide every cell: the counts,
    the ~10 s window, the rule (tests/test_one_sort_percentiles.py compares the cells with Locust's).
    What is touched (module functions `calculate_response_time_percentile` and
    `diff_response_time_dicts`, which `StatsEntry` looks up at each call, and
    `StatsCSV._percentile_fields`) is undocumented; the same from 2.43.4 to 2.47. Outside a row they
    behave exactly as Locust's (the web UI's figures, a test's calls)."""
    locust.stats.calculate_response_time_percentile = _percentile
    locust.stats.diff_response_time_dicts = _diff
    StatsCSV._percentile_fields = _percentile_fields  # type: ignore[method-assign]


class PreciseStatsCSV(StatsCSV):
    """Locust's stats CSV writer with the percentile cells as the buckets' keys, not truncated to whole ms,
    and one Median rule on every supported Locust.

    `StatsCSV._percentile_fields` (the same signature in 2.43.4 and 2.47) writes `int(percentile)`: 13.65 ms
    becomes 13, 2.6 % off, where the buckets are within 1 %. The Median column (`median_response_time`) is
    the 50 % percentile from 2.46 on, but before it the lower middle of an even count (`median_from_dict`),
    a neighbouring request that can be several % away with a few dozen requests: here it is the 50 %
    percentile kept within the exact min and max, as 2.46+ writes it (and as `judge.histogram.median`).
    Locust's once-a-second files (the stats CSV during the run, `_stats_history.csv`) keep its own cells;
    the final stats CSV is this writer's."""

    def _percentile_fields(self, stats_entry: StatsEntry, use_current: bool = False) -> list[Any]:
        if not stats_entry.num_requests:
            return list(self.percentiles_na)
        with one_sort_per_histogram():
            return [_cell(stats_entry.get_response_time_percentile(q) or 0) for q in self.percentiles_to_report]

    def _requests_data_rows(self, csv_writer: Any) -> None:
        rows = _Rows()
        super()._requests_data_rows(rows)  # Locust's row code (its entries' order), then the Median cell
        stats, column = self.environment.stats, self.requests_csv_columns.index("Median Response Time")
        for row, entry in zip(rows.rows, [*sort_stats(stats.entries), stats.total], strict=True):
            row[column] = _cell(_median(entry))
            csv_writer.writerow(row)


class _Rows:
    """A csv writer that keeps the rows (Locust's row code writes through `writerow`)."""

    def __init__(self) -> None:
        self.rows: list[list[Any]] = []

    def writerow(self, row: Iterable[Any]) -> None:
        self.rows.append(list(row))


def _median(entry: StatsEntry) -> float:
    """The 50 % percentile within the exact min and max (`median_response_time` of Locust 2.46+)."""
    if not entry.response_times:
        return 0
    median = entry.get_response_time_percentile(0.5) or 0
    if median > entry.max_response_time:
        return entry.max_response_time
    if entry.min_response_time is not None and median < entry.min_response_time:
        return entry.min_response_time
    return median


def _cell(value: float) -> float | int:
    """A whole number as an int (`150`, as Locust writes it), else the key as it is (`19.87`)."""
    return int(value) if float(value).is_integer() else value


def write_final_csvs(environment: LocustEnvironment, stats: Path, failures: Path, exceptions: Path) -> None:
    """The stats, failures and exceptions CSVs as of the end of the run.

    Locust rewrites them once a second and not again at shutdown, so the last second (for a run
    stopped by the auth guard: every failure it recorded) could be missing. Same writer (`StatsCSV`:
    its row methods are public but undocumented; the same in 2.43.4 and 2.47), same files, with the
    percentile cells at the buckets' precision (`PreciseStatsCSV`).
    """
    writer = PreciseStatsCSV(environment, PERCENTILES_TO_REPORT)
    for path, write in (
        (stats, writer.requests_csv),
        (failures, writer.failures_csv),
        (exceptions, writer.exceptions_csv),
    ):
        with open(path, "w", encoding="utf-8", newline="") as fh:
            write(csv.writer(fh))


def serialized_entries(environment: LocustEnvironment) -> list[dict[str, Any]]:
    """Every stats entry with requests, as Locust serialises it (`StatsEntry.serialize`: the form
    `--json-file` and the master/worker reports use, with the response-time histogram).

    Not `--json-file` itself: Locust's JSON writer resets every entry as it serialises, and its CSV
    writer, still alive after `quit`, could then rewrite the stats CSV with zeros."""
    return [
        entry.serialize()
        for entry in environment.stats.entries.values()  # the runner's stats (`Runner.stats` is this)
        if entry.num_requests or entry.num_failures
    ]


def stop_csv_writer() -> None:
    """Stop Locust's once-a-second CSV writer now that the files are final.

    Locust closes the CSV files after `quit` (2.47) but leaves the writer's greenlet alive; with
    `--processes`, `atexit` then waits for the workers, the writer wakes, and dies on the closed file
    with a traceback (seen after a Ctrl-C). Locust keeps no handle on the greenlet, hence the search
    (`StatsCSVFileWriter.stats_writer` as the greenlet's run method; the same in 2.43.4).
    """
    for obj in gc.get_objects():
        if isinstance(obj, gevent.Greenlet) and not obj.dead:
            run = getattr(obj, "_run", None)
            if getattr(run, "__func__", None) is StatsCSVFileWriter.stats_writer:
                obj.kill(block=False)


def add_response_time(response: Any, ms: float) -> None:
    """Add `ms` to the time Locust records for a request in a `catch_response` block.

    The open model's late start (coordinated omission) belongs to the first request's time; firing the
    request event ourselves would need Locust's own firing suppressed. `request_meta` is the context
    manager's record (FastHttpUser's and HttpUser's alike, since 2.x)."""
    response.request_meta["response_time"] += ms


ACCEPT_ENCODING = "gzip, deflate, br"
"""What `FastHttpSession.request` asks for when the caller's headers do not say (2.43.4 to 2.47)."""


def get_unreported(
    session: FastHttpSession, path: str, headers: Mapping[str, str]
) -> tuple[Any, str, bytes | None, Exception | None]:
    """A GET sent and read as `FastHttpSession.request` sends and reads it, but not reported: the caller
    judges the answer and fires `events.request` itself (Locust's documented way for a client of one's
    own). Returns (response, the URL it was sent to (the request event's `url`, as Locust reports it),
    its body, the exception Locust would record or None); the body is None when no whole answer came
    (a connection error, a body that could not be read: the exception says).

    Why: the page user judges every answer (a frontend defect's 404, OPS's designed answers, a 2xx that
    is not JSON), which Locust's public way does in a `catch_response` block: a second response object
    (`ResponseContextManager` copies the first), a second `raise_for_status`, and Locust's own report
    at the block's end. Skipping them made the page user's requests per CPU-second 1.5 % higher (median
    of 8 alternating rounds of bench/generator.py's page run, each round 0.97 to 1.12: a small, steady
    gain on a noisy machine). `_send_request_safe_mode` is what `request` itself calls to send (the same
    in 2.43.4 and 2.47): a connection error comes back as an `ErrorResponse` with status 0, a bad status
    as the response with its `error` (`LocustBadStatusCode`), the exceptions Locust records for them."""
    sent = dict(headers)
    if session.auth_header:  # a host given as https://user:password@... (as `request` does)
        sent["Authorization"] = session.auth_header
    if "Accept-Encoding" not in sent and "accept-encoding" not in sent:
        sent["Accept-Encoding"] = ACCEPT_ENCODING
    url = session._build_url(path)
    response = session._send_request_safe_mode("GET", url, headers=sent)
    try:
        content = response.content  # read now: the caller's time includes the body, as `request` times it
    except FAILURE_EXCEPTIONS as error:
        return response, url, None, error
    return response, url, content, getattr(response, "error", None)  # (an `ErrorResponse`'s content is None)


def worker_ids(runner: Any, *, present: bool = True) -> list[str]:
    """The master's workers (`MasterRunner.clients`): those not missing, or all it knows of.

    Locust has `worker_connect` for a worker that joins, but no event for one that leaves."""
    return sorted(c.id for c in runner.clients.all if not present or c.state != "missing")


def mark_for_form(actions: Iterable[argparse.Action], shown: Callable[[str], bool]) -> None:
    """Show options added through an argument group in Locust's web UI form.

    `LocustArgumentParser.add_argument(include_in_web_ui=...)` marks only what it adds itself; a group's
    `add_argument` returns plain argparse actions, which get the same four attributes Locust reads."""
    for action in actions:
        action.include_in_web_ui = shown(action.dest)  # type: ignore[attr-defined]
        action.is_secret = False  # type: ignore[attr-defined]
        action.is_required = False  # type: ignore[attr-defined]
        action.is_multiple = False  # type: ignore[attr-defined]


def wrap_option_type(parser: argparse.ArgumentParser, dest: str, wrapper: Callable[[str], str]) -> None:
    """Run `wrapper` when Locust parses option `dest` (argparse's `_actions`; idempotent).

    Locust opens (and so truncates) `X_stats.csv` right after parsing `--csv X`, before any `init`
    listener: the option's type is the one hook that runs earlier (`plugin.bare_prefix`)."""
    for action in parser._actions:
        if action.dest == dest and action.type is not wrapper:
            action.type = wrapper


def form_defaults(web_ui: Any, defaults: Callable[[], dict[str, Any] | None]) -> None:
    """The web UI's form opens with `defaults()` (e.g. the scenario's users and spawn rate).

    Wraps `WebUI.update_template_args`, which fills the form's values before each page render: setting
    `parsed_options.num_users` instead would make the scenario's own number look like an override."""
    render = web_ui.update_template_args

    def update_template_args() -> None:
        render()
        web_ui.template_args.update(defaults() or {})

    web_ui.update_template_args = update_template_args
