"""A search's answer in words, and what to do about the limit it found. Judges nothing: reads the steps.

The answer is the highest good step, said as what it served: "the highest rate it served within
<tier> with evidence: N req/s", N being the requests that step answered without failure per second of
its window (`throughput`), rounded down. Why served, not the rate offered: a step a few per cent above
capacity cannot be told from one a few per cent below within a short step (at 85 against 80 req/s the
queue grows by 30 requests in 6 s, while the Poisson arrivals' own noise is sqrt(510) = 23 requests),
so whatever the rules, such a step is sometimes judged good; its offered rate would then overstate
what OPS did, while what it served cannot exceed what OPS can serve.

The advice names the server when the steps show it saturated (throughput flat while the offered
rate rose: the throughput or queue rule failed, OPS's latency used up the users, or the gateway cut
requests with 504s): "OPS served at most X req/s; add workers or find what serialises". It says
"raise max_users" only when the arrivals were dropped for want of users (`rules.arrivals_rule`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ops_perf.capacity.rules import Verdict
from ops_perf.capacity.search import Answer
from ops_perf.capacity.steps import Step
from ops_perf.capacity.throughput import floor_rate
from ops_perf.settings.targets import Status

SATURATING = frozenset({"queue", "throughput"})
"""Rules whose failure says OPS did not keep up with the offered rate."""


@dataclass(frozen=True)
class Conclusion:
    best: Step | None
    """The highest good step below the first bad one."""
    bad: Step | None
    """The first bad step above it (the lowest bad step when none was good)."""
    capacity_rps: float | None
    """What `best` served (req/s, rounded down); for the page user its API calls."""
    served_at_most: float | None
    """The most any step served (req/s): the server's ceiling when it saturated."""
    saturated: bool
    text: str
    advice: list[str]


def conclude(
    steps: Sequence[Step], answer: Answer, host: str, unit: str, within: Status, pages: bool, cap: float
) -> Conclusion:
    by_rate = {s.rate: s for s in steps}
    best = by_rate.get(answer.capacity) if answer.capacity is not None else None
    bad = by_rate.get(answer.first_bad) if answer.first_bad is not None else None
    capacity_rps = _served(best) if best is not None else None
    served = [s.served_rps for s in steps if s.served_rps is not None]
    most = floor_rate(max(served)) if served else None
    saturated = _saturated(steps, best)
    text = _text(best, bad, capacity_rps, host, unit, within, pages, cap)
    return Conclusion(best, bad, capacity_rps, most, saturated, text, _advice(steps, best, bad, unit, within, most))


def _served(step: Step) -> float:
    """What the step served, rounded down; its offered rate when it has no per-second counts."""
    return floor_rate(step.served_rps if step.served_rps is not None else step.rate_per_s)


def _text(
    best: Step | None, bad: Step | None, served: float | None, host: str, unit: str, within: Status, pages: bool,
    cap: float,
) -> str:  # fmt: skip
    if best is None or served is None:
        if bad is None:
            return f"{host}: no step was judged"
        return (
            f"{host}: no step was within {within} with evidence; the lowest, {bad.rate:g} {unit}, failed because "
            f"{bad.breaching}"
        )
    if pages:
        what = f"{best.rate:g} {unit} ({served:g} API req/s, step {best.number})"
    else:
        what = f"{served:g} req/s (step {best.number}, {best.rate:g} {unit} offered)"
    text = f"{host}: the highest rate it served within {within} with evidence: {what}"
    if bad is None:
        return f"{text}; every step up to the cap of {cap:g} {unit} was good: it may serve more"
    return f"{text}; the next step, {bad.rate:g} {unit}, failed because {bad.breaching}"


def _saturated(steps: Sequence[Step], best: Step | None) -> bool:
    """Whether a step above the best one shows OPS not keeping up (module docstring)."""
    floor = best.rate if best is not None else float("-inf")
    for step in steps:
        if step.rate <= floor:
            continue
        for outcome in step.outcomes:
            if outcome.verdict != Verdict.FAIL:
                continue
            if outcome.rule in SATURATING or (outcome.rule == "arrivals" and outcome.cause == "ops"):
                return True
        if step.gateway_504:
            return True
    return False


def _advice(
    steps: Sequence[Step], best: Step | None, bad: Step | None, unit: str, within: Status, most: float | None
) -> list[str]:
    if bad is None:
        if best is None:
            return []
        return [
            f"Every step up to the cap was within {within}: raise --max-rate (at most the environment's cap, "
            "config/environments.toml) to find where it stops."
        ]
    deciding = bad.deciding
    if deciding is not None and deciding.rule == "arrivals" and deciding.cause == "users":
        return [
            f"Arrivals were dropped for want of users at {bad.rate:g} {unit}: the pool of {bad.max_users} is too "
            "small for that rate even at OPS's best response time. Raise max_users (-u, or "
            "config/environments.toml) or add --processes, then search again."
        ]
    if _saturated(steps, best) and most is not None:
        peak = max((s for s in steps if s.served_rps is not None), key=lambda s: s.served_rps or 0.0)
        low = min(steps, key=lambda s: s.rate)
        rise = ""
        if low.p50_ms is not None and bad.p50_ms is not None:
            rise = f" while the latency rose (p50 {low.p50_ms:,.0f} ms at {low.rate:g} -> {bad.p50_ms:,.0f} ms at {bad.rate:g})"
        return [
            f"OPS served at most {most:g} req/s (step {peak.number}, {peak.rate:g} {unit} offered); above that the "
            f"throughput stayed flat as the offered rate rose{rise}: the server is saturated. Add workers "
            "(gunicorn workers x threads) or find what serialises requests (a lock, the database connection "
            "pool, one slow query holding a worker)."
        ]
    if deciding is None:
        return []
    where = f"step {bad.number} ({bad.rate:g} {unit})"
    if deciding.verdict == Verdict.UNSURE:
        return [
            f"{where} had too little evidence ({deciding.text}): lengthen --step-duration (it held {bad.hold_s:g} s)."
        ]
    if deciding.rule == "p95":
        return [
            f"Latency left {within} at {where} while OPS still kept up (no growing queue, throughput met): the "
            f"requests themselves are slow, not queued. Look at the slowest endpoints in {bad.prefix}_stats.csv "
            "rather than at the number of workers."
        ]
    if deciding.rule in ("failure_pct", "errors"):
        return [f"OPS answered with failures at {where}: {deciding.text}; see {bad.prefix}_failures.csv."]
    return [f"{where} could not be judged: {deciding.text}; see {bad.prefix}.log."]
