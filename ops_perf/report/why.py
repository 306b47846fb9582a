"""The "Why it is slow" section: per slow endpoint and page, the causes the judge found and what to do.

It renders `RunJudgement.why` (the run's records and health samples) and `RunJudgement.diagnosis`
(a diagnosis of the same environment beside the run, or `ops-perf report --diagnosis FILE`); it
decides nothing. A subject is listed when the judge named a cause on it or found its p95 over target;
a slow subject without a measured cause says so, and how to measure one (`ops-perf diagnose --from`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ops_perf.judge import RunJudgement
from ops_perf.judge.causes import Cause, DiagnosisJudgement, EndpointVerdict, PoolVerdict, RecordFigures, over_target
from ops_perf.judge.statuses import RowStatus


@dataclass(frozen=True)
class WhyItem:
    subject: str
    kind: str
    """`endpoint`, `page` or `server`."""
    slow: bool
    """Its p95 was over target."""
    p95: float | None
    target: float | None
    causes: list[Cause]
    records: RecordFigures | None
    probes: EndpointVerdict | None


@dataclass
class WhySection:
    prefix: str
    items: list[WhyItem] = field(default_factory=list)
    pool: PoolVerdict | None = None
    diagnosis: DiagnosisJudgement | None = None
    has_records: bool = False
    has_health: bool = False
    chart: str | None = None

    @property
    def measured(self) -> bool:
        """Whether this run has anything to say why (files of a run made before issue 16 do not)."""
        return self.has_records or self.has_health or self.diagnosis is not None

    @property
    def causes(self) -> list[Cause]:
        return [c for item in self.items for c in item.causes]


def _p95(row: RowStatus) -> tuple[float | None, float | None]:
    metric = row.metric("p95_ms")
    if metric is None:
        return None, None
    return metric.value, metric.tier.target


def why_section(j: RunJudgement) -> WhySection:
    section = WhySection(j.prefix, pool=j.why.pool, diagnosis=j.diagnosis)
    section.has_records = j.records is not None
    section.has_health = j.server is not None
    causes = list(j.why.causes) + (j.diagnosis.causes if j.diagnosis is not None else [])
    rows = {r.name: r for r in [*j.endpoint_statuses, *j.page_statuses]}
    slow = set(over_target(rows.values()))
    records = {f.name: f for f in j.why.records}
    subjects: list[str] = []
    for c in causes:
        if c.subject_kind == "server" and c.subject not in subjects:
            subjects.append(c.subject)
    for name in [*(r.name for r in j.endpoint_statuses), *(r.name for r in j.page_statuses)]:
        if name in slow or any(c.subject == _route(name) or c.subject == name for c in causes):
            subjects.append(name)
    for c in causes:  # causes on subjects the run did not request (a diagnosis of more endpoints)
        if c.subject not in subjects and f"PAGE {c.subject}" not in subjects:
            subjects.append(c.subject)
    for name in dict.fromkeys(subjects):
        route = _route(name)
        row = rows.get(name)
        kind = "server" if name == "OPS" else ("page" if name.startswith("PAGE ") else "endpoint")
        p95, target = _p95(row) if row is not None else (None, None)
        section.items.append(
            WhyItem(
                subject=name,
                kind=kind,
                slow=name in slow,
                p95=p95,
                target=target,
                causes=[c for c in causes if c.subject in (name, route)],
                records=records.get(route),
                probes=j.diagnosis.endpoint(name) if j.diagnosis is not None else None,
            )
        )
    return section


def _route(name: str) -> str:
    """A page row's name is `PAGE <route>`; its records and causes name the route."""
    return name.removeprefix("PAGE ")
