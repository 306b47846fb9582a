"""Write small Locust-format result sets for the report tests.

The columns and cell formats follow Locust 2.47's `StatsCSVFileWriter` (see locust/stats.py): stats rows
sorted by name then the Aggregated row, percentiles as whole ms or `N/A`, history rows with the
Aggregated entry last per tick. Files are written as text so tests can corrupt them line by line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PCTS = ("50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%")
STATS_HEADER = [
    "Type",
    "Name",
    "Request Count",
    "Failure Count",
    "Median Response Time",
    "Average Response Time",
    "Min Response Time",
    "Max Response Time",
    "Average Content Size",
    "Requests/s",
    "Failures/s",
    *PCTS,
]
HISTORY_HEADER = [
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    *PCTS,
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total Average Response Time",
    "Total Min Response Time",
    "Total Max Response Time",
    "Total Average Content Size",
]


@dataclass
class Ep:
    """One endpoint's final stats; percentiles derive from median/p95/p99/max for brevity."""

    name: str
    requests: int
    failures: int = 0
    median: float = 100.0
    avg: float = 120.0
    p95: int = 300
    p99: int = 400
    max: float = 450.0
    min: float = 50.0
    method: str = "GET"
    """`PAGE` for a page view (the page user's request type)."""


@dataclass
class Run:
    prefix: str
    endpoints: list[Ep]
    failures: list[tuple[str, str, int]] = field(default_factory=list)  # name, error, occurrences
    users: int = 3
    seconds: int = 60
    lead_in: int = 5
    start: int = 1_760_000_000
    full_history: bool = False
    first_last_seen: bool = True
    run_json: dict[str, Any] | None = None
    exceptions: list[tuple[int, str]] = field(default_factory=list)


def _pcts(ep: Ep) -> list[str]:
    if not ep.requests:
        return ["N/A"] * len(PCTS)
    return [
        str(int(ep.median)),
        str(int(ep.median)),
        str(ep.p95),
        str(ep.p95),
        str(ep.p95),
        str(ep.p95),
        str(ep.p99),
        str(ep.p99),
        str(int(ep.max)),
        str(int(ep.max)),
        str(int(ep.max)),
    ]


def _total(run: Run) -> Ep:
    n = sum(e.requests for e in run.endpoints)
    avg = sum(e.avg * e.requests for e in run.endpoints) / n if n else 0.0
    return Ep(
        "Aggregated",
        n,
        sum(e.failures for e in run.endpoints),
        median=max((e.median for e in run.endpoints), default=0),
        avg=avg,
        p95=max((e.p95 for e in run.endpoints), default=0),
        p99=max((e.p99 for e in run.endpoints), default=0),
        max=max((e.max for e in run.endpoints), default=0),
        min=min((e.min for e in run.endpoints), default=0),
    )


def _csv(rows: list[list[str]], newline: str) -> str:
    def cell(v: str) -> str:
        return f'"{v.replace(chr(34), chr(34) * 2)}"' if any(c in v for c in ',"\n') else v

    return "".join(",".join(cell(str(c)) for c in row) + newline for row in rows)


def write_run(directory: Path, run: Run, newline: str = "\n") -> Path:
    """Write `<prefix>_stats.csv`, `_stats_history.csv`, `_failures.csv`, `_exceptions.csv` (+ run.json)."""
    directory.mkdir(parents=True, exist_ok=True)
    duration = run.seconds - run.lead_in
    rows = [STATS_HEADER]
    for ep in sorted(run.endpoints, key=lambda e: e.name):
        rows.append(
            [
                ep.method,
                ep.name,
                ep.requests,
                ep.failures,
                ep.median,
                ep.avg,
                ep.min,
                ep.max,
                100.0,
                ep.requests / duration,
                ep.failures / duration,
                *_pcts(ep),
            ]
        )
    t = _total(run)
    rows.append(
        [
            "",
            "Aggregated",
            t.requests,
            t.failures,
            t.median,
            t.avg,
            t.min,
            t.max,
            100.0,
            t.requests / duration,
            t.failures / duration,
            *_pcts(t),
        ]
    )
    (directory / f"{run.prefix}_stats.csv").write_text(_csv(rows, newline), newline="")

    hist = [HISTORY_HEADER]
    for i in range(run.seconds):
        ts = run.start + i
        users = 0 if i < run.lead_in else run.users
        frac = 0.0 if i < run.lead_in else (i - run.lead_in + 1) / duration
        entries = [*sorted(run.endpoints, key=lambda e: e.name)] if run.full_history else []
        for ep in [*entries, t]:
            n = int(ep.requests * frac)
            f = int(ep.failures * frac)
            pct = _pcts(ep) if n else ["N/A"] * len(PCTS)
            hist.append(
                [
                    ts,
                    users,
                    "" if ep is t else ep.method,
                    ep.name,
                    f"{n / max(i, 1):2f}",
                    f"{f / max(i, 1):2f}",
                    *pct,
                    n,
                    f,
                    ep.median if n else 0,
                    ep.avg if n else 0.0,
                    ep.min if n else 0,
                    ep.max if n else 0,
                    100.0 if n else 0,
                ]
            )
    (directory / f"{run.prefix}_stats_history.csv").write_text(_csv(hist, newline), newline="")

    header = ["Method", "Name", "Error", "Occurrences"] + (["First Seen", "Last Seen"] if run.first_last_seen else [])
    frows = [header]
    for name, error, n in run.failures:
        extra = ["2025-10-16T19:04:30Z", "2025-10-16T19:20:00Z"] if run.first_last_seen else []
        frows.append(["GET", name, error, n, *extra])
    (directory / f"{run.prefix}_failures.csv").write_text(_csv(frows, newline), newline="")
    erows = [
        ["Count", "Message", "Traceback", "Nodes"],
        *[[c, m, "Traceback...\n  line 1", "local"] for c, m in run.exceptions],
    ]
    (directory / f"{run.prefix}_exceptions.csv").write_text(_csv(erows, newline), newline="")
    if run.run_json is not None:
        (directory / f"{run.prefix}_run.json").write_text(json.dumps(run.run_json, indent=2))
    return directory / run.prefix


def basic_run(prefix: str = "local-smoke", **kwargs: Any) -> Run:
    """Three endpoints, a 504 and a 404, nothing exotic."""
    endpoints = [
        Ep("/api/v1/cans/", 40, 2, median=120, avg=900.5, p95=20000, p99=20000, max=20101.3),
        Ep("/api/v1/agreements/", 30, 0, median=800, avg=950.25, p95=1500, p99=1900, max=1950.0),
        Ep("/api/v1/research-projects/", 5, 5, median=60, avg=61.0, p95=70, p99=70, max=70.2),
    ]
    failures = [
        ("/api/v1/cans/", "HTTPError('504 Server Error: Gateway Time-out for url: /api/v1/cans/')", 2),
        (
            "/api/v1/research-projects/",
            "HTTPError('404 Client Error: Not Found for url: /api/v1/research-projects/')",
            5,
        ),
    ]
    params: dict[str, Any] = {"endpoints": endpoints, "failures": failures}
    params.update(kwargs)
    return Run(prefix, **params)
