"""From loaded runs to the facts a report states: metrics, failure classes, ceilings, verdicts, findings.

Why a separate step: every number in the report is computed here, once, from the frames `load.py`
produced, and templates only format them. A sentence in the report can therefore only state a figure
that exists in these dataclasses, and tests can pin the figures without parsing Markdown.

Nothing here is a fixed list of opinions: findings are produced by rules over the data (a status from
config/targets.toml, a criterion that failed, a cluster of 504s at one response time), and each
recommendation cites the finding that triggered it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from http import HTTPStatus
from pathlib import Path
from typing import Any

from ops_perf.paths import PROJECT_ROOT
from ops_perf.report.load import RunData, RunMeta
from ops_perf.targets import Status, SuccessCriteria, Targets, Tier

TOP_N = 5
CEILING_TOLERANCE = 0.05
"""Max response times within 5% of each other count as one ceiling (20,043-20,230 ms is one 20 s gate)."""

# --------------------------------------------------------------------------------------------------
# Numbers
# --------------------------------------------------------------------------------------------------


def round_half_up(value: float, places: int = 0) -> Decimal:
    """Round the number as Locust printed it (its shortest repr), half up, as a reader would by hand.

    `format(2.675, ".2f")` gives 2.67 because of binary floats; a reviewer checking the CSV expects 2.68.
    """
    quantum = Decimal(1).scaleb(-places)
    return Decimal(repr(float(value))).quantize(quantum, rounding=ROUND_HALF_UP)


def pct(part: float, whole: float) -> float | None:
    return (part / whole * 100.0) if whole else None


def _num(value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(out) else out


# --------------------------------------------------------------------------------------------------
# Failure classification
# --------------------------------------------------------------------------------------------------

_HTTP_ERROR = re.compile(r"HTTPError\(\s*['\"](\d{3}) (?:Client|Server) Error: (.*?) for url", re.S)
_BAD_STATUS = re.compile(r"BadStatusCode\(.*?code=(\d{3})", re.S)
_CATCH = re.compile(r"^CatchResponseError\((.*)\)$", re.S)
_STATUS_IN_TEXT = re.compile(
    r"(?:status(?:[ _]code)?|http|code|got|returned|response)\s*[:=]?\s*['\"]?([1-5]\d\d)(?!\d)"
    r"|^['\"]?([1-5]\d\d)(?!\d)",
    re.I,
)
_GATEWAY_TEXT = re.compile(r"gateway\s*time-?out", re.I)
_TIMEOUT = re.compile(r"timeout|timed out|time-out|TimeoutError|<Timeout at", re.I)
_CONNECTION = re.compile(
    r"Connection|RemoteDisconnected|NewConnectionError|BrokenPipe|SSLError|SSL|gaierror|Name or service|"
    r"Max retries|HTTPConnectionClosed|RetriesExceeded|EOF occurred|Errno|HTTPParseError|ProtocolError",
    re.I,
)

KIND_ORDER = ("gateway_timeout", "http_5xx", "http_4xx", "http_other", "client_timeout", "connection", "check", "other")
KIND_TITLES = {
    "gateway_timeout": "504 gateway timeouts",
    "http_5xx": "5xx server errors (other than 504)",
    "http_4xx": "4xx client errors",
    "http_other": "other HTTP status",
    "client_timeout": "client timeouts (no response in time)",
    "connection": "connection errors",
    "check": "response checks failed (CatchResponseError)",
    "other": "other errors",
}


@dataclass(frozen=True)
class ErrorClass:
    """What one Locust error string means: a class, the HTTP status where there is one."""

    kind: str
    code: int | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}" if self.code is not None else self.kind

    @property
    def title(self) -> str:
        if self.code is not None:
            reason = self.reason or _phrase(self.code)
            return f"{self.code} {reason}".strip()
        return KIND_TITLES[self.kind]


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _from_code(code: int, reason: str | None = None) -> ErrorClass:
    if code == 504:
        return ErrorClass("gateway_timeout", 504, reason or "Gateway Timeout")
    if 500 <= code <= 599:
        return ErrorClass("http_5xx", code, reason)
    if 400 <= code <= 499:
        return ErrorClass("http_4xx", code, reason)
    return ErrorClass("http_other", code, reason)


def classify_error(error: str) -> ErrorClass:
    """Classify a Locust failure string, from `HttpUser` (requests) or `FastHttpUser` (geventhttpclient).

    Seen in practice: `HTTPError('504 Server Error: Gateway Time-out for url: /api/v1/...')` (HttpUser),
    `LocustBadStatusCode(code=504)` (FastHttpUser), `CatchResponseError('...')` (our own checks, which
    may name a status), `ReadTimeout(...)`, `RetriesExceeded(url, 3, original=timed out)`,
    `ConnectionRefusedError(111, 'Connection refused')`, `ConnectionError(... NewConnectionError ...)`.
    """
    text = error.strip()
    if match := _HTTP_ERROR.search(text):
        return _from_code(int(match.group(1)), match.group(2).strip() or None)
    if match := _BAD_STATUS.search(text):
        code = int(match.group(1))
        if code:
            return _from_code(code)
    if match := _CATCH.match(text):
        inner = match.group(1).strip()
        if status := _STATUS_IN_TEXT.search(inner.strip("'\"")):
            return _from_code(int(status.group(1) or status.group(2)))
        if _GATEWAY_TEXT.search(inner):
            return _from_code(504)
        if _TIMEOUT.search(inner):
            return ErrorClass("client_timeout")
        return ErrorClass("check")
    if _TIMEOUT.search(text) and not _GATEWAY_TEXT.search(text):
        return ErrorClass("client_timeout")
    if _CONNECTION.search(text):
        return ErrorClass("connection")
    if status := re.match(r"^['\"]?([1-5]\d\d)\b", text):
        return _from_code(int(status.group(1)))
    return ErrorClass("other")


# --------------------------------------------------------------------------------------------------
# Result dataclasses
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Overall:
    requests: int
    failures: int
    failure_pct: float | None
    median: float | None
    p95: float | None
    p99: float | None
    avg: float | None
    min: float | None
    max: float | None
    rps: float | None
    fps: float | None
    from_aggregated_row: bool


@dataclass(frozen=True)
class EndpointRow:
    label: str
    requests: int
    failures: int
    failure_pct: float | None
    median: float | None
    p95: float | None
    p99: float | None
    avg: float | None
    min: float | None
    max: float | None
    rps: float | None


@dataclass(frozen=True)
class FailureClassRow:
    key: str
    kind: str
    title: str
    occurrences: int
    endpoints: int
    share_pct: float | None


@dataclass(frozen=True)
class FailingEndpoint:
    label: str
    requests: int | None
    failures: int
    failure_pct: float | None
    class_counts: tuple[tuple[str, str, int], ...]
    """(class key, short name, occurrences) of this endpoint's failures, most first."""

    @property
    def classes(self) -> str:
        """`504 x3, 404 x2`, or a note when the failures file does not list this endpoint."""
        return ", ".join(f"{short} x{n}" for _, short, n in self.class_counts) or "not in failures file"

    def has_kind(self, keys: Iterable[str]) -> bool:
        wanted = set(keys)
        return any(key in wanted for key, _, _ in self.class_counts)


