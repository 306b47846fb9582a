"""One step of a capacity search: an open run at one offered rate, judged from its files by `rules`.

The figures come from the one run model (`ops_perf.runfiles.load.Run`) and the one judgement's rows
(`ops_perf.judge.judge_run`: the API calls' aggregate, the endpoints, the pages, the failure classes,
the validity); the tiers from config/targets.toml with the environment's overrides. What the judge's
gate decides (`fail_on`, its statuses) is not used: a step is judged by the capacity rules, each figure
with its evidence (`rules`), plus the queue (`slope`) and the throughput (`throughput`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from ops_perf.capacity import rules, throughput
from ops_perf.capacity.rules import Figure, Outcome
from ops_perf.capacity.slope import latency_slope
from ops_perf.judge import judge_run
from ops_perf.judge.evidence import Interval, percentile_interval, wilson_interval
from ops_perf.judge.numbers import num
from ops_perf.judge.validity import invalid_reasons
from ops_perf.runfiles.histograms import merge
from ops_perf.runfiles.load import AGGREGATED, PAGE_TYPE, Run, open_runs
from ops_perf.settings.targets import Status, Targets

P95_MIN_SAMPLES = 100
"""Requests the aggregate gathers before a step ends (targets.toml [noise] `min_samples_p95` when the
file sets it): a p95's interval has an upper bound from 59 requests on (at 95 %), and is narrow enough
to lie within a tier only with more; the step is held until it has them."""


@dataclass
class Step:
    number: int
    phase: str
    rate: float
    """Offered rate in the scenario's unit (tasks/s, or people/min for the page user)."""
    rate_per_s: float
    hold_s: float
    prefix: str
    requests: int = 0
    """API calls completed in the whole step (those drained after the load stopped included)."""
    failures: int = 0
    failure_pct: float = 0.0
    window_s: int = 0
    """Whole seconds counted for throughput (`throughput.window`)."""
    answered: int | None = None
    served: int | None = None
    answered_rps: float | None = None
    served_rps: float | None = None
    """Requests answered without failure per second of the window: what the step served."""
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    min_ms: float | None = None
    p95_interval_ms: list[float | None] | None = None
    """[low, high] of the API calls' p95 (None for an unbounded side)."""
    failure_pct_interval: list[float | None] | None = None
    gateway_504: int = 0
    connection_errors: int = 0
    arrivals: int = 0
    dropped_arrivals: int = 0
    peak_pool: int = 0
    max_users: int = 0
    queue_growth: float | None = None
    """Latency slope over the step in seconds per second (~ (offered - served) / served); None: too short."""
    outcomes: list[Outcome] = field(default_factory=list)
    wall_s: float = 0.0

    @property
    def good(self) -> bool:
        return bool(self.outcomes) and rules.first_deciding(self.outcomes) is None

    @property
    def deciding(self) -> Outcome | None:
        """The rule that made this step bad (None when good)."""
        return rules.first_deciding(self.outcomes) if self.outcomes else None

    @property
    def breaching(self) -> str | None:
        """Why this step is bad, as one phrase (None when good)."""
        deciding = self.deciding
        return None if deciding is None else deciding.text

    def outcome(self, rule: str) -> Outcome | None:
        return next((o for o in self.outcomes if o.rule == rule), None)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rules"] = [o.to_dict() for o in self.outcomes]
        del data["outcomes"]
        deciding = self.deciding
        data["good"] = self.good
        data["decided_by"] = deciding.rule if deciding else None
        data["breaching"] = deciding.text if deciding else None
        return data

    def line(self, unit: str) -> str:
        """The progress line of a finished step."""
        p95 = "n/a" if self.p95_ms is None else f"{self.p95_ms:,.0f} ms"
        served = "n/a" if self.served_rps is None else f"{self.served_rps:.1f}"
        verdict = "good" if self.good else f"BAD ({self.deciding.rule if self.deciding else '?'}: {self.breaching})"
        growth = "n/a" if self.queue_growth is None else f"{1000 * self.queue_growth:+,.0f} ms/s"
        return (
            f"step {self.number} ({self.phase}): {self.rate:g} {unit} for {self.hold_s:g} s: {self.requests} requests, "
            f"served {served} req/s, p95 {p95}, failures {self.failure_pct:.2f}%, 504s {self.gateway_504}, "
            f"latency trend {growth}, dropped {self.dropped_arrivals}/{self.arrivals}: {verdict}"
        )


def min_samples(targets: Targets) -> int:
    return int(getattr(targets.noise, "min_samples_p95", P95_MIN_SAMPLES))


