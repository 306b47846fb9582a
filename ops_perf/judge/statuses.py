"""Every row's metrics against config/targets.toml: a status, or the reason it was not judged.

One place decides, for the aggregate, each endpoint and each page: the value judged (the failure %
rounded as the report prints it), its interval (`intervals`), its tier, its status, whether that
status fails the gate (`[gate] fail_on`), and whether a gateway ceiling caps it. The report's tables,
its findings, `ops-perf check`, the end-of-run check, JUnit, compare and the capacity search all read
these objects.

In proportion to the evidence (issue 15, `[gate] rule = "evidence"`, the default): a metric gets a tier
only where its whole confidence interval lies in that tier; where the interval spans tiers it is "not
enough evidence: p95 between X and Y ms", never a pass, and the gate fails only on a breach whose
interval lies wholly at or beyond `fail_on` (then the status is the lowest tier the interval reaches:
"at least concern"). `rule = "strict"` judges point values alone, as before.

Requests/s is judged only where it could be met: in an open-model run (arrivals that do not wait for
OPS) whose offered rate reaches the target. In a closed run the users wait for each answer and think
between requests, so the rate measures the users, not OPS; in a pages run one arrival is a person
whose request rate depends on the pages they open. Elsewhere the metric is "not applicable" and says why.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace

from ops_perf.judge.ceiling import Gateway
from ops_perf.judge.evidence import Interval, decide
from ops_perf.judge.intervals import metric_interval
from ops_perf.judge.numbers import g, round_half_up
from ops_perf.judge.rows import Overall, Row
from ops_perf.runfiles.load import AGGREGATED, RunMeta
from ops_perf.settings.targets import Status, Targets, Tier

METRIC_ORDER = ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "failure_pct", "rps")
LATENCY = frozenset({"p50_ms", "p95_ms", "p99_ms", "avg_ms"})
CAPPABLE = frozenset({"p50_ms", "p95_ms", "p99_ms"})
"""Percentiles sit at the ceiling when the gateway cut that share of requests; an average never does."""
NOT_ENOUGH_EVIDENCE = "not enough evidence"
NOT_ENOUGH_DATA = "not enough data"


def fmt(value: float | None, metric: str) -> str:
    """A metric's value with its unit, as the check and JUnit print it."""
    if value is None:
        return "n/a"
    if metric == "failure_pct":
        return f"{value:.2f}%"
    if metric == "rps":
        return f"{value:.2f} req/s"
    return f"{value:,.0f} ms"


