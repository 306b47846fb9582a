"""Per-page counts beyond Locust's PAGE rows: calls per view, the slowest call, which calls failed.

Locust's statistics hold one `PAGE` row per route (views, page times); what a row cannot say is
which call made a view slow or failed it. The page user counts that here, per process (`RunState.pages`); workers send
their counts to the master (`ops_perf_pages` message, at the end of their run) and the master (or
the local runner) writes `<prefix>_pages.json`. Schema 1:

    {"schema": 1, "pages": {"<route>": {"views": N, "calls": N,
                                        "slowest": {"<endpoint name>": count},
                                        "failures": {"<call>": count},
                                        "degraded_views": N, "degraded": {"<endpoint name>": count}}}}

A view fails when a call that blocks the page failed (pages.toml `on_failure = "blocks"`); a view whose
failed calls only degrade it is counted as degraded (the page rendered without those parts), once per
view even when several of its calls failed; a failed call that a person would not notice changes
nothing here (its request is still a failure in Locust's statistics).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ops_perf.runfiles.discover import PAGES_JSON_SUFFIX

MSG_PAGES = "ops_perf_pages"
SCHEMA = 1


@dataclass
class RouteCounts:
    views: int = 0
    calls: int = 0
    slowest: Counter[str] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)
    degraded_views: int = 0
    degraded: Counter[str] = field(default_factory=Counter)
    """Per call (its endpoint's name): views that rendered without that call's part."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "views": self.views,
            "calls": self.calls,
            "slowest": dict(self.slowest.most_common()),
            "failures": dict(self.failures.most_common()),
            "degraded_views": self.degraded_views,
            "degraded": dict(self.degraded.most_common()),
        }


class PageTally:
    """The counts of one Locust process; merged on the master."""

    def __init__(self) -> None:
        self.routes: dict[str, RouteCounts] = {}

    def record(
        self, route: str, calls: int, slowest: str | None, failures: Sequence[str], degraded: Sequence[str] = ()
    ) -> None:
        counts = self.routes.get(route)
        if counts is None:  # (not setdefault: that would build a RouteCounts, three Counters, per view)
            counts = self.routes[route] = RouteCounts()
        counts.views += 1
        counts.calls += calls
        if slowest:
            counts.slowest[slowest] += 1
        if failures:  # (Counter.update costs a few microseconds even with nothing to add: once per view)
            counts.failures.update(failures)
        elif degraded:
            counts.degraded_views += 1
            counts.degraded.update(degraded)

    def merge(self, data: dict[str, Any]) -> None:
        """Add a worker's counts (the `pages` part of `as_dict`)."""
        for route, raw in data.items():
            counts = self.routes.setdefault(route, RouteCounts())
            counts.views += int(raw.get("views", 0))
            counts.calls += int(raw.get("calls", 0))
            counts.slowest.update({k: int(v) for k, v in raw.get("slowest", {}).items()})
            counts.failures.update({k: int(v) for k, v in raw.get("failures", {}).items()})
            counts.degraded_views += int(raw.get("degraded_views", 0))
            counts.degraded.update({k: int(v) for k, v in raw.get("degraded", {}).items()})

    def as_dict(self) -> dict[str, Any]:
        return {route: counts.to_dict() for route, counts in sorted(self.routes.items())}

    def clear(self) -> None:
        self.routes.clear()

    def write(self, prefix: str) -> Path:
        path = Path(f"{prefix}{PAGES_JSON_SUFFIX}")  # the report's name for it: found where it is written
        path.write_text(
            json.dumps({"schema": SCHEMA, "pages": self.as_dict()}, indent=2, sort_keys=True) + "\n", encoding="utf-8"
        )
        return path
