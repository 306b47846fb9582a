"""The Pages section: per page view, how long a person waited, how many calls it took, which call held it up.

Why a sidecar: Locust's stats CSV has one `PAGE` row per route (views, failures, page-time
percentiles), but not how many API calls a view made nor which call was the slowest. The page user's
process writes those to `<prefix>_pages.json`:

    {"schema": 1, "pages": {"<route>": {"views": N, "calls": N,
                                        "slowest": {"<endpoint name>": count},
                                        "failures": {"<call description>": count}}}}

`calls` is the number of API calls of all the route's views, `slowest` counts per endpoint how often
it was the view's slowest call, `failures` counts the failed calls that failed a view. Without the
file those columns are "n/a"; the statuses come from the judge (`[page]` targets) either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ops_perf.judge import RunJudgement


@dataclass(frozen=True)
class PageSummary:
    route: str
    views: int
    failures: int
    failure_pct: float | None
    median: float | None
    p95: float | None
    p99: float | None
    status: str
    """The judge's verdict for the page (`RowStatus.verdict`): its worst tier, or "not enough evidence"."""
    why: str
    """The metrics behind a concern or critical status."""
    calls_per_view: float | None
    slowest_call: str | None
    slowest_count: int | None
    failed_calls: tuple[tuple[str, int], ...] | None
    degraded_views: int = 0
    """Views that rendered without a part (a degrading call failed, or OPS's designed answer), not failed."""
    degraded_calls: tuple[tuple[str, int], ...] = ()
    """The calls behind them (the page catalog's call keys), most often first."""


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _counts(value: Any) -> dict[str, int]:
    if not isinstance(value, Mapping):
        return {}
    return {str(k): v for k, v in value.items() if _int(v) is not None}


def summarise_pages(j: RunJudgement, sidecar: Mapping[str, Any] | None) -> list[PageSummary]:
    """One summary per PAGE row of the stats, in route order."""
    per_route: Mapping[str, Any] = sidecar.get("pages", {}) if isinstance(sidecar, Mapping) else {}
    out = []
    for rs in j.page_statuses:
        row = rs.row
        assert row is not None
        extra = per_route.get(row.name) if isinstance(per_route, Mapping) else None
        extra = extra if isinstance(extra, Mapping) else None
        calls_per_view = slowest = slowest_n = failed = None
        degraded_views, degraded = 0, ()
        if extra is not None:
            views, calls = _int(extra.get("views")), _int(extra.get("calls"))
            if views and calls is not None:
                calls_per_view = calls / views
            ranked = sorted(_counts(extra.get("slowest")).items(), key=lambda kv: (-kv[1], kv[0]))
            if ranked:
                slowest, slowest_n = ranked[0]
            failed = tuple(sorted(_counts(extra.get("failures")).items(), key=lambda kv: (-kv[1], kv[0])))
            degraded_views = _int(extra.get("degraded_views")) or 0
            degraded = tuple(sorted(_counts(extra.get("degraded")).items(), key=lambda kv: (-kv[1], kv[0])))
        worst = rs.worst
        status = rs.verdict
        why = ", ".join(m.describe() for m in rs.metrics if worst is not None and m.status is worst)
        out.append(
            PageSummary(
                row.name,
                row.requests,
                row.failures,
                row.failure_pct,
                row.median,
                row.p95,
                row.p99,
                status,
                why if status in ("concern", "critical") else "",
                calls_per_view,
                slowest,
                slowest_n,
                failed,
                degraded_views,
                degraded,
            )
        )
    return out
