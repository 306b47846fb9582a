"""The rows a run is judged on: the aggregate of the API calls, each endpoint, each page.

Why a row type of its own: the report, `ops-perf check` and JUnit used to read the stats CSV each
their own way (one took the median column, the other the 50% column; one rounded the failure %
before judging, the other did not), so they could disagree on a border. Every figure judged or
printed now comes from one `Row`.

Pages: the page user records each page view as a Locust entry of request type `PAGE` (see
docs/ARCHITECTURE.md). Locust's Aggregated row sums every entry, page views included, so in a pages
run it mixes the time a person waits for a page with the time of single calls, and counts a page view
as one more request per second. The aggregate here is therefore over the API calls only: counts,
average, min and max exactly from the endpoint rows, requests/s as Locust's Aggregated requests/s
scaled by the API calls' share of its requests (same clock), and the percentiles from the per-entry
histograms of `<prefix>.json` by Locust's own rule. Without that file the API-only percentiles are
unknown and not judged; a run without page views keeps Locust's Aggregated row unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ops_perf.judge import histogram
from ops_perf.judge.numbers import num, pct
from ops_perf.runfiles.load import PAGE_TYPE, Run, histogram_agrees

_METRIC_FIELDS = {
    "p50_ms": "median",
    "p95_ms": "p95",
    "p99_ms": "p99",
    "avg_ms": "avg",
    "failure_pct": "failure_pct",
    "rps": "rps",
}
"""Target metric -> the `Figures` field that holds it."""


@dataclass(frozen=True)
class Figures:
    """What an endpoint, a page and the aggregate all have: counts and Locust's figures; None where unknown."""

    requests: int
    failures: int
    failure_pct: float | None
    median: float | None
    p95: float | None
    p99: float | None
    avg: float | None
    min: float | None
    max: float | None
    rps: float | None

    def value(self, metric: str) -> float | None:
        """The figure for a target metric (None for a metric it does not have)."""
        name = _METRIC_FIELDS.get(metric)
        return getattr(self, name) if name is not None else None


@dataclass(frozen=True)
class Row(Figures):
    """One endpoint or page as the stats CSV gives it; None where Locust wrote N/A."""

    label: str
    kind: str = "endpoint"
    """`endpoint` (an API call) or `page` (a page view, request type PAGE)."""
    name: str = ""
    """The name targets are looked up by: the Locust name (a page's route, without `PAGE `)."""
    cells: tuple[tuple[float, float], ...] = ()
    """Locust's percentile cells (quantile, ms), for the percentiles' intervals where no histogram is."""


@dataclass(frozen=True)
class Overall(Figures):
    """The run's aggregate over its API calls."""

    fps: float | None
    from_aggregated_row: bool
    """True when these are Locust's Aggregated row as written (a run without page views)."""
    page_views: int = 0
    """Page views left out of the aggregate (0 in an endpoints run)."""
    percentiles_from: str = "stats"
    """`stats` (the Aggregated row), `histograms` (`<prefix>.json`, pages runs) or `none` (unknown)."""
    cells: tuple[tuple[float, float], ...] = ()
    """Locust's percentile cells of the Aggregated row (quantile, ms), where it is the aggregate."""

    @property
    def calls_per_view(self) -> float | None:
        """API calls per page view, as the run measured them (None without page views)."""
        return self.requests / self.page_views if self.page_views else None


def split_rows(run: Run) -> tuple[list[Row], list[Row]]:
    """(endpoint rows, page rows), each sorted by label."""
    ep = run.endpoints
    cols = {
        c: ep[c].tolist() if c in ep.columns else [None] * len(ep)
        for c in ("method", "name", "label", "requests", "failures", "median", "p95", "p99", "avg", "min", "max", "rps")
    }
    quantiles = [(key, float(key[1:]) / 100) for key in run.percentiles if key in ep.columns]
    cell_columns = {key: ep[key].tolist() for key, _ in quantiles}
    endpoints: list[Row] = []
    pages: list[Row] = []
    for i in range(len(ep)):
        cells = tuple((q, float(v)) for key, q in quantiles if (v := num(cell_columns[key][i])) is not None)
        requests, failures = int(cols["requests"][i]), int(cols["failures"][i])
        is_page = str(cols["method"][i]) == PAGE_TYPE
        row = Row(
            requests=requests,
            failures=failures,
            failure_pct=pct(failures, requests),
            median=num(cols["median"][i]),
            p95=num(cols["p95"][i]),
            p99=num(cols["p99"][i]),
            avg=num(cols["avg"][i]),
            min=num(cols["min"][i]),
            max=num(cols["max"][i]),
            rps=num(cols["rps"][i]),
            label=str(cols["label"][i]),
            kind="page" if is_page else "endpoint",
            name=str(cols["name"][i]) if is_page else str(cols["label"][i]),
            cells=cells,
        )
        (pages if is_page else endpoints).append(row)
    endpoints.sort(key=lambda r: r.label)
    pages.sort(key=lambda r: r.label)
    return endpoints, pages