@dataclass(frozen=True)
class FailureDetail:
    label: str
    title: str
    occurrences: int
    error: str


@dataclass(frozen=True)
class CeilingEndpoint:
    label: str
    max_ms: float
    gateway_timeouts: int
    requests: int
    p95: float | None


@dataclass(frozen=True)
class Ceiling:
    low_ms: float
    high_ms: float
    seconds: float
    """The ceiling in whole seconds from 10 s up, else to 0.1 s (what a gateway timeout is set in)."""
    endpoints: list[CeilingEndpoint]
    established_in: str


@dataclass
class Gateway:
    total_504: int
    endpoints_504: list[CeilingEndpoint]
    ceiling: Ceiling | None = None
    consistent_with: Ceiling | None = None
    """A ceiling established in another run of the same environment that this run's 504s fit."""
    aggregate_p95_at_ceiling: bool = False
    aggregate_p99_at_ceiling: bool = False


@dataclass(frozen=True)
class Criterion:
    name: str
    limit: str
    value: str
    verdict: str  # PASS / FAIL / n/a
    detail: str = ""


@dataclass(frozen=True)
class TargetCell:
    metric: str
    value: float | None
    status: str  # Status value or "n/a"


@dataclass(frozen=True)
class DesignLimit:
    """A target the run could not reach by design (think time caps the request rate)."""

    metric: str
    tier: str
    limit: float
    bound: float
    typical: float
    users: int
    think: tuple[float, float]


@dataclass
class RunAnalysis:
    prefix: str
    meta: RunMeta
    overall: Overall
    endpoints_exercised: int
    endpoints: list[EndpointRow]
    slowest: list[EndpointRow]
    fastest: list[EndpointRow]
    failures_file: bool
    failures_in_file: int
    failure_classes: list[FailureClassRow]
    failing_endpoints: list[FailingEndpoint]
    failure_details: list[FailureDetail]
    all_failed: list[FailingEndpoint]
    exceptions: list[tuple[int, str]] | None
    gateway: Gateway
    targets: list[TargetCell]
    endpoint_status: dict[str, int]
    endpoint_concerns: list[tuple[EndpointRow, str, str]]
    """(row, worst status, which metrics) for endpoints at concern or critical."""
    criteria: list[Criterion]
    criteria_verdict: str
    design_limits: list[DesignLimit]
    never_exercised: list[str] | None
    not_in_catalog: list[str] | None
    lead_in_s: float | None
    history_kind: str
    """"full" / "aggregated" / "none"."""
    history_rows: int
    charts: dict[str, str] = field(default_factory=dict)

    def class_count(self, kind: str, code: int | None = None) -> int:
        return sum(
            c.occurrences
            for c in self.failure_classes
            if c.kind == kind and (code is None or c.key == f"{kind}:{code}")
        )


@dataclass(frozen=True)
class Finding:
    severity: str  # critical / concern / positive
    kind: str
    runs: tuple[str, ...]
    text: str
    figure: str
    weight: float = 0.0


@dataclass(frozen=True)
class Recommendation:
    text: str
    because: str


@dataclass(frozen=True)
class ThresholdRow:
    metric: str
    label: str
    target: str
    acceptable: str
    critical: str
    overrides: str


@dataclass
class Analysis:
    runs: list[RunAnalysis]
    findings: list[Finding]
    recommendations: list[Recommendation]
    thresholds: list[ThresholdRow]
    metrics: list[str]
    success: SuccessCriteria
    catalog_size: int | None
    targets_source: str
    notes: list[str]

    def run(self, prefix: str) -> RunAnalysis:
        return next(r for r in self.runs if r.prefix == prefix)

    def by_severity(self, severity: str) -> list[Finding]:
        return [f for f in self.findings if f.severity == severity]


