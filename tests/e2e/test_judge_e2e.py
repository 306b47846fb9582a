"""One judgement on real runs (issues 10 and 9): `ops-perf run` against the real simulator.

- The closed `normal` shape (10 users, 1-3 s think time) against a healthy simulator passes the gate
  (exit 0) and the report says why requests/s was not judged. Before the judge, the same run exited 1
  with `BREACH Aggregated: rps ... critical` while its report said "Critical: none" (issue 10's "Seen").
- A pages run (the page user, the `normal` scenario's default) renders its page views: a Pages section
  with a row per PAGE entry and the sidecar's calls per view, page rows judged in the check's JUnit, and
  an aggregate over the API calls only (the stats CSV's Aggregated row counts the page views too).

- After Locust, `ops-perf run` loads a run's files once and hands that one run to the history store, the
  report and the check (issue 17): in-process on the pages run's real files, every reader runs once per
  file, and the check prints and writes what the run's own check did.

Both runs go at once, each against its own simulator, 12 s of load each.
"""

from __future__ import annotations

import json
import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from run_helpers import read_stats, run_cli
from sim_helpers import start_sim

import ops_perf.runfiles.load as run_loader
import ops_perf.runfiles.run_json as run_json
from ops_perf.cli.post_run import finish
from ops_perf.cli.run import read_run_record
from ops_perf.exitcodes import ExitCode
from ops_perf.judge.numbers import round_half_up

pytestmark = pytest.mark.e2e

RUN_TIME = "12s"
"""5 s of ramp (the `normal` shape spawns 2 users/s) and 7 s at 10 users: what is checked is how the
run is judged and rendered, which needs requests on the API and page views, not a given number."""


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root = tmp_path_factory.mktemp("judge-e2e")
    users = {"endpoints": ["--", "--user", "endpoints"], "pages": []}
    with start_sim("healthy") as sim_a, start_sim("healthy") as sim_b:
        sims = {"endpoints": sim_a, "pages": sim_b}

        def run(name: str) -> Any:
            return run_cli(
                ["run", "--env", "local", "--host", sims[name].url, "--scenario", "normal", "-t", RUN_TIME,
                 "--think-time", "1,3", "--results-dir", str(root / name / "results"),
                 "--reports-dir", str(root / name / "reports"), *users[name]],
                timeout=240,
            )  # fmt: skip

        with ThreadPoolExecutor(2) as pool:
            done = dict(zip(users, pool.map(run, users), strict=True))
    out = {}
    for name, result in done.items():
        prefix = root / name / "results" / "local-normal"
        report = root / name / "reports" / "local-normal" / "PERFORMANCE_REPORT.md"
        out[name] = {"result": result, "prefix": prefix, "report": report}
    return out


