"""Why it is slow: the causes the judge finds in a run's records and health samples, and in a diagnosis.

Only the judge names a cause; the report, `ops-perf check` and `ops-perf diagnose` render these. Each
rule below is a measurement against a threshold of `RULES`, so a cause can be proven on the
simulator (where each is planted with a formula) before anyone trusts it on OPS.

No verdict rests on one answer: OPS's answers are heavy-tailed (the simulator's prod profile replays
medians of a few hundred ms with tails at the gateway's 20 s), and a rule that a single slow answer
can trip names causes that are not there. So records count only with at least 3 answers, a
concurrency verdict reads medians, and a page-size verdict needs its page sizes' answers not to
overlap.

From a run (every run, no extra request):
- "one record dominates" (`<prefix>_records.json`): a record with at least 3 requests whose median
  is at least 3x the median of the other records' medians of its endpoint (or detail page), and
  above that endpoint's p95 target;
- "time grows with size": over the records of one endpoint with at least 3 requests each, a
  least-squares slope in ms per KB with r^2 >= 0.8 over at least 5 records; and it matters: the
  line rises at least 100 ms over the records' sizes (a heavy record's transfer time alone fits a
  line, but is no cause of slowness);
- "pool at its limit" (`<prefix>_server.json`): in use at `size` or beyond in at least 10 % of the
  samples that carried a pool, while some latency (aggregate, endpoint or page p95) is over target;
- "workers saturated, the pool is not the limit": health itself slow (the median of its samples
  during the load at least 5x its idle time and 100 ms more), while the pool's peak stays below half
  of `size`: the requests wait for a server thread, not for a connection. Otherwise the pool verdict
  says it was not the limit (with its figures), or that the answers carried no pool.

From a diagnosis (`diagnose.json`, the probes of `ops-perf diagnose`):
- "serialises" when the throughput at the highest concurrency (8 in flight) is below 1.5x that at 1,
  "scales" otherwise. Throughput by Little's law on medians: `in flight / steady median`, the
  steady median at 8 being of each slot's second answer (it meets the queue the first ones left), at
  1 of its six sequential answers; the wall-clock throughput of a few requests is ruled by its
  slowest one, so it is kept as a figure, not judged on (but for a level without a steady median);
- ms per row: the slope of time against rows. From a list's page-size sweep (`limit` 10, 25, 50,
  three answers each), over the medians per page size, a cause ("time grows per row") when the
  medians rise with the rows, every answer at the largest page took longer than every answer at the
  smallest (no overlap: 1 chance in 20 by luck), r^2 >= 0.8 and the line rises at least 50 ms. From a
  record sweep (an `[id]` endpoint's embedded rows), over each record's median, with r^2 >= 0.8
  over at least 5 records and the same 50 ms;
- "N+1" when the database's statements per request grow with the rows (a slope of at least 1 per
  row, to 0.05) or exceed 50 per request on average (statement counts are exact, not noisy);
- "one record dominates" in the record sweep, by the run's rule, over each record's median (the
  sweep asks its slowest records twice more: a record is slow when it is slow again).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import median
from typing import Any

from ops_perf.judge.fit import Fit, least_squares
from ops_perf.judge.numbers import plural
from ops_perf.judge.statuses import RowStatus
from ops_perf.runfiles.diagnosis_json import Diagnosis, EndpointProbes, Level, Sample
from ops_perf.runfiles.records_json import NameRecords, Records, RecordStats
from ops_perf.runfiles.server_json import HealthSample, ServerWatch
from ops_perf.settings.targets import Status, Targets


@dataclass(frozen=True)
class Rules:
    """The thresholds of every rule above (the issue's, plus the materiality floors explained there)."""

    dominance_ratio: float = 3.0
    dominance_min_records: int = 3
    min_answers: int = 3
    """Answers a record needs before its median counts (one slow answer is no slow record)."""
    size_r2: float = 0.8
    size_min_records: int = 5
    size_min_growth_ms: float = 100.0
    pool_limit_share: float = 0.10
    pool_min_samples: int = 3
    saturated_peak_share: float = 0.5
    health_slow_factor: float = 5.0
    health_slow_extra_ms: float = 100.0
    serialise_ratio: float = 1.5
    row_r2: float = 0.8
    row_min_growth_ms: float = 50.0
    row_min_sizes: int = 3
    row_min_records: int = 5
    n_plus_one_per_row: float = 0.95
    """At least 1 statement per row, allowing 0.05 for the odd statement of other traffic."""
    n_plus_one_per_request: float = 50.0


RULES = Rules()

TITLES = {
    "record_dominates": "one record dominates",
    "grows_with_size": "time grows with size",
    "grows_with_rows": "time grows per row",
    "pool_at_limit": "pool at its limit",
    "workers_saturated": "workers saturated, the pool is not the limit",
    "serialises": "serialises",
    "n_plus_one": "N+1",
}
ADVICE = {
    "record_dominates": "look at what that record carries: a lighter detail schema or paginated embedded rows "
    "for its size, eager loading if its statements grow with its rows",
    "grows_with_size": "send less per answer: pagination of the embedded rows or a summary schema for payloads",
    "grows_with_rows": "pagination or a summary schema (fewer rows or fields per answer); eager loading if the "
    "statements grow with the rows too",
    "pool_at_limit": "a larger pool (SQLALCHEMY_POOL_SIZE, max_overflow) or shorter use of each connection "
    "(long transactions, work done while holding one)",
    "workers_saturated": "more gunicorn workers or threads (the pool has room): the requests wait for a thread",
    "serialises": "find what serialises it: the workers x threads, the GIL on CPU-bound work, a lock, the pool; "
    "more workers if it is the workers",
    "n_plus_one": "eager loading of the relationship (SQLAlchemy selectinload / joinedload) or a lighter detail "
    "schema: one query per row is the ORM's lazy loading",
}


@dataclass(frozen=True)
class Cause:
    """One cause of slowness on one endpoint, page, or the server as a whole, with its figures."""

    kind: str
    subject: str
    """The endpoint's Locust name, the page's route, or "OPS" for the server (pool, workers)."""
    subject_kind: str
    """`endpoint`, `page` or `server`."""
    source: str
    """`records`, `health` or `diagnosis`: what it was measured from."""
    text: str
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return TITLES[self.kind]

    @property
    def advice(self) -> str:
        return ADVICE[self.kind]

    def line(self) -> str:
        """`/api/v1/agreements/[id]: one record dominates: ...`: the check's and the summary's form."""
        return f"{self.subject}: {self.title}: {self.text}"


@dataclass(frozen=True)
class PoolVerdict:
    """What the health samples say about OPS's pool and threads."""

    kind: str
    """`pool_at_limit`, `workers_saturated`, `not_the_limit`, `no_pool_status` or `no_samples`."""
    text: str
    samples: int
    timeouts: int
    errors: int
    size: int | None = None
    peak: int | None = None
    at_limit_share: float | None = None
    health_ms: float | None = None
    """Median of health's own times during the load (time-outs at their time-out)."""
    idle_ms: float | None = None
    """Median of health's times before the load."""
    worker_note: str = ""

    @property
    def is_cause(self) -> bool:
        return self.kind in ("pool_at_limit", "workers_saturated")


@dataclass(frozen=True)
class RecordFigures:
    """An endpoint's (or page's) records as the judge read them: the slowest, the size fit."""

    name: str
    kind: str
    records: int
    requests: int
    slowest: RecordStats | None
    others_median_ms: float | None
    size_fit: Fit | None
    target_ms: float | None


@dataclass
class RunCauses:
    causes: list[Cause] = field(default_factory=list)
    pool: PoolVerdict | None = None
    records: list[RecordFigures] = field(default_factory=list)


# ---- numbers as the texts print them ---------------------------------------------------------------


def _ms(value: float) -> str:
    return f"{value:,.0f} ms" if value >= 10 else f"{value:.1f} ms"


def _kb(size: float) -> str:
    kb = size / 1024.0
    return f"{kb:,.0f} KB" if kb >= 10 else f"{kb:.1f} KB"


def _x(ratio: float) -> str:
    return f"{ratio:.1f}x"


# ---- records -----------------------------------------------------------------------------------------


def target_p95(targets: Targets, name: str, kind: str) -> float | None:
    tier = (targets.page_for(name) if kind == "page" else targets.endpoint_for(name)).get("p95_ms")
    return tier.target if tier is not None else None


def _dominant(points: Sequence[tuple[str, float, float]]) -> tuple[tuple[str, float, float] | None, float | None]:
    """(id, ms, bytes) of the slowest record, and the median of the others' times."""
    if not points:
        return None, None
    ordered = sorted(points, key=lambda p: (-p[1], p[0]))
    slowest, others = ordered[0], [p[1] for p in ordered[1:]]
    return slowest, (median(others) if others else None)


def dominates(ms: float, others_ms: float | None, count: int, target: float | None, rules: Rules = RULES) -> bool:
    return (
        others_ms is not None
        and count >= rules.dominance_min_records
        and ms >= rules.dominance_ratio * others_ms
        and target is not None
        and ms > target
    )


def _record_figures(named: NameRecords, targets: Targets, rules: Rules) -> tuple[RecordFigures, list[Cause]]:
    kind = "page" if named.kind == "page" else "endpoint"
    usable = [r for r in named.records if r.requests > r.failures and r.requests >= rules.min_answers]
    target = target_p95(targets, named.name, kind)
    slowest, others = _dominant([(r.id, r.median_ms, r.mean_bytes) for r in usable])
    record = next((r for r in usable if slowest is not None and r.id == slowest[0]), None)
    fit = least_squares([r.mean_bytes / 1024.0 for r in usable], [r.median_ms for r in usable])
    figures = RecordFigures(
        named.name, kind, len(named.records), sum(r.requests for r in named.records), record, others, fit, target
    )
    causes = []
    if record is not None and dominates(record.median_ms, others, len(usable), target, rules):
        assert others is not None and target is not None
        text = (
            f"id {record.id} takes {_ms(record.median_ms)} (median of {plural(record.requests, 'request')}), "
            f"{_x(record.median_ms / others)} the median of the other {len(usable) - 1} records ({_ms(others)}), "
            f"above the p95 target of {_ms(target)}; it is {_kb(record.mean_bytes)}"
        )
        sizes = [r.mean_bytes for r in usable if r.id != record.id]
        if sizes:
            text += f" against {_kb(median(sizes))} for the others"
        causes.append(
            Cause(
                "record_dominates", named.name, kind, "records", text,
                {"id": record.id, "median_ms": record.median_ms, "others_median_ms": others, "bytes": record.mean_bytes,
                 "requests": record.requests, "target_ms": target},
            )
        )  # fmt: skip
    if (
        fit is not None
        and len(usable) >= rules.size_min_records
        and fit.slope > 0
        and fit.r2 >= rules.size_r2
        and fit.growth >= rules.size_min_growth_ms
    ):
        causes.append(
            Cause(
                "grows_with_size", named.name, kind, "records",
                f"{fit.slope:.3g} ms per KB over {len(usable)} records (r^2 {fit.r2:.2f}), from "
                f"{_kb(fit.x_low * 1024)} to {_kb(fit.x_high * 1024)}: +{_ms(fit.growth)}",
                {"ms_per_kb": fit.slope, "r2": fit.r2, "records": len(usable)},
            )
        )  # fmt: skip
    return figures, causes


def record_causes(
    records: Records | None, targets: Targets, rules: Rules = RULES
) -> tuple[list[RecordFigures], list[Cause]]:
    figures: list[RecordFigures] = []
    causes: list[Cause] = []
    if records is None:
        return figures, causes
    for name in sorted(records.names):
        found, named_causes = _record_figures(records.names[name], targets, rules)
        figures.append(found)
        causes.extend(named_causes)
    return figures, causes


# ---- health and the pool -----------------------------------------------------------------------------


def over_target(rows: Iterable[RowStatus]) -> list[str]:
    """The rows whose p95 was judged above its target: what "latency over target" means here."""
    out = []
    for row in rows:
        metric = row.metric("p95_ms")
        if metric is not None and metric.status is not None and metric.status is not Status.TARGET:
            out.append(row.name)
    return out


def health_slow(load_ms: float | None, idle_ms: float | None, rules: Rules = RULES) -> bool:
    if load_ms is None:
        return False
    reference = idle_ms or 0.0
    return load_ms >= max(rules.health_slow_factor * reference, reference + rules.health_slow_extra_ms)


def _times(samples: Sequence[HealthSample]) -> list[float]:
    return [s.ms for s in samples if s.answered or s.timed_out]


def pool_verdict(server: ServerWatch | None, slow_rows: Sequence[str], rules: Rules = RULES) -> PoolVerdict | None:
    if server is None:
        return None
    samples = server.samples
    timeouts, errors = server.timeouts, server.errors
    times = _times(samples)
    load_ms = median(times) if times else None
    idle = _times(server.baseline)
    idle_ms = median(idle) if idle else None
    health = f"health took {_ms(load_ms)} at the median" if load_ms is not None else "health never answered"
    if idle_ms is not None and load_ms is not None:
        health += f" ({_ms(idle_ms)} before the load)"
    if timeouts:
        health += f", {plural(timeouts, 'sample')} timed out"
    base = {"samples": len(samples), "timeouts": timeouts, "errors": errors, "health_ms": load_ms,
            "idle_ms": idle_ms, "worker_note": server.worker_note}  # fmt: skip
    if not samples:
        return PoolVerdict("no_samples", "no health sample was taken during the load", **base)
    pooled = server.with_pool
    if not pooled:
        why = (
            "the health answers carried no pool_status (another OPS version)"
            if not server.pool_status
            else ("no health sample carried a pool")
        )
        return PoolVerdict("no_pool_status", f"{why}; {health}", **base)
    size = max(s.pool.size for s in pooled if s.pool is not None)
    peak = max(s.pool.checked_out for s in pooled if s.pool is not None)
    at_limit = sum(1 for s in pooled if s.pool is not None and s.pool.at_limit)
    share = at_limit / len(pooled)
    figures = (
        f"{peak} of {size} connections in use at the peak, at {size} or more in {share:.0%} of {len(pooled)} samples"
    )
    pool = {"size": size, "peak": peak, "at_limit_share": share}
    if len(pooled) >= rules.pool_min_samples and share >= rules.pool_limit_share:
        if slow_rows:
            text = f"{figures}, while {len(slow_rows)} p95 figure(s) were over target; {health}"
            return PoolVerdict("pool_at_limit", text, **base, **pool)
        return PoolVerdict(
            "not_the_limit", f"the pool was at its size ({figures}), but every p95 was within target; {health}",
            **base, **pool,
        )  # fmt: skip
    if health_slow(load_ms, idle_ms, rules) and peak < rules.saturated_peak_share * size:
        return PoolVerdict(
            "workers_saturated", f"{health}, while the pool stayed below half its size ({figures})", **base, **pool
        )
    return PoolVerdict("not_the_limit", f"the pool was not the limit: {figures}; {health}", **base, **pool)


def run_causes(
    records: Records | None,
    server: ServerWatch | None,
    targets: Targets,
    rows: Iterable[RowStatus],
    rules: Rules = RULES,
) -> RunCauses:
    """The causes of one run, from its records and health samples (`rows`: its judged rows)."""
    figures, causes = record_causes(records, targets, rules)
    pool = pool_verdict(server, over_target(rows), rules)
    if pool is not None and pool.is_cause:
        causes.append(
            Cause(
                pool.kind, "OPS", "server", "health", pool.text,
                {"size": pool.size, "peak": pool.peak, "at_limit_share": pool.at_limit_share,
                 "health_ms": pool.health_ms, "idle_ms": pool.idle_ms, "samples": pool.samples},
            )
        )  # fmt: skip
    return RunCauses(causes, pool, figures)


# ---- a diagnosis -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Concurrency:
    verdict: str
    """`serialises` or `scales`."""
    ratio: float
    low: Level
    high: Level


@dataclass(frozen=True)
class Statements:
    per_request: float
    requests: int
    distinct: int
    fit: Fit | None
    """Statements against rows, per sequential request."""
    db_ms_per_request: float
    share: float | None
    """The database's time as a share of the response time (of the same requests)."""
    n_plus_one: bool


@dataclass(frozen=True)
class EndpointVerdict:
    name: str
    kind: str
    probes: EndpointProbes
    concurrency: Concurrency | None
    rows_fit: Fit | None
    rows_source: str
    """`page_size` or `records`: where the rows came from."""
    size_fit: Fit | None
    slowest: RecordPoint | None
    others_median_ms: float | None
    target_ms: float | None
    statements: Statements | None
    causes: list[Cause]


@dataclass
class DiagnosisJudgement:
    diagnosis: Diagnosis
    endpoints: list[EndpointVerdict]

    @property
    def causes(self) -> list[Cause]:
        return [c for e in self.endpoints for c in e.causes]

    def endpoint(self, name: str) -> EndpointVerdict | None:
        return next((e for e in self.endpoints if e.name == name), None)


def concurrency(levels: Sequence[Level], rules: Rules = RULES) -> Concurrency | None:
    measured = sorted((lv for lv in levels if lv.ok > 0 and lv.throughput_rps > 0), key=lambda lv: lv.in_flight)
    if len(measured) < 2 or measured[0].in_flight != 1:
        return None
    low, high = measured[0], measured[-1]
    if low.steady_rps is not None and high.steady_rps is not None:
        ratio = high.steady_rps / low.steady_rps
    else:  # a level without a steady median (an older file): its wall-clock throughput
        ratio = high.throughput_rps / low.throughput_rps
    return Concurrency("serialises" if ratio < rules.serialise_ratio else "scales", ratio, low, high)


@dataclass(frozen=True)
class RecordPoint:
    """One record of a sweep: the median of its answers (one, or three when it was asked again)."""

    id: str
    ms: float
    bytes: int
    rows: int | None
    rows_key: str | None
    answers: int


def record_points(samples: Sequence[Sample]) -> list[RecordPoint]:
    by_id: dict[str, list[Sample]] = {}
    for s in samples:
        if s.ok and s.id is not None:
            by_id.setdefault(s.id, []).append(s)
    return [
        RecordPoint(i, median(x.ms for x in got), got[0].bytes, got[0].rows, got[0].rows_key, len(got))
        for i, got in by_id.items()
    ]


def page_size_rows(samples: Sequence[Sample], rules: Rules = RULES) -> tuple[Fit | None, bool]:
    """(the fit over the medians per page size, whether the rule's conditions hold)."""
    groups: dict[int, list[float]] = {}
    for s in samples:
        if s.ok and s.rows is not None:
            groups.setdefault(s.rows, []).append(s.ms)
    if len(groups) < 2:
        return None, False
    rows = sorted(groups)
    medians = [median(groups[r]) for r in rows]
    fit = least_squares([float(r) for r in rows], medians)
    rising = all(b > a for a, b in pairwise(medians))
    apart = min(groups[rows[-1]]) > max(groups[rows[0]])
    holds = (
        fit is not None
        and len(rows) >= rules.row_min_sizes
        and rising
        and apart
        and fit.r2 >= rules.row_r2
        and fit.growth >= rules.row_min_growth_ms
    )
    return fit, holds


def _statements(probes: EndpointProbes, rules: Rules) -> Statements | None:
    database = probes.database
    if database is None or not database.requests:
        return None
    counted = [s for s in (*probes.page_size, *probes.records) if s.statements is not None and s.rows is not None]
    fit = least_squares([float(s.rows or 0) for s in counted], [float(s.statements or 0) for s in counted])
    per_request = database.statements / database.requests
    grows = fit is not None and round(fit.slope, 2) >= rules.n_plus_one_per_row
    share = database.db_ms / database.response_ms if database.response_ms > 0 else None
    return Statements(
        per_request, database.requests, database.distinct, fit, database.db_ms / database.requests, share,
        grows or per_request > rules.n_plus_one_per_request,
    )  # fmt: skip


def endpoint_verdict(probes: EndpointProbes, targets: Targets, rules: Rules = RULES) -> EndpointVerdict:
    name = probes.name
    causes: list[Cause] = []
    conc = concurrency(probes.concurrency, rules)
    if conc is not None and conc.verdict == "serialises":
        causes.append(
            Cause(
                "serialises", name, "endpoint", "diagnosis",
                f"{conc.ratio:.2f}x the throughput at {conc.high.in_flight} in flight of that at 1 (below "
                f"{rules.serialise_ratio:g}x): more concurrency only queues (median {_ms(conc.high.steady_ms or conc.high.median_ms or 0)} "
                f"once the queue is full, against {_ms(conc.low.steady_ms or conc.low.median_ms or 0)} alone)",
                {"ratio": conc.ratio, "in_flight": conc.high.in_flight, "ms_1": conc.low.steady_ms,
                 "ms_n": conc.high.steady_ms},
            )
        )  # fmt: skip
    points = record_points(probes.records)
    if len({s.rows for s in probes.page_size if s.ok and s.rows is not None}) >= 2:
        source = "page_size"
        rows_fit, rows_hold = page_size_rows(probes.page_size, rules)
    else:
        source = "records"
        rowed = [p for p in points if p.rows is not None]
        rows_fit = least_squares([float(p.rows or 0) for p in rowed], [p.ms for p in rowed])
        rows_hold = (
            rows_fit is not None
            and len(rowed) >= rules.row_min_records
            and rows_fit.r2 >= rules.row_r2
            and rows_fit.growth >= rules.row_min_growth_ms
        )
    if rows_hold and rows_fit is not None:
        what = (
            "rows of the page (limit), over the medians per page size"
            if source == "page_size"
            else ("embedded rows of the record")
        )
        causes.append(
            Cause(
                "grows_with_rows", name, "endpoint", "diagnosis",
                f"{rows_fit.slope:.2f} ms per row (r^2 {rows_fit.r2:.2f}), {what} from {rows_fit.x_low:.0f} to "
                f"{rows_fit.x_high:.0f}: +{_ms(rows_fit.growth)}",
                {"ms_per_row": rows_fit.slope, "r2": rows_fit.r2, "source": source},
            )
        )  # fmt: skip
    size_fit = least_squares([p.bytes / 1024.0 for p in points], [p.ms for p in points])
    target = target_p95(targets, name, "endpoint")
    slowest = max(points, key=lambda p: p.ms, default=None)
    others = [p.ms for p in points if p is not slowest]
    others_ms = median(others) if others else None
    if (
        slowest is not None
        and slowest.answers >= rules.min_answers
        and dominates(slowest.ms, others_ms, len(points), target, rules)
    ):
        assert others_ms is not None and target is not None
        rows = f", {slowest.rows} rows ({slowest.rows_key})" if slowest.rows_key else ""
        causes.append(
            Cause(
                "record_dominates", name, "endpoint", "diagnosis",
                f"id {slowest.id} takes {_ms(slowest.ms)} (median of {slowest.answers} answers), "
                f"{_x(slowest.ms / others_ms)} the median of the other {len(others)} records ({_ms(others_ms)}), above "
                f"the p95 target of {_ms(target)}; it is {_kb(slowest.bytes)}{rows}",
                {"id": slowest.id, "ms": slowest.ms, "others_median_ms": others_ms,
                 "bytes": slowest.bytes, "rows": slowest.rows},
            )
        )  # fmt: skip
    statements = _statements(probes, rules)
    if statements is not None and statements.n_plus_one:
        fit = statements.fit
        grows = f"{fit.intercept:.0f} + {fit.slope:.2f} per row" if fit is not None else "n/a"
        share = f"{statements.share:.0%}" if statements.share is not None else "n/a"
        causes.append(
            Cause(
                "n_plus_one", name, "endpoint", "diagnosis",
                f"{statements.per_request:.1f} statements per request on average ({grows}; {statements.distinct} "
                f"distinct), {_ms(statements.db_ms_per_request)} of database time per request ({share} of the "
                "response time)",
                {"per_request": statements.per_request, "per_row": fit.slope if fit else None,
                 "fixed": fit.intercept if fit else None, "distinct": statements.distinct, "share": statements.share},
            )
        )  # fmt: skip
    return EndpointVerdict(
        name, probes.kind, probes, conc, rows_fit, source, size_fit, slowest, others_ms, target, statements, causes
    )


def judge_diagnosis(diagnosis: Diagnosis, targets: Targets, rules: Rules = RULES) -> DiagnosisJudgement:
    return DiagnosisJudgement(diagnosis, [endpoint_verdict(p, targets, rules) for p in diagnosis.endpoints])