@dataclass(frozen=True)
class MetricStatus:
    """One metric of one row against its tier."""

    metric: str
    value: float | None
    tier: Tier
    status: Status | None
    """None when not judged (`reason` says why: no value, not applicable)."""
    breach: bool = False
    """The status is at or beyond `[gate] fail_on`: the gate fails on it."""
    reason: str = ""
    capped: str = ""
    """Set when a gateway ceiling caps the value: the real figure is at least this."""
    interval: Interval | None = None
    """The value's confidence interval (`intervals`); None where the metric has none (judged by its point)."""
    at_least: bool = False
    """The interval spans tiers that all fail the gate: the status is the lowest of them."""

    @property
    def judged(self) -> bool:
        return self.status is not None

    @property
    def undecided(self) -> bool:
        """Not judged for want of evidence: the interval spans tiers (`reason` names it)."""
        return self.status is None and self.reason.startswith(NOT_ENOUGH_EVIDENCE)

    def interval_text(self) -> str:
        """`95 % interval 1,800-2,100 ms`, `95 % interval: at least 175 ms` ("" without an interval)."""
        iv = self.interval
        if iv is None:
            return ""
        unit, places = ("%", 2) if self.metric == "failure_pct" else ("ms", 0)
        level = f"{round(iv.confidence * 100):g} % interval"
        if iv.bounded:
            space = "" if unit == "%" else " "
            return f"{level} {iv.low:,.{places}f}-{iv.high:,.{places}f}{space}{unit}"
        return f"{level}: {iv.text(unit, places)}"

    @property
    def point_breach(self) -> bool:
        """Not judged for want of evidence, although its point value is at or beyond the gate's tier:
        what the check names as unproven (the strict rule would have failed on it)."""
        return self.undecided and self.value is not None and self.tier.status(self.value).rank >= self.fail_on_rank

    fail_on_rank: int = Status.CRITICAL.rank
    """The gate's tier (`[gate] fail_on`), for `point_breach`."""

    def describe(self) -> str:
        """`p95_ms 5,000 ms is critical (> 4,000 ms)`, or `rps not applicable: ...`."""
        if self.status is None:
            if self.undecided:
                return f"{self.metric} {fmt(self.value, self.metric)}: {self.reason}"
            return f"{self.metric} not applicable: {self.reason}"
        limit = self.tier.critical if self.status is Status.CRITICAL else self.tier.acceptable
        relation = "<" if self.tier.higher_is_better else ">"
        text = f"{self.metric} {fmt(self.value, self.metric)} is {'at least ' if self.at_least else ''}"
        text += self.status.value
        if self.status.rank >= Status.CONCERN.rank:
            interval = f"; {self.interval_text()}" if self.interval is not None else ""
            text += f" ({relation} {fmt(limit, self.metric)}{interval})"
        if self.capped:
            text += f"; {self.capped}"
        return text

    def limit_text(self) -> str:
        """The limit a concern or critical value crossed: `> 4,000 ms` ("" otherwise)."""
        if self.status is None or self.status.rank < Status.CONCERN.rank:
            return ""
        limit = self.tier.critical if self.status is Status.CRITICAL else self.tier.acceptable
        return f"{'<' if self.tier.higher_is_better else '>'} {fmt(limit, self.metric)}"

    def short(self) -> str:
        """`p95_ms 5,000 ms > 4,000 ms`, `(capped)` when a gateway ceiling caps it: for lists."""
        if self.status is None:
            return (
                f"{self.metric} {fmt(self.value, self.metric)} (not enough evidence)"
                if self.undecided
                else f"{self.metric} n/a"
            )
        text = f"{self.metric} {fmt(self.value, self.metric)}"
        if self.limit_text():
            text += f" {self.limit_text()}"
            if self.interval is not None:
                text += f", {self.interval_text()}"
        return text + (" (capped)" if self.capped else "")


@dataclass
class RowStatus:
    """Every judged metric of one row; `skipped` holds the "not enough data" reason."""

    name: str
    """How outputs name the row: `Aggregated`, the endpoint's Locust name, `PAGE <route>`."""
    kind: str
    """`aggregate`, `endpoint` or `page`."""
    requests: int
    metrics: list[MetricStatus] = field(default_factory=list)
    skipped: str = ""
    row: Row | None = None

    @property
    def breaches(self) -> list[MetricStatus]:
        return [m for m in self.metrics if m.breach]

    @property
    def worst(self) -> Status | None:
        judged = [m.status for m in self.metrics if m.status is not None]
        return max(judged, key=lambda s: s.rank) if judged else None

    @property
    def undecided(self) -> list[MetricStatus]:
        """The metrics not judged for want of evidence."""
        return [m for m in self.metrics if m.undecided]

    @property
    def verdict(self) -> str:
        """What the row's outputs call it: its worst tier where that is concern or critical; "not enough
        evidence" where a metric could not be told and none is worse than acceptable (never a pass);
        else its worst tier; "no requests" / "not enough data" for a row not judged at all."""
        if self.skipped:
            return NOT_ENOUGH_DATA if "data" in self.skipped else "no requests"
        worst = self.worst
        if worst is not None and worst.rank >= Status.CONCERN.rank:
            return worst.value
        if self.undecided:
            return NOT_ENOUGH_EVIDENCE
        return worst.value if worst is not None else NOT_ENOUGH_DATA

    def at(self, status: Status) -> list[MetricStatus]:
        return [m for m in self.metrics if m.status is status]

    def metric(self, name: str) -> MetricStatus | None:
        return next((m for m in self.metrics if m.metric == name), None)


