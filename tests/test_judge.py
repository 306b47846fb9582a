"""One judgement (issue 11 item 1): the report, `ops-perf check` and JUnit render one evaluation.

The "Seen" cases of the issue are reproduced first, through the real outputs (PERFORMANCE_REPORT.md,
the check's lines and exit code, the JUnit file), on runs written by Locust's own stats writer:
- a healthy closed 10-user run whose report said "Critical: none" while the check exited 1 on rps;
- `/api/v1/agreements/` at p95 5,000 ms, a "concern" in the report and a critical breach in the check.
Then, over the 2025-10-15 reference runs and synthetic ones, every rendering is parsed back and must
state the same statuses, breaches, criteria and exit code.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_verdict import Sample, lognormal, write_run

from ops_perf.exitcodes import ExitCode
from ops_perf.judge import findings, judge_runs
from ops_perf.judge.findings import breaches_are_critical
from ops_perf.report import write_report
from ops_perf.runfiles.load import discover_runs, load_run
from ops_perf.settings.targets import load_targets
from ops_perf.verdict import check_main

METRIC = re.compile(r"\b(p50_ms|p95_ms|p99_ms|avg_ms|failure_pct|rps)\b")
STATUS = re.compile(r"\bis (target|acceptable|concern|critical)\b")
ICONS = {"🟢": "target", "🟡": "acceptable", "🟠": "concern", "🔴": "critical", "⚪": "not enough evidence"}


def _healthy(**slow: Sample) -> dict[str, Sample]:
    samples = {
        "/api/v1/cans/": Sample(lognormal(100, 60, 1)),
        "/api/v1/agreements/": Sample(lognormal(300, 60, 2)),
        "/api/v1/users/": Sample(lognormal(100, 60, 3)),
    }
    samples.update({k.replace("_", "/"): v for k, v in slow.items()})
    return samples


@dataclass
class Rendered:
    report: str
    check_out: str
    exit_code: int
    junit: ET.Element

    def section(self, title: str, until: str = "\n### ") -> str:
        start = self.report.index(title)
        end = self.report.find(until, start + len(title))
        return self.report[start : end if end >= 0 else None]

    def severity(self, title: str) -> str:
        summary = self.section("## Executive summary", "\n## ")
        start = summary.index(title)
        end = summary.find("\n### ", start + len(title))
        return summary[start : end if end >= 0 else None]


def _render(tmp_path: Path, prefix: Path, capsys: pytest.CaptureFixture[str], targets: Path | None = None) -> Rendered:
    """The report, the check's output and exit code, and the JUnit file of one run."""
    junit = tmp_path / f"{prefix.name}.xml"
    report = write_report([prefix], tmp_path / f"report-{prefix.name}", targets_path=targets)
    capsys.readouterr()
    code = check_main([str(prefix), "--junit", str(junit), *(["--targets", str(targets)] if targets else [])])
    data = load_run(discover_runs([prefix])[0])
    judged = judge_runs([(data, load_targets(targets, data.meta.env), data.raw_histograms)])
    assert breaches_are_critical(judged, findings(judged)), "a run that fails the gate has no critical finding"
    return Rendered(report.read_text(encoding="utf-8"), capsys.readouterr().out, code, ET.parse(junit).getroot())


# ---------------------------------------------------------------------------------------------------
# The "Seen" cases
# ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("model", [None, "closed"])
def test_seen_healthy_closed_normal_run_report_and_check_agree(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], model: str | None
) -> None:
    """Seen: "Critical: none" and "no run fails the success criteria", while check exited 1 with
    `BREACH Aggregated: rps ... critical`. A closed run cannot be judged on requests/s at all."""
    extra = {"model": model} if model else {}
    run = write_run(
        tmp_path / "results", "local-normal", _healthy(), users=10, think=(1.0, 3.0), scenario="normal", extra=extra
    )
    r = _render(tmp_path, run, capsys)
    assert r.exit_code == ExitCode.OK, r.check_out
    assert "BREACH" not in r.check_out
    assert "- None." in r.severity("### 🔴 Critical")
    assert "No run fails the success criteria." in r.report
    # ... and both say why requests/s was not judged, as does JUnit (a skipped case with the reason)
    assert "n/a Aggregated: rps not applicable:" in r.check_out
    assert "requests/s not judged" in r.report and "10 users with 1-3 s think time make at most 10" in r.report
    case = next(c for c in r.junit.iter("testcase") if c.get("name") == "Aggregated rps")
    skipped = case.find("skipped")
    assert skipped is not None and "open-model runs offering at least 50/s" in (skipped.get("message") or "")


