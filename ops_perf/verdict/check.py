"""`ops-perf check RUN`: one run against config/targets.toml, as lines, an exit code and JUnit XML.

The judging is the judge's (`ops_perf.judge`): this module renders its `RunJudgement`, the same one
the report renders, so the check and the report cannot disagree. The same function runs at the end
of every `ops-perf run`, so a local run and the nightly judge by one set of numbers. Order of
precedence (the judge's): a run that cannot be judged (token died, load generator saturated, arrivals
dropped, interrupted, no requests) is RUN_INVALID whatever its numbers say; otherwise any metric at
or beyond the `[gate] fail_on` tier is THRESHOLDS_BREACHED.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from ops_perf.errors import OneLineParser
from ops_perf.exitcodes import ExitCode
from ops_perf.judge import RunJudgement, judge_run
from ops_perf.judge.statuses import NOT_ENOUGH_EVIDENCE, MetricStatus, RowStatus
from ops_perf.runfiles.load import AGGREGATED, Run, open_runs
from ops_perf.settings.targets import Targets, load_targets
from ops_perf.verdict import junit

UNPROVEN_SHOWN = 10
"""Figures that would breach by their point alone, listed by the check; the rest are counted."""
CLASSNAMES = {
    "aggregate": "ops-perf.check.aggregate",
    "endpoint": "ops-perf.check.endpoint",
    "page": "ops-perf.check.page",
}


@dataclass
class CheckResult:
    """A run's judgement, with what the check prints it for."""

    run: Run
    env: str | None
    targets: Targets
    judgement: RunJudgement

    @property
    def aggregate(self) -> RowStatus:
        return self.judgement.aggregate

    @property
    def endpoints(self) -> list[RowStatus]:
        return self.judgement.endpoint_statuses

    @property
    def pages(self) -> list[RowStatus]:
        return self.judgement.page_statuses

    @property
    def invalid(self) -> list[str]:
        return self.judgement.invalid

    @property
    def breaches(self) -> list[tuple[str, MetricStatus]]:
        return [(b.row, b.check) for b in self.judgement.breaches]

    @property
    def exit_code(self) -> ExitCode:
        return self.judgement.exit_code


def check_run(run: Run, targets: Targets, env: str | None = None) -> CheckResult:
    """Judge one loaded run. Pure: reads nothing, writes nothing."""
    return CheckResult(run, env, targets, judge_run(run, targets, run.raw_histograms))


def _row_case(row: RowStatus) -> list[junit.Case]:
    """The aggregate: one case per metric. An endpoint or a page: one case with every metric."""
    classname = CLASSNAMES[row.kind]
    if row.skipped:
        return [junit.Case(classname, row.name, junit.Outcome.SKIPPED, row.skipped)]
    if row.kind == "aggregate":
        cases = []
        for check in row.metrics:
            name = f"{AGGREGATED} {check.metric}"
            if check.status is None:
                cases.append(junit.Case(classname, name, junit.Outcome.SKIPPED, check.describe()))
            elif check.breach:
                cases.append(junit.Case(classname, name, junit.Outcome.FAILED, check.describe(), check.describe()))
            else:
                cases.append(junit.Case(classname, name, junit.Outcome.PASSED, "", check.describe()))
        return cases
    details = "\n".join(c.describe() for c in row.metrics) + f"\nrequests: {row.requests}"
    if row.breaches:
        message = f"{row.name}: " + "; ".join(c.describe() for c in row.breaches)
        return [junit.Case(classname, row.name, junit.Outcome.FAILED, message, details)]
    if row.verdict == NOT_ENOUGH_EVIDENCE:  # not a pass: the run cannot tell
        message = f"{row.name}: " + "; ".join(c.describe() for c in row.undecided)
        return [junit.Case(classname, row.name, junit.Outcome.SKIPPED, message, details)]
    return [junit.Case(classname, row.name, junit.Outcome.PASSED, "", details)]


def junit_cases(result: CheckResult) -> list[junit.Case]:
    """One case for run validity, one per aggregate metric (a not-applicable one skipped with its
    reason), one per endpoint and one per page."""
    cases = [
        junit.Case(
            "ops-perf.check",
            "run validity",
            junit.Outcome.ERROR if result.invalid else junit.Outcome.PASSED,
            "run invalid: " + "; ".join(result.invalid) if result.invalid else "",
        )
    ]
    for row in result.judgement.rows:
        cases.extend(_row_case(row))
    return cases


