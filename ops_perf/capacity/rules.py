"""The rules a capacity step is judged by, each with its outcome: pass, fail, or not enough evidence.

A step is good only when no rule fails and none lacks evidence ("not enough evidence" is never a pass,
issue 15 item 1); the first rule in `RULES` order that does not pass decides a bad step, a failing rule
before one without evidence. Each rule's statement (`RULES`) is what CAPACITY.md prints, so the file
says every rule a step was judged by.

Figures are judged with their evidence, not as points: a p95 by its order-statistic interval, a failure
rate by its Wilson interval (`ops_perf.judge.evidence`, the judge's own intervals), and the metric is
within the tier named by `--within` only when its whole interval is. The aggregate (the API calls: what
capacity is measured in) must be within with evidence; an endpoint or a page row has too few requests
in a step to be judged alone, so it only fails the step when its whole interval lies beyond the tier
(evidence of a breach in one place).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from ops_perf.judge.evidence import DEFAULT_CONFIDENCE, Interval, decide, percentile_interval, wilson_interval
from ops_perf.settings.targets import Status, Tier

CONFIDENCE = DEFAULT_CONFIDENCE
"""The level of every interval (the judge's default, 95 %)."""
WITHIN_CHOICES = (Status.TARGET, Status.ACCEPTABLE, Status.CONCERN)
DEFAULT_WITHIN = Status.ACCEPTABLE


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNSURE = "not enough evidence"
    NOT_JUDGED = "not judged"


@dataclass(frozen=True)
class Outcome:
    """One rule's answer for one step."""

    rule: str
    verdict: Verdict
    text: str
    cause: str = ""
    """For `arrivals`: `users` (the pool is too small even at OPS's best latency) or `ops` (OPS's
    latency kept the pool busy: saturation); empty elsewhere."""

    def to_dict(self) -> dict[str, str]:
        data = {"rule": self.rule, "verdict": self.verdict.value, "text": self.text}
        if self.cause:
            data["cause"] = self.cause
        return data


@dataclass(frozen=True)
class RuleInfo:
    name: str
    title: str
    statement: str
    """The rule as CAPACITY.md states it; `{within}`, `{confidence}`, `{growth}`, `{alpha}` are filled in."""


RULES: tuple[RuleInfo, ...] = (
    RuleInfo(
        "valid",
        "valid run",
        "the run can be judged at all: not interrupted, its token alive, Locust's CPU "
        "not saturated, requests made, its files consistent (the judge's validity rules).",
    ),
    RuleInfo(
        "arrivals",
        "arrivals started",
        "at most 1 % of the arrivals dropped (the pool of users could not "
        "start them within 1 s). When more were, the cause is named: the pool itself (too small for the "
        "offered rate even at OPS's best response time: raise max_users) or OPS (its latency kept the "
        "pool busy: OPS is saturated).",
    ),
    RuleInfo("errors", "no 504s or connection errors", "no gateway 504 and no connection error: facts, one is enough."),
    RuleInfo(
        "failure_pct",
        "failure %",
        "the API calls' failure % has its whole Wilson interval ({confidence}) "
        "within `{within}`; no endpoint's or page's interval lies wholly beyond it.",
    ),
    RuleInfo(
        "p95",
        "p95",
        "the API calls' p95 has its whole order-statistic interval ({confidence}, from the "
        "step's histogram) within `{within}`; no endpoint's or page's interval lies wholly beyond it.",
    ),
    RuleInfo(
        "queue",
        "queue does not grow",
        "the latency trend over the step (least squares over its "
        "per-second history) is at most {growth} ms per s: over capacity mu an offered lambda adds "
        "(lambda - mu) / mu s of latency each second, so this is the queue of an offered rate "
        "{growth_pct} % above what was served; fewer than 3 intervals of 5 requests is not enough evidence.",
    ),
    RuleInfo(
        "throughput",
        "throughput keeps up",
        "endpoint user: the requests answered in the step's whole "
        "seconds (the first left out: the system fills) are at least the {alpha} % quantile of "
        "Poisson(offered/s x seconds), the count a step that keeps up falls below by chance once in "
        "{once_in} steps. Page user: not judged (one arrival is a visit of a varying number of calls).",
    ),
)
RULE_NAMES = tuple(r.name for r in RULES)


def first_deciding(outcomes: Sequence[Outcome]) -> Outcome | None:
    """The outcome that makes a step bad: the first failing rule, else the first without evidence."""
    order = {name: i for i, name in enumerate(RULE_NAMES)}
    ranked = sorted(outcomes, key=lambda o: order.get(o.rule, len(order)))
    return next((o for o in ranked if o.verdict == Verdict.FAIL), None) or next(
        (o for o in ranked if o.verdict == Verdict.UNSURE), None
    )


# --- figures judged with their evidence ------------------------------------------------------------


def within(interval: Interval, tier: Tier, level: Status) -> Verdict:
    """PASS when every value of the interval is at `level` or better, FAIL when every value is worse,
    UNSURE when it spans both (`ops_perf.judge.evidence.decide` at the tier's limits)."""
    ranks = [status.rank for status in decide(interval, tier).spans]
    if max(ranks) <= level.rank:
        return Verdict.PASS
    if min(ranks) > level.rank:
        return Verdict.FAIL
    return Verdict.UNSURE


def limit_text(tier: Tier, level: Status, unit: str) -> str:
    """What `within level` means for this tier: `< 1,000 ms`, `<= 10 %`."""
    value, sign = {
        Status.TARGET: (tier.target, "<"),
        Status.ACCEPTABLE: (tier.acceptable, "<"),
        Status.CONCERN: (tier.critical, "<="),
    }[level]
    if tier.higher_is_better:
        sign = sign.replace("<", ">")
    space = "" if unit == "%" else " "
    return f"{sign} {value:,g}{space}{unit}"


@dataclass(frozen=True)
class Figure:
    """One row's data for one metric: a histogram (latency) or failures of requests (failure %)."""

    label: str
    tier: Tier | None
    histogram: Mapping[int, int] | None = None
    failures: int = 0
    requests: int = 0


def p95_rule(aggregate: Figure, rows: Sequence[Figure], level: Status, confidence: float = CONFIDENCE) -> Outcome:
    """Rule `p95`: the aggregate within `level` with evidence, no row beyond it with evidence."""

    def interval(fig: Figure) -> Interval | None:
        return percentile_interval(fig.histogram, 0.95, confidence) if fig.histogram else None

    return _evidence_rule("p95", "p95", "ms", 0, aggregate, rows, level, interval)


def failure_rule(aggregate: Figure, rows: Sequence[Figure], level: Status, confidence: float = CONFIDENCE) -> Outcome:
    """Rule `failure_pct`: the same with Wilson intervals of the failure %."""

    def interval(fig: Figure) -> Interval | None:
        return wilson_interval(fig.failures, fig.requests, confidence) if fig.requests else None

    return _evidence_rule("failure_pct", "failure %", "%", 2, aggregate, rows, level, interval)


def _evidence_rule(
    rule: str, metric: str, unit: str, places: int, aggregate: Figure, rows: Sequence[Figure], level: Status,
    interval_of: Callable[[Figure], Interval | None],
) -> Outcome:  # fmt: skip
    if aggregate.tier is None:
        return Outcome(rule, Verdict.NOT_JUDGED, f"no aggregate {metric} target in the targets file")
    agg = interval_of(aggregate)
    if agg is None:
        why = "no requests" if not aggregate.requests else "no histogram of its response times (<prefix>.json)"
        return Outcome(rule, Verdict.UNSURE, f"not enough evidence: {why}")
    limit = limit_text(aggregate.tier, level, unit)
    agg_verdict = within(agg, aggregate.tier, level)
    beyond: list[str] = []
    unsure = 0
    for row in rows:
        if row.tier is None:
            continue
        iv = interval_of(row)
        if iv is None:
            continue
        verdict = within(iv, row.tier, level)
        if verdict == Verdict.FAIL:
            beyond.append(f"{row.label} {metric} {iv.text(unit, places)} ({limit_text(row.tier, level, unit)})")
        elif verdict == Verdict.UNSURE:
            unsure += 1
    what = f"{metric} {agg.text(unit, places)}"
    if agg_verdict == Verdict.FAIL:
        return Outcome(rule, Verdict.FAIL, f"the API calls' {what}: beyond {level} ({limit})")
    if beyond:
        more = f" (and {len(beyond) - 1} more)" if len(beyond) > 1 else ""
        return Outcome(rule, Verdict.FAIL, f"{beyond[0]}: beyond {level}{more}")
    if agg_verdict == Verdict.UNSURE:
        return Outcome(rule, Verdict.UNSURE, f"not enough evidence: the API calls' {what}, across {level}'s {limit}")
    alone = f"; {unsure} row(s) too few to judge alone, none beyond" if unsure else ""
    return Outcome(rule, Verdict.PASS, f"the API calls' {what}: within {level} ({limit}){alone}")


# --- the other rules -------------------------------------------------------------------------------


def validity_rule(reasons: Sequence[str]) -> Outcome:
    if reasons:
        return Outcome("valid", Verdict.FAIL, f"run invalid: {reasons[0]}")
    return Outcome("valid", Verdict.PASS, "the run can be judged")


def errors_rule(gateway_504: int, connection_errors: int) -> Outcome:
    facts = []
    if gateway_504:
        facts.append(f"{gateway_504} gateway 504(s)")
    if connection_errors:
        facts.append(f"{connection_errors} connection error(s)")
    if facts:
        return Outcome("errors", Verdict.FAIL, " and ".join(facts))
    return Outcome("errors", Verdict.PASS, "no 504 and no connection error")


POOL_HEADROOM = 2.0
"""The pool is blamed for drops only when the users the offered rate needs at OPS's best response time
(Little's law: rate x time) exceed 1/POOL_HEADROOM of it: a pool that twice covers what a healthy OPS
needs did not run out for want of users, OPS's slower answers kept it busy."""
MAX_DROPPED_PCT = 1.0
"""More than this share of arrivals dropped: the step measured the generator or a saturated OPS."""


def arrivals_rule(
    arrivals: int, dropped: int, rate_per_s: float, max_users: int, best_response_ms: float | None
) -> Outcome:
    """Rule `arrivals`, with the cause of drops (`POOL_HEADROOM`): never "raise max_users" when OPS's
    own latency used up the pool."""
    if not arrivals:
        return Outcome("arrivals", Verdict.NOT_JUDGED, "no open-model arrivals recorded")
    share = 100.0 * dropped / arrivals
    if share <= MAX_DROPPED_PCT:
        return Outcome("arrivals", Verdict.PASS, f"{dropped} of {arrivals} arrivals dropped ({share:.2f} %)")
    head = f"{dropped} of {arrivals} arrivals dropped ({share:.1f} % > {MAX_DROPPED_PCT:g} %)"
    if best_response_ms is None or not max_users:
        return Outcome("arrivals", Verdict.FAIL, f"{head}: the pool of {max_users} users could not start them")
    needed = rate_per_s * best_response_ms / 1000.0
    if needed * POOL_HEADROOM > max_users:
        return Outcome(
            "arrivals", Verdict.FAIL,
            f"{head}: the pool of {max_users} users is too small for {rate_per_s:g}/s even at OPS's best response "
            f"time ({best_response_ms:,.0f} ms needs about {needed:,.0f} busy users): the generator ran out, not OPS",
            cause="users",
        )  # fmt: skip
    return Outcome(
        "arrivals", Verdict.FAIL,
        f"{head}: OPS's answers slowed until its {max_users} users were all waiting on it ({rate_per_s:g}/s needs "
        f"only about {needed:,.0f} at its best response time, {best_response_ms:,.0f} ms): OPS is saturated",
        cause="ops",
    )  # fmt: skip


def queue_rule(slope_s_per_s: float | None, max_growth: float) -> Outcome:
    if slope_s_per_s is None:
        return Outcome("queue", Verdict.UNSURE, "not enough evidence: fewer than 3 intervals of 5 completed requests")
    trend = f"latency {1000 * slope_s_per_s:+,.0f} ms per s"
    if slope_s_per_s > max_growth:
        return Outcome(
            "queue", Verdict.FAIL,
            f"the queue grows: {trend} (offered ~{100 * slope_s_per_s:.0f} % above what was served; "
            f"at most {1000 * max_growth:,.0f} ms per s)",
        )  # fmt: skip
    return Outcome("queue", Verdict.PASS, f"{trend} (at most {1000 * max_growth:+,.0f} ms per s)")


def throughput_rule(offered_per_s: float, seconds: int | None, answered: int | None, needed: int | None) -> Outcome:
    """Rule `throughput` (`ops_perf.capacity.throughput` derives its bound)."""
    if seconds is None or answered is None or needed is None:
        return Outcome("throughput", Verdict.UNSURE, "not enough evidence: no per-second counts (<prefix>.json)")
    if seconds < 1:
        return Outcome("throughput", Verdict.NOT_JUDGED, "the step has no whole second after its first")
    rate = answered / seconds
    text = (
        f"answered {answered} in {seconds} s ({rate:.1f}/s) of {offered_per_s:g}/s offered; "
        f"a step that keeps up answers at least {needed}"
    )
    if answered < needed:
        return Outcome("throughput", Verdict.FAIL, f"it fell behind: {text}")
    return Outcome("throughput", Verdict.PASS, text)


def pages_throughput() -> Outcome:
    return Outcome("throughput", Verdict.NOT_JUDGED, "page user: one arrival is a visit of a varying number of calls")
