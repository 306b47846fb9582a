"""`ops-perf check RUN`: one run against config/targets.toml, as an exit code and JUnit XML.

The same function runs at the end of every `ops-perf run`, so a local run and the nightly judge by
one set of numbers. Order of precedence: a run that cannot be judged (token died, load generator
saturated, no requests) is RUN_INVALID whatever its numbers say, because numbers from a broken run
would either hide a problem or invent one; otherwise any check at or beyond the `[gate] fail_on`
tier is THRESHOLDS_BREACHED.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ops_perf.exitcodes import ExitCode
from ops_perf.report.load import AGGREGATED
from ops_perf.targets import Status, Targets, Tier, load_targets
from ops_perf.verdict import junit
from ops_perf.verdict.runs import OneLineParser, RowStats, Run, open_runs


@dataclass(frozen=True)
class MetricCheck:
    """One metric of one row against its tier."""

    metric: str
    value: float
    tier: Tier
    status: Status | None
    """None when not judged (no value, or the limit is out of reach by design)."""
    failed: bool
    note: str = ""

    def describe(self) -> str:
        limit = self.tier.critical if self.status is Status.CRITICAL else self.tier.acceptable
        relation = "<" if self.tier.higher_is_better else ">"
        if self.status is None:
            return f"{self.metric} not judged: {self.note}"
        text = f"{self.metric} {fmt(self.value, self.metric)} is {self.status.value}"
        if self.status.rank >= Status.CONCERN.rank:
            text += f" ({relation} {fmt(limit, self.metric)})"
        return text


@dataclass
class RowCheck:
    """Every metric of one endpoint (or of the aggregate); `skipped` holds the "not enough data" reason."""

    name: str
    requests: int
    checks: list[MetricCheck] = field(default_factory=list)
    skipped: str = ""

    @property
    def failed(self) -> list[MetricCheck]:
        return [c for c in self.checks if c.failed]


@dataclass
class CheckResult:
    run: Run
    env: str | None
    targets: Targets
    aggregate: RowCheck
    endpoints: list[RowCheck]
    invalid: list[str]

    @property
    def breaches(self) -> list[tuple[str, MetricCheck]]:
        rows = [self.aggregate, *self.endpoints]
        return [(row.name, check) for row in rows for check in row.failed]

    @property
    def exit_code(self) -> ExitCode:
        if self.invalid:
            return ExitCode.RUN_INVALID
        return ExitCode.THRESHOLDS_BREACHED if self.breaches else ExitCode.OK


def fmt(value: float, metric: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if metric == "failure_pct":
        return f"{value:.2f}%"
    if metric == "rps":
        return f"{value:.2f} req/s"
    return f"{value:,.0f} ms"


def check_run(run: Run, targets: Targets, env: str | None = None) -> CheckResult:
    """Judge one loaded run. Pure: reads nothing, writes nothing."""
    gate = targets.gate
    total = run.total
    agg = RowCheck(AGGREGATED, total.requests if total else 0)
    if total is None or total.requests == 0:
        agg.skipped = "no requests"
    else:
        agg.checks = [_judge(total, metric, tier, targets, run) for metric, tier in targets.aggregate.items()]
    endpoints: list[RowCheck] = []
    for name, row in sorted(run.rows.items()):
        rc = RowCheck(name, row.requests)
        if row.requests < max(1, gate.min_requests_per_endpoint):
            rc.skipped = f"not enough data ({row.requests} < {max(1, gate.min_requests_per_endpoint)} requests)"
        else:
            rc.checks = [_judge(row, m, t, targets, run) for m, t in targets.endpoint_for(name).items()]
        endpoints.append(rc)
    return CheckResult(run, env, targets, agg, endpoints, run.invalid_reasons())


def _judge(row: RowStats, metric: str, tier: Tier, targets: Targets, run: Run) -> MetricCheck:
    value = row.values.get(metric, math.nan)
    if value is None or math.isnan(value):
        return MetricCheck(metric, math.nan, tier, None, False, "no value in the stats file")
    ceiling = _rps_ceiling(run) if metric == "rps" and row.name == AGGREGATED else None
    if ceiling is not None and ceiling < tier.critical:
        # A closed-loop test with think time cannot exceed users / min think time. A limit above
        # that ceiling fails every run by construction and says nothing about OPS.
        meta = run.data.meta
        think = meta.think_time_s[0] if meta.think_time_s else 0.0
        return MetricCheck(
            metric,
            value,
            tier,
            None,
            False,
            f"out of reach by design: {meta.users} users with {think:g} s minimum think "
            f"time make at most {ceiling:.2f} req/s < critical {tier.critical:g}",
        )
    status = tier.status(value)
    return MetricCheck(metric, value, tier, status, status.rank >= targets.gate.fail_on.rank)


def _rps_ceiling(run: Run) -> float | None:
    meta = run.data.meta
    if meta.think_time_s is None or meta.users is None or "users" in meta.inferred:
        return None
    low = meta.think_time_s[0]
    return meta.users / low if low > 0 else None


def junit_cases(result: CheckResult) -> list[junit.Case]:
    """One case for run validity, one per aggregate metric, one per endpoint."""
    cases = [
        junit.Case(
            "ops-perf.check",
            "run validity",
            junit.Outcome.ERROR if result.invalid else junit.Outcome.PASSED,
            "run invalid: " + "; ".join(result.invalid) if result.invalid else "",
        )
    ]
    if result.aggregate.skipped:
        cases.append(
            junit.Case("ops-perf.check.aggregate", AGGREGATED, junit.Outcome.SKIPPED, result.aggregate.skipped)
        )
    for check in result.aggregate.checks:
        name = f"{AGGREGATED} {check.metric}"
        if check.status is None:
            cases.append(junit.Case("ops-perf.check.aggregate", name, junit.Outcome.SKIPPED, check.describe()))
        else:
            outcome = junit.Outcome.FAILED if check.failed else junit.Outcome.PASSED
            cases.append(
                junit.Case(
                    "ops-perf.check.aggregate",
                    name,
                    outcome,
                    check.describe() if check.failed else "",
                    check.describe(),
                )
            )
    for row in result.endpoints:
        if row.skipped:
            cases.append(junit.Case("ops-perf.check.endpoint", row.name, junit.Outcome.SKIPPED, row.skipped))
            continue
        details = "\n".join(c.describe() for c in row.checks) + f"\nrequests: {row.requests}"
        if row.failed:
            message = f"{row.name}: " + "; ".join(c.describe() for c in row.failed)
            cases.append(junit.Case("ops-perf.check.endpoint", row.name, junit.Outcome.FAILED, message, details))
        else:
            cases.append(junit.Case("ops-perf.check.endpoint", row.name, junit.Outcome.PASSED, "", details))
    return cases


def summary_lines(result: CheckResult) -> list[str]:
    """What the terminal shows: the verdict first, then one line per breach."""
    run = result.run
    code = result.exit_code
    judged = sum(1 for r in result.endpoints if not r.skipped)
    lines = [
        f"ops-perf check {run.label} (env {result.env or 'unknown'}, targets {result.targets.source}): "
        f"{code.name} (exit {int(code)})"
    ]
    for reason in result.invalid:
        lines.append(f"  run invalid: {reason}")
    breaches = result.breaches
    lines.append(
        f"  {len(breaches)} breach(es) at or beyond '{result.targets.gate.fail_on.value}'; "
        f"{judged} endpoint(s) judged, {len(result.endpoints) - judged} with not enough data"
    )
    for name, check in breaches:
        lines.append(f"  BREACH {name}: {check.describe()}")
    for check in result.aggregate.checks:
        if check.status is None:
            lines.append(f"  skipped {AGGREGATED} {check.describe()}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ops-perf check",
        description="Judge one run against config/targets.toml. Exit codes: 0 passed, 1 thresholds breached, "
        "2 usage or input error, 4 run invalid.",
    )
    parser.add_argument(
        "run", metavar="RUN", help="run prefix, e.g. results/2026-01-05/stg-baseline (or any of its files)"
    )
    parser.add_argument("--env", help="environment whose [env.<name>] overrides apply (default: the run's)")
    parser.add_argument("--targets", type=Path, help="targets file (default config/targets.toml)")
    parser.add_argument("--junit", type=Path, metavar="FILE", help="write every verdict as JUnit XML")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    run = open_runs([args.run])[0]
    env = args.env or run.env
    targets = load_targets(args.targets, env)
    result = check_run(run, targets, env)
    if args.junit:
        junit.write(
            args.junit,
            f"ops-perf check {run.prefix}",
            junit_cases(result),
            {"run": run.label, "env": env, "targets": targets.source, "exit_code": int(result.exit_code)},
        )
    print("\n".join(summary_lines(result)), flush=True)
    return int(result.exit_code)


__all__ = ["CheckResult", "MetricCheck", "RowCheck", "check_run", "junit_cases", "main"]