def _judge(
    metric: str,
    value: float | None,
    tier: Tier,
    targets: Targets,
    not_applicable: str = "",
    interval: Interval | None = None,
) -> MetricStatus:
    if not_applicable:
        return MetricStatus(metric, value, tier, None, reason=not_applicable)
    if value is None:
        return MetricStatus(metric, None, tier, None, reason="no value in the stats file")
    fail_on = targets.gate.fail_on
    rank = fail_on.rank
    if interval is None or targets.gate.rule == "strict":
        status = tier.status(value)
        return MetricStatus(metric, value, tier, status, status.rank >= rank, interval=interval, fail_on_rank=rank)
    decision = decide(interval, tier)
    if decision.status is not None:
        status = decision.status
        return MetricStatus(metric, value, tier, status, status.rank >= rank, interval=interval, fail_on_rank=rank)
    spans = decision.spans
    if spans and all(s.rank >= rank for s in spans):
        lowest = min(spans, key=lambda s: s.rank)
        return MetricStatus(metric, value, tier, lowest, True, interval=interval, at_least=True, fail_on_rank=rank)
    unit, places = ("%", 2) if metric == "failure_pct" else ("ms", 0)
    what = {"failure_pct": "failure %"}.get(metric, metric.removesuffix("_ms"))
    reason = f"{NOT_ENOUGH_EVIDENCE}: {what} {interval.text(unit, places)} ({interval.n:,} requests)"
    return MetricStatus(metric, value, tier, None, reason=reason, interval=interval, fail_on_rank=rank)


def _capped(m: MetricStatus, gateway: Gateway | None) -> MetricStatus:
    if gateway is None or m.metric not in CAPPABLE or not gateway.caps(m.value):
        return m
    ceiling = gateway.effective
    assert ceiling is not None
    note = f"capped by the ~{g(ceiling.seconds)} s gateway ceiling: the real figure is at least this"
    return replace(m, capped=note)


def rps_not_applicable(meta: RunMeta, tier: Tier, calls_per_view: float | None = None) -> str:
    """Why requests/s is not judged in this run ("" when it is)."""
    target = g(tier.target)
    if meta.model != "open":
        what = "a closed-model run" if meta.model == "closed" else "not an open-model run (run.json has no `model`)"
        text = f"{what}: its request rate is set by its users and their think time, not by OPS"
        bound = design_bound(meta, calls_per_view)
        if bound is not None:
            low, high = meta.think_time_s or (0.0, 0.0)
            if meta.user == "pages" and calls_per_view:
                text += (
                    f" ({meta.users} people with {g(low)}-{g(high)} s think time, viewing pages of "
                    f"{round_half_up(calls_per_view, 1)} API calls each as measured, make at most "
                    f"{round_half_up(bound, 2)} API calls/s)"
                )
            else:
                text += (
                    f" ({meta.users} users with {g(low)}-{g(high)} s think time make at most "
                    f"{round_half_up(bound, 2)} requests/s)"
                )
        return text + f"; requests/s is judged in open-model runs offering at least {target}/s"
    if meta.user == "pages":
        return (
            "a pages run: an arrival is a person, whose request rate depends on the pages they open; "
            f"requests/s is judged in open-model endpoint runs offering at least {target}/s"
        )
    if meta.offered_rate is None:
        return "the open-model run recorded no offered rate"
    if meta.offered_rate < tier.target:
        return f"the run offered {round_half_up(meta.offered_rate, 2)} requests/s, below the target of {target}/s"
    return ""


def design_bound(meta: RunMeta, calls_per_view: float | None = None) -> float | None:
    """The most requests/s a closed run can make: users / minimum think time (None when not known); for a
    pages run, times the API calls per page view it measured (a view sends several calls at once).

    None for an open-model run: its arrivals do not wait for answers, so its users and think time bound
    nothing (its pool only caps how many are served at once); its rate is the offered rate."""
    if (
        meta.model == "open"
        or meta.think_time_s is None
        or not meta.users
        or "users" in meta.inferred
        or meta.think_time_s[0] <= 0
    ):
        return None
    per_view = calls_per_view if meta.user == "pages" and calls_per_view else 1.0
    return meta.users / meta.think_time_s[0] * per_view


