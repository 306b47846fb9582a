"""Verdicts on synthetic runs written in Locust's exact format (Locust's own CSV writer and stats).

Why synthetic runs here: they make the statistics testable with known truth (same distribution =>
no regression; a planted 1.5x => exactly that endpoint), in milliseconds and without the simulator.
The files are produced by Locust's `RequestStats` and `StatsCSV`, so the format is Locust 2.47's to
the byte (header, N/A cells, failures with First/Last Seen), and `<prefix>.json` is
`RequestStats.serialize_stats()`, exactly what `--json-file` writes.
"""

from __future__ import annotations

import csv
import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest
from locust.stats import PERCENTILES_TO_REPORT, RequestStats, StatsCSV, calculate_response_time_percentile

from ops_perf.exitcodes import ExitCode
from ops_perf.runfiles.load import open_runs
from ops_perf.users.endpoints.catalog import ENDPOINTS
from ops_perf.verdict import check_main, compare_main, junit, noise
from ops_perf.verdict.compare import Change, compare_runs

NAMES = [e.locust_name for e in ENDPOINTS]
WEIGHTS = {e.locust_name: e.weight for e in ENDPOINTS}
HISTORY_HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,99.9%,"
    "99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)


@dataclass
class Sample:
    """One endpoint's requests: response times in ms, and how many of them failed."""

    times: Sequence[float]
    failures: int = 0
    error: str = ""
    """The failures' error string ("" for an HTTP 500 of this endpoint, or of a page's call)."""


def lognormal(median_ms: float, n: int, seed: int, sigma: float = 0.35) -> list[float]:
    return list(np.random.default_rng(seed).lognormal(math.log(median_ms), sigma, n))


def write_run(
    directory: Path,
    prefix: str,
    samples: Mapping[str, Sample],
    *,
    users: int = 10,
    duration_s: float = 30.0,
    env: str = "local",
    scenario: str = "smoke",
    host: str = "http://127.0.0.1:9",
    think: tuple[float, float] = (0.0, 0.0),
    run_json: bool = True,
    json_file: bool = True,
    status: str = "completed",
    cpu_warning: bool = False,
    started_at: str = "2026-01-05T03:00:00Z",
    fingerprint: str = "sha256:catalog-1",
    extra: Mapping[str, Any] | None = None,
    rewrite_after_json: bool = False,
) -> Path:
    """Write one run as `ops-perf run` would (stats, history, failures, exceptions, .json, run.json)."""
    directory.mkdir(parents=True, exist_ok=True)
    stats = RequestStats()
    for label, sample in samples.items():
        # "PAGE <route>" is a page view (request type PAGE); anything else a GET of that name
        method, name = ("PAGE", label[5:]) if label.startswith("PAGE ") else ("GET", label)
        for i, t in enumerate(sample.times):
            stats.log_request(method, name, float(t), 512)
            if i < sample.failures:
                error = sample.error or (
                    f"/api/v1/agreements/[id]: 500 INTERNAL SERVER ERROR (page {name})"
                    if method == "PAGE"
                    else f"HTTPError('500 Server Error: INTERNAL SERVER ERROR for url: {name}')"
                )
                stats.log_error(method, name, error)
    t0 = 1_767_582_000.0
    stats.total.start_time = t0
    stats.total.last_request_timestamp = t0 + duration_s
    writer = StatsCSV(SimpleNamespace(stats=stats, runner=None), PERCENTILES_TO_REPORT)
    base = directory / prefix
    with open(f"{base}_stats.csv", "w", newline="") as fh:
        writer.requests_csv(csv.writer(fh))
    with open(f"{base}_failures.csv", "w", newline="") as fh:
        writer.failures_csv(csv.writer(fh))
    with open(f"{base}_exceptions.csv", "w", newline="") as fh:
        writer.exceptions_csv(csv.writer(fh))
    total = stats.total
    na = ",".join(["N/A"] * 11)
    pcts = (
        ",".join(str(int(total.get_response_time_percentile(p))) for p in PERCENTILES_TO_REPORT)
        if total.num_requests
        else na
    )
    with open(f"{base}_stats_history.csv", "w", newline="") as fh:
        fh.write(HISTORY_HEADER + "\n")
        fh.write(f"{int(t0)},0,,Aggregated,0.000000,0.000000,{na},0,0,0,0.0,0,0,0\n")
        for k, ts in enumerate((int(t0) + 1, int(t0 + duration_s))):
            count = total.num_requests if k else total.num_requests // 2
            fh.write(
                f"{ts},{users},,Aggregated,{count / max(duration_s, 1):.6f},0.000000,{pcts},{count},"
                f"{total.num_failures},{total.median_response_time},{total.avg_response_time},"
                f"{total.min_response_time or 0},{total.max_response_time},512.0\n"
            )
    if json_file:  # after the CSVs: serialize_stats() resets the entries, as in Locust's shutdown
        Path(f"{base}.json").write_text(json.dumps(stats.serialize_stats(), indent=4))
    if rewrite_after_json:  # the shutdown race: the CSV writer runs once more after the reset
        with open(f"{base}_stats.csv", "w", newline="") as fh:
            writer.requests_csv(csv.writer(fh))
    if run_json:
        record = {
            "schema": 1,
            "prefix": prefix,
            "env": env,
            "host": host,
            "scenario": scenario,
            "users": users,
            "spawn_rate": float(users),
            "duration_s": duration_s,
            "stages": [{"duration_s": duration_s, "users": users, "spawn_rate": float(users)}],
            "think_time_s": list(think),
            "workers": 0,
            "locust_version": "2.47.0",
            "suite_version": "0.1.0",
            "catalog_fingerprint": fingerprint,
            "endpoints": 64,
            "tags": [],
            "exclude_tags": [],
            "started_at": started_at,
            "load_started_at": started_at,
            "ended_at": started_at,
            "cpu_warning": cpu_warning,
            "status": status,
            "exit_code": 0,
            **(extra or {}),
        }
        Path(f"{base}_run.json").write_text(json.dumps(record, indent=2))
    return base


