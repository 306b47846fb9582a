"""Derive the `prod-2025-10-15` profile from the real production normal-load run's Locust CSVs.

A dev script, run once; its output (`profiles/prod-2025-10-15.json`) is the project's own data and
ships with it, so the simulator never needs the reference CSVs at run time. A test re-derives the
profile from the CSVs (when they are present) and checks the shipped file still matches.

    python -m ops_perf.sim.derive_profile [--results DIR] [--out FILE] [--check]

How the numbers are made, per Locust name of `production-baseline-normal_stats.csv`:
- Failure mix: occurrences per HTTP status in `_failures.csv` over the row's request count.
- Latency: the row's empirical curve (min as 0%, then 50%..100%). The CSV curve mixes answers with
  the 504s, which sit at the ~20 s gateway ceiling at its top; the simulator draws 504s separately
  (waiting the ceiling), so the curve written is the curve *of the other answers*: percentile s of
  the written curve is percentile s x (1 - p504) of the CSV's. Replaying the profile therefore gives
  back the CSV's overall percentiles rather than counting the slow tail twice.
- Names: old CSV names are mapped to the current routes they correspond to (`CSV_NAME_MAP`);
  current routes absent from the CSV fall back to `default`, derived the same way from the
  Aggregated row; CSV rows for removed or uncovered routes are listed under `source.unmapped`.
- The frontend's own routes (`routes.FRONTEND_ROUTES`: summaries, histories, spending, grant
  numbers, documents, vendors, pending steps, roles) were never load-tested, so the CSV has no row
  for them. Each borrows the curve of a *basis*: the catalog route doing the same kind of work at a
  similar cost on a local OPS (`FRONTEND_BASIS`, local medians from ops-responses.md in the
  comments). Why not scale by local cost: under the 2025-10-15 load even a 10 ms route took
  ~270 ms at the median (divisions/[id], users/[id], services-components/[id]), so production
  latency was mostly waiting, not work; a sibling's measured curve carries that waiting. Of the
  basis's failures only the 504s are kept (its 404s were routes not yet deployed).
"""

from __future__ import annotations

import argparse
import csv
import itertools
import json
import os
import re
import sys
from pathlib import Path
from typing import Any

from ops_perf.sim.profiles import PROFILE_DIR
from ops_perf.sim.routes import FRONTEND_ROUTES, all_names

FRONTEND_NAMES = tuple(name for route in FRONTEND_ROUTES for name in route.names())

PROFILE_NAME = "prod-2025-10-15"
RUN_PREFIX = "production-baseline-normal"
GATEWAY_TIMEOUT_S = 20.0  # the prod gateway ceiling (facts: "504 at a gateway ceiling: prod ~20 s")
PERCENTILE_COLUMNS = (
    ("50%", 50.0),
    ("66%", 66.0),
    ("75%", 75.0),
    ("80%", 80.0),
    ("90%", 90.0),
    ("95%", 95.0),
    ("98%", 98.0),
    ("99%", 99.0),
    ("99.9%", 99.9),
    ("99.99%", 99.99),
    ("100%", 100.0),
)

#: CSV names of 2025-10-15 whose route has since moved or been renamed -> the current Locust name(s).
CSV_NAME_MAP: dict[str, tuple[str, ...]] = {
    "/api/v1/agreement-reasons/": ("/api/v1/lookups/agreement-reasons/",),
    "/api/v1/agreement-types/": ("/api/v1/lookups/agreement-types/",),
    "/api/v1/portfolio-status/": ("/api/v1/lookups/portfolio-status/",),
    "/api/v1/portfolio-status/[id]": ("/api/v1/lookups/portfolio-status/[id]",),
    "/api/v1/research-types/": ("/api/v1/lookups/research-types/",),
    # The old "CANs of a portfolio" route; today the same list is /cans/?portfolio_id=.
    "/api/v1/cans/portfolio/[id]": ("/api/v1/cans/?portfolio_id=[id]",),
    # The old procurement steps list became the procurement tracker steps list.
    "/api/v1/procurement-steps/": ("/api/v1/procurement-tracker-steps/",),
    # A bare /budget-line-items/ is the same query as ?limit=10&offset=0 (the defaults).
    "/api/v1/budget-line-items/?limit=10&offset=0": (
        "/api/v1/budget-line-items/?limit=10&offset=0",
        "/api/v1/budget-line-items/",
    ),
}