def judge_step(
    step: Step, prefix: Path, targets: Targets, within: Status = rules.DEFAULT_WITHIN, max_growth: float = 0.1,
    best_response_ms: float | None = None, pages: bool = False,
) -> Step:  # fmt: skip
    """Fill `step` from the run's files and judge it by every rule (`rules.RULES`).

    `best_response_ms`: the lowest response time the search has seen so far (for the cause of drops:
    `rules.arrivals_rule`); this step's fastest request counts too.
    """
    (run,) = open_runs([prefix])
    record = run.record
    judgement = judge_run(run, targets, run.histograms)
    total = judgement.overall  # the API calls (page views are rows of their own)
    step.requests, step.failures = total.requests, total.failures
    step.failure_pct = num(total.failure_pct) or 0.0
    step.p50_ms, step.p95_ms, step.p99_ms, step.min_ms = (
        num(total.median),
        num(total.p95),
        num(total.p99),
        num(total.min),
    )
    step.gateway_504 = judgement.failures.count("gateway_timeout")
    step.connection_errors = judgement.failures.count("connection")
    step.arrivals = int(record.get("arrivals") or 0)
    step.dropped_arrivals = int(record.get("dropped_arrivals") or 0)
    step.peak_pool = int(record.get("peak_pool") or 0)
    step.max_users = int(record.get("max_users") or 0)
    step.queue_growth = latency_slope(Path(f"{prefix}_stats_history.csv"))

    hists = _histograms(run)
    agg_tiers = targets.aggregate
    aggregate_p95 = Figure(AGGREGATED, agg_tiers.get("p95_ms"), hists.get(AGGREGATED), requests=total.requests)
    aggregate_fail = Figure(AGGREGATED, agg_tiers.get("failure_pct"), failures=total.failures, requests=total.requests)
    rows = [(r, targets.endpoint_for(r.label)) for r in judgement.endpoints]
    rows += [(r, targets.page_for(r.name)) for r in judgement.pages]
    p95_rows = [Figure(r.label, t.get("p95_ms"), hists.get(r.label), requests=r.requests) for r, t in rows]
    fail_rows = [Figure(r.label, t.get("failure_pct"), failures=r.failures, requests=r.requests) for r, t in rows]

    p95 = rules.p95_rule(aggregate_p95, p95_rows, within)
    failure = rules.failure_rule(aggregate_fail, fail_rows, within)
    if aggregate_p95.histogram:
        step.p95_interval_ms = _bounds(percentile_interval(aggregate_p95.histogram, 0.95, rules.CONFIDENCE))
    if total.requests:
        step.failure_pct_interval = _bounds(wilson_interval(total.failures, total.requests, rules.CONFIDENCE), 3)

    fastest = [v for v in (best_response_ms, step.min_ms) if v is not None]
    step.outcomes = [
        rules.validity_rule(_reasons_besides_drops(run)),
        rules.arrivals_rule(
            step.arrivals, step.dropped_arrivals, step.rate_per_s, step.max_users, min(fastest) if fastest else None
        ),
        rules.errors_rule(step.gateway_504, step.connection_errors),
        failure,
        p95,
        rules.queue_rule(step.queue_growth, max_growth),
        _throughput(step, run, prefix, pages),
    ]
    return step


def _throughput(step: Step, run: Run, prefix: Path, pages: bool) -> Outcome:
    """Count the window (`throughput.window`) into the step, and judge it (not for the page user)."""
    counts = throughput.per_second(prefix)
    started, duration = run.meta.load_started_at, run.meta.duration_s
    if counts is not None and started is not None and duration:
        win = throughput.window(counts, started, duration)
        step.window_s, step.answered, step.served = win.seconds, win.answered, win.served
        step.answered_rps = None if win.answered_rps is None else round(win.answered_rps, 2)
        step.served_rps = None if win.served_rps is None else round(win.served_rps, 2)
    if pages:
        return rules.pages_throughput()
    if step.answered is None:
        return rules.throughput_rule(step.rate_per_s, None, None, None)
    return rules.throughput_rule(
        step.rate_per_s, step.window_s, step.answered, throughput.needed(step.rate_per_s, step.window_s)
    )


def _histograms(run: Run) -> dict[str, dict[float, int]]:
    """The checked histograms by row label with `Aggregated` (the API calls); the file as written when
    it disagrees with the CSV by more than its slack (a step's last second), with the API sum made here."""
    if run.histograms is not None:
        return run.histograms
    raw = run.raw_histograms or {}
    api = merge(h for label, h in raw.items() if not label.startswith(f"{PAGE_TYPE} "))
    return {**raw, AGGREGATED: api} if raw else {}


def _reasons_besides_drops(run: Run) -> list[str]:
    """The judge's validity reasons, drops left to the `arrivals` rule (which names their cause: the
    judge's own reason says "raise max_users", wrong when OPS's latency used up the pool)."""
    meta = run.meta
    if meta.arrivals and 100.0 * (meta.dropped_arrivals or 0) / meta.arrivals > rules.MAX_DROPPED_PCT:
        status = "completed" if meta.status == "invalid" else meta.status
        detail = None if meta.status == "invalid" else meta.status_detail
        run = replace(run, meta=replace(meta, dropped_arrivals=0, status=status, status_detail=detail))
    return invalid_reasons(run)


def _bounds(interval: Interval, places: int = 1) -> list[float | None]:
    return [
        round(interval.low, places) if interval.lower_bounded else None,
        round(interval.high, places) if interval.upper_bounded else None,
    ]