def catalog_samples(
    seed: int,
    per_weight: int = 40,
    slow: Mapping[str, float] | None = None,
    failing: Mapping[str, float] | None = None,
    median_ms: float = 120.0,
) -> dict[str, Sample]:
    """All 64 catalog endpoints, request counts proportional to their weights (like a real run)."""
    rng = np.random.default_rng(seed)
    out: dict[str, Sample] = {}
    for i, name in enumerate(NAMES):
        n = WEIGHTS[name] * per_weight
        factor = (slow or {}).get(name, 1.0)
        times = [t * factor for t in lognormal(median_ms * (1 + (i % 5) / 4), n, seed * 1000 + i)]
        fails = int(rng.binomial(n, (failing or {}).get(name, 0.0)))
        out[name] = Sample(times, fails)
    return out


# ---------------------------------------------------------------------------------------------------
# noise
# ---------------------------------------------------------------------------------------------------


def test_percentile_is_locusts_own_rule() -> None:
    rng = np.random.default_rng(7)
    for _ in range(200):
        n = int(rng.integers(1, 400))
        stats = RequestStats()
        for t in rng.lognormal(5, 1.2, n):
            stats.log_request("GET", "/x", float(t), 0)
        hist = dict(stats.entries[("/x", "GET")].response_times)
        for q in (0.5, 0.95, 0.99):
            assert noise.percentile(hist, q) == calculate_response_time_percentile(hist, n, q)


def test_bootstrap_is_seeded_bounded_and_sized_by_the_data() -> None:
    hist = noise.merge([{10: 50, 20: 30, 40: 15, 90: 5}])
    shifted = {k * 3: v for k, v in hist.items()}
    a = noise.latency_stderrs([hist], shifted, ["p50_ms", "p95_ms", "avg_ms"], resamples=500, label="/x")
    b = noise.latency_stderrs([hist], shifted, ["avg_ms", "p50_ms", "p95_ms"], resamples=500, label="/x")
    assert a == b  # same label and inputs: same numbers, whatever the order asked
    assert noise.bounded(10**9) == noise.MAX_RESAMPLES and noise.bounded(0) == 2
    few, many = _hist(lognormal(300, 100, 1)), _hist(lognormal(300, 10_000, 2))
    small_se = noise.latency_stderrs([many], many, ["p95_ms"], resamples=500, label="/x")["p95_ms"]
    large_se = noise.latency_stderrs([few], few, ["p95_ms"], resamples=500, label="/x")["p95_ms"]
    assert small_se < large_se / 3  # 100x the requests, a much tighter interval
    assert noise.latency_stderrs([{}], hist, ["p50_ms"], resamples=100) == {}


def _hist(times: Sequence[float]) -> dict[int, int]:
    stats = RequestStats()
    for t in times:
        stats.log_request("GET", "/x", float(t), 0)
    return dict(stats.entries[("/x", "GET")].response_times)


def test_simultaneous_interval_widens_with_the_family() -> None:
    one = noise.simultaneous_interval(10.0, 2.0, confidence=0.95, family=1, resamples=100)
    many = noise.simultaneous_interval(10.0, 2.0, confidence=0.95, family=300, resamples=100)
    assert one.low == pytest.approx(10 - 1.96 * 2, abs=0.01)
    assert many.low < one.low and many.high > one.high
    assert many.per_test_confidence == pytest.approx(1 - 0.05 / 300)


