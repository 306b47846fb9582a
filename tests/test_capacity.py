"""The capacity search on its own: the rates it picks, its answer, and what it refuses."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest
from run_helpers import run_cli

from ops_perf.capacity import render
from ops_perf.capacity.search import MAX_STEPS, Search, Tried
from ops_perf.capacity.steps import Breach, Step


def drive(search: Search, knee: float) -> list[Tried]:
    """Run the search against an OPS that is good strictly below `knee`."""
    tried: list[Tried] = []
    while (rate := search.next_rate(tried)) is not None:
        tried.append(Tried(rate, rate < knee))
    return tried


@pytest.mark.parametrize("knee", [7.0, 33.0, 81.0, 150.0])
def test_coarse_then_fine_lands_within_the_resolution_below_the_knee(knee: float) -> None:
    search = Search(start=10, cap=160, resolution=0.1)
    tried = drive(search, knee)
    answer = search.answer(tried)
    assert answer.capacity is not None and answer.first_bad is not None
    assert answer.capacity < knee <= answer.first_bad
    assert (answer.first_bad - answer.capacity) / answer.first_bad <= 0.1
    coarse = [t.rate for t in tried][: [t.good for t in tried].index(False) + 1]
    assert all(b == pytest.approx(2 * a) for a, b in itertools.pairwise(coarse)), "the ramp doubles"
    assert len(tried) <= MAX_STEPS


def test_the_cap_ends_a_search_that_never_breached() -> None:
    search = Search(start=10, cap=100)
    tried = drive(search, knee=1e9)
    assert [t.rate for t in tried] == [10, 20, 40, 80, 100]
    answer = search.answer(tried)
    assert (answer.capacity, answer.first_bad) == (100, None) and "cap" in answer.reason


def test_a_first_step_that_breaches_goes_down_then_gives_up() -> None:
    search = Search(start=40, cap=100)
    tried = drive(search, knee=0.1)
    assert [t.rate for t in tried] == [40, 20, 10, 5]
    assert search.answer(tried).capacity is None


def test_bad_search_inputs_are_refused() -> None:
    with pytest.raises(ValueError, match="start rate"):
        Search(start=0, cap=10)
    with pytest.raises(ValueError, match="factor"):
        Search(start=1, cap=10, factor=1)


def test_capacity_files_render_every_step(tmp_path: Path) -> None:
    steps = [
        Step(1, "coarse", 10, 10, 12, "step-01", requests=120, rps=10, p50_ms=50, p95_ms=60, p99_ms=70),
        Step(2, "coarse", 20, 20, 6, "step-02", requests=120, rps=20, p50_ms=400, p95_ms=2500, p99_ms=4000,
             breaches=[Breach("Aggregated", "p95_ms", 2500, "Aggregated p95_ms 2,500 ms is critical (> 2,000 ms)")]),
    ]  # fmt: skip
    summary = {"answer": "x serves 10 tasks/s", "steps": None, "rate_unit": "tasks/s", "host": "h", "env": "local",
               "scenario": "open", "user": "endpoints", "arrivals": "poisson", "max_users": 5, "max_rate": 20,
               "fail_on": "critical", "targets": "t", "step_duration_s": 5, "min_samples": 100, "search_s": 30,
               "search_reason": "r", "first_bad_rate": 20, "first_bad_breaching": steps[1].breaching}  # fmt: skip
    render.write_json(tmp_path / "capacity.json", summary, steps)
    render.knee_chart(steps, "tasks/s", 10, 2000, tmp_path / "knee.png")
    render.write_markdown(tmp_path / "CAPACITY.md", summary, steps, "knee.png")
    data = json.loads((tmp_path / "capacity.json").read_text())
    assert [s["good"] for s in data["steps"]] == [True, False]
    assert data["steps"][1]["breaching"].startswith("Aggregated p95_ms")
    text = (tmp_path / "CAPACITY.md").read_text()
    assert "| 2 | coarse | 20 |" in text and "bad: Aggregated p95_ms" in text and "knee.png" in text
    assert (tmp_path / "knee.png").read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--env", "prod"], "not allowed on prod"),
        (["--env", "local", "--max-rate", "100000"], "at most local's cap"),
        (["--env", "local", "--step-duration", "soon"], "not a duration"),
        (["--env", "local", "--scenario", "nope"], "unknown scenario"),
    ],
)
def test_refusals_are_one_line_and_exit_2(args: list[str], message: str, tmp_path: Path) -> None:
    result = run_cli(["capacity", *args, "--results-dir", str(tmp_path)])
    assert result.returncode == 2 and message in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not any(tmp_path.iterdir()), "a refused search writes nothing"


HISTORY_HEADER = ["Timestamp", "User Count", "Type", "Name", "Total Request Count", "Total Average Response Time"]


def write_history(path: Path, api_ms: list[float], page_ms: list[float] | None) -> None:
    """A `--csv-full-history` file: per second 20 API calls at `api_ms[i]`, and (pages) 4 views at `page_ms[i]`."""
    import csv

    rows = []
    api_n = api_total = page_n = page_total = 0.0
    for i, api in enumerate(api_ms):
        api_n, api_total = api_n + 20, api_total + 20 * api
        rows.append([1000 + i, 5, "GET", "/api/v1/x/", int(api_n), api_total / api_n])
        agg_n, agg_total = api_n, api_total
        if page_ms is not None and page_ms[i] is not None:
            page_n, page_total = page_n + 4, page_total + 4 * page_ms[i]
            rows.append([1000 + i, 5, "PAGE", "/agreements", int(page_n), page_total / page_n])
            agg_n, agg_total = api_n + page_n, api_total + page_total
        rows.append([1000 + i, 5, "", "Aggregated", int(agg_n), agg_total / agg_n])
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HISTORY_HEADER)
        writer.writerows(rows)


def test_the_queue_slope_is_the_api_calls_not_the_page_views_that_begin_to_complete(tmp_path: Path) -> None:
    from ops_perf.capacity.steps import latency_slope

    flat, rising = [50.0] * 6, [50.0, 150, 250, 350, 450, 550]
    endpoints = tmp_path / "endpoints_stats_history.csv"
    write_history(endpoints, rising, None)
    assert latency_slope(endpoints) == pytest.approx(0.1), "100 ms more each second: 0.1 s per s"
    write_history(endpoints, flat, None)
    assert latency_slope(endpoints) == pytest.approx(0.0)
    # Pages: the API calls are steady; views (2 s each) only complete from the third second on, which
    # lifts the Aggregated mean with no queue at all. The slope must be the calls'.
    pages = tmp_path / "pages_stats_history.csv"
    write_history(pages, flat, [None, None, 2000.0, 2000.0, 2000.0, 2000.0])
    assert latency_slope(pages) == pytest.approx(0.0, abs=1e-9)
    write_history(pages, rising, [None, None, 2000.0, 2000.0, 2000.0, 2000.0])
    assert latency_slope(pages) == pytest.approx(0.1)
