"""The success criteria of the 2025-10-15 report (`[success_criteria]`): PASS / FAIL / n/a per run.

Why they sit beside the targets: they are how the OPS team read a run before the tiers existed (an
error rate judged only at 10 users or more, one p95 limit for every endpoint, no 504 at all), and the
report keeps stating them. They are not the gate: `[gate] fail_on` over the target statuses decides
the exit code, and the report says both, from this one evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ops_perf.judge.ceiling import Gateway
from ops_perf.judge.numbers import g, plural, round_half_up
from ops_perf.judge.rows import Overall, Row
from ops_perf.runfiles.load import RunMeta
from ops_perf.settings.targets import SuccessCriteria


@dataclass(frozen=True)
class Criterion:
    name: str
    limit: str
    value: str
    verdict: str  # PASS / FAIL / n/a
    detail: str = ""


def success_criteria(
    overall: Overall,
    rows: Sequence[Row],
    meta: RunMeta,
    gateway: Gateway,
    failures_file: bool,
    crit: SuccessCriteria,
) -> tuple[list[Criterion], str]:
    out: list[Criterion] = []
    limit = f"< {g(crit.max_error_pct)}% at >= {crit.error_pct_min_users} users"
    value = "n/a" if overall.failure_pct is None else f"{round_half_up(overall.failure_pct, 2)}%"
    if meta.users is None:
        out.append(Criterion("error rate", limit, value, "n/a", "user count not recorded"))
    elif meta.users < crit.error_pct_min_users:
        out.append(
            Criterion(
                "error rate", limit, value, "n/a", f"run had {meta.users} users, fewer than {crit.error_pct_min_users}"
            )
        )
    elif overall.failure_pct is None:
        out.append(Criterion("error rate", limit, value, "n/a", "no requests"))
    else:
        ok = overall.failure_pct < crit.max_error_pct
        out.append(Criterion("error rate", limit, value, "PASS" if ok else "FAIL"))

    measured = [r for r in rows if r.requests > 0 and r.p95 is not None]
    over = sorted(
        (r for r in measured if r.p95 is not None and r.p95 >= crit.max_endpoint_p95_ms),
        key=lambda r: (-(r.p95 or 0.0), r.label),
    )
    limit = f"< {g(crit.max_endpoint_p95_ms)} ms, every endpoint"
    if not measured:
        out.append(Criterion("endpoint p95", limit, "n/a", "n/a", "no endpoint percentiles"))
    else:
        value = f"{len(over)} of {len(measured)} endpoints at or above"
        detail = f"worst: {over[0].label} ({g(over[0].p95 or 0)} ms)" if over else ""
        out.append(Criterion("endpoint p95", limit, value, "FAIL" if over else "PASS", detail))

    limit = f"<= {crit.max_gateway_timeouts}"
    if not failures_file and overall.failures:
        out.append(Criterion("504 gateway timeouts", limit, "unknown", "n/a", "failures file missing"))
    else:
        ok = gateway.total_504 <= crit.max_gateway_timeouts
        detail = f"on {plural(len(gateway.endpoints_504), 'endpoint')}" if gateway.total_504 else ""
        out.append(Criterion("504 gateway timeouts", limit, str(gateway.total_504), "PASS" if ok else "FAIL", detail))

    limit = f"< {g(crit.max_endpoint_failure_pct)}% failures, every endpoint"
    with_requests = [r for r in rows if r.requests > 0]
    bad = sorted(
        (r for r in with_requests if (r.failure_pct or 0.0) >= crit.max_endpoint_failure_pct),
        key=lambda r: (-(r.failure_pct or 0.0), r.label),
    )
    if not with_requests:
        out.append(Criterion("endpoint failure rate", limit, "n/a", "n/a", "no requests"))
    else:
        detail = f"worst: {bad[0].label} ({round_half_up(bad[0].failure_pct or 0.0, 2)}%)" if bad else ""
        out.append(
            Criterion(
                "endpoint failure rate",
                limit,
                f"{len(bad)} of {len(with_requests)} endpoints at or above",
                "FAIL" if bad else "PASS",
                detail,
            )
        )
    verdicts = [c.verdict for c in out]
    if "FAIL" in verdicts:
        overall_verdict = "FAIL"
    elif "PASS" not in verdicts:
        overall_verdict = "n/a"
    else:
        na = verdicts.count("n/a")
        overall_verdict = "PASS" if not na else f"PASS ({na} not applicable)"
    return out, overall_verdict