def test_failure_stderr_one_failure_is_noise_fifteen_are_not() -> None:
    se_small = noise.failure_stderr([(30, 0)], (30, 1), resamples=2000)
    se_big = noise.failure_stderr([(300, 0)], (300, 15), resamples=2000)
    assert se_small is not None and se_big is not None
    assert noise.simultaneous_interval(100 / 30, se_small, confidence=0.95, family=5, resamples=2000).low < 0
    assert noise.simultaneous_interval(5.0, se_big, confidence=0.95, family=5, resamples=2000).low > 0
    assert noise.failure_stderr([(0, 0)], (30, 1), resamples=10) is None


# ---------------------------------------------------------------------------------------------------
# junit
# ---------------------------------------------------------------------------------------------------


def test_junit_counts_outcomes_and_escapes(tmp_path: Path) -> None:
    cases = [
        junit.Case("c", "/api/v1/cans/?portfolio_id=[id]&x=<1>", junit.Outcome.FAILED, 'p95 > "2000"', "a\nb"),
        junit.Case("c", "ok", junit.Outcome.PASSED, details="fine"),
        junit.Case("c", "few", junit.Outcome.SKIPPED, "not enough data"),
        junit.Case("c", "run", junit.Outcome.ERROR, "token died"),
    ]
    path = junit.write(tmp_path / "deep" / "j.xml", "suite", cases, {"run": "x", "none": None})
    root = ET.parse(path).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    counts = (suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("errors"))
    assert counts == ("4", "1", "1", "1")
    failed = [c for c in suite.iter("testcase") if c.find("failure") is not None]
    assert [c.get("name") for c in failed] == ["/api/v1/cans/?portfolio_id=[id]&x=<1>"]
    assert failed[0].find("failure").get("message") == 'p95 > "2000"'  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------------
# check
# ---------------------------------------------------------------------------------------------------


def _targets(tmp_path: Path, rps_critical: float = 1.0) -> Path:
    path = tmp_path / "targets.toml"
    path.write_text(f"""
[aggregate]
p95_ms      = {{ target = 500, acceptable = 1000, critical = 2000 }}
failure_pct = {{ target = 1, acceptable = 5, critical = 10 }}
rps         = {{ target = {rps_critical * 5}, acceptable = {rps_critical * 2}, critical = {rps_critical} }}
[endpoint]
p95_ms      = {{ target = 500, acceptable = 1000, critical = 2000 }}
failure_pct = {{ target = 1, acceptable = 5, critical = 10 }}
[endpoint_overrides."/api/v1/agreements/"]
p95_ms = {{ target = 1000, acceptable = 2000, critical = 4000 }}
[env.dev.aggregate]
p95_ms = {{ target = 1000, acceptable = 3000, critical = 6000 }}
[env.dev.endpoint]
p95_ms = {{ target = 1000, acceptable = 3000, critical = 6000 }}
[gate]
fail_on = "critical"
min_requests_per_endpoint = 5
[noise]
rel_pct = 20.0
abs_ms = 50.0
failure_pct_abs = 1.0
min_samples = 30
bootstrap_resamples = 1000
confidence = 0.95
""")
    return path


def _small_run(tmp_path: Path, prefix: str = "local-smoke", **kw: Any) -> Path:
    samples = {
        "/api/v1/cans/": Sample(lognormal(100, 60, 1)),
        "/api/v1/agreements/": Sample(lognormal(2500, 6, 2, sigma=0.1)),  # heavy but within its override
        "/api/v1/users/": Sample(lognormal(100, 60, 3)),
        "/api/v1/health/": Sample(lognormal(50, 3, 4)),  # below min_requests_per_endpoint
    }
    samples.update(kw.pop("samples", {}))
    return write_run(tmp_path / "results", prefix, samples, **kw)


