"""From loaded runs to what the report states: the judge's evaluation, plus the report's descriptions.

Why this split: every status, severity and verdict comes from `ops_perf.judge` (the same evaluation
`ops-perf check` and JUnit render), so the report cannot disagree with the gate. This module only adds
what a reader needs around it: the slowest and fastest endpoints, catalog coverage, the load
generator's exceptions, the history's kind, the threshold table and the pages section. A run's design
limits are the judge's (`RunJudgement.design_limits`), rendered as they are. Templates format these
dataclasses and state no figure that is not in them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ops_perf.judge import Finding, RunJudgement, findings, judge_runs
from ops_perf.judge.ceiling import Ceiling, CeilingEndpoint, Gateway
from ops_perf.judge.failures import (
    ErrorClass,
    classify_error,
)
from ops_perf.judge.findings import SHORT_METRIC
from ops_perf.judge.numbers import pct, plural, round_half_up
from ops_perf.judge.rows import Row
from ops_perf.judge.statuses import METRIC_ORDER, DesignLimit
from ops_perf.judge.validity import load_seconds
from ops_perf.paths import PROJECT_ROOT
from ops_perf.report.model import CatalogNames, RunAnalysis, TargetCell, ThresholdRow
from ops_perf.report.pages import summarise_pages
from ops_perf.report.recommend import Recommendation, recommendations
from ops_perf.report.why import why_section
from ops_perf.runfiles.diagnosis_json import Diagnosis
from ops_perf.runfiles.load import Run
from ops_perf.settings.targets import Status, SuccessCriteria, Targets, Tier

TOP_N = 5
DEFECT_SUFFIX = " (frontend defect)"
"""A frontend defect's Locust name ends so (`users/pages/view.py`): known, never "not in the catalog"."""

EndpointRow = Row
"""The report's name for an API row (kept for readers of older code)."""

METRIC_LABELS = {
    "p50_ms": "median (ms)",
    "p95_ms": "p95 (ms)",
    "p99_ms": "p99 (ms)",
    "avg_ms": "average (ms)",
    "failure_pct": "failure %",
    "rps": "requests/s",
}


@dataclass(frozen=True)
class DesignNote:
    """One endpoint whose error status OPS gives by design (a record without the resource), as met."""

    endpoint: str
    status: int
    count: int
    why: str
    runs: tuple[str, ...]


def design_notes(runs: Sequence[RunAnalysis]) -> list[DesignNote]:
    """The designed answers of every run, merged per endpoint and status (the API-design note, once)."""
    try:
        from ops_perf.users.endpoints.catalog import DESIGNED_ANSWERS as designed
    except Exception:  # a broken catalog costs the explanation, never the report
        designed = {}
    found: dict[tuple[str, int], tuple[int, list[str]]] = {}
    for r in runs:
        answers = r.meta.record.get("designed_answers") if isinstance(r.meta.record, Mapping) else None
        if not isinstance(answers, Mapping):
            continue
        for endpoint, statuses in answers.items():
            for status, count in (statuses or {}).items():
                total, where = found.get((str(endpoint), int(status)), (0, []))
                found[(str(endpoint), int(status))] = (total + int(count), [*where, r.prefix])
    notes = []
    for (endpoint, status), (count, where) in sorted(found.items()):
        answer = designed.get(endpoint)
        notes.append(DesignNote(endpoint, status, count, answer.note if answer else "", tuple(dict.fromkeys(where))))
    return notes


@dataclass
class Analysis:
    runs: list[RunAnalysis]
    findings: list[Finding]
    recommendations: list[Recommendation]
    thresholds: list[ThresholdRow]
    page_thresholds: list[ThresholdRow]
    metrics: list[str]
    success: SuccessCriteria
    catalog_size: int | None
    targets_source: str
    notes: list[str]
    not_judged: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """(metric label, reason, runs) for aggregate targets that were not applicable."""
    capped: list[tuple[str, str, list[str]]] = field(default_factory=list)
    """(metric label, note, runs) for aggregate figures a gateway ceiling caps."""
    design_notes: list[DesignNote] = field(default_factory=list)
    """OPS's designed error answers the runs met (run.json `designed_answers`), once for all runs."""

    def run(self, prefix: str) -> RunAnalysis:
        return next(r for r in self.runs if r.prefix == prefix)

    def by_severity(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]


