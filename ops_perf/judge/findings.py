"""Findings: what the executive summary says about each run, with a severity, ranked across runs.

Every finding is a rule over the judgement, and its severity comes from the judgement too: a status
from config/targets.toml is that status, and a metric that fails the gate (`[gate] fail_on`) is
always critical, so the report can never say "Critical: none" for a run the check fails. A figure a
gateway ceiling caps is a lower bound and never a positive finding. Failure classes set severity
where they bear on it (a 504 is critical; 4xx, client timeouts and connection errors are concerns).
Severities: critical, concern, positive, and note (a target that was not applicable, and why).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from ops_perf.judge.evaluate import RunJudgement
from ops_perf.judge.numbers import g, plural, round_half_up, short_list
from ops_perf.judge.statuses import LATENCY, MetricStatus, RowStatus, fmt
from ops_perf.judge.validity import NO_REQUESTS, status_reason
from ops_perf.settings.targets import Status

SEVERITIES = ("critical", "concern", "positive", "note")
KIND_RANK = (
    "incomplete",
    "invalid",
    "no_requests",
    "failure_rate",
    "gateway",
    "all_failed",
    "unfinished",
    "not_json",
    "latency",
    "throughput",
    "endpoint_targets",
    "page_targets",
    "server_errors",
    "client_errors",
    "client_timeout",
    "connection",
    "endpoint_p95",
    "not_enough_evidence",
    "exceptions",
    "warmup",
    "design_limit",
    "time_scaled",
    "not_judged",
    "criteria",
    "no_gateway",
)
SHORT_METRIC = {
    "p50_ms": "median",
    "p95_ms": "p95",
    "p99_ms": "p99",
    "avg_ms": "average",
    "failure_pct": "failure %",
    "rps": "requests/s",
}


@dataclass(frozen=True)
class Finding:
    severity: str  # critical / concern / positive / note
    kind: str
    runs: tuple[str, ...]
    text: str
    figure: str
    weight: float = 0.0


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{round_half_up(value, 2)}%"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{round_half_up(value)} ms"


def _severity(status: Status, breach: bool) -> str:
    """A breach of the gate is critical whatever its tier; otherwise the status is the severity."""
    return "critical" if breach else status.value


def _run_state(r: RunJudgement) -> list[Finding]:
    """A run that did not complete, or cannot be judged: critical, whatever its figures."""
    out = []
    status, said = r.meta.status, status_reason(r.meta)
    if status == "interrupted" and said:
        out.append(
            Finding("critical", "incomplete", (r.prefix,), f"{said}; its figures cover only that part", status, 100)
        )
    elif status and status != "completed":
        text = (
            f"the run did not complete (status `{status}` in run.json); its figures cover only part of the planned load"
        )
        out.append(Finding("critical", "incomplete", (r.prefix,), text, status, 100))
    for reason in r.invalid:
        if reason not in (said, NO_REQUESTS):  # said above, or as "no requests were recorded" below
            text = f"the run cannot be judged: {reason}"
            out.append(Finding("critical", "invalid", (r.prefix,), text, "invalid", 90))
    return out


def _failure_rate(r: RunJudgement) -> list[Finding]:
    o = r.overall
    cell = r.aggregate.metric("failure_pct")
    if cell is None or cell.status is None:
        return []
    text = f"{_pct(o.failure_pct)} of requests failed ({o.failures} of {o.requests})"
    if cell.status in (Status.CRITICAL, Status.CONCERN) or cell.breach:
        severity = _severity(cell.status, cell.breach)
        text += f", {cell.status.value} per config/targets.toml"
        return [Finding(severity, "failure_rate", (r.prefix,), text, _pct(o.failure_pct), o.failure_pct or 0)]
    if cell.status is Status.TARGET:
        text += ", within the target"
        return [Finding("positive", "failure_rate", (r.prefix,), text, _pct(o.failure_pct), -(o.failure_pct or 0))]
    return []


def _gateway(r: RunJudgement) -> list[Finding]:
    g_ = r.gateway
    if not g_.total_504:
        return []
    text = f"{g_.total_504} gateway timeouts (504) on {plural(len(g_.endpoints_504), 'endpoint')}"
    if g_.ceiling is not None:
        text += (
            f"; {len(g_.ceiling.endpoints)} endpoints top out at {round_half_up(g_.ceiling.low_ms)}-"
            f"{round_half_up(g_.ceiling.high_ms)} ms, a gateway ceiling near {g(g_.ceiling.seconds)} s"
        )
    else:
        text += ": " + short_list(
            f"{e.label} ({e.gateway_timeouts}, max {round_half_up(e.max_ms)} ms)" for e in g_.endpoints_504
        )
        if g_.consistent_with is not None:
            text += f", consistent with the ~{g(g_.consistent_with.seconds)} s ceiling of {g_.consistent_with.established_in}"
    return [Finding("critical", "gateway", (r.prefix,), text, f"{g_.total_504} x 504", g_.total_504)]


def _all_failed(r: RunJudgement) -> list[Finding]:
    failed = r.failures.all_failed
    if not failed:
        return []
    text = f"{plural(len(failed), 'endpoint')} failed every request: " + short_list(
        f"{f.label} ({f.failures} of {f.requests}: {f.classes})" for f in failed
    )
    return [Finding("critical", "all_failed", (r.prefix,), text, str(len(failed)), len(failed))]


def _latency(r: RunJudgement) -> list[Finding]:
    out = []
    latency = [c for c in r.aggregate.metrics if c.metric in LATENCY and c.status is not None]
    for severity in ("critical", "concern"):
        hits = [c for c in latency if c.status is not None and _severity(c.status, c.breach) == severity]
        if hits:
            text = (
                "aggregate "
                + ", ".join(f"{SHORT_METRIC[c.metric]} {_ms(c.value)}" for c in hits)
                + ", "
                + "/".join(sorted({c.status.value for c in hits if c.status is not None}))
                + " per config/targets.toml"
            )
            if any(c.capped for c in hits):
                text += " (at the gateway ceiling: the real figures are higher)"
            figure = ", ".join(_ms(c.value) for c in hits)
            out.append(Finding(severity, "latency", (r.prefix,), text, figure, max(c.value or 0 for c in hits)))
    if latency and all(c.status is Status.TARGET and not c.capped for c in latency):
        text = "aggregate latency meets every target: " + ", ".join(
            f"{SHORT_METRIC[c.metric]} {_ms(c.value)}" for c in latency
        )
        out.append(Finding("positive", "latency", (r.prefix,), text, _ms(latency[0].value), 0))
    return out


def _throughput(r: RunJudgement) -> list[Finding]:
    cell = r.aggregate.metric("rps")
    if cell is None:
        return []
    if cell.status is None:
        kind = "design_limit" if any(d.tier == "target" for d in r.design_limits) else "not_judged"
        return [Finding("note", kind, (r.prefix,), f"requests/s not judged: {cell.reason}", "n/a", 0)]
    text = f"served {fmt(cell.value, 'rps')} at an offered {fmt(r.meta.offered_rate, 'rps')}"
    if cell.status is Status.TARGET:
        return [Finding("positive", "throughput", (r.prefix,), text + ", within the target", fmt(cell.value, "rps"), 0)]
    if cell.status is Status.ACCEPTABLE and not cell.breach:
        return []
    severity = _severity(cell.status, cell.breach)
    text += f": requests/s {cell.status.value} per config/targets.toml ({cell.limit_text()})"
    return [Finding(severity, "throughput", (r.prefix,), text, fmt(cell.value, "rps"), cell.value or 0)]


def _row_targets(r: RunJudgement, rows: Sequence[RowStatus], kind: str, word: str) -> list[Finding]:
    """Rows that fail the gate (critical), then rows at concern: each with the metrics that put it there."""
    buckets: dict[str, list[tuple[RowStatus, list[str]]]] = {"critical": [], "concern": []}
    for row in rows:
        bad = [m for m in row.metrics if m.status is not None and m.status.rank >= Status.CONCERN.rank]
        if row.breaches:
            buckets["critical"].append((row, [m.short() for m in row.breaches]))
        elif bad:
            buckets["concern"].append((row, [m.short() for m in bad]))
    out = []
    for severity, hits in buckets.items():
        if not hits:
            continue
        hits.sort(key=lambda h: (-((h[0].row.p95 if h[0].row else None) or 0.0), h[0].name))
        text = f"{plural(len(hits), word)} {severity} per config/targets.toml: " + short_list(
            (f"{row.name} ({'; '.join(why)})" for row, why in hits), 4
        )
        out.append(Finding(severity, kind, (r.prefix,), text, str(len(hits)), len(hits)))
    return out


def _unproven(r: RunJudgement) -> list[Finding]:
    """Rows whose point value would fail the gate but whose interval reaches passing tiers: too few
    requests to say either way (a p95 of 9 requests is about their maximum). Named, never a pass."""
    hits = [(row, [m for m in row.metrics if m.point_breach]) for row in r.rows]
    hits = [(row, ms) for row, ms in hits if ms]
    if not hits:
        return []
    hits.sort(key=lambda h: (-max(m.value or 0.0 for m in h[1]), h[0].name))

    def why(m: MetricStatus) -> str:
        return f"{m.metric} {fmt(m.value, m.metric)}, {m.interval_text()}, {plural(m.interval.n if m.interval else 0, 'request')}"

    text = (
        f"{plural(len(hits), 'row')} would fail the gate by their point value alone, but the run holds too few "
        "requests to tell (not enough evidence; run longer or with more users): "
        + short_list((f"{row.name} ({'; '.join(why(m) for m in ms)})" for row, ms in hits), 3)
    )
    return [Finding("concern", "not_enough_evidence", (r.prefix,), text, str(len(hits)), len(hits))]


def _failure_kinds(r: RunJudgement) -> list[Finding]:
    out = []
    f = r.failures
    unfinished = f.count("unfinished")
    if unfinished:
        hit = f.labels_with(["unfinished"])
        text = (
            f"{plural(unfinished, 'request')} still had no answer when the load stopped, on {short_list(hit)}: "
            "recorded as failures with their time until then (not a clean run: OPS was still answering)"
        )
        out.append(Finding("critical", "unfinished", (r.prefix,), text, str(unfinished), unfinished))
    not_json = f.count("not_json")
    if not_json:
        hit = f.labels_with(["not_json"])
        text = (
            f"{plural(not_json, 'answer')} with a 2xx status carried no JSON (a proxy's or a login page?) on "
            f"{short_list(hit)}: failures, the figures of those requests are not OPS's"
        )
        out.append(Finding("critical", "not_json", (r.prefix,), text, str(not_json), not_json))
    server = f.of_kind("http_5xx")
    if server:
        n = sum(c.occurrences for c in server)
        text = (
            f"{plural(n, 'server error')} other than 504 ("
            + ", ".join(f"{c.occurrences} x {c.title}" for c in server)
            + ") on "
            + short_list(f.labels_with(["http_5xx"]))
        )
        out.append(Finding("concern", "server_errors", (r.prefix,), text, f"{n} x 5xx", n))
    client = f.of_kind("http_4xx")
    if client:
        n = sum(c.occurrences for c in client)
        hit = [e for e in f.endpoints if e.has_kind(c.key for c in client)]
        partial = [e for e in hit if e not in f.all_failed]
        text = (
            ", ".join(f"{c.occurrences} x {c.title}" for c in client)
            + f" on {plural(len(hit), 'endpoint')}: "
            + short_list(e.label for e in hit)
        )
        if partial:
            text += (
                " (it also answered successfully)"
                if len(hit) == 1
                else f" ({len(partial)} of them also answered successfully)"
            )
        out.append(Finding("concern", "client_errors", (r.prefix,), text, f"{n} x 4xx", n))
    for kind, word in (("client_timeout", "client timeout"), ("connection", "connection error")):
        n = f.count(kind)
        if n:
            hit = f.labels_with([kind])
            text = f"{plural(n, word)} on {plural(len(hit), 'endpoint')}: {short_list(hit)}"
            out.append(Finding("concern", kind, (r.prefix,), text, str(n), n))
    return out


def _endpoint_p95(r: RunJudgement) -> list[Finding]:
    p95 = next((c for c in r.criteria if c.name == "endpoint p95"), None)
    if p95 is None:
        return []
    limit = p95.limit.split(",")[0].lstrip("< ")
    if p95.verdict == "FAIL":
        text = f"{p95.value} the p95 limit of {limit} of the success criteria; {p95.detail}"
        figure = p95.value.split(" ")[0]
        return [Finding("concern", "endpoint_p95", (r.prefix,), text, figure, float(figure))]
    capped = any(m.capped for row in r.endpoint_statuses for m in row.metrics if m.metric == "p95_ms")
    if p95.verdict == "PASS" and not capped:
        exercised = sum(1 for e in r.endpoints if e.requests > 0)
        text = f"every endpoint's p95 is below {limit} ({exercised} endpoints)"
        return [Finding("positive", "endpoint_p95", (r.prefix,), text, str(exercised), 0)]
    return []


def _generator(r: RunJudgement, exceptions: Sequence[tuple[int, str]] | None) -> list[Finding]:
    out = []
    if exceptions:
        n = sum(c for c, _ in exceptions)
        text = f"{plural(n, 'exception')} in the load generator: " + short_list(
            [f"{(m.splitlines() or [''])[0][:80]} x{c}" for c, m in exceptions], 2
        )
        out.append(Finding("concern", "exceptions", (r.prefix,), text, str(n), n))
    warm = r.meta.warmup or {}
    warm_failures = warm.get("failures") if isinstance(warm.get("failures"), list) else []
    empty = warm.get("empty_pools") if isinstance(warm.get("empty_pools"), list) else []
    if warm_failures or empty:
        parts = []
        if warm_failures:
            parts.append(f"{plural(len(warm_failures), 'harvest request')} failed")
        if empty:
            parts.append(f"{plural(len(empty), 'id pool')} stayed empty: " + short_list(str(p) for p in empty))
        n = len(warm_failures) + len(empty)
        out.append(Finding("concern", "warmup", (r.prefix,), "warm-up: " + "; ".join(parts), str(n), n))
    return out


def _time_scaled(r: RunJudgement) -> list[Finding]:
    """A time-scaled simulator run is judged against scaled targets: said once, with the factor."""
    scale = r.targets.scale
    if scale == 1.0:
        return []
    p95 = r.targets.endpoint.get("p95_ms")
    limit = f" (an endpoint's p95 target {g(p95.target)} ms)" if p95 is not None else ""
    text = (
        f"a replay of the simulator's profile `{r.meta.sim_profile}` at time scale {g(scale)}: judged against "
        f"the targets x {g(scale)}{limit}, as OPS at that profile would be; never a figure of OPS itself"
    )
    return [Finding("note", "time_scaled", (r.prefix,), text, f"x{g(scale)}", 0)]


def _criteria(r: RunJudgement) -> list[Finding]:
    if r.criteria_verdict.startswith("PASS"):
        text = f"meets the success criteria ({r.criteria_verdict})"
        return [Finding("positive", "criteria", (r.prefix,), text, r.criteria_verdict, 0)]
    return []


RULES: tuple[Callable[[RunJudgement], list[Finding]], ...] = (
    _failure_rate,
    _gateway,
    _all_failed,
    _latency,
    _throughput,
    lambda r: _row_targets(r, r.endpoint_statuses, "endpoint_targets", "endpoint"),
    lambda r: _row_targets(r, r.page_statuses, "page_targets", "page"),
    _failure_kinds,
    _endpoint_p95,
    _unproven,
    _time_scaled,
)


def findings(
    runs: Sequence[RunJudgement], exceptions: dict[str, list[tuple[int, str]] | None] | None = None
) -> list[Finding]:
    """Every rule over every run, ranked: severity, kind, weight, run order."""
    out: list[Finding] = []
    order = {r.prefix: i for i, r in enumerate(runs)}
    for r in runs:
        out.extend(_run_state(r))
        if r.overall.requests == 0:
            out.append(Finding("critical", "no_requests", (r.prefix,), "no requests were recorded", "0 requests", 100))
            continue
        for rule in RULES:
            out.extend(rule(r))
        out.extend(_generator(r, (exceptions or {}).get(r.prefix)))
        out.extend(_criteria(r))
    out = _merge_notes(out)
    gw_free = [r.prefix for r in runs if r.failures.in_file and not r.gateway.total_504 and r.overall.requests]
    if gw_free:
        out.append(Finding("positive", "no_gateway", tuple(gw_free), "no gateway timeouts (504)", "0 x 504", 0))
    rank = {k: i for i, k in enumerate(KIND_RANK)}
    out.sort(key=lambda f: (SEVERITIES.index(f.severity), rank[f.kind], -f.weight, order.get(f.runs[0], 0)))
    return out


def _merge_notes(found: list[Finding]) -> list[Finding]:
    """Notes that say the same of several runs (requests/s not judged, for the same reason) are one."""
    merged: dict[tuple[str, str], Finding] = {}
    out: list[Finding] = []
    for f in found:
        key = (f.kind, f.text)
        if f.severity != "note":
            out.append(f)
        elif key in merged:
            first = merged[key]
            merged[key] = Finding(f.severity, f.kind, (*first.runs, *f.runs), f.text, f.figure, f.weight)
        else:
            merged[key] = f
    return out + list(merged.values())


def breaches_are_critical(runs: Iterable[RunJudgement], found: Sequence[Finding]) -> bool:
    """The invariant the report relies on: every run that fails the gate has a critical finding."""
    critical = {p for f in found if f.severity == "critical" for p in f.runs}
    return all(r.prefix in critical for r in runs if r.breaches)