def test_check_passes_a_healthy_run_and_writes_junit(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _small_run(tmp_path)
    out = tmp_path / "j.xml"
    code = check_main([str(run), "--targets", str(_targets(tmp_path)), "--junit", str(out)])
    assert code == ExitCode.OK, capsys.readouterr().out
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") == "0"
    names = {c.get("name") for c in suite.iter("testcase")}
    # one case per endpoint and per aggregate check, plus run validity
    assert {"/api/v1/cans/", "/api/v1/agreements/", "/api/v1/users/", "/api/v1/health/"} <= names
    assert {"Aggregated p95_ms", "Aggregated failure_pct", "Aggregated rps", "run validity"} <= names
    skipped = {c.get("name"): c.find("skipped") for c in suite.iter("testcase") if c.find("skipped") is not None}
    # requests/s is judged only in open-model runs; 3 requests cannot tell a p95 (not enough evidence, never
    # a pass), nor can these runs' short samples tell every aggregate figure's tier
    assert "Aggregated rps" in skipped and "/api/v1/health/" in skipped
    assert "not enough evidence" in (skipped["/api/v1/health/"].get("message") or "")
    others = set(skipped) - {"Aggregated rps"}
    assert all("not enough evidence" in (skipped[n].get("message") or "") for n in others), others


def test_check_breach_names_the_endpoints(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = _small_run(
        tmp_path,
        samples={
            "/api/v1/cans/": Sample(lognormal(3000, 60, 5, sigma=0.1)),
            "/api/v1/users/": Sample(lognormal(100, 60, 6), failures=12),  # 20 %
        },
    )
    out = tmp_path / "j.xml"
    code = check_main([str(run), "--targets", str(_targets(tmp_path)), "--junit", str(out)])
    assert code == ExitCode.THRESHOLDS_BREACHED
    text = capsys.readouterr().out
    assert "BREACH /api/v1/cans/: p95_ms" in text and "BREACH /api/v1/users/: failure_pct" in text
    suite = ET.parse(out).getroot().find("testsuite")
    assert suite is not None
    failing = {
        c.get("name"): c.find("failure").get("message")  # type: ignore[union-attr]
        for c in suite.iter("testcase")
        if c.find("failure") is not None
    }
    assert {"/api/v1/cans/", "/api/v1/users/"} <= set(failing)
    assert "/api/v1/cans/" in failing["/api/v1/cans/"] and "p95_ms" in failing["/api/v1/cans/"]
    assert "/api/v1/agreements/" not in failing  # 2.5 s is within its heavy-endpoint override


def test_check_applies_environment_overrides(tmp_path: Path) -> None:
    run = _small_run(tmp_path, samples={"/api/v1/cans/": Sample(lognormal(3000, 60, 5, sigma=0.1))})
    targets = str(_targets(tmp_path))
    assert check_main([str(run), "--targets", targets]) == ExitCode.THRESHOLDS_BREACHED
    assert check_main([str(run), "--targets", targets, "--env", "dev"]) == ExitCode.OK  # looser dev limits


@pytest.mark.parametrize(
    ("kw", "phrase"),
    [
        ({"status": "cut_short_auth", "extra": {"status_detail": "refresh token expired"}}, "token died"),
        ({"cpu_warning": True}, "saturated"),
        (
            {
                "samples": {
                    n: Sample([]) for n in ("/api/v1/cans/", "/api/v1/agreements/", "/api/v1/users/", "/api/v1/health/")
                }
            },
            "no requests",
        ),
    ],
)
def test_check_invalid_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], kw: dict[str, Any], phrase: str
) -> None:
    run = _small_run(tmp_path, **kw)
    out = tmp_path / "j.xml"
    assert check_main([str(run), "--targets", str(_targets(tmp_path)), "--junit", str(out)]) == ExitCode.RUN_INVALID
    assert phrase in capsys.readouterr().out
    errors = [c for c in ET.parse(out).getroot().iter("testcase") if c.find("error") is not None]
    assert [c.get("name") for c in errors] == ["run validity"]