def test_seen_agreements_at_5000_ms_is_critical_everywhere(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Seen: `/api/v1/agreements/` at p95 5,000 ms was a "concern" in the report and a critical breach
    in the check (its override: critical above 4,000 ms)."""
    run = write_run(tmp_path / "results", "local-smoke", _healthy(**{"/api/v1/agreements/": Sample([5000.0] * 60)}))
    r = _render(tmp_path, run, capsys)
    assert r.exit_code == ExitCode.THRESHOLDS_BREACHED
    assert (
        "BREACH /api/v1/agreements/: p95_ms 5,000 ms is critical (> 4,000 ms; 95 % interval 4,950-5,050 ms)"
        in r.check_out
    )
    critical = r.severity("### 🔴 Critical")
    assert "/api/v1/agreements/ (p95_ms 5,000 ms > 4,000 ms, 95 % interval 4,950-5,050 ms)" in critical
    assert "/api/v1/agreements/" not in r.severity("### 🟠 Concerns").split("success criteria")[0]
    failing = [c.get("name") for c in r.junit.iter("testcase") if c.find("failure") is not None]
    assert failing == ["Aggregated p95_ms", "/api/v1/agreements/"]  # a third of all requests took 5 s


def test_open_run_that_offers_the_target_is_judged_on_rps(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    run = write_run(tmp_path / "results", "local-open", _healthy(), extra={"model": "open", "offered_rate": 60.0})
    r = _render(tmp_path, run, capsys)
    assert r.exit_code == ExitCode.THRESHOLDS_BREACHED  # 180 requests in 30 s: 6 req/s < 10 critical
    assert "BREACH Aggregated: rps 6.00 req/s is critical (< 10.00 req/s)" in r.check_out
    assert "requests/s" in r.severity("### 🔴 Critical") and "6.00 req/s at an offered 60.00 req/s" in r.report


@pytest.mark.parametrize(
    "extra",
    [
        {"model": "open", "user": "endpoints", "offered_rate": 10.0},
        {"model": "open", "user": "pages", "offered_rate": 0.5},
    ],
    ids=["endpoints-below-target", "pages"],
)
def test_an_open_run_is_never_limited_by_design(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: dict[str, object]
) -> None:
    """The design limit (users / minimum think time) is the closed model's: its users wait for each answer.
    Open arrivals do not, so an open run whose requests/s is not judged says why, and never that its
    think time made the target unreachable (here 20 users and 5-30 s would "allow" 4 req/s < 50)."""
    run = write_run(tmp_path / "results", "local-open", _healthy(), users=20, think=(5.0, 30.0), extra=extra)
    r = _render(tmp_path, run, capsys)
    data = load_run(discover_runs([run])[0])
    judged = judge_runs([(data, load_targets(None, data.meta.env), data.raw_histograms)])
    kinds = {f.kind for f in findings(judged)}
    assert "not_judged" in kinds and "design_limit" not in kinds
    assert judged[0].design_limits == []
    assert "Unreachable by design" not in r.report and "cannot reach it by design" not in r.report
    assert "requests/s not judged" in r.report and "make at most" not in r.report


def test_the_report_renders_the_judges_design_limits(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """30 users with 1-3 s think time make at most 30 req/s: above the acceptable 20, below the target 50.
    The judge says so once (`design_limits`, the `design_limit` finding); the report prints that answer."""
    run = write_run(tmp_path / "results", "local-normal", _healthy(), users=30, think=(1.0, 3.0), scenario="normal")
    r = _render(tmp_path, run, capsys)
    data = load_run(discover_runs([run])[0])
    (judged,) = judge_runs([(data, load_targets(None, data.meta.env), data.raw_histograms)])
    assert [(d.tier, d.limit, d.bound) for d in judged.design_limits] == [("target", 50.0, 30.0)]
    assert "design_limit" in {f.kind for f in findings([judged])}
    limits = r.report.split("Unreachable by design:")[1].split("\n## ")[0]
    assert limits.count("cannot be met") == 1
    assert "the requests/s target (> 50) cannot be met: 30 users with 1-3 s think time make at most 30.00" in limits


def test_capped_metrics_are_never_positive(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A gateway that cuts at 400 ms caps every figure at about 400 ms, below every latency target:
    'meets every target' would be a lie, so it is not said, and the check says the figure is capped."""
    gateway = "HTTPError('504 Server Error: Gateway Time-out for url: {}')"
    samples = {  # the 504s first: write_run fails the first `failures` requests
        name: Sample([405.0 + k] * 12 + [60.0] * 48, failures=3, error=gateway.format(name))
        for k, name in enumerate(("/api/v1/cans/", "/api/v1/agreements/"))
    }
    run = write_run(tmp_path / "results", "local-smoke", samples)
    targets = tmp_path / "t.toml"
    targets.write_text(
        "[aggregate]\np95_ms = { target = 500, acceptable = 1000, critical = 2000 }\n"
        "[endpoint]\np95_ms = { target = 500, acceptable = 1000, critical = 2000 }\n"
    )
    r = _render(tmp_path, run, capsys, targets)
    assert "capped by the ~0.4 s gateway ceiling" in r.check_out
    positive = r.severity("### 🟢 Positive")
    assert "aggregate latency meets every target" not in positive
    assert "every endpoint's p95 is below" not in positive
    assert "(capped)" in r.section("## Targets", "\n## ")


# ---------------------------------------------------------------------------------------------------
# Every rendering is the same judgement
# ---------------------------------------------------------------------------------------------------


def _report_gate(report: str, prefix: str) -> tuple[int, set[tuple[str, str]]]:
    """The exit code and (row, metric) breaches the report's per-run Gate section states."""
    per_run = report.split("## Per-run results", 1)[1]
    section = per_run.split(f"\n### {prefix}\n", 1)[1].split("\n### ", 1)[0]
    gate = section.split("#### Gate", 1)[1].split("\n#### ", 1)[0]
    code = int(re.search(r"\(exit (\d)\)", gate).group(1))  # type: ignore[union-attr]
    rows = set()
    for line in gate.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 6:
            rows.add((cells[0].strip("` "), cells[1]))
    return code, rows


def _report_statuses(report: str, prefix: str) -> dict[str, str]:
    """The aggregate statuses of the report's Targets table (metric label -> status or n/a)."""
    section = report.split("## Targets", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    header = next(line for line in lines if line.startswith("| run |"))
    labels = [c.strip() for c in header.strip().strip("|").split("|")][1:]
    row = next(line for line in lines if line.startswith(f"| {prefix} |"))
    cells = [c.strip() for c in row.strip().strip("|").split("|")][1:]
    out = {}
    for label, cell in zip(labels, cells, strict=True):
        icon = next((s for i, s in ICONS.items() if i in cell), None)
        out[label] = icon or ("n/a" if "not judged" in cell else "?")
    return out


def _report_flagged(report: str, prefix: str) -> dict[str, str]:
    """Endpoints the report's per-run section lists at concern or critical, with that status."""
    per_run = report.split("## Per-run results", 1)[1]
    section = per_run.split(f"\n### {prefix}\n", 1)[1].split("\n### ", 1)[0]
    out = {}
    for line in section.split("#### Endpoints against their targets", 1)[1].split("\n#### ", 1)[0].splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            out[cells[0].strip("` ")] = next(s for i, s in ICONS.items() if i in cells[1])
    return out


def _report_pages(report: str, prefix: str) -> dict[str, str]:
    """Pages the report's Pages section lists, with their status (PAGE <route> -> status)."""
    if "\n## Pages\n" not in report:
        return {}
    section = report.split("\n## Pages\n", 1)[1].split("\n## ", 1)[0].split(f"### {prefix}: pages", 1)[1]
    out = {}
    for line in section.splitlines():
        if line.startswith("| `"):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            status = next((s for i, s in ICONS.items() if i in cells[7]), None)
            if status is not None:  # "not enough data" is a skipped case in JUnit
                out[f"PAGE {cells[0].strip('` ')}"] = status
    return out


def _junit(root: ET.Element) -> tuple[set[tuple[str, str]], dict[str, str], dict[str, str]]:
    """(failing (row, metric)s, aggregate metric -> status or n/a, endpoint -> worst status)."""
    labels = {"p50_ms": "median (ms)", "p95_ms": "p95 (ms)", "p99_ms": "p99 (ms)", "avg_ms": "average (ms)"}
    labels |= {"failure_pct": "failure %", "rps": "requests/s"}
    rank = ["target", "acceptable", "concern", "critical"]
    failing: set[tuple[str, str]] = set()
    aggregate: dict[str, str] = {}
    worst: dict[str, str] = {}
    for case in root.iter("testcase"):
        name, cls = case.get("name") or "", case.get("classname") or ""
        failure, skipped = case.find("failure"), case.find("skipped")
        text = "".join(case.itertext())
        if cls.endswith(".aggregate") and " " in name:
            metric = name.split(" ", 1)[1]
            if skipped is not None:
                aggregate[labels[metric]] = "not enough evidence" if "not enough evidence" in text else "n/a"
            else:
                aggregate[labels[metric]] = STATUS.search(text).group(1)  # type: ignore[union-attr]
            if failure is not None:
                failing.add(("Aggregated", metric))
        elif cls.endswith((".endpoint", ".page")) and skipped is not None and "not enough evidence" in text:
            worst[name] = "not enough evidence"  # never a pass: the run cannot tell
        elif cls.endswith((".endpoint", ".page")) and skipped is None:
            if failure is not None:
                message = (failure.get("message") or "").split(": ", 1)[1]
                failing |= {(name, m) for m in METRIC.findall(message)}
            statuses = [s for s in STATUS.findall(text)]
            if statuses:
                worst[name] = max(statuses, key=rank.index)
    return failing, aggregate, worst


def _check_breaches(out: str) -> set[tuple[str, str]]:
    found = set()
    for line in out.splitlines():
        if line.strip().startswith("BREACH "):
            row, rest = line.strip()[len("BREACH ") :].split(": ", 1)
            found.add((row, rest.split(" ", 1)[0]))
    return found


def _assert_one_judgement(r: Rendered, prefix: str) -> None:
    code, report_breaches = _report_gate(r.report, prefix)
    check_breaches = _check_breaches(r.check_out)
    junit_failing, junit_aggregate, junit_worst = _junit(r.junit)
    assert code == r.exit_code, f"{prefix}: report says exit {code}, check exited {r.exit_code}"
    assert report_breaches == check_breaches == junit_failing, prefix
    assert _report_statuses(r.report, prefix) == junit_aggregate, prefix
    flagged = _report_flagged(r.report, prefix)
    assert flagged == {
        n: s for n, s in junit_worst.items() if s in ("concern", "critical") and not n.startswith("PAGE ")
    }
    pages = {n: s for n, s in junit_worst.items() if n.startswith("PAGE ")}
    assert _report_pages(r.report, prefix) == pages, prefix
    criteria = re.search(r"success criteria \(report\): (\S+)", r.check_out).group(1)  # type: ignore[union-attr]
    row = next(line for line in r.report.splitlines() if line.startswith(f"| {prefix} | ") and "**" in line)
    assert criteria.rstrip(";") in row, (criteria, row)
    if r.exit_code == ExitCode.THRESHOLDS_BREACHED:
        assert "- None." not in r.severity("### 🔴 Critical"), "a run that fails the gate has a critical finding"


@pytest.mark.parametrize(
    "prefix",
    ["dev-baseline", "stg-baseline", "stg-baseline-normal", "production-baseline", "production-baseline-normal"],
)
def test_reference_runs_are_one_judgement(
    reference_results: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], prefix: str
) -> None:
    r = _render(tmp_path, reference_results / prefix, capsys)
    assert r.exit_code == ExitCode.THRESHOLDS_BREACHED
    _assert_one_judgement(r, prefix)


SYNTHETIC = {
    "healthy-closed": dict(samples=_healthy(), users=10, think=(1.0, 3.0), extra={"model": "closed"}),
    "agreements-5000": dict(samples=_healthy(**{"/api/v1/agreements/": Sample([5000.0] * 60)})),
    "open-rps": dict(samples=_healthy(), extra={"model": "open", "offered_rate": 60.0}),
    # 45 of 300 failed (15 %): its 95 % Wilson interval, 11.4-19.5 %, lies wholly beyond the critical 10 %.
    "failing": dict(samples=_healthy(**{"/api/v1/users/": Sample(lognormal(100, 300, 9), failures=45)})),
    "saturated": dict(samples=_healthy(), cpu_warning=True),
    "pages": dict(
        samples=_healthy(
            **{
                "PAGE /agreements/:id": Sample([2000.0] * 20 + [12000.0] * 4, failures=2),
                # 400 views without a failure: enough for a bounded p95 and a failure % wholly below 1 %
                "PAGE /cans/": Sample(lognormal(900, 400, 4)),
            }
        ),
        extra={"user": "pages"},
    ),
}


@pytest.mark.parametrize("name", sorted(SYNTHETIC))
def test_synthetic_runs_are_one_judgement(tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str) -> None:
    kw = dict(SYNTHETIC[name])
    run = write_run(tmp_path / "results", f"local-{name}", kw.pop("samples"), **kw)  # type: ignore[arg-type]
    r = _render(tmp_path, run, capsys)
    _assert_one_judgement(r, f"local-{name}")
    if name == "pages":
        assert _report_pages(r.report, "local-pages") == {
            "PAGE /agreements/:id": "critical",  # p95 12 s > 10 s
            "PAGE /cans/": "target",
        }
    expected = {
        "healthy-closed": ExitCode.OK,
        "agreements-5000": ExitCode.THRESHOLDS_BREACHED,
        "open-rps": ExitCode.THRESHOLDS_BREACHED,
        "failing": ExitCode.THRESHOLDS_BREACHED,
        "saturated": ExitCode.RUN_INVALID,
        "pages": ExitCode.THRESHOLDS_BREACHED,
    }[name]
    assert r.exit_code == expected, r.check_out


@pytest.mark.parametrize(("dropped", "code"), [(5, ExitCode.OK), (20, ExitCode.RUN_INVALID)])
def test_an_open_run_that_dropped_over_one_percent_is_invalid(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], dropped: int, code: ExitCode
) -> None:
    """Issue 10: more than 1% of arrivals dropped measured the generator, not OPS."""
    extra = {"model": "open", "offered_rate": 6.0, "arrivals": 1000, "dropped_arrivals": dropped}
    run = write_run(tmp_path / "results", "local-open", _healthy(), extra=extra)
    r = _render(tmp_path, run, capsys)
    assert r.exit_code == code, r.check_out
    if code == ExitCode.RUN_INVALID:
        reason = "20 of 1000 arrivals were dropped (2.00% > 1%): it measured the load generator, not OPS"
        assert f"run invalid: {reason}" in r.check_out
        assert f"the run cannot be judged: {reason}" in r.severity("### 🔴 Critical")
        assert "⛔ INVALID (exit 4)" in r.report
    _assert_one_judgement(r, "local-open")
