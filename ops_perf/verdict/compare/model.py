"""What a comparison found: a verdict per row (`RowComparison`) and per comparison (`Comparison`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from ops_perf.exitcodes import ExitCode
from ops_perf.runfiles.load import Run
from ops_perf.settings.targets import Noise
from ops_perf.verdict.compare.delta import Change, MetricDelta, describe_delta

ORDER = [Change.REGRESSED, Change.IMPROVED, Change.NO_DATA, Change.UNCHANGED, Change.NEW, Change.NOT_SENT, Change.GONE]
"""The order endpoint rows are listed in: what needs a look first."""


@dataclass
class RowComparison:
    name: str
    base_requests: float
    cand_requests: int
    metrics: dict[str, MetricDelta] = field(default_factory=dict)
    verdict: Change = Change.UNCHANGED
    fixed: bool = False

    def changed(self, change: Change) -> list[MetricDelta]:
        return [m for m in self.metrics.values() if m.change is change]

    def headline(self) -> str:
        """The metrics that decided the verdict, e.g. `p95_ms +60 ms (+50%, CI +40..+80)`."""
        if self.verdict in (Change.REGRESSED, Change.IMPROVED):
            return "; ".join(describe_delta(m) for m in self.changed(self.verdict))
        if self.verdict is Change.NO_DATA:
            return next((m.reason for m in self.metrics.values() if m.change is Change.NO_DATA), "")
        if self.verdict is Change.NEW:
            return f"{self.cand_requests} requests, not in the baseline"
        if self.verdict is Change.GONE:
            return f"{self.base_requests:g} requests in the baseline, none now"
        if self.verdict is Change.NOT_SENT:
            return f"{self.base_requests:g} requests in the baseline; not sent now: the warm-up found no ids for it"
        return ""


@dataclass
class Comparison:
    baselines: list[Run]
    candidate: Run
    noise: Noise
    differences: list[str]
    aggregate: RowComparison | None
    endpoints: list[RowComparison]
    invalid: list[str]
    notes: list[str] = field(default_factory=list)
    family: int = 1
    """Metric comparisons that carry a verdict; the intervals are adjusted over this many."""

    @property
    def rows(self) -> list[RowComparison]:
        return ([self.aggregate] if self.aggregate else []) + self.endpoints

    def by_verdict(self, change: Change) -> list[RowComparison]:
        return [r for r in self.rows if r.verdict is change]

    @property
    def fixed(self) -> list[RowComparison]:
        return [r for r in self.endpoints if r.fixed]

    @property
    def histograms_used(self) -> bool:
        return all(r.histograms is not None for r in [*self.baselines, self.candidate])

    @property
    def exit_code(self) -> ExitCode:
        if self.invalid:
            return ExitCode.RUN_INVALID
        return ExitCode.REGRESSION if self.by_verdict(Change.REGRESSED) else ExitCode.OK