def load_rate(requests: int, run: Run) -> float | None:
    """API calls per second of load time, where the run measured its load time (run.json
    `load_duration_s`): Locust's own requests/s divides by the span up to the last request, which a short
    burst of calls turns into hundreds per second (29 calls in 20 s once showed as 855.87 RPS)."""
    seconds = run.meta.load_duration_s
    return requests / seconds if seconds and seconds > 0 else None


def overall(run: Run, endpoints: Sequence[Row], pages: Sequence[Row], histograms: Mapping | None) -> Overall:
    """Locust's Aggregated row, or (with page views, or without that row) the aggregate of the API calls.

    Requests/s is always API calls over the load's elapsed time where the run measured it (`load_rate`),
    else Locust's figure (runs made without the suite's hooks)."""
    t = run.total
    if t is not None and not pages:
        requests, failures = int(t["requests"]), int(t["failures"])
        measured = load_rate(requests, run)
        return Overall(
            requests=requests,
            failures=failures,
            failure_pct=pct(failures, requests),
            median=num(t.get("median")),
            p95=num(t.get("p95")),
            p99=num(t.get("p99")),
            avg=num(t.get("avg")),
            min=num(t.get("min")),
            max=num(t.get("max")),
            rps=measured if measured is not None else num(t.get("rps")),
            fps=load_rate(failures, run) if measured is not None else num(t.get("fps")),
            from_aggregated_row=True,
            cells=tuple(
                (float(key[1:]) / 100, float(v)) for key in run.percentiles if (v := num(t.get(key))) is not None
            ),
        )
    measured = [r for r in endpoints if r.requests]
    requests = sum(r.requests for r in endpoints)
    failures = sum(r.failures for r in endpoints)
    avg = sum((r.avg or 0.0) * r.requests for r in measured) / requests if requests else None
    lows = [r.min for r in measured if r.min is not None]
    highs = [r.max for r in measured if r.max is not None]
    low, high = (min(lows) if lows else None), (max(highs) if highs else None)
    total_requests = int(t["requests"]) if t is not None else 0
    if t is not None and total_requests:
        # Same clock as Locust's Aggregated requests/s; only the page views are taken out.
        rps = (num(t.get("rps")) or 0.0) * requests / total_requests
        total_failures = int(t["failures"])
        fps = (num(t.get("fps")) or 0.0) * failures / total_failures if total_failures else 0.0
    else:
        rps = sum(r.rps or 0.0 for r in endpoints) if requests else None
        fps = None
    if (measured := load_rate(requests, run)) is not None:
        rps, fps = measured, load_rate(failures, run)
    p50 = p95 = p99 = None
    source = "none"
    hist = api_histogram(endpoints, histograms) if pages else None
    if hist is not None and requests and low is not None and high is not None:
        p50 = histogram.median(hist, low, high)
        p95, p99 = histogram.percentile(hist, 0.95), histogram.percentile(hist, 0.99)
        source = "histograms"
    return Overall(
        requests=requests,
        failures=failures,
        failure_pct=pct(failures, requests),
        median=p50,
        p95=p95,
        p99=p99,
        avg=avg,
        min=low,
        max=high,
        rps=rps if requests else None,
        fps=fps if requests else None,
        from_aggregated_row=False,
        page_views=sum(r.requests for r in pages),
        percentiles_from=source,
    )


def api_histogram(endpoints: Sequence[Row], histograms: Mapping | None) -> dict[float, int] | None:
    """The merged histogram of the API calls, or None when `<prefix>.json` is missing or disagrees."""
    if not histograms:
        return None
    parts = []
    for row in endpoints:
        hist = histograms.get(row.label, {}) if row.requests else {}
        if not histogram_agrees(sum(hist.values()), row.requests):
            return None
        parts.append(hist)
    return histogram.merge(parts)