def _by_avg(rows: list[Row], slowest: bool) -> list[Row]:
    """Top endpoints by average response time. An endpoint that failed every request is left out of the
    fastest: a quick 404 is not a fast endpoint."""
    measured = [r for r in rows if r.requests > 0 and r.avg is not None and (slowest or r.failures < r.requests)]
    if slowest:
        measured.sort(key=lambda r: (-(r.avg or 0.0), r.label))
    else:
        measured.sort(key=lambda r: (r.avg or 0.0, r.label))
    return measured[:TOP_N]


def _target_cells(j: RunJudgement) -> list[TargetCell]:
    return [
        TargetCell(
            m.metric,
            m.value,
            m.status.value if m.status is not None else ("not enough evidence" if m.undecided else "n/a"),
            m.reason,
            m.capped,
        )
        for m in j.aggregate.metrics
    ]


def _endpoint_status(j: RunJudgement) -> tuple[dict[str, int], list[tuple[Row, str, str]]]:
    """Counts of the judge's worst status per endpoint, and the endpoints at concern or critical."""
    counts = {s.value: 0 for s in Status} | {"not enough data": 0, "not enough evidence": 0}
    flagged: list[tuple[Row, str, str]] = []
    for rs in j.endpoint_statuses:
        worst, verdict = rs.worst, rs.verdict
        if verdict not in counts or rs.row is None or worst is None:
            counts["not enough data"] += 1
            continue
        counts[verdict] += 1
        if verdict in (Status.CONCERN.value, Status.CRITICAL.value):
            which = ", ".join(SHORT_METRIC.get(m.metric, m.metric) for m in rs.at(worst))
            flagged.append((rs.row, worst.value, which))
    flagged.sort(key=lambda x: (-Status(x[1]).rank, -(x[0].p95 or 0.0), x[0].label))
    return counts, flagged


def _describe_run(run: Run, j: RunJudgement, catalog: CatalogNames | None) -> RunAnalysis:
    rows = j.endpoints
    exercised = {r.label for r in rows if r.requests > 0}
    never = not_in = None
    if catalog is not None:
        pages_run = run.has_pages or run.meta.user == "pages"
        never = [name for name in catalog.expected(pages_run) if name not in exercised]
        known = catalog.known()
        not_in = sorted(n for n in exercised - known if not n.endswith(DEFECT_SUFFIX))
    meta = run.meta
    lead_in = load_s = None
    if meta.load_started_at is not None and meta.started_at is not None:
        lead_in = (meta.load_started_at - meta.started_at).total_seconds()
    load_s = load_seconds(meta)
    exceptions = None
    if run.exceptions is not None:
        exceptions = sorted(
            ((int(c), str(m)) for c, m in zip(run.exceptions["count"], run.exceptions["message"], strict=True)),
            key=lambda x: (-x[0], x[1]),
        )
    counts, concerns = _endpoint_status(j)
    history_kind = "none" if run.history is None else ("aggregated" if run.history.cumulative else "full")
    return RunAnalysis(
        judgement=j,
        endpoints_exercised=len(exercised),
        slowest=_by_avg(rows, True),
        fastest=_by_avg(rows, False),
        exceptions=exceptions,
        targets=_target_cells(j),
        endpoint_status=counts,
        endpoint_concerns=concerns,
        never_exercised=never,
        not_in_catalog=not_in,
        catalog_expected=len(catalog.expected(run.has_pages or run.meta.user == "pages")) if catalog else None,
        lead_in_s=lead_in,
        load_s=load_s,
        history_kind=history_kind,
        history_rows=run.history.rows if run.history else 0,
        pages=summarise_pages(j, run.pages),
        pages_sidecar=run.pages is not None,
        why=why_section(j),
    )