#: Frontend-only route -> the catalog route whose production curve it borrows (see the docstring).
#: Local medians (ms, one OPS on a laptop, ops-responses.md) of the route / of its basis in comments.
FRONTEND_BASIS: dict[str, str] = {
    "/api/v1/reporting-summary/": "/api/v1/portfolio-funding-summary/[id]",  # 67-78 / 122: sums over BLIs
    "/api/v1/cans/funding/": "/api/v1/portfolio-funding-summary/[id]",  # 17 / 122: funding sums
    "/api/v1/cans/[id]/history/": "/api/v1/change-requests/?userId=[id]",  # 7-8 / 12-14: small paged list
    "/api/v1/agreements/[id]/history/": "/api/v1/change-requests/?userId=[id]",  # 10-12 / 12-14
    "/api/v1/projects/[id]/history/": "/api/v1/change-requests/?userId=[id]",  # 12 / 12-14
    "/api/v1/projects/[id]/spending/": "/api/v1/projects/[id]",  # 25 / 54: one project's agreements
    "/api/v1/agreements/[id]/spending/": "/api/v1/budget-line-items/?agreement_id=[id]",  # 19: its BLIs
    "/api/v1/projects-filters/": "/api/v1/budget-line-items-filters/",  # 25 / 175: the filters with a row
    "/api/v1/grant-numbers/": "/api/v1/services-components/[id]",  # 8-12 / 10: a few rows by agreement
    "/api/v1/grant-numbers/[id]": "/api/v1/services-components/[id]",  # 11 / 10
    "/api/v1/documents/": "/api/v1/services-components/[id]",  # 11 / 10
    "/api/v1/vendors/": "/api/v1/procurement-shops/",  # 8 / 14: a short plain list
    "/api/v1/vendors/[id]": "/api/v1/procurement-shops/[id]",  # - / 13
    "/api/v1/procurement-tracker-steps/pending-approvals/": "/api/v1/procurement-tracker-steps/",  # 14
    "/api/v1/procurement-tracker-steps/pending-requisitions/": "/api/v1/procurement-tracker-steps/",  # 10
    "/api/v1/procurement-tracker-steps/pending-award-approvals/": "/api/v1/procurement-tracker-steps/",  # 15
    "/auth/roles/": "/api/v1/lookups/portfolio-status/",  # 7: a static lookup list
}

_STATUS = re.compile(r"\b([45]\d\d) (?:Server|Client) Error")


def default_results_dir() -> Path:
    """Where the reference CSVs live: `$OPS_PERF_REFERENCE/results-2025-10-15` or `../shared/...`."""
    repo_root = Path(__file__).resolve().parents[2]
    reference = Path(os.environ.get("OPS_PERF_REFERENCE", repo_root.parent / "shared" / "reference"))
    return reference / "results-2025-10-15"


def _curve(row: dict[str, str]) -> list[list[float]]:
    """[percentile, ms] points: min as 0%, then the CSV's percentile columns (forced non-decreasing,
    since Locust rounds percentiles and a rounded p50 can fall below the exact minimum)."""
    points = [[0.0, float(row["Min Response Time"])]]
    for column, pct in PERCENTILE_COLUMNS:
        value = row.get(column, "")
        if value in ("", "N/A"):
            continue
        points.append([pct, max(float(value), points[-1][1])])
    return points


def _interpolate(points: list[list[float]], pct: float) -> float:
    for (p0, v0), (p1, v1) in itertools.pairwise(points):
        if p0 <= pct <= p1:
            return v0 + (v1 - v0) * ((pct - p0) / (p1 - p0)) if p1 > p0 else v1
    return points[-1][1]


def condition_on_gateway(points: list[list[float]], p504: float) -> list[list[float]]:
    """The curve of the answers that were not 504s (see the module docstring)."""
    keep = 1.0 - p504
    if keep <= 0.0 or p504 <= 0.0:
        return [[round(p, 4), round(v, 1)] for p, v in points]
    cut = 100.0 * keep
    out = [[round(p / keep, 4), round(v, 1)] for p, v in points if p / keep < 99.9999]
    out.append([100.0, round(_interpolate(points, cut), 1)])
    return out


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def _failure_counts(failures: list[dict[str, str]]) -> tuple[dict[str, dict[int, int]], list[str]]:
    """Occurrences per (Locust name, HTTP status); errors without an HTTP status are reported apart."""
    counts: dict[str, dict[int, int]] = {}
    unparsed: list[str] = []
    for row in failures:
        match = _STATUS.search(row["Error"])
        if not match:
            unparsed.append(f"{row['Name']}: {row['Error']}")
            continue
        per_status = counts.setdefault(row["Name"], {})
        status = int(match.group(1))
        per_status[status] = per_status.get(status, 0) + int(row["Occurrences"])
    return counts, unparsed


def _behaviour(row: dict[str, str], failures: dict[int, int], csv_name: str) -> dict[str, Any]:
    requests = int(row["Request Count"])
    errors = {str(status): round(n / requests, 6) for status, n in sorted(failures.items())} if requests else {}
    p504 = failures.get(504, 0) / requests if requests else 0.0
    raw = _curve(row)
    return {
        "latency_ms": condition_on_gateway(raw, p504),
        "errors": errors,
        "source": {
            "csv_name": csv_name,
            "requests": requests,
            "failures": int(row["Failure Count"]),
            "failures_by_status": {str(s): n for s, n in sorted(failures.items())},
            "csv_latency_ms": [[p, round(v, 1)] for p, v in raw],
        },
    }


