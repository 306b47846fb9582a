"""Recommendations: one per kind of problem found, each naming the runs and the finding it rests on.

Why they are separate from the findings: a finding is a judgement (the judge's), a recommendation is
advice on what to do about it, which depends on the class of failure (a 404 on every request is a
route that does not exist; a connection error is the host or the network, not the route).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ops_perf.judge import Finding
from ops_perf.judge.numbers import g, plural, round_half_up, short_list
from ops_perf.report.model import RunAnalysis


@dataclass(frozen=True)
class Recommendation:
    text: str
    because: str


def _all_failed_action(kinds: set[str]) -> str:
    """What to do about an endpoint that failed every request, by the classes of its failures."""
    if kinds == {"http_4xx"}:
        return "Check that the route exists where it answered 4xx to every request"
    if kinds == {"gateway_timeout"}:
        return "Profile it: no request finished before the gateway timed out"
    if kinds == {"connection"}:
        return (
            "Check the host and the network, not the route: no request got a connection "
            "(DNS, TLS, proxy, firewall, the host's connection limits)"
        )
    if kinds == {"client_timeout"}:
        return "Profile it: no response came within the suite's client timeout"
    return "Check the route and its speed"


def recommendations(runs: Sequence[RunAnalysis], findings: Sequence[Finding]) -> list[Recommendation]:
    """One recommendation per kind of problem found, naming the runs and endpoints it rests on."""
    recs: list[Recommendation] = []
    kinds = {f.kind for f in findings if f.severity != "positive"}
    all_failed_labels = {f.label for r in runs for f in r.all_failed}
    if "gateway" in kinds:
        for r in runs:
            gw = r.gateway
            rest = [e for e in gw.endpoints_504 if e.label not in all_failed_labels]
            if not gw.total_504 or not rest:
                continue  # lone 504s of an endpoint that always fails: the 100% recommendation covers it
            where = f"the ~{g(gw.ceiling.seconds)} s gateway ceiling" if gw.ceiling else "the gateway timeout"
            recs.append(
                Recommendation(
                    f"Profile the endpoints that run into {where} on {r.prefix}, most 504s first: "
                    + short_list(f"{e.label} ({e.gateway_timeouts})" for e in gw.endpoints_504)
                    + ".",
                    f"{gw.total_504} x 504 on {plural(len(gw.endpoints_504), 'endpoint')} in {r.prefix}",
                )
            )
    for label in sorted(all_failed_labels):
        failed = [(r, f) for r in runs for f in r.all_failed if f.label == label]
        fine = [r.prefix for r in runs if any(e.label == label and e.requests and e.failures == 0 for e in r.endpoints)]
        kinds_hit = {key.split(":")[0] for _, f in failed for key, _, _ in f.class_counts}
        action = _all_failed_action(kinds_hit)
        text = (
            f"`{label}` failed every request in {plural(len(failed), 'run')} ("
            + "; ".join(f"{r.prefix}: {f.classes}" for r, f in failed)
            + f"). {action}."
        )
        if fine:
            text += f" It answered without failures in {', '.join(fine)}."
        if all(r.not_in_catalog is not None and label in r.not_in_catalog for r, _ in failed):
            text += " It is not in the current catalog (ops_perf/users/endpoints/catalog.py), so new runs no longer request it."
        recs.append(Recommendation(text, "endpoint failing 100% of its requests"))
    for r in runs:
        server = [c for c in r.failure_classes if c.kind == "http_5xx"]
        if server:
            labels = [f.label for f in r.failing_endpoints if f.has_kind(c.key for c in server)]
            recs.append(
                Recommendation(
                    f"Look up the server errors of {r.prefix} ({', '.join(c.title for c in server)}) in the API "
                    f"logs for the time of the run: {short_list(labels)}.",
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
                + short_list(
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
            "Connection errors in {runs}: the requests never reached OPS. Check the host and the network "
            "between the load generator and it (DNS, TLS, proxy, firewall, the host's connection limits), "
            "and that the load generator was not saturated (CPU) during the run.",
        ),
    ):
        hit = [f.runs[0] for f in findings if f.kind == kind]
        if hit:
            recs.append(Recommendation(text.format(runs=", ".join(hit)), kind.replace("_", " ") + "s"))
    design = [f for f in findings if f.kind == "design_limit"]
    if design:
        recs.append(
            Recommendation(
                'To judge requests/s, run an open-model scenario (`model = "open"`) offering at least the '
                "target rate; closed runs cannot reach it by design and do not judge it: "
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
                "warm-up in run.json; for " + short_list(inferred, 5) + " these were inferred or are unknown.",
                "no run.json",
            )
        )
    cumulative = [r.prefix for r in runs if r.history_kind == "aggregated"]
    if cumulative:
        recs.append(
            Recommendation(
                "Record per-endpoint history (`--csv-full-history`, which `ops-perf run` passes) so the report can "
                "chart per-endpoint percentiles over time; missing for " + short_list(cumulative, 5) + ".",
                "aggregated-only history",
            )
        )
    return recs