def _thresholds(
    per_run: Mapping[str, Targets], default: Targets, section: str = "aggregate"
) -> tuple[list[ThresholdRow], list[str]]:
    def tiers(t: Targets) -> dict[str, Tier]:
        return t.aggregate if section == "aggregate" else t.page

    metrics = [m for m in METRIC_ORDER if m in tiers(default) or any(m in tiers(t) for t in per_run.values())]
    rows = []
    for metric in metrics:
        tier = tiers(default).get(metric)
        described = tier.describe() if tier is not None else ("-", "-", "-")
        overrides: dict[str, list[str]] = {}
        for prefix, t in per_run.items():
            other: Tier | None = tiers(t).get(metric)
            if other is not None and other != tier:
                overrides.setdefault(" / ".join(other.describe()), []).append(prefix)
        text = "; ".join(f"{', '.join(p)}: {d}" for d, p in sorted(overrides.items()))
        rows.append(ThresholdRow(metric, METRIC_LABELS.get(metric, metric), *described, text))
    return rows, metrics


def _display_path(path: Path | None) -> str:
    """Inside the project, a path relative to it, so the report does not depend on the checkout's place."""
    if path is None:
        return "config/targets.toml"
    try:
        return path.resolve().relative_to(PROJECT_ROOT.resolve()).as_posix()
    except ValueError:
        return str(path)


def analyse(
    runs: Sequence[Run],
    targets: Mapping[str, Targets],
    default_targets: Targets,
    catalog: CatalogNames | None,
    diagnoses: Mapping[str, Diagnosis] | None = None,
) -> Analysis:
    """Judge every run against its environment's targets (the judge), then describe them for the report.

    A pages run's aggregate is over its API calls only; their percentiles come from `<prefix>.json` as
    written (the judge checks the API rows it merges against the CSV itself). `diagnoses`: a diagnosis
    per run prefix, judged with its run (the "Why it is slow" section)."""
    judged = judge_runs([(run, targets[run.prefix], run.raw_histograms) for run in runs], diagnoses)
    analysed = [_describe_run(run, j, catalog) for run, j in zip(runs, judged, strict=True)]
    found = findings(judged, {r.prefix: r.exceptions for r in analysed})
    thresholds, metrics = _thresholds(targets, default_targets)
    page_thresholds, _ = _thresholds(targets, default_targets, "page")
    notes = []
    not_judged: dict[tuple[str, str], list[str]] = {}
    capped: dict[tuple[str, str], list[str]] = {}
    for r in analysed:
        for c in r.targets:
            if c.status in ("n/a", "not enough evidence"):
                not_judged.setdefault((METRIC_LABELS.get(c.metric, c.metric), c.reason), []).append(r.prefix)
            if c.capped:
                capped.setdefault((METRIC_LABELS.get(c.metric, c.metric), c.capped), []).append(r.prefix)
    if any(r.history_kind == "aggregated" for r in analysed):
        notes.append("aggregated-only history")
    return Analysis(
        runs=analysed,
        findings=found,
        recommendations=recommendations(analysed, found),
        thresholds=thresholds,
        page_thresholds=page_thresholds,
        metrics=metrics,
        success=default_targets.success,
        catalog_size=len(catalog) if catalog is not None else None,
        targets_source=_display_path(default_targets.source),
        notes=notes,
        design_notes=design_notes(analysed),
        not_judged=[(label, why, runs) for (label, why), runs in not_judged.items()],
        capped=[(label, why, runs) for (label, why), runs in capped.items()],
    )


__all__ = [
    "METRIC_LABELS",
    "Analysis",
    "Ceiling",
    "CeilingEndpoint",
    "DesignLimit",
    "EndpointRow",
    "ErrorClass",
    "Finding",
    "Gateway",
    "Recommendation",
    "RunAnalysis",
    "TargetCell",
    "analyse",
    "classify_error",
    "pct",
    "plural",
    "round_half_up",
]
