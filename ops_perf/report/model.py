"""What the report states about one run, as the templates read it: the judgement plus the descriptions.

Its own module so that `analyse` (which builds it) and `recommend` (which reads it) share it without
importing each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ops_perf.judge import RunJudgement
from ops_perf.judge.ceiling import Gateway
from ops_perf.judge.criteria import Criterion
from ops_perf.judge.failures import FailingEndpoint, FailureClassRow, FailureDetail
from ops_perf.judge.rows import Overall, Row
from ops_perf.judge.statuses import DesignLimit
from ops_perf.report.pages import PageSummary
from ops_perf.report.why import WhySection
from ops_perf.runfiles.load import RunMeta


@dataclass(frozen=True)
class CatalogNames:
    """What the suite's catalogs name: the endpoint user's weighted requests, the page catalog's calls,
    and the GETs only pages send. Coverage is judged against the run's own user."""

    weighted: list[str]
    pages: list[str]
    page_only: list[str]

    def expected(self, pages_run: bool) -> list[str]:
        """The endpoints a run of that user is meant to request."""
        return self.pages if pages_run else self.weighted

    def known(self) -> set[str]:
        return {*self.weighted, *self.pages, *self.page_only}

    def __len__(self) -> int:
        return len(self.weighted)


@dataclass(frozen=True)
class TargetCell:
    metric: str
    value: float | None
    status: str
    """A Status value, or "n/a" when not judged (`reason` says why)."""
    reason: str = ""
    capped: str = ""


@dataclass(frozen=True)
class ThresholdRow:
    metric: str
    label: str
    target: str
    acceptable: str
    critical: str
    overrides: str


@dataclass
class RunAnalysis:
    judgement: RunJudgement
    endpoints_exercised: int
    slowest: list[Row]
    fastest: list[Row]
    exceptions: list[tuple[int, str]] | None
    targets: list[TargetCell]
    endpoint_status: dict[str, int]
    endpoint_concerns: list[tuple[Row, str, str]]
    """(row, worst status, which metrics) for endpoints at concern or critical."""
    never_exercised: list[str] | None
    not_in_catalog: list[str] | None
    lead_in_s: float | None
    load_s: float | None
    history_kind: str
    """"full" / "aggregated" / "none"."""
    history_rows: int
    pages: list[PageSummary]
    pages_sidecar: bool
    charts: dict[str, str] = field(default_factory=dict)
    catalog_expected: int | None = None
    """How many endpoints the run's user is meant to request (the endpoint or the page catalog's)."""
    why: WhySection | None = None
    """The "Why it is slow" section (`why.py`): the judge's causes, the pool, a diagnosis."""

    # What the judge decided, under the names the templates use.
    @property
    def prefix(self) -> str:
        return self.judgement.prefix

    @property
    def meta(self) -> RunMeta:
        return self.judgement.meta

    @property
    def overall(self) -> Overall:
        return self.judgement.overall

    @property
    def endpoints(self) -> list[Row]:
        return self.judgement.endpoints

    @property
    def design_limits(self) -> list[DesignLimit]:
        return self.judgement.design_limits

    @property
    def gateway(self) -> Gateway:
        return self.judgement.gateway

    @property
    def criteria(self) -> list[Criterion]:
        return self.judgement.criteria

    @property
    def criteria_verdict(self) -> str:
        return self.judgement.criteria_verdict

    @property
    def failures_file(self) -> bool:
        return self.judgement.failures.in_file

    @property
    def failures_in_file(self) -> int:
        return self.judgement.failures.listed

    @property
    def failure_classes(self) -> list[FailureClassRow]:
        return self.judgement.failures.classes

    @property
    def failing_endpoints(self) -> list[FailingEndpoint]:
        return self.judgement.failures.endpoints

    @property
    def failure_details(self) -> list[FailureDetail]:
        return self.judgement.failures.details

    @property
    def all_failed(self) -> list[FailingEndpoint]:
        return self.judgement.failures.all_failed

    @property
    def gate(self) -> str:
        return self.judgement.gate_verdict

    def class_count(self, kind: str, code: int | None = None) -> int:
        return self.judgement.failures.count(kind, code)