METRIC_LABELS = {
    "p50_ms": "median (ms)",
    "p95_ms": "p95 (ms)",
    "p99_ms": "p99 (ms)",
    "avg_ms": "average (ms)",
    "failure_pct": "failure %",
    "rps": "requests/s",
}
_METRIC_ORDER = ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "failure_pct", "rps")


# --------------------------------------------------------------------------------------------------
# Per-run analysis
# --------------------------------------------------------------------------------------------------


def _overall(run: RunData) -> Overall:
    t = run.total
    if t is not None:
        requests, failures = int(t["requests"]), int(t["failures"])
        return Overall(
            requests,
            failures,
            pct(failures, requests),
            _num(t.get("median")),
            _num(t.get("p95")),
            _num(t.get("p99")),
            _num(t.get("avg")),
            _num(t.get("min")),
            _num(t.get("max")),
            _num(t.get("rps")),
            _num(t.get("fps")),
            True,
        )
    # No Aggregated row (a run cut before Locust wrote one): counts can be summed, percentiles cannot.
    ep = run.endpoints
    requests, failures = int(ep["requests"].sum()), int(ep["failures"].sum())
    avg = float((ep["avg"] * ep["requests"]).sum() / requests) if requests else None
    return Overall(
        requests,
        failures,
        pct(failures, requests),
        None,
        None,
        None,
        avg,
        _num(ep["min"].min()) if requests else None,
        _num(ep["max"].max()) if requests else None,
        _num(ep["rps"].sum()) if requests else None,
        _num(ep["fps"].sum()) if requests else None,
        False,
    )


def _endpoint_rows(run: RunData) -> list[EndpointRow]:
    ep = run.endpoints
    cols = {
        c: ep[c].tolist() if c in ep.columns else [None] * len(ep)
        for c in ("label", "requests", "failures", "median", "p95", "p99", "avg", "min", "max", "rps")
    }
    rows = []
    for i in range(len(ep)):
        requests, failures = int(cols["requests"][i]), int(cols["failures"][i])
        rows.append(
            EndpointRow(
                str(cols["label"][i]),
                requests,
                failures,
                pct(failures, requests),
                _num(cols["median"][i]),
                _num(cols["p95"][i]),
                _num(cols["p99"][i]),
                _num(cols["avg"][i]),
                _num(cols["min"][i]),
                _num(cols["max"][i]),
                _num(cols["rps"][i]),
            )
        )
    rows.sort(key=lambda r: r.label)
    return rows


def _by_avg(rows: list[EndpointRow], slowest: bool) -> list[EndpointRow]:
    """Top endpoints by average response time. An endpoint that failed every request is left out of the
    fastest: a quick 404 is not a fast endpoint."""
    measured = [r for r in rows if r.requests > 0 and r.avg is not None and (slowest or r.failures < r.requests)]
    if slowest:
        measured.sort(key=lambda r: (-(r.avg or 0.0), r.label))
    else:
        measured.sort(key=lambda r: (r.avg or 0.0, r.label))
    return measured[:TOP_N]


def _failures(
    run: RunData, rows: list[EndpointRow]
) -> tuple[list[FailureClassRow], list[FailingEndpoint], list[FailureDetail], int, dict[str, int]]:
    """Failure classes (from the failures file) and failing endpoints (from the stats file).

    Returns also the 504 count per endpoint, which the gateway analysis needs.
    """
    requests_by_label = {r.label: r.requests for r in rows}
    failures_by_label = {r.label: r.failures for r in rows if r.failures > 0}
    per_class: dict[str, list[Any]] = {}
    per_endpoint: dict[str, dict[str, list[Any]]] = {}
    details: list[FailureDetail] = []
    in_file = 0
    gateway_by_label: dict[str, int] = {}
    if run.failures is not None:
        for label, error, occurrences in zip(
            run.failures["label"], run.failures["error"], run.failures["occurrences"], strict=True
        ):
            occurrences = int(occurrences)
            cls = classify_error(str(error))
            in_file += occurrences
            entry = per_class.setdefault(cls.key, [cls, 0, set()])
            entry[1] += occurrences
            entry[2].add(label)
            ep_classes = per_endpoint.setdefault(label, {})
            ep_entry = ep_classes.setdefault(cls.key, [cls, 0])
            ep_entry[1] += occurrences
            details.append(FailureDetail(label, cls.title, occurrences, str(error)))
            if cls.kind == "gateway_timeout":
                gateway_by_label[label] = gateway_by_label.get(label, 0) + occurrences
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    classes = sorted(
        (
            FailureClassRow(key, cls.kind, cls.title, n, len(labels), pct(n, in_file))
            for key, (cls, n, labels) in per_class.items()
        ),
        key=lambda c: (order[c.kind], -c.occurrences, c.key),
    )
    failing: list[FailingEndpoint] = []
    for label in sorted(set(failures_by_label) | set(per_endpoint)):
        requests = requests_by_label.get(label)
        failures = failures_by_label.get(label, sum(e[1] for e in per_endpoint.get(label, {}).values()))
        parts = sorted(per_endpoint.get(label, {}).values(), key=lambda e: (-e[1], e[0].key))
        counts = tuple((e[0].key, _short(e[0]), int(e[1])) for e in parts)
        failing.append(FailingEndpoint(label, requests, failures, pct(failures, requests or 0), counts))
    failing.sort(key=lambda f: (-f.failures, f.label))
    details.sort(key=lambda d: (-d.occurrences, d.label, d.error))
    return classes, failing, details, in_file, gateway_by_label