def derive(results_dir: Path) -> dict[str, Any]:
    """The profile as a JSON-ready dict (deterministic: same CSVs, same dict)."""
    stats_path = results_dir / f"{RUN_PREFIX}_stats.csv"
    failures_path = results_dir / f"{RUN_PREFIX}_failures.csv"
    stats = _read_csv(stats_path)
    failure_counts, unparsed = _failure_counts(_read_csv(failures_path))
    known = set(all_names())
    aggregated = next((r for r in stats if r["Name"] == "Aggregated"), None)
    if aggregated is None:
        raise ValueError(f"{stats_path} has no Aggregated row")
    total_by_status: dict[int, int] = {}
    for per_status in failure_counts.values():
        for status, n in per_status.items():
            total_by_status[status] = total_by_status.get(status, 0) + n

    endpoints: dict[str, Any] = {}
    unmapped: list[str] = []
    for row in stats:
        name = row["Name"]
        if name == "Aggregated":
            continue
        targets = CSV_NAME_MAP.get(name, (name,) if name in known else ())
        if not targets:
            unmapped.append(name)
            continue
        for target in targets:
            endpoints[target] = _behaviour(row, failure_counts.get(name, {}), name)
    missing = sorted(set(FRONTEND_NAMES) - set(FRONTEND_BASIS))
    if missing:
        raise ValueError(f"frontend route(s) without a basis in FRONTEND_BASIS: {', '.join(missing)}")
    for name, basis in FRONTEND_BASIS.items():
        spec = endpoints[basis]
        endpoints[name] = {
            "latency_ms": spec["latency_ms"],
            "errors": {k: v for k, v in spec["errors"].items() if k == "504"},
            "source": {"basis": basis, "basis_csv_name": spec["source"]["csv_name"]},
        }
    default = _behaviour(aggregated, total_by_status, "Aggregated")
    return {
        "name": PROFILE_NAME,
        "description": (
            "OPS production as measured on 2025-10-15 (10 users x 20 min, normal load): "
            "per-endpoint latency curves and failure mix (504 at the 20 s gateway, 404s), "
            "derived by ops_perf/sim/derive_profile.py from the run's Locust CSVs."
        ),
        "extends": None,
        "gateway_timeout_s": GATEWAY_TIMEOUT_S,
        "options": {"empty_tables": []},
        "source": {
            "stats_csv": stats_path.name,
            "failures_csv": failures_path.name,
            "name_map": {k: list(v) for k, v in CSV_NAME_MAP.items()},
            "unmapped": sorted(unmapped),
            "unparsed_failures": unparsed,
            "aggregated_endpoints": sorted(known - set(endpoints)),
        },
        "default": default,
        "endpoints": dict(sorted(endpoints.items())),
    }


def render(profile: dict[str, Any]) -> str:
    """JSON with one line per endpoint, so a diff of the shipped file reads endpoint by endpoint."""
    lines = ["{"]
    items = list(profile.items())
    for i, (key, value) in enumerate(items):
        comma = "," if i < len(items) - 1 else ""
        if key == "endpoints":
            lines.append('  "endpoints": {')
            entries = list(value.items())
            for j, (name, spec) in enumerate(entries):
                inner = "," if j < len(entries) - 1 else ""
                lines.append(f"    {json.dumps(name)}: {json.dumps(spec)}{inner}")
            lines.append(f"  }}{comma}")
        else:
            lines.append(f"  {json.dumps(key)}: {json.dumps(value)}{comma}")
    lines.append("}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops_perf.sim.derive_profile", description=__doc__.split("\n")[0])
    parser.add_argument(
        "--results",
        type=Path,
        default=default_results_dir(),
        help="directory holding production-baseline-normal_{stats,failures}.csv",
    )
    parser.add_argument("--out", type=Path, default=PROFILE_DIR / f"{PROFILE_NAME}.json")
    parser.add_argument("--check", action="store_true", help="only compare with --out; exit 1 when it differs")
    args = parser.parse_args(argv)
    try:
        profile = derive(args.results)
    except (OSError, KeyError, ValueError) as err:
        print(f"derive_profile: error: cannot derive from {args.results}: {err}", file=sys.stderr)
        return 2
    text = render(profile)
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text:
            print(f"derive_profile: {args.out} differs from what {args.results} derives", file=sys.stderr)
            return 1
        print(f"derive_profile: {args.out} is up to date")
        return 0
    args.out.write_text(text, encoding="utf-8")
    print(
        f"derive_profile: wrote {args.out} ({len(profile['endpoints'])} endpoints, "
        f"{len(profile['source']['aggregated_endpoints'])} on the Aggregated default)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
