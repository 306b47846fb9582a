"""What a step served, and whether that kept up with what it offered (rule `throughput`).

Where the counts come from: Locust keeps, per stats entry, the requests and failures completed in each
whole second of the clock (`num_reqs_per_sec`, `num_fail_per_sec`, keyed by `int(time)`), and the
suite writes them into `<prefix>.json` at the end. Summed over the API rows (page views are not
requests to OPS) they give the completions of every second, so the step's throughput is counted, not
taken from Locust's `Requests/s` (which divides by the span up to the last request, drain included).

The window: the whole seconds inside the offered load, `[load start, load start + duration]` from
run.json, less the first whole second. The first second is left out because the system fills during it
(a request completes one response time after it arrives, so the first second's completions fall short
of its arrivals by the requests then in flight); the requests that finish after the load stopped (the
endpoint user lets them drain) are outside the window, so a queue left at the end never counts as
served. A step shorter than that (w < 1 s) is not judged on throughput.

The rule, and why its bound: a step keeps up when the requests answered in the window's w seconds
are at least `poisson.ppf(ALPHA, offered/s x w)`. Arrivals are Poisson (the `open` scenario; constant
arrivals vary less, for which the bound is only looser), so a server that keeps up answers in w seconds
the requests that arrived in (about) those w seconds, shifted by their response time: a Poisson count
of mean lambda w. Its ALPHA-quantile is the count below which a step that keeps up falls by chance in
ALPHA of steps (once in a thousand; a search of at most 14 steps fails a good one this way with
probability below 1.4 %). A fixed share such as 95 % would not do: at 75 req/s over 4 s the count's
standard deviation is sqrt(300) = 17 requests, 5.8 % of the mean, so "95 % of offered" fails about one
good short step in five. The bound tightens with the step: 4 s at 75 req/s needs 82 % of the offered
count, 58 s needs 95.3 %, so a saturated server (throughput flat at mu while lambda rises) fails it as
soon as lambda exceeds mu by more than the noise of the step.

Answered, not only served: failures have rules of their own (`failure_pct`, `errors`); this one asks
whether OPS kept pace at all. `served` (answered without failure) is what the answer reports.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ops_perf.runfiles.discover import HISTOGRAMS_SUFFIX
from ops_perf.runfiles.load import PAGE_TYPE

ALPHA = 0.001
"""The chance that a step which keeps up fails the throughput rule (module docstring)."""
FILL_S = 1
"""Whole seconds left out at the start of the window: the system fills with requests in flight."""


@dataclass(frozen=True)
class Window:
    """Completions in the whole seconds of a step's load, first second left out."""

    first: int
    """The first second counted (Unix time, `int`)."""
    seconds: int
    """w: how many whole seconds were counted (0 when the step was too short)."""
    answered: int
    """Requests completed in the window, whatever their outcome."""
    failed: int

    @property
    def served(self) -> int:
        return self.answered - self.failed

    @property
    def answered_rps(self) -> float | None:
        return self.answered / self.seconds if self.seconds else None

    @property
    def served_rps(self) -> float | None:
        return self.served / self.seconds if self.seconds else None


def per_second(prefix: Path) -> tuple[dict[int, int], dict[int, int]] | None:
    """(completions, failures) of the API calls per whole second, from `<prefix>.json`; None when the
    file is missing or not Locust's list of entries (the step is then not judged on throughput)."""
    path = Path(f"{prefix}{HISTOGRAMS_SUFFIX}")
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(entries, list):
        return None
    done: dict[int, int] = {}
    failed: dict[int, int] = {}
    try:
        for entry in entries:
            if str(entry.get("method") or "") == PAGE_TYPE:
                continue
            for source, target in ((entry.get("num_reqs_per_sec"), done), (entry.get("num_fail_per_sec"), failed)):
                for second, count in dict(source or {}).items():
                    key = int(float(second))
                    target[key] = target.get(key, 0) + int(count)
    except (AttributeError, TypeError, ValueError):
        return None
    return done, failed


def window(counts: tuple[dict[int, int], dict[int, int]], started: datetime, duration_s: float) -> Window:
    """The step's window (module docstring): whole seconds in [start, start + duration], first one left out."""
    done, failed = counts
    begin = started.timestamp()
    first = math.ceil(begin) + FILL_S
    last = math.floor(begin + duration_s) - 1  # the last second that ends within the load
    seconds = max(0, last - first + 1)
    keys = range(first, first + seconds)
    return Window(first, seconds, sum(done.get(k, 0) for k in keys), sum(failed.get(k, 0) for k in keys))


def needed(offered_per_s: float, seconds: int, alpha: float = ALPHA) -> int:
    """The fewest answered requests in `seconds` that a step offering `offered_per_s` may show and still
    keep up: the alpha-quantile of Poisson(offered x seconds)."""
    from scipy.stats import poisson  # scipy comes with Otava; loaded only when there is work

    mean = offered_per_s * seconds
    return int(poisson.ppf(alpha, mean)) if mean > 0 else 0


def floor_rate(rate: float) -> float:
    """A served rate rounded down, never up: whole req/s from 10 up, tenths from 1, hundredths below.

    Why down, and why whole: a window of w seconds counts completions to within the requests in service
    at its two edges (4 workers each finishing one request every 50 ms can put 81 completions into one
    second), so the last digits are not a measurement, and an answer must not overstate.
    """
    step = 1.0 if rate >= 10 else 0.1 if rate >= 1 else 0.01
    return round(math.floor(rate / step + 1e-9) * step, 2)