def _short(cls: ErrorClass) -> str:
    if cls.code is not None:
        return str(cls.code)
    return {"client_timeout": "timeout", "connection": "connection", "check": "check"}.get(cls.kind, "other")


def _ceiling_from(candidates: list[CeilingEndpoint], rows: list[EndpointRow], prefix: str) -> Ceiling | None:
    """Find the response time at which most 504-hit endpoints top out (needs two or more).

    A gateway that cuts requests at N seconds leaves its mark as many endpoints sharing one max
    response time just above N. Slide a +5% window over the sorted maxima and keep the fullest.
    """
    maxima = sorted(c.max_ms for c in candidates)
    best_count, best_low = 0, 0.0
    for low in maxima:
        count = sum(1 for m in maxima if low <= m <= low * (1 + CEILING_TOLERANCE))
        if count > best_count:
            best_count, best_low = count, low
    if best_count < 2:
        return None
    high = max(m for m in maxima if best_low <= m <= best_low * (1 + CEILING_TOLERANCE))
    by_label = {c.label: c for c in candidates}
    at = []
    for r in rows:
        if r.max is not None and best_low <= r.max <= high:
            hit = by_label.get(r.label)
            at.append(CeilingEndpoint(r.label, r.max, hit.gateway_timeouts if hit else 0, r.requests, r.p95))
    at.sort(key=lambda c: (-c.gateway_timeouts, c.label))
    seconds = float(round_half_up(best_low / 1000.0, 0 if best_low >= 10_000 else 1))
    return Ceiling(best_low, high, seconds, at, prefix)


def _gateway(run: RunData, rows: list[EndpointRow], by_label: dict[str, int]) -> Gateway:
    row_of = {r.label: r for r in rows}
    hit = []
    for label, n in by_label.items():
        r = row_of.get(label)
        if r is not None and r.max is not None:
            hit.append(CeilingEndpoint(label, r.max, n, r.requests, r.p95))
    hit.sort(key=lambda c: (-c.gateway_timeouts, c.label))
    gateway = Gateway(total_504=sum(by_label.values()), endpoints_504=hit)
    gateway.ceiling = _ceiling_from(hit, rows, run.prefix)
    return gateway


def _near(value: float | None, ceiling: Ceiling) -> bool:
    """Locust's percentiles are rounded (20000 for ~20.1 s): compare within the tolerance."""
    return value is not None and ceiling.low_ms / (1 + CEILING_TOLERANCE) <= value <= ceiling.high_ms * (
        1 + CEILING_TOLERANCE
    )


def _targets(overall: Overall, targets: Targets) -> list[TargetCell]:
    values = {
        "p50_ms": overall.median,
        "p95_ms": overall.p95,
        "p99_ms": overall.p99,
        "avg_ms": overall.avg,
        "failure_pct": overall.failure_pct,
        "rps": overall.rps,
    }
    cells = []
    for metric in _METRIC_ORDER:
        tier = targets.aggregate.get(metric)
        if tier is None:
            continue
        value = values[metric]
        if value is not None and metric == "failure_pct":
            value = float(round_half_up(value, 2))  # judge the figure the report prints
        status = tier.status(value).value if value is not None and overall.requests else "n/a"
        cells.append(TargetCell(metric, value, status))
    return cells


def _endpoint_status(
    rows: list[EndpointRow], targets: Targets
) -> tuple[dict[str, int], list[tuple[EndpointRow, str, str]]]:
    counts = {s.value: 0 for s in Status} | {"not enough data": 0}
    flagged: list[tuple[EndpointRow, str, str]] = []
    minimum = max(1, targets.gate.min_requests_per_endpoint)
    for r in rows:
        if r.requests < minimum:
            counts["not enough data"] += 1
            continue
        values = {"p50_ms": r.median, "p95_ms": r.p95, "p99_ms": r.p99, "avg_ms": r.avg, "failure_pct": r.failure_pct}
        worst: Status | None = None
        which: list[str] = []
        for metric, tier in sorted(targets.endpoint_for(r.label).items()):
            value = values.get(metric)
            if value is None:
                continue
            status = tier.status(value)
            if worst is None or status.rank > worst.rank:
                worst, which = status, [metric]
            elif status == worst:
                which.append(metric)
        if worst is None:
            counts["not enough data"] += 1
            continue
        counts[worst.value] += 1
        if worst in (Status.CONCERN, Status.CRITICAL):
            flagged.append((r, worst.value, ", ".join(_SHORT_METRIC.get(m, m) for m in which)))
    flagged.sort(key=lambda x: (-Status(x[1]).rank, -(x[0].p95 or 0.0), x[0].label))
    return counts, flagged


def _criteria(
    overall: Overall,
    rows: list[EndpointRow],
    meta: RunMeta,
    gateway: Gateway,
    failures_file: bool,
    crit: SuccessCriteria,
) -> tuple[list[Criterion], str]:
    out: list[Criterion] = []
    limit = f"< {_g(crit.max_error_pct)}% at >= {crit.error_pct_min_users} users"
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
    limit = f"< {_g(crit.max_endpoint_p95_ms)} ms, every endpoint"
    if not measured:
        out.append(Criterion("endpoint p95", limit, "n/a", "n/a", "no endpoint percentiles"))
    else:
        value = f"{len(over)} of {len(measured)} endpoints at or above"
        detail = f"worst: {over[0].label} ({_g(over[0].p95 or 0)} ms)" if over else ""
        out.append(Criterion("endpoint p95", limit, value, "FAIL" if over else "PASS", detail))

    limit = f"<= {crit.max_gateway_timeouts}"
    if not failures_file and overall.failures:
        out.append(Criterion("504 gateway timeouts", limit, "unknown", "n/a", "failures file missing"))
    else:
        ok = gateway.total_504 <= crit.max_gateway_timeouts
        detail = f"on {plural(len(gateway.endpoints_504), 'endpoint')}" if gateway.total_504 else ""
        out.append(Criterion("504 gateway timeouts", limit, str(gateway.total_504), "PASS" if ok else "FAIL", detail))

    limit = f"< {_g(crit.max_endpoint_failure_pct)}% failures, every endpoint"
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