def test_closed_normal_run_passes_the_gate_and_says_why_rps_was_not_judged(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["endpoints"]
    result = run["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "BREACH" not in result.stdout
    assert "n/a Aggregated: rps not applicable: a closed-model run" in result.stdout
    record = json.loads(Path(f"{run['prefix']}_run.json").read_text())
    assert (record["users"], record["think_time_s"], record.get("model")) == (10, [1.0, 3.0], "closed")
    text = run["report"].read_text()
    summary = text.split("## Executive summary")[1].split("\n## ")[0]
    assert "- **local-normal**: ✅ PASS (exit 0)." in summary
    assert "requests/s not judged" in summary
    assert "10 users with 1-3 s think time make at most 10.00 requests/s" in summary
    junit = ET.parse(f"{run['prefix']}_junit.xml").getroot()
    case = next(c for c in junit.iter("testcase") if c.get("name") == "Aggregated rps")
    skipped = case.find("skipped")
    assert skipped is not None and "closed-model run" in (skipped.get("message") or "")


def test_pages_run_renders_its_page_views(runs: dict[str, dict[str, Any]]) -> None:
    run = runs["pages"]
    result = run["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    stats = read_stats(run["prefix"])
    pages = {name: row for name, row in stats.items() if row["Type"] == "PAGE"}
    calls = {name: row for name, row in stats.items() if row["Type"] not in ("PAGE", "")}
    assert pages and calls
    api_requests = sum(int(r["Request Count"]) for r in calls.values())
    page_views = sum(int(r["Request Count"]) for r in pages.values())
    assert int(stats["Aggregated"]["Request Count"]) == api_requests + page_views
    text = run["report"].read_text()
    overall = next(line for line in text.splitlines() if line.startswith("| local-normal | 10 x "))
    assert f"| {api_requests} |" in overall and f"| {api_requests + page_views} |" not in overall
    assert f"its {page_views} page views (`PAGE` rows, see Pages) are left out" in text
    section = text.split("## Pages")[1].split("\n## ")[0]
    for route in pages:
        assert f"| `{route}` | {pages[route]['Request Count']} |" in section, route
    sidecar = json.loads(Path(f"{run['prefix']}_pages.json").read_text())
    route, counts = next((r, c) for r, c in sorted(sidecar["pages"].items()) if c["views"])
    row = next(line for line in section.splitlines() if line.startswith(f"| `{route}` |"))
    assert f"| {round_half_up(counts['calls'] / counts['views'], 1)} |" in row, row
    if counts["slowest"]:
        slowest = sorted(counts["slowest"].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        assert f"`{slowest[0]}` ({slowest[1]} of {pages[route]['Request Count']})" in row, row
    junit = ET.parse(f"{run['prefix']}_junit.xml").getroot()
    page_cases = {c.get("name") for c in junit.iter("testcase") if c.get("classname") == "ops-perf.check.page"}
    assert page_cases == {f"PAGE {route}" for route in pages}


READERS = {
    run_loader: ("read_stats", "read_history", "read_failures", "read_exceptions", "read_pages", "load_histograms"),
    run_json: ("read_json",),
}
"""Every function that reads a run file into the run model (run.json through `read_json`)."""
_UNSTABLE = re.compile(r'(timestamp|time)="[^"]*"')


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> Counter[tuple[str, str]]:
    reads: Counter[tuple[str, str]] = Counter()

    def counting(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
        def read(path: Path, *args: Any, **kwargs: Any) -> Any:
            reads[(name, Path(path).name)] += 1
            return real(path, *args, **kwargs)

        return read

    for module, names in READERS.items():
        for name in names:
            monkeypatch.setattr(module, name, counting(name, getattr(module, name)))
    return reads


def test_after_locust_the_files_are_loaded_once_for_the_store_the_report_and_the_check(
    runs: dict[str, dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run = runs["pages"]
    original = run["prefix"]
    results = tmp_path / original.parent.name  # the same folder name: the check names the run by it
    shutil.copytree(original.parent, results, ignore=shutil.ignore_patterns("*_junit.xml"))
    prefix = results / original.name
    monkeypatch.setenv("OPS_HISTORY_STORE", f"sqlite:///{tmp_path / 'history.sqlite'}")
    record = read_run_record(prefix)  # what `execute` reads to learn that Locust ran
    assert record is not None
    reads = _count_reads(monkeypatch)
    capsys.readouterr()
    verdict, report = finish(prefix, record, "local", tmp_path / "report", check=True)
    out = capsys.readouterr().out

    name = original.name
    assert reads == Counter(
        {
            ("read_stats", f"{name}_stats.csv"): 1,
            ("read_history", f"{name}_stats_history.csv"): 1,
            ("read_failures", f"{name}_failures.csv"): 1,
            ("read_exceptions", f"{name}_exceptions.csv"): 1,
            ("read_pages", f"{name}_pages.json"): 1,
            ("load_histograms", f"{name}.json"): 1,
        }
    ), "run.json is read by `execute` alone; every other file once"
    assert "ops-perf: run added to the history store" in out
    assert report is not None and report.is_file() and f"report written to {report}" in out
    # The check: the same verdict, lines and JUnit as the run's own check (which loaded the files itself).
    assert verdict == ExitCode(run["result"].returncode)
    check_lines = out[out.index("ops-perf check ") :]
    own = run["result"].stdout
    assert check_lines == own[own.index("ops-perf check ") : own.index("ops-perf: results in")]
    written = _UNSTABLE.sub("", Path(f"{prefix}_junit.xml").read_text())
    assert written == _UNSTABLE.sub("", Path(f"{original}_junit.xml").read_text())