def summary_lines(result: CheckResult) -> list[str]:
    """What the terminal shows: the verdict first, then one line per breach, then what was not judged."""
    run = result.run
    j = result.judgement
    code = result.exit_code
    lines = [
        f"ops-perf check {run.label} (env {result.env or 'unknown'}, targets {result.targets.source}): "
        f"{code.name} (exit {int(code)})"
    ]
    for reason in result.invalid:
        lines.append(f"  run invalid: {reason}")
    breaches = j.breaches
    gate = result.targets.gate
    rule = f"each interval ({gate.confidence:.0%}) wholly there" if gate.rule == "evidence" else "point values (strict)"
    counted = f"  {len(breaches)} breach(es) at or beyond '{gate.fail_on.value}' ({rule}); " + _counts(
        result.endpoints, "endpoint"
    )
    if result.pages:
        counted += "; " + _counts(result.pages, "page")
    lines.append(counted)
    for breach in breaches:
        lines.append(f"  BREACH {breach.describe()}")
    unproven = [
        f"  UNPROVEN {row.name}: {check.describe()}" for row in j.rows for check in row.metrics if check.point_breach
    ]
    lines.extend(unproven[:UNPROVEN_SHOWN])
    if len(unproven) > UNPROVEN_SHOWN:
        lines.append(f"  ... and {len(unproven) - UNPROVEN_SHOWN} more unproven (the report's findings name them)")
    for check in result.aggregate.metrics:
        if check.undecided and not check.point_breach:
            lines.append(f"  not enough evidence {AGGREGATED}: {check.describe()}")
        elif check.status is None and not check.undecided:
            lines.append(f"  n/a {AGGREGATED}: {check.describe()}")
    ceiling = j.gateway.effective
    if ceiling is not None:
        lines.append(
            f"  gateway ceiling near {ceiling.seconds:g} s ({j.gateway.total_504} x 504): figures at it are capped, "
            "the real ones higher"
        )
        for check in result.aggregate.metrics:
            if check.capped and not check.breach:
                lines.append(f"  capped {AGGREGATED}: {check.describe()}")
    if j.overall.page_views:
        lines.append(
            f"  aggregate over the {j.overall.requests} API calls only "
            f"({j.overall.page_views} page views left out of it)"
        )
    for cause in j.why.causes:  # the judge's causes of slowness (records, health): not part of the gate
        lines.append(f"  why: {cause.line()}")
    lines.append(f"  success criteria (report): {j.criteria_verdict}; not part of the gate")
    return lines


def _counts(rows: Sequence[RowStatus], kind: str) -> str:
    """`55 endpoint(s): 20 judged, 35 with not enough evidence on some metric, 0 without requests` (a row
    judged concern or critical on one metric is judged, whatever its other metrics could not tell)."""
    empty = sum(1 for r in rows if r.skipped)
    undecided = sum(1 for r in rows if r.verdict == NOT_ENOUGH_EVIDENCE)
    return (
        f"{len(rows)} {kind}(s): {len(rows) - empty - undecided} judged, {undecided} with not enough evidence "
        f"on some metric, {empty} without {'requests' if not any('data' in r.skipped for r in rows) else 'enough data'}"
    )


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
    parser.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write every verdict as JUnit XML (default: none)"
    )
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    run = open_runs([args.run])[0]
    return check_loaded(run, args.env or run.env, args.junit, args.targets)


def check_loaded(run: Run, env: str | None, junit_path: Path | None = None, targets_path: Path | None = None) -> int:
    """Judge a loaded run, write its JUnit file, print the verdict lines; returns the exit code.

    What `ops-perf check` does after loading, and what `ops-perf run` calls with the run it loaded
    once for the store, the report and this check.
    """
    targets = load_targets(targets_path, env)
    result = check_run(run, targets, env)
    if junit_path:
        junit.write(
            junit_path,
            f"ops-perf check {run.prefix}",
            junit_cases(result),
            {"run": run.label, "env": env, "targets": targets.source, "exit_code": int(result.exit_code)},
        )
    print("\n".join(summary_lines(result)), flush=True)
    return int(result.exit_code)


__all__ = ["CheckResult", "check_loaded", "check_run", "junit_cases", "main", "summary_lines"]