def _g(value: float) -> str:
    return f"{value:g}"


def _design_limits(meta: RunMeta, targets: Targets) -> list[DesignLimit]:
    """An RPS tier above users / minimum think time cannot be reached whatever the server does."""
    tier = targets.aggregate.get("rps")
    if tier is None or meta.think_time_s is None or not meta.users or "users" in meta.inferred:
        return []
    low, high = meta.think_time_s
    if low <= 0:
        return []
    bound = meta.users / low
    typical = meta.users / ((low + high) / 2)
    out = []
    for name, limit in (("target", tier.target), ("acceptable", tier.acceptable)):
        if limit > bound:
            out.append(DesignLimit("rps", name, limit, bound, typical, meta.users, (low, high)))
    return out


def analyse_run(run: RunData, targets: Targets, catalog: Sequence[str] | None) -> RunAnalysis:
    overall = _overall(run)
    rows = _endpoint_rows(run)
    classes, failing, details, in_file, by_label = _failures(run, rows)
    gateway = _gateway(run, rows, by_label)
    if gateway.ceiling is not None:
        gateway.aggregate_p95_at_ceiling = _near(overall.p95, gateway.ceiling)
        gateway.aggregate_p99_at_ceiling = _near(overall.p99, gateway.ceiling)
    criteria, verdict = _criteria(
        overall, rows, run.meta, gateway, run.failures is not None or not overall.failures, targets.success
    )
    status_counts, concerns = _endpoint_status(rows, targets)
    exercised = {r.label for r in rows if r.requests > 0}
    never = not_in = None
    if catalog is not None:
        never = [name for name in catalog if name not in exercised]
        not_in = sorted(exercised - set(catalog))
    meta = run.meta
    lead_in = None
    if meta.load_started_at is not None and meta.started_at is not None:
        lead_in = (meta.load_started_at - meta.started_at).total_seconds()
    exceptions = None
    if run.exceptions is not None:
        exceptions = sorted(
            ((int(c), str(m)) for c, m in zip(run.exceptions["count"], run.exceptions["message"], strict=True)),
            key=lambda x: (-x[0], x[1]),
        )
    history_kind = "none" if run.history is None else ("aggregated" if run.history.cumulative else "full")
    return RunAnalysis(
        prefix=run.prefix,
        meta=meta,
        overall=overall,
        endpoints_exercised=len(exercised),
        endpoints=rows,
        slowest=_by_avg(rows, True),
        fastest=_by_avg(rows, False),
        failures_file=run.failures is not None,
        failures_in_file=in_file,
        failure_classes=classes,
        failing_endpoints=failing,
        failure_details=details,
        all_failed=[f for f in failing if f.requests and f.failures >= f.requests],
        exceptions=exceptions,
        gateway=gateway,
        targets=_targets(overall, targets),
        endpoint_status=status_counts,
        endpoint_concerns=concerns,
        criteria=criteria,
        criteria_verdict=verdict,
        design_limits=_design_limits(meta, targets),
        never_exercised=never,
        not_in_catalog=not_in,
        lead_in_s=lead_in,
        history_kind=history_kind,
        history_rows=run.history.rows if run.history else 0,
    )


# --------------------------------------------------------------------------------------------------
# Findings and recommendations
# --------------------------------------------------------------------------------------------------


def _fmt_pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round_half_up(value, 2)}%"


def _fmt_ms(value: float | None) -> str:
    return "n/a" if value is None else f"{round_half_up(value)} ms"


def plural(count: int, word: str, plural_form: str | None = None) -> str:
    """`1 endpoint`, `2 endpoints`: findings read as sentences, not as `endpoint(s)`."""
    return f"{count} {word if count == 1 else (plural_form or word + 's')}"


