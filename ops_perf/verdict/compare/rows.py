"""`compare_runs`: a candidate against one or more baseline runs, row by row, each metric by its rule.

The rules are one module per metric family: `catalog` (new or gone rows), `latency`, `failures`,
`throughput` (requests/s); `comparability` decides first whether the runs may be compared at all.
A baseline may be several runs (their median per metric), so one noisy night does not set the bar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ops_perf.errors import OpsPerfError
from ops_perf.judge.figures import METRICS
from ops_perf.judge.validity import invalid_reasons
from ops_perf.runfiles.load import AGGREGATED, Run
from ops_perf.settings.targets import Noise
from ops_perf.verdict.compare.catalog import new_or_gone
from ops_perf.verdict.compare.comparability import differences, noted_differences
from ops_perf.verdict.compare.delta import Change, MetricDelta
from ops_perf.verdict.compare.failures import failure_delta
from ops_perf.verdict.compare.latency import LATENCY, latency_deltas, tail_minimum
from ops_perf.verdict.compare.model import ORDER, Comparison, RowComparison
from ops_perf.verdict.compare.sides import Side, Sides, gather
from ops_perf.verdict.compare.throughput import rps_delta


def compare_runs(baselines: Sequence[Run], candidate: Run, settings: Noise, allow_mismatch: bool = False) -> Comparison:
    """Compare a candidate with one or more baseline runs. Raises on a refused mismatch."""
    if not baselines:
        raise OpsPerfError("no baseline run given; pass BASELINE CANDIDATE or --baseline-last N")
    for run in baselines:
        if reasons := invalid_reasons(run):
            raise OpsPerfError(f"baseline {run.label} cannot be a baseline: {'; '.join(reasons)}; pick another run")
    invalid = invalid_reasons(candidate)
    diffs = differences(baselines, candidate)
    if diffs and not allow_mismatch and not invalid:
        raise OpsPerfError("runs are not comparable: " + "; ".join(diffs) + "; pass --allow-mismatch to compare anyway")
    comparison = Comparison(list(baselines), candidate, settings, diffs, None, [], invalid)
    comparison.notes.extend(noted_differences(baselines, candidate))
    for run in [*baselines, candidate]:
        comparison.notes.extend(f"{run.label}: {note}" for note in run.notes)
    if invalid:
        return comparison
    base_sides, cand_side = [Side.of(run) for run in baselines], Side.of(candidate)
    names = sorted(set(cand_side.figures.rows).union(*(set(s.figures.rows) for s in base_sides)))
    every = {name: gather(name, base_sides, cand_side) for name in [AGGREGATED, *names]}
    comparison.family = family = family_size(every.values(), settings)
    comparison.aggregate = compare_row(every[AGGREGATED], settings, family)
    rows = [compare_row(every[name], settings, family) for name in names]
    rows.sort(key=lambda r: (ORDER.index(r.verdict), r.name))
    comparison.endpoints = rows
    return comparison


def family_size(rows: Iterable[Sides], settings: Noise) -> int:
    """How many metric comparisons carry a verdict: failure % and the latencies with enough data, per row.

    The intervals are Bonferroni-adjusted over this number (see `noise`), so that an A/A comparison
    of 65 rows does not flag a few of them by chance.
    """
    family = 0
    for sides in rows:
        if sides.cand is None or not sides.base:
            continue
        n = sides.samples
        family += sum(
            1
            for metric in ("failure_pct", *LATENCY)
            if not sides.lacks_evidence(metric, settings) and tail_minimum(metric) <= n
        )
    return max(1, family)


def compare_row(sides: Sides, settings: Noise, family: int) -> RowComparison:
    """One row: new or gone, else each metric by its rule, and the row's verdict from its metrics."""
    if (edge := new_or_gone(sides)) is not None:
        return edge
    assert sides.cand is not None
    base = {m: sides.baseline(m) for m in METRICS}
    deltas = latency_deltas(sides, base, settings, family)
    deltas["failure_pct"] = failure_delta(sides, base["failure_pct"], settings, family)
    deltas["rps"] = rps_delta(sides, base["rps"], settings)
    result = RowComparison(sides.name, sides.base_requests, sides.cand.requests, {m: deltas[m] for m in METRICS})
    result.verdict = row_verdict(result.metrics.values())
    # Fixed: it failed before (in the median baseline run), and none of its requests fail now.
    result.fixed = sides.name != AGGREGATED and base["failure_pct"] > 0 and sides.cand.failures == 0
    return result


def row_verdict(metrics: Iterable[MetricDelta]) -> Change:
    """Regressed if any judged metric regressed, else improved if any improved; else not enough evidence when
    no latency figure could be compared (a failure % within its floor alone says nothing of the speed),
    else unchanged."""
    deltas = [m for m in metrics if m.change is not None]
    judged = [m.change for m in deltas]
    if Change.REGRESSED in judged:
        return Change.REGRESSED
    if Change.IMPROVED in judged:
        return Change.IMPROVED
    if all(m.change is Change.NO_DATA for m in deltas if m.metric in LATENCY):
        return Change.NO_DATA
    return Change.UNCHANGED


__all__ = ["compare_row", "compare_runs", "family_size", "row_verdict"]