def test_check_judges_rps_only_in_open_runs_that_offer_the_target(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Issue 10: a requests/s target is judged only where the run could have met it."""
    targets = str(_targets(tmp_path, rps_critical=10))  # target 50, acceptable 20, critical 10 req/s
    junit_path = tmp_path / "j.xml"

    def skipped_rps() -> str:
        cases = {c.get("name"): c for c in ET.parse(junit_path).getroot().iter("testcase")}
        node = cases["Aggregated rps"].find("skipped")
        return node.get("message", "") if node is not None else ""

    # closed runs (with or without think time): not applicable, with the reason, in check and JUnit
    for prefix, think in (("local-smoke", (1.0, 3.0)), ("local-smoke-2", (0.0, 0.0))):
        run = _small_run(tmp_path, prefix=prefix, users=3, think=think, extra={"model": "closed"})
        assert check_main([str(run), "--targets", targets, "--junit", str(junit_path)]) == ExitCode.OK
        out = capsys.readouterr().out
        assert "n/a Aggregated: rps not applicable: a closed-model run" in out
        assert "a closed-model run" in skipped_rps()
        if think == (1.0, 3.0):
            assert "3 users with 1-3 s think time make at most 3.00 requests/s" in skipped_rps()
    # an open run that offered less than the target: not applicable either
    low = _small_run(tmp_path, prefix="local-smoke-3", extra={"model": "open", "offered_rate": 20.0})
    assert check_main([str(low), "--targets", targets, "--junit", str(junit_path)]) == ExitCode.OK
    assert "offered 20.00 requests/s, below the target of 50/s" in skipped_rps()
    # an open run that offered the target but served ~4 req/s: judged, and a critical breach
    met = _small_run(tmp_path, prefix="local-smoke-4", extra={"model": "open", "offered_rate": 60.0})
    assert check_main([str(met), "--targets", targets, "--junit", str(junit_path)]) == ExitCode.THRESHOLDS_BREACHED
    assert "BREACH Aggregated: rps" in capsys.readouterr().out
    failed = [c.get("name") for c in ET.parse(junit_path).getroot().iter("testcase") if c.find("failure") is not None]
    assert failed == ["Aggregated rps"]


def test_check_calls_a_stats_csv_rewritten_after_the_json_reset_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = _small_run(tmp_path, rewrite_after_json=True)
    assert check_main([str(run), "--targets", str(_targets(tmp_path))]) == ExitCode.RUN_INVALID
    assert "the stats CSV is inconsistent: its endpoint rows add up to 0 requests" in capsys.readouterr().out


def test_check_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert check_main([str(tmp_path / "nope")]) == ExitCode.USAGE_ERROR
    assert "missing" in capsys.readouterr().err
    assert check_main([]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RUN" in err and "--help" in err
    run = _small_run(tmp_path)
    assert check_main([str(run), "--targets", str(tmp_path / "none.toml")]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "targets file" in err  # one line: what is wrong, how to fix


# ---------------------------------------------------------------------------------------------------
# compare
# ---------------------------------------------------------------------------------------------------


def _noise(tmp_path: Path) -> Any:
    from ops_perf.settings.targets import load_targets

    return load_targets(_targets(tmp_path)).noise


def test_aa_synthetic_catalog_has_no_regressions(tmp_path: Path) -> None:
    """Same distributions, different draws, 64 endpoints: the family-wise guard keeps it at zero."""
    a = write_run(tmp_path / "a", "local-smoke", catalog_samples(seed=1))
    b = write_run(tmp_path / "b", "local-smoke", catalog_samples(seed=2))
    base, cand = open_runs([a, b])
    result = compare_runs([base], cand, _noise(tmp_path))
    assert result.by_verdict(Change.REGRESSED) == [] and result.by_verdict(Change.IMPROVED) == []
    assert result.exit_code == ExitCode.OK
    judged = [r for r in result.endpoints if r.verdict is Change.UNCHANGED]
    assert len(judged) >= 40  # most endpoints have >= 30 requests: a real A/A, not "not enough data"


def test_planted_regression_flags_exactly_those_endpoints(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", "local-smoke", catalog_samples(seed=1))
    b = write_run(
        tmp_path / "b",
        "local-smoke",
        catalog_samples(seed=2, slow={"/api/v1/agreements/[id]": 1.5}, failing={"/api/v1/cans/": 0.05}, per_weight=60),
    )
    out = tmp_path / "COMPARISON.md"
    junit_path = tmp_path / "compare.xml"
    code = compare_main(
        [
            str(a),
            str(b),
            "-o",
            str(out),
            "--junit",
            str(junit_path),
            "--targets",
            str(_targets(tmp_path)),
            "--allow-mismatch",
        ]
    )
    assert code == ExitCode.REGRESSION
    base, cand = open_runs([a, b])
    result = compare_runs([base], cand, _noise(tmp_path), allow_mismatch=True)
    assert {r.name for r in result.by_verdict(Change.REGRESSED)} == {"/api/v1/agreements/[id]", "/api/v1/cans/"}
    cans = next(r for r in result.endpoints if r.name == "/api/v1/cans/")
    assert [m.metric for m in cans.changed(Change.REGRESSED)] == ["failure_pct"]
    agr = next(r for r in result.endpoints if r.name == "/api/v1/agreements/[id]")
    assert {"p50_ms", "avg_ms"} <= {m.metric for m in agr.changed(Change.REGRESSED)}
    text = out.read_text()
    assert "**Regressed (2):**" in text and "`/api/v1/agreements/[id]`" in text
    failing = [c.get("name") for c in ET.parse(junit_path).getroot().iter("testcase") if c.find("failure") is not None]
    assert sorted(failing) == ["/api/v1/agreements/[id]", "/api/v1/cans/"]


def test_floors_hold_back_small_or_relative_only_changes(tmp_path: Path) -> None:
    # +30 % on a 20 ms endpoint is +6 ms: below the 50 ms floor, so unchanged however certain.
    a = write_run(tmp_path / "a", "local-smoke", {"/x": Sample(lognormal(20, 2000, 1, 0.05))})
    b = write_run(tmp_path / "b", "local-smoke", {"/x": Sample(lognormal(26, 2000, 2, 0.05))})
    result = compare_runs(*_pair(a, b), _noise(tmp_path))
    assert result.endpoints[0].verdict is Change.UNCHANGED
    # +80 ms on a 2 s endpoint is +4 %: below the relative floor.
    a = write_run(tmp_path / "c", "local-smoke", {"/x": Sample(lognormal(2000, 2000, 1, 0.05))})
    b = write_run(tmp_path / "d", "local-smoke", {"/x": Sample(lognormal(2080, 2000, 2, 0.05))})
    result = compare_runs(*_pair(a, b), _noise(tmp_path))
    assert result.endpoints[0].verdict is Change.UNCHANGED


def _pair(a: Path, b: Path) -> tuple[list[Any], Any]:
    base, cand = open_runs([a, b])
    return [base], cand


def test_not_enough_evidence_is_never_a_verdict(tmp_path: Path) -> None:
    """The judge's rule: 4 requests cannot bound even a median at 95 % (it needs 6), so a 9x slower /x is
    no verdict; 29 requests can (a median, and a failure % always), so 29 failed of 29 is a regression."""
    a = write_run(
        tmp_path / "a", "local-smoke",
        {"/x": Sample(lognormal(100, 4, 1)), "/z": Sample(lognormal(100, 29, 5)), "/y": Sample(lognormal(100, 80, 3))},
    )  # fmt: skip
    b = write_run(
        tmp_path / "b",
        "local-smoke",
        {
            "/x": Sample(lognormal(900, 4, 2)),
            "/z": Sample(lognormal(100, 29, 6), failures=29),
            "/y": Sample(lognormal(100, 80, 4)),
        },
    )
    result = compare_runs(*_pair(a, b), _noise(tmp_path))
    rows = {r.name: r for r in result.endpoints}
    assert rows["/x"].verdict is Change.NO_DATA
    assert "4 requests cannot bound a p50 at 95% (it needs 6)" in rows["/x"].headline()
    assert rows["/z"].verdict is Change.REGRESSED
    assert rows["/y"].verdict is Change.UNCHANGED


def test_confidence_interval_vetoes_a_noisy_change(tmp_path: Path) -> None:
    # Same wide distribution, 35 requests each: p99 moves by far more than the floors between draws,
    # but the bootstrap sees that 35 samples cannot pin a p99 down.
    for seed in range(5):
        a = write_run(tmp_path / f"a{seed}", "local-smoke", {"/x": Sample(lognormal(300, 35, seed, sigma=1.0))})
        b = write_run(tmp_path / f"b{seed}", "local-smoke", {"/x": Sample(lognormal(300, 35, seed + 50, sigma=1.0))})
        result = compare_runs(*_pair(a, b), _noise(tmp_path))
        row = result.endpoints[0]
        assert row.verdict is not Change.REGRESSED, row.headline()
    # the same change without histograms is judged by the floors alone, and the document says so
    a = write_run(tmp_path / "na", "local-smoke", {"/x": Sample(lognormal(300, 35, 1, sigma=0.05))}, json_file=False)
    b = write_run(tmp_path / "nb", "local-smoke", {"/x": Sample(lognormal(500, 35, 2, sigma=0.05))}, json_file=False)
    result = compare_runs(*_pair(a, b), _noise(tmp_path))
    assert result.endpoints[0].verdict is Change.REGRESSED
    assert "floors only" in result.endpoints[0].metrics["p50_ms"].reason


def test_mismatch_is_refused_or_compared_with_the_differences_on_top(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    a = write_run(tmp_path / "a", "local-smoke", catalog_samples(seed=1), users=3)
    b = write_run(
        tmp_path / "b", "local-smoke", catalog_samples(seed=2), users=10, duration_s=120, host="http://127.0.0.1:10"
    )
    out = tmp_path / "C.md"
    assert compare_main([str(a), str(b), "-o", str(out)]) == ExitCode.USAGE_ERROR
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "users: candidate 10 vs baseline 3" in err and "stages: candidate 120 s at 10 users" in err
    assert "host" not in err  # a different host is no difference in load (each demo picks a free port)
    assert "--allow-mismatch" in err and not out.exists()
    assert compare_main([str(a), str(b), "-o", str(out), "--allow-mismatch"]) in (ExitCode.OK, ExitCode.REGRESSION)
    text = out.read_text()
    head = text.split("## Summary")[0]
    assert "Warning: these runs were made differently" in head and "users: candidate 10 vs baseline 3" in head
    assert "WARNING runs differ: users" in capsys.readouterr().out


def test_endpoint_set_and_environment_differences(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", "stg-baseline", {"/x": Sample([100] * 40)}, env="stg", fingerprint="sha256:1")
    b = write_run(tmp_path / "b", "dev-baseline", {"/x": Sample([100] * 40)}, env="dev", fingerprint="sha256:2")
    base, cand = open_runs([a, b])
    from ops_perf.verdict.compare import differences

    diffs = differences([base], cand)
    assert any(d.startswith("environment: candidate dev vs baseline stg") for d in diffs)
    assert not any(d.startswith("endpoint set") for d in diffs)  # a changed catalog is noted, not refused
    # production (results spelling) and prod (config spelling) are the same environment
    c = write_run(tmp_path / "c", "production-baseline", {"/x": Sample([100] * 40)}, env="prod")
    d = write_run(tmp_path / "d", "production-baseline", {"/x": Sample([100] * 40)}, run_json=False)
    base, cand = open_runs([c, d])
    assert not [x for x in differences([base], cand) if x.startswith("environment")]


def test_fixed_new_and_gone(tmp_path: Path) -> None:
    a = write_run(
        tmp_path / "a",
        "local-smoke",
        {
            "/broken": Sample(lognormal(100, 40, 1), failures=40),
            "/old": Sample(lognormal(100, 40, 2)),
            "/same": Sample(lognormal(100, 40, 3)),
        },
    )
    b = write_run(
        tmp_path / "b",
        "local-smoke",
        {
            "/broken": Sample(lognormal(100, 40, 4)),
            "/new": Sample(lognormal(100, 40, 5)),
            "/same": Sample(lognormal(100, 40, 6)),
        },
    )
    out = tmp_path / "C.md"
    assert compare_main([str(a), str(b), "-o", str(out), "--allow-mismatch"]) == ExitCode.OK
    base, cand = open_runs([a, b])
    result = compare_runs([base], cand, _noise(tmp_path), allow_mismatch=True)
    assert [r.name for r in result.fixed] == ["/broken"]
    improved = [r.name for r in result.by_verdict(Change.IMPROVED)]
    assert improved == ["Aggregated", "/broken"]  # 100 % -> 0 % failures (and a third of the aggregate)
    assert [r.name for r in result.by_verdict(Change.NEW)] == ["/new"]
    assert [r.name for r in result.by_verdict(Change.GONE)] == ["/old"]
    text = out.read_text()
    assert "**Fixed — failing before, passing now (1):** `/broken`" in text
    assert "**New — not in the baseline (1):** `/new`" in text
    assert "**Gone — in the baseline, not now (1):** `/old`" in text


def test_baseline_of_several_runs_is_their_median(tmp_path: Path) -> None:
    """One noisy night (3x slower) among three does not set the bar."""
    nights = [
        write_run(
            tmp_path / f"2026-01-0{i}",
            "stg-baseline",
            catalog_samples(seed=i, slow=slow),
            env="stg",
            scenario="baseline",
            started_at=f"2026-01-0{i}T03:00:00Z",
        )
        for i, slow in ((1, None), (2, dict.fromkeys(NAMES, 3.0)), (3, None))
    ]
    cand = write_run(
        tmp_path / "2026-01-04",
        "stg-baseline",
        catalog_samples(seed=9),
        env="stg",
        scenario="baseline",
        started_at="2026-01-04T03:00:00Z",
    )
    *baselines, candidate = open_runs([*nights, cand])
    result = compare_runs(baselines, candidate, _noise(tmp_path))
    assert result.exit_code == ExitCode.OK and not result.by_verdict(Change.IMPROVED)
    # against the noisy night alone, everything looks improved
    alone = compare_runs([baselines[1]], candidate, _noise(tmp_path))
    assert len(alone.by_verdict(Change.IMPROVED)) > 30


def test_baseline_last_n_picks_valid_earlier_runs_of_the_same_env_and_scenario(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "baseline"
    samples = {"/x": Sample(lognormal(100, 60, 1))}
    for day in range(1, 7):
        write_run(
            root / f"run{day}",
            "stg-baseline",
            samples,
            env="stg",
            scenario="baseline",
            started_at=f"2026-01-0{day}T03:00:00Z",
            status="cut_short_auth" if day == 5 else "completed",
        )
    write_run(root / "other", "dev-baseline", samples, env="dev", scenario="baseline")
    write_run(root / "normal", "stg-normal", samples, env="stg", scenario="normal")
    write_run(
        root / "later", "stg-baseline", samples, env="stg", scenario="baseline", started_at="2026-02-01T03:00:00Z"
    )
    cand = write_run(
        tmp_path / "now",
        "stg-baseline",
        {"/x": Sample(lognormal(100, 60, 2))},
        env="stg",
        scenario="baseline",
        started_at="2026-01-10T03:00:00Z",
    )
    out = tmp_path / "C.md"
    code = compare_main([str(cand), "--baseline-last", "3", "--results-root", str(root), "-o", str(out)])
    assert code == ExitCode.OK
    text = out.read_text()
    assert "median of 3 runs" in text
    for used in ("run6/stg-baseline", "run4/stg-baseline", "run3/stg-baseline"):
        assert used in text
    for unused in ("run2/", "run5/stg-baseline`", "other/", "normal/", "later/"):
        assert unused not in text.split("## Summary")[0]
    assert "run5/stg-baseline left out: status cut_short_auth" in text
    assert compare_main([str(cand), str(cand), "--baseline-last", "3"]) == ExitCode.USAGE_ERROR
    empty = tmp_path / "empty"
    empty.mkdir()
    assert compare_main([str(cand), "--baseline-last", "3", "--results-root", str(empty)]) == ExitCode.USAGE_ERROR
    assert "no earlier valid stg-baseline runs" in capsys.readouterr().err


def test_histograms_that_disagree_with_the_csv_are_not_used(tmp_path: Path) -> None:
    b = write_run(tmp_path / "b", "local-smoke", {"/x": Sample(lognormal(100, 60, 2))})
    assert open_runs([b])[0].histograms is not None
    entries = json.loads(Path(f"{b}.json").read_text())
    entries[0]["response_times"] = {"100": 3}
    Path(f"{b}.json").write_text(json.dumps(entries))
    cand = open_runs([b])[0]
    assert cand.histograms is None and "disagrees with the stats CSV" in cand.notes[0]
    Path(f"{b}.json").write_text("[{")  # truncated by a killed run
    truncated = open_runs([b])[0]
    assert truncated.histograms is None and "local-smoke.json unreadable (" in truncated.notes[0]
    assert truncated.raw_histograms is None  # what the report reads: silently absent
    Path(f"{b}.json").write_text('{"not": "a list"}')
    assert "local-smoke.json unreadable (not a list)" in open_runs([b])[0].notes[0]


def test_run_json_is_read_once_per_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The meta and the verdict-only keys come from one read: a run.json rewritten between two reads
    (a run still finishing) could otherwise give a run whose meta and record disagree."""
    b = write_run(tmp_path / "b", "local-smoke", {"/x": Sample(lognormal(100, 60, 2))}, fingerprint="sha256:one")
    run_json = Path(f"{b}_run.json")
    reads: list[Path] = []
    real_read_text = Path.read_text

    def counting_read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        if self.name == run_json.name:
            reads.append(self)
        return real_read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read_text)
    run = open_runs([b])[0]
    assert len(reads) == 1
    assert run.record["catalog_fingerprint"] == "sha256:one" and run.record is run.meta.record