def _list(items: Iterable[str], limit: int = 3) -> str:
    items = list(items)
    shown = ", ".join(items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")


_SHORT_METRIC = {
    "p50_ms": "median",
    "p95_ms": "p95",
    "p99_ms": "p99",
    "avg_ms": "average",
    "failure_pct": "failure %",
    "rps": "requests/s",
}


def _findings(runs: list[RunAnalysis]) -> list[Finding]:
    """Rules over the per-run analysis; each finding carries the figure it rests on."""
    out: list[Finding] = []
    order = {r.prefix: i for i, r in enumerate(runs)}
    for r in runs:
        o = r.overall
        cell = {c.metric: c for c in r.targets}
        if r.meta.status and r.meta.status != "completed":
            out.append(
                Finding(
                    "critical",
                    "incomplete",
                    (r.prefix,),
                    f"the run did not complete (status `{r.meta.status}` in run.json); its figures "
                    "cover only part of the planned load",
                    r.meta.status,
                    100,
                )
            )
        if o.requests == 0:
            out.append(Finding("critical", "no_requests", (r.prefix,), "no requests were recorded", "0 requests", 100))
            continue
        fail = cell.get("failure_pct")
        fail_text = f"{_fmt_pct(o.failure_pct)} of requests failed ({o.failures} of {o.requests})"
        if fail is not None and fail.status in ("critical", "concern"):
            out.append(
                Finding(
                    fail.status,
                    "failure_rate",
                    (r.prefix,),
                    f"{fail_text}, {fail.status} per config/targets.toml",
                    _fmt_pct(o.failure_pct),
                    o.failure_pct or 0,
                )
            )
        elif fail is not None and fail.status == "target":
            out.append(
                Finding(
                    "positive",
                    "failure_rate",
                    (r.prefix,),
                    f"{fail_text}, within the target",
                    _fmt_pct(o.failure_pct),
                    -(o.failure_pct or 0),
                )
            )
        g = r.gateway
        if g.total_504:
            text = f"{g.total_504} gateway timeouts (504) on {plural(len(g.endpoints_504), 'endpoint')}"
            if g.ceiling is not None:
                text += (
                    f"; {len(g.ceiling.endpoints)} endpoints top out at {round_half_up(g.ceiling.low_ms)}-"
                    f"{round_half_up(g.ceiling.high_ms)} ms, a gateway ceiling near {_g(g.ceiling.seconds)} s"
                )
            else:
                text += ": " + _list(
                    f"{e.label} ({e.gateway_timeouts}, max {round_half_up(e.max_ms)} ms)" for e in g.endpoints_504
                )
                if g.consistent_with is not None:
                    text += (
                        f", consistent with the ~{_g(g.consistent_with.seconds)} s ceiling of "
                        f"{g.consistent_with.established_in}"
                    )
            out.append(Finding("critical", "gateway", (r.prefix,), text, f"{g.total_504} x 504", g.total_504))
        if r.all_failed:
            text = f"{plural(len(r.all_failed), 'endpoint')} failed every request: " + _list(
                f"{f.label} ({f.failures} of {f.requests}: {f.classes})" for f in r.all_failed
            )
            out.append(Finding("critical", "all_failed", (r.prefix,), text, str(len(r.all_failed)), len(r.all_failed)))
        latency = [c for c in r.targets if c.metric in ("p50_ms", "p95_ms", "p99_ms", "avg_ms")]
        for severity in ("critical", "concern"):
            hits = [c for c in latency if c.status == severity]
            if hits:
                text = (
                    "aggregate "
                    + ", ".join(f"{_SHORT_METRIC[c.metric]} {_fmt_ms(c.value)}" for c in hits)
                    + f", {severity} per config/targets.toml"
                )
                out.append(
                    Finding(
                        severity,
                        "latency",
                        (r.prefix,),
                        text,
                        ", ".join(_fmt_ms(c.value) for c in hits),
                        max(c.value or 0 for c in hits),
                    )
                )
        if latency and all(c.status == "target" for c in latency):
            out.append(
                Finding(
                    "positive",
                    "latency",
                    (r.prefix,),
                    "aggregate latency meets every target: "
                    + ", ".join(f"{_SHORT_METRIC[c.metric]} {_fmt_ms(c.value)}" for c in latency),
                    _fmt_ms(latency[0].value),
                    0,
                )
            )
        server = [c for c in r.failure_classes if c.kind == "http_5xx"]
        if server:
            n = sum(c.occurrences for c in server)
            text = (
                f"{plural(n, 'server error')} other than 504 ("
                + ", ".join(f"{c.occurrences} x {c.title}" for c in server)
                + ") on "
                + _list(f.label for f in r.failing_endpoints if f.has_kind(c.key for c in server))
            )
            out.append(Finding("concern", "server_errors", (r.prefix,), text, f"{n} x 5xx", n))
        client = [c for c in r.failure_classes if c.kind == "http_4xx"]
        if client:
            n = sum(c.occurrences for c in client)
            hit = [f for f in r.failing_endpoints if f.has_kind(c.key for c in client)]
            partial = [f for f in hit if f not in r.all_failed]
            text = (
                ", ".join(f"{c.occurrences} x {c.title}" for c in client)
                + f" on {plural(len(hit), 'endpoint')}: "
                + _list(f.label for f in hit)
            )
            if partial:
                text += (
                    " (it also answered successfully)"
                    if len(hit) == 1
                    else f" ({len(partial)} of them also answered successfully)"
                )
            out.append(Finding("concern", "client_errors", (r.prefix,), text, f"{n} x 4xx", n))
        for kind, word in (("client_timeout", "client timeout"), ("connection", "connection error")):
            n = r.class_count(kind)
            if n:
                hit = [f.label for f in r.failing_endpoints if f.has_kind([kind])]
                out.append(
                    Finding(
                        "concern",
                        kind,
                        (r.prefix,),
                        f"{plural(n, word)} on {plural(len(hit), 'endpoint')}: {_list(hit)}",
                        str(n),
                        n,
                    )
                )
        p95 = next((c for c in r.criteria if c.name == "endpoint p95"), None)
        if p95 is not None and p95.verdict == "FAIL":
            out.append(
                Finding(
                    "concern",
                    "endpoint_p95",
                    (r.prefix,),
                    f"{p95.value} the p95 limit of {p95.limit.split(',')[0].lstrip('< ')}; {p95.detail}",
                    p95.value.split(" ")[0],
                    float(p95.value.split(" ")[0]),
                )
            )
        elif p95 is not None and p95.verdict == "PASS":
            out.append(
                Finding(
                    "positive",
                    "endpoint_p95",
                    (r.prefix,),
                    f"every endpoint's p95 is below {p95.limit.split(',')[0].lstrip('< ')} "
                    f"({r.endpoints_exercised} endpoints)",
                    str(r.endpoints_exercised),
                    0,
                )
            )
        if r.exceptions:
            n = sum(c for c, _ in r.exceptions)
            out.append(
                Finding(
                    "concern",
                    "exceptions",
                    (r.prefix,),
                    f"{plural(n, 'exception')} in the load generator: "
                    + _list([f"{(m.splitlines() or [''])[0][:80]} x{c}" for c, m in r.exceptions], 2),
                    str(n),
                    n,
                )
            )
        warm = r.meta.warmup or {}
        warm_failures = warm.get("failures") if isinstance(warm.get("failures"), list) else []
        empty = warm.get("empty_pools") if isinstance(warm.get("empty_pools"), list) else []
        if warm_failures or empty:
            parts = []
            if warm_failures:
                parts.append(f"{plural(len(warm_failures), 'harvest request')} failed")
            if empty:
                parts.append(f"{plural(len(empty), 'id pool')} stayed empty: " + _list(str(p) for p in empty))
            out.append(
                Finding(
                    "concern",
                    "warmup",
                    (r.prefix,),
                    "warm-up: " + "; ".join(parts),
                    str(len(warm_failures) + len(empty)),
                    len(warm_failures) + len(empty),
                )
            )
        for d in r.design_limits:
            out.append(
                Finding(
                    "concern",
                    "design_limit",
                    (r.prefix,),
                    f"the requests/s {d.tier} (> {_g(d.limit)}) cannot be met by design: {d.users} users with "
                    f"{_g(d.think[0])}-{_g(d.think[1])} s think time make at most {round_half_up(d.bound, 2)} "
                    f"requests/s (about {round_half_up(d.typical, 2)} at the mean think time)",
                    str(round_half_up(d.bound, 2)),
                    0,
                )
            )
        if r.criteria_verdict.startswith("PASS"):
            out.append(
                Finding(
                    "positive",
                    "criteria",
                    (r.prefix,),
                    f"meets the success criteria ({r.criteria_verdict})",
                    r.criteria_verdict,
                    0,
                )
            )
    gw_free = [r.prefix for r in runs if r.failures_file and not r.gateway.total_504 and r.overall.requests]
    if gw_free:
        out.append(Finding("positive", "no_gateway", tuple(gw_free), "no gateway timeouts (504)", "0 x 504", 0))
    severity_rank = {"critical": 0, "concern": 1, "positive": 2}
    kind_rank = {
        k: i
        for i, k in enumerate(
            (
                "incomplete",
                "no_requests",
                "failure_rate",
                "gateway",
                "all_failed",
                "latency",
                "server_errors",
                "client_errors",
                "client_timeout",
                "connection",
                "endpoint_p95",
                "exceptions",
                "warmup",
                "design_limit",
                "criteria",
                "no_gateway",
            )
        )
    }
    out.sort(key=lambda f: (severity_rank[f.severity], kind_rank[f.kind], -f.weight, order.get(f.runs[0], 0)))
    return out


def _recommendations(runs: list[RunAnalysis], findings: list[Finding]) -> list[Recommendation]:
    """One recommendation per kind of problem found, naming the runs and endpoints it rests on."""
    recs: list[Recommendation] = []
    kinds = {f.kind for f in findings if f.severity != "positive"}
    all_failed_labels = {f.label for r in runs for f in r.all_failed}
    if "gateway" in kinds:
        for r in runs:
            g = r.gateway
            rest = [e for e in g.endpoints_504 if e.label not in all_failed_labels]
            if not g.total_504 or not rest:
                continue  # lone 504s of an endpoint that always fails: the 100% recommendation covers it
            where = f"the ~{_g(g.ceiling.seconds)} s gateway ceiling" if g.ceiling else "the gateway timeout"
            recs.append(
                Recommendation(
                    f"Profile the endpoints that run into {where} on {r.prefix}, most 504s first: "
                    + _list(f"{e.label} ({e.gateway_timeouts})" for e in g.endpoints_504)
                    + ".",
                    f"{g.total_504} x 504 on {plural(len(g.endpoints_504), 'endpoint')} in {r.prefix}",
                )
            )
    for label in sorted(all_failed_labels):
        failed = [(r, f) for r in runs for f in r.all_failed if f.label == label]
        fine = [r.prefix for r in runs if any(e.label == label and e.requests and e.failures == 0 for e in r.endpoints)]
        kinds_hit = {key.split(":")[0] for _, f in failed for key, _, _ in f.class_counts}
        if kinds_hit == {"http_4xx"}:
            action = "Check that the route exists where it answered 4xx to every request"
        elif kinds_hit == {"gateway_timeout"}:
            action = "Profile it: no request finished before the gateway timed out"
        else:
            action = "Check the route and its speed"
        text = (
            f"`{label}` failed every request in {plural(len(failed), 'run')} ("
            + "; ".join(f"{r.prefix}: {f.classes}" for r, f in failed)
            + f"). {action}."
        )
        if fine:
            text += f" It answered without failures in {', '.join(fine)}."
        if all(r.not_in_catalog is not None and label in r.not_in_catalog for r, _ in failed):
            text += " It is not in the current catalog (ops_perf/catalog.py), so new runs no longer request it."
        recs.append(Recommendation(text, "endpoint failing 100% of its requests"))
    for r in runs:
        server = [c for c in r.failure_classes if c.kind == "http_5xx"]
        if server:
            labels = [f.label for f in r.failing_endpoints if f.has_kind(c.key for c in server)]
            recs.append(
                Recommendation(
                    f"Look up the server errors of {r.prefix} ({', '.join(c.title for c in server)}) in the API "
                    f"logs for the time of the run: {_list(labels)}.",
                    f"{sum(c.occurrences for c in server)} x 5xx in {r.prefix}",
                )
            )
    slow: dict[str, list[tuple[str, float]]] = {}
    failing_p95 = [r for r in runs if any(c.name == "endpoint p95" and c.verdict == "FAIL" for c in r.criteria)]
    for r in failing_p95:
        for e in r.slowest:
            if e.label not in all_failed_labels:
                slow.setdefault(e.label, []).append((r.prefix, e.p95 if e.p95 is not None else e.avg or 0.0))
    if slow:
        ranked = sorted(slow.items(), key=lambda kv: (-len(kv[1]), -max(v for _, v in kv[1]), kv[0]))
        recs.append(
            Recommendation(
                "Investigate the endpoints that are among the five slowest (by average) in most runs: "
                + _list(
                    (
                        f"{label} (in {plural(len(seen), 'run')}, p95 up to {round_half_up(max(v for _, v in seen))} ms)"
                        for label, seen in ranked
                    ),
                    4,
                )
                + ".",
                "endpoint p95 criterion failed in " + ", ".join(r.prefix for r in failing_p95),
            )
        )
    for kind, text in (
        (
            "client_timeout",
            "Client timeouts in {runs}: compare the suite's timeout for these "
            "endpoints with the gateway ceiling, so that a slow response is seen as the gateway's 504.",
        ),
        (
            "connection",
            "Connection errors in {runs}: check that the host was reachable and the "
            "load generator was not saturated (CPU) during the run.",
        ),
    ):
        hit = [f.runs[0] for f in findings if f.kind == kind]
        if hit:
            recs.append(Recommendation(text.format(runs=", ".join(hit)), kind.replace("_", " ") + "s"))
    design = [f for f in findings if f.kind == "design_limit"]
    if design:
        recs.append(
            Recommendation(
                "Restate the requests/s target in config/targets.toml for the think time used, or measure throughput "
                "with a scenario without think time; as configured it cannot pass in "
                + ", ".join(sorted({f.runs[0] for f in design}))
                + ".",
                "requests/s target above the design bound",
            )
        )
    warm = [f for f in findings if f.kind == "warmup"]
    if warm:
        recs.append(
            Recommendation(
                "Fix the warm-up gaps of "
                + ", ".join(f.runs[0] for f in warm)
                + ": endpoints whose id pool is empty are not exercised with real ids.",
                "warm-up failures",
            )
        )
    inferred = [r.prefix for r in runs if not r.meta.has_run_json]
    if inferred:
        recs.append(
            Recommendation(
                "Make future runs with `ops-perf run`, which records host, users, spawn rate, think time and the "
                "warm-up in run.json; for " + _list(inferred, 5) + " these were inferred or are unknown.",
                "no run.json",
            )
        )
    cumulative = [r.prefix for r in runs if r.history_kind == "aggregated"]
    if cumulative:
        recs.append(
            Recommendation(
                "Record per-endpoint history (`--csv-full-history`, which `ops-perf run` passes) so the report can "
                "chart per-endpoint percentiles over time; missing for " + _list(cumulative, 5) + ".",
                "aggregated-only history",
            )
        )
    return recs


# --------------------------------------------------------------------------------------------------
# Entry point
# --------------------------------------------------------------------------------------------------


def _thresholds(per_run: Mapping[str, Targets], default: Targets) -> tuple[list[ThresholdRow], list[str]]:
    metrics = [m for m in _METRIC_ORDER if m in default.aggregate or any(m in t.aggregate for t in per_run.values())]
    rows = []
    for metric in metrics:
        tier = default.aggregate.get(metric)
        described = tier.describe() if tier is not None else ("-", "-", "-")
        overrides: dict[str, list[str]] = {}
        for prefix, t in per_run.items():
            other: Tier | None = t.aggregate.get(metric)
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
    runs: Sequence[RunData], targets: Mapping[str, Targets], default_targets: Targets, catalog: Sequence[str] | None
) -> Analysis:
    """Analyse every run against its environment's targets, then rank findings across runs."""
    analysed = [analyse_run(run, targets[run.prefix], catalog) for run in runs]
    # A ceiling seen in one run explains lone 504s in another run of the same environment.
    for r in analysed:
        g = r.gateway
        if g.total_504 and g.ceiling is None:
            for other in analysed:
                c = other.gateway.ceiling
                if c is not None and other.meta.env == r.meta.env and all(_near(e.max_ms, c) for e in g.endpoints_504):
                    g.consistent_with = c
                    break
    findings = _findings(analysed)
    thresholds, metrics = _thresholds(targets, default_targets)
    notes = []
    if any(r.history_kind == "aggregated" for r in analysed):
        notes.append("aggregated-only history")
    return Analysis(
        runs=analysed,
        findings=findings,
        recommendations=_recommendations(analysed, findings),
        thresholds=thresholds,
        metrics=metrics,
        success=default_targets.success,
        catalog_size=len(catalog) if catalog is not None else None,
        targets_source=_display_path(default_targets.source),
        notes=notes,
    )