@dataclass(frozen=True)
class DesignLimit:
    """A requests/s tier a closed run could not reach by design (think time caps the request rate)."""

    metric: str
    tier: str
    """`target` or `acceptable`: the tier whose limit is above the bound."""
    limit: float
    bound: float
    """`design_bound`: the most requests/s the run's users could make, even with instant answers."""
    typical: float
    """Users / mean think time: about what they make."""
    users: int
    think: tuple[float, float]


def design_limits(meta: RunMeta, targets: Targets, calls_per_view: float | None = None) -> list[DesignLimit]:
    """The requests/s tiers above a closed run's design bound (none in an open run, or without a bound)."""
    tier = targets.aggregate.get("rps")
    bound = design_bound(meta, calls_per_view)
    if tier is None or bound is None or meta.think_time_s is None or not meta.users:
        return []
    low, high = meta.think_time_s
    per_view = calls_per_view if meta.user == "pages" and calls_per_view else 1.0
    typical = meta.users / ((low + high) / 2) * per_view
    return [
        DesignLimit("rps", name, limit, bound, typical, meta.users, (low, high))
        for name, limit in (("target", tier.target), ("acceptable", tier.acceptable))
        if limit > bound
    ]


def judge_aggregate(
    overall: Overall,
    meta: RunMeta,
    targets: Targets,
    gateway: Gateway | None,
    histograms: Mapping[str, Mapping] | None = None,
) -> RowStatus:
    out = RowStatus(AGGREGATED, "aggregate", overall.requests)
    hist = (histograms or {}).get(AGGREGATED)
    if overall.requests == 0:
        out.skipped = "no requests"
        return out
    for metric in METRIC_ORDER:
        tier = targets.aggregate.get(metric)
        if tier is None:
            continue
        value = overall.value(metric)
        if value is not None and metric == "failure_pct":
            value = float(round_half_up(value, 2))  # judge the figure the report prints
        reason = rps_not_applicable(meta, tier, overall.calls_per_view) if metric == "rps" else ""
        if (
            not reason
            and value is None
            and metric in LATENCY
            and overall.page_views
            and not overall.from_aggregated_row
        ):
            reason = "the API calls' percentiles need `<prefix>.json` (Locust's Aggregated row includes page views)"
        interval = (
            metric_interval(metric, overall, hist, overall.cells, targets.gate.confidence)
            if value is not None
            else None
        )
        out.metrics.append(_capped(_judge(metric, value, tier, targets, reason, interval), gateway))
    return out


def judge_rows(
    rows: Sequence[Row],
    meta: RunMeta,
    targets: Targets,
    gateway: Gateway | None,
    kind: str,
    histograms: Mapping[str, Mapping] | None = None,
) -> list[RowStatus]:
    """Endpoints (kind `endpoint`, `[endpoint]` + overrides) or pages (kind `page`, `[page]` + overrides).

    Under the evidence rule a row with no requests is "no requests"; every other row is judged metric
    by metric, each by its interval. Under `strict`, `min_requests_per_endpoint` still applies."""
    strict = targets.gate.rule == "strict"
    minimum = max(1, targets.gate.min_requests_per_endpoint) if strict else 1
    out: list[RowStatus] = []
    for row in rows:
        rs = RowStatus(row.label, kind, row.requests, row=row)
        tiers = targets.page_for(row.name) if kind == "page" else targets.endpoint_for(row.label)
        hist = (histograms or {}).get(row.label)
        if row.requests < minimum:
            rs.skipped = f"not enough data ({row.requests} < {minimum} requests)" if strict else "no requests"
        else:
            for metric, tier in sorted(tiers.items(), key=lambda kv: METRIC_ORDER.index(kv[0])):
                reason = rps_not_applicable(meta, tier) if metric == "rps" else ""
                value = row.value(metric)
                interval = (
                    metric_interval(metric, row, hist, row.cells, targets.gate.confidence)
                    if value is not None
                    else None
                )
                judged = _judge(metric, value, tier, targets, reason, interval)
                rs.metrics.append(_capped(judged, gateway) if kind == "endpoint" else judged)
        out.append(rs)
    return out