def test_runs_without_run_json_infer_users_and_duration(tmp_path: Path) -> None:
    a = write_run(
        tmp_path / "a", "stg-baseline", {"/x": Sample(lognormal(100, 60, 1))}, run_json=False, users=3, duration_s=600
    )
    run = open_runs([a])[0]
    assert (run.meta.users, run.meta.duration_s, run.env) == (3, 600.0, "stg")
    assert {"users", "duration_s"} <= run.meta.inferred


def test_an_invalid_candidate_is_not_compared(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a = write_run(tmp_path / "a", "local-smoke", {"/x": Sample(lognormal(100, 60, 1))})
    b = write_run(tmp_path / "b", "local-smoke", {"/x": Sample(lognormal(100, 60, 2))}, status="cut_short_auth")
    out = tmp_path / "C.md"
    assert compare_main([str(a), str(b), "-o", str(out)]) == ExitCode.RUN_INVALID
    assert "candidate run is invalid" in out.read_text()
    # an invalid run is no baseline either: that is the user's choice of input to fix
    assert compare_main([str(b), str(a), "-o", str(out), "--force"]) == ExitCode.USAGE_ERROR
    assert "cannot be a baseline" in capsys.readouterr().err


def test_compare_usage_errors(tmp_path: Path) -> None:
    a = write_run(tmp_path / "a", "local-smoke", {"/x": Sample([100] * 40)})
    assert compare_main([str(a)]) == ExitCode.USAGE_ERROR
    assert compare_main([str(a), str(tmp_path / "missing")]) == ExitCode.USAGE_ERROR
    assert compare_main(["--bogus"]) == ExitCode.USAGE_ERROR
    assert compare_main(["--help"]) == ExitCode.OK
