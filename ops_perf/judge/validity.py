"""Whether a run can be judged at all, and why not.

Why validity beats every figure: numbers from a broken run would either hide a problem or invent
one. A token that died, a saturated load generator, an open-model run that could not start its
arrivals on time (it measured the generator, not OPS), an interrupted run or a run with no requests
is RUN_INVALID whatever its figures say.
"""

from __future__ import annotations

from ops_perf.judge.numbers import g, round_half_up
from ops_perf.runfiles.load import Run, RunMeta

MAX_DROPPED_PCT = 1.0
"""An open-model run that dropped more than 1% of its arrivals is invalid (issue 10)."""


def load_seconds(meta: RunMeta) -> float | None:
    """The real load time: run.json `load_duration_s`, else from the load's start (after the warm-up) to
    its end (`load_ended_at`, else the end of the run)."""
    if meta.load_duration_s is not None:
        return meta.load_duration_s
    end = meta.load_ended_at or meta.ended_at
    if meta.load_started_at is None or end is None:
        return None
    return max(0.0, (end - meta.load_started_at).total_seconds())


def status_reason(meta: RunMeta) -> str | None:
    """Why the run's status makes it invalid (None for a completed run, or one without run.json)."""
    status = meta.status
    suffix = f" ({meta.status_detail})" if meta.status_detail else ""
    if status == "cut_short_auth":
        return f"the token died and the run was cut short{suffix}"
    if status == "interrupted":
        real = load_seconds(meta)
        when = f" after {g(float(round_half_up(real, 1)))} s of load" if real is not None else ""
        planned = f" of {g(meta.duration_s)} s planned" if meta.duration_s and real is not None else ""
        return f"the run was interrupted (Ctrl-C){when}{planned}{suffix}"
    if status not in (None, "completed"):
        return f"the run ended with status {status!r}{suffix}"
    return None


NO_REQUESTS = "no requests were made"


def invalid_reasons(run: Run) -> list[str]:
    """Why this run cannot be judged (empty when it can). Each reason is a short phrase."""
    meta = run.meta
    reasons: list[str] = []
    if (reason := status_reason(meta)) is not None:
        reasons.append(reason)
    if meta.cpu_warning is True:
        reasons.append("the load generator was saturated (Locust's CPU warning); add --processes")
    if meta.arrivals and meta.dropped_arrivals:
        share = meta.dropped_arrivals * 100.0 / meta.arrivals
        if share > MAX_DROPPED_PCT:
            reasons.append(
                f"{meta.dropped_arrivals} of {meta.arrivals} arrivals were dropped ({round_half_up(share, 2)}% > "
                f"{g(MAX_DROPPED_PCT)}%): it measured the load generator, not OPS; raise max_users or add --processes"
            )
    total = run.total
    if total is None or int(total["requests"]) == 0:
        reasons.append(NO_REQUESTS)
    elif (summed := int(run.endpoints["requests"].sum())) != int(total["requests"]):
        # Locust writes every row of the stats CSV in one pass, so they always add up. When they
        # do not, the file was rewritten after `--json-file` reset the per-endpoint stats at
        # shutdown (the Aggregated row survives that reset): the endpoint numbers are lost.
        reasons.append(
            f"the stats CSV is inconsistent: its endpoint rows add up to {summed} requests, "
            f"its Aggregated row to {int(total['requests'])} (rewritten after Locust reset its stats "
            "at shutdown)"
        )
    return reasons
