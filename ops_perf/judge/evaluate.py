"""One evaluation of a run: rows, failure classes, gateway ceiling, statuses, criteria, validity, gate.

Why one function: the report, `ops-perf check`, the end-of-run check and JUnit used to judge a run
each on their own and disagreed (a report with "Critical: none" for a run the check failed on
requests/s; an endpoint "concern" in the report and a critical breach in the check). They now all
render a `RunJudgement`, so a status, a severity or a verdict exists once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from ops_perf.exitcodes import ExitCode
from ops_perf.judge.causes import DiagnosisJudgement, RunCauses, judge_diagnosis, run_causes
from ops_perf.judge.ceiling import Gateway, find_gateway, link_runs, near
from ops_perf.judge.criteria import Criterion, success_criteria
from ops_perf.judge.failures import Failures, classify_failures
from ops_perf.judge.rows import Overall, Row, api_histogram, overall, split_rows
from ops_perf.judge.statuses import DesignLimit, MetricStatus, RowStatus, design_limits, judge_aggregate, judge_rows
from ops_perf.judge.validity import invalid_reasons
from ops_perf.runfiles.diagnosis_json import Diagnosis
from ops_perf.runfiles.load import AGGREGATED, Records, Run, RunMeta, ServerWatch
from ops_perf.settings.targets import Status, Targets, normalise_env


@dataclass(frozen=True)
class Breach:
    """A metric whose status fails the gate, named as every output names it."""

    row: str
    kind: str
    check: MetricStatus

    @property
    def metric(self) -> str:
        return self.check.metric

    def describe(self) -> str:
        return f"{self.row}: {self.check.describe()}"

    def short(self) -> str:
        return f"{self.row} {self.check.short()}"


@dataclass
class RunJudgement:
    prefix: str
    meta: RunMeta
    targets: Targets
    overall: Overall
    endpoints: list[Row]
    pages: list[Row]
    failures: Failures
    gateway: Gateway
    invalid: list[str]
    aggregate: RowStatus = field(default_factory=lambda: RowStatus("Aggregated", "aggregate", 0))
    endpoint_statuses: list[RowStatus] = field(default_factory=list)
    page_statuses: list[RowStatus] = field(default_factory=list)
    criteria: list[Criterion] = field(default_factory=list)
    criteria_verdict: str = "n/a"
    design_limits: list[DesignLimit] = field(default_factory=list)
    """The requests/s tiers a closed run could not reach by design (its users and think time)."""
    histograms: Mapping[str, Mapping] | None = None
    """`<prefix>.json`'s histograms by row label (`Aggregated`: the API calls'), the figures' intervals."""
    records: Records | None = None
    server: ServerWatch | None = None
    why: RunCauses = field(default_factory=RunCauses)
    """The causes of slowness in the run's records and health samples (`judge.causes`)."""
    diagnosis: DiagnosisJudgement | None = None
    """A diagnosis of the run's environment, judged, when one was given (`ops-perf diagnose`)."""

    @property
    def rows(self) -> list[RowStatus]:
        """Every judged row: the aggregate, the endpoints, the pages."""
        return [self.aggregate, *self.endpoint_statuses, *self.page_statuses]

    @property
    def breaches(self) -> list[Breach]:
        return [Breach(r.name, r.kind, m) for r in self.rows for m in r.breaches]

    @property
    def exit_code(self) -> ExitCode:
        """Run invalid beats everything; otherwise any breach of the gate fails it."""
        if self.invalid:
            return ExitCode.RUN_INVALID
        return ExitCode.THRESHOLDS_BREACHED if self.breaches else ExitCode.OK

    @property
    def gate_verdict(self) -> str:
        return {ExitCode.OK: "PASS", ExitCode.THRESHOLDS_BREACHED: "FAIL"}.get(self.exit_code, "INVALID")

    @property
    def fail_on(self) -> Status:
        return self.targets.gate.fail_on


def _prepare(run: Run, targets: Targets, histograms: Mapping | None) -> RunJudgement:
    scale = run.meta.sim_time_scale
    if scale and scale != 1.0 and targets.scale == 1.0:
        # A time-scaled simulator run: its times are OPS's x scale, so are the limits it is judged by.
        targets = targets.scaled(scale)
    endpoints, pages = split_rows(run)
    failures = classify_failures(run, endpoints)
    gateway = find_gateway(run.prefix, endpoints, failures.gateway_by_label)
    return RunJudgement(
        prefix=run.prefix,
        meta=run.meta,
        targets=targets,
        overall=overall(run, endpoints, pages, histograms),
        endpoints=endpoints,
        pages=pages,
        failures=failures,
        gateway=gateway,
        invalid=invalid_reasons(run),
        histograms=histograms if histograms is not None else run.raw_histograms,
        records=run.records,
        server=run.server,
    )


def _finish(j: RunJudgement) -> RunJudgement:
    g = j.gateway
    if g.ceiling is not None:
        g.aggregate_p95_at_ceiling = near(j.overall.p95, g.ceiling)
        g.aggregate_p99_at_ceiling = near(j.overall.p99, g.ceiling)
    api = api_histogram(j.endpoints, j.histograms)  # every API call's, where every row's agrees with the CSV
    j.aggregate = judge_aggregate(j.overall, j.meta, j.targets, g, {AGGREGATED: api} if api is not None else None)
    j.design_limits = design_limits(j.meta, j.targets, j.overall.calls_per_view)
    j.endpoint_statuses = judge_rows(j.endpoints, j.meta, j.targets, g, "endpoint", j.histograms)
    j.page_statuses = judge_rows(j.pages, j.meta, j.targets, None, "page", j.histograms)
    failures_known = j.failures.in_file or not j.overall.failures
    j.criteria, j.criteria_verdict = success_criteria(
        j.overall, j.endpoints, j.meta, g, failures_known, j.targets.success
    )
    j.why = run_causes(j.records, j.server, j.targets, j.rows)
    return j


def _with_diagnosis(j: RunJudgement, diagnosis: Diagnosis | None) -> RunJudgement:
    if diagnosis is not None:
        j.diagnosis = judge_diagnosis(diagnosis, j.targets)
    return j


def judge_run(
    run: Run, targets: Targets, histograms: Mapping | None = None, diagnosis: Diagnosis | None = None
) -> RunJudgement:
    """Judge one loaded run against its targets. Pure: reads nothing, writes nothing.

    `histograms` (`<prefix>.json`, by row label; default: the run's own, each row's used only where it
    agrees with the stats CSV) give the percentiles of the API calls without the page views in a pages
    run, and every figure's interval. `diagnosis`: one of the run's environment, judged with it.
    """
    return _with_diagnosis(_finish(_prepare(run, targets, histograms)), diagnosis)


def judge_runs(
    runs: Sequence[tuple[Run, Targets, Mapping | None]], diagnoses: Mapping[str, Diagnosis] | None = None
) -> list[RunJudgement]:
    """Judge several runs together: a gateway ceiling seen in one explains lone 504s in another of its
    environment (that only adds evidence of a ceiling; statuses and breaches are each run's own).
    `diagnoses`: a diagnosis per run prefix, judged with that run."""
    prepared = [_prepare(run, targets, hists) for run, targets, hists in runs]
    link_runs([(normalise_env(j.meta.env), j.gateway) for j in prepared])
    return [_with_diagnosis(_finish(j), (diagnoses or {}).get(j.prefix)) for j in prepared]
