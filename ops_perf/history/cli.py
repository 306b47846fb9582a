"""`ops-perf history import | detect | trend | runs`, each with `--store URL`.

Exit codes as everywhere (ops_perf.exitcodes): `detect` exits REGRESSION (3) when a slower change
starts within the newest `[history] recent_runs` runs of its series, OK otherwise; bad input is one
line and USAGE_ERROR (2).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from ops_perf.errors import OneLineParser, OpsPerfError
from ops_perf.exitcodes import ExitCode
from ops_perf.history.config import HistoryConfig, load_history_config
from ops_perf.history.ingest import find_runs, run_identity, stored_run
from ops_perf.history.record import STORE_ENV
from ops_perf.history.store import DEFAULT_STORE, Store
from ops_perf.runfiles.load import RunInputs
from ops_perf.settings.targets import normalise_env


def _parser() -> OneLineParser:
    parser = OneLineParser(prog="ops-perf history", description="The results store and change detection.")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    default = os.environ.get(STORE_ENV) or DEFAULT_STORE

    def common(p: OneLineParser) -> None:
        p.add_argument("--store", default=default, help=f"store URL (default {STORE_ENV} or {DEFAULT_STORE})")

    imp = sub.add_parser("import", help="add runs from results roots, folders or run prefixes")
    imp.add_argument("paths", nargs="+", metavar="PATH")
    common(imp)

    det = sub.add_parser("detect", help="change points per series; exit 3 on a recent slower change")
    det.add_argument("--env", help="only this environment's series (default: every environment)")
    det.add_argument("--scenario", help="only this scenario's series (default: every scenario)")
    det.add_argument("--json", type=Path, metavar="FILE", help="also write the changes as a JSON list (default: none)")
    det.add_argument(
        "--targets", type=Path, help="targets file with the [history] section (default config/targets.toml)"
    )
    common(det)

    tr = sub.add_parser("trend", help="draw one series (PNG + text)")
    tr.add_argument("name", help="endpoint name, page route or Aggregated")
    tr.add_argument("--env", help="only this environment's series (default: every environment)")
    tr.add_argument("--scenario", help="only this scenario's series (default: every scenario)")
    tr.add_argument("--metric", help="one metric (default: every metric the series has)")
    tr.add_argument(
        "-o", "--out", type=Path, default=Path("reports/trends"), help="folder for the PNGs (default %(default)s)"
    )
    tr.add_argument(
        "--targets", type=Path, help="targets file with the [history] section (default config/targets.toml)"
    )
    common(tr)

    lst = sub.add_parser("runs", help="list the stored runs")
    lst.add_argument("--env", help="only this environment's runs (default: every environment)")
    lst.add_argument("--scenario", help="only this scenario's runs (default: every scenario)")
    common(lst)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    if args.action == "import":
        runs = find_runs(args.paths)  # all paths checked before the store is touched
        with Store(args.store) as store:
            return _import(store, runs)
    config = load_history_config(getattr(args, "targets", None))
    env = normalise_env(args.env)
    with Store(args.store, create=False) as store:  # reading: a store that is not there is a typo, not empty
        if args.action == "detect":
            return _detect(store, config, env, args.scenario, args.json)
        if args.action == "trend":
            return _trend(store, config, env, args.scenario, args.name, args.metric, args.out)
        return _list(store, env, args.scenario)


def _import(store: Store, runs: list[RunInputs]) -> int:
    added = skipped = 0
    without: list[str] = []
    for inputs in runs:
        if store.has_run(run_identity(inputs)):
            skipped += 1
            continue
        stored = stored_run(inputs)
        if store.add(stored):
            added += 1
            print(f"added {inputs.directory}/{inputs.prefix}{'' if stored.histograms else '  (no histograms)'}")
            if not stored.histograms:
                without.append(inputs.prefix)
        else:
            skipped += 1
    print(f"ops-perf history: {added} run(s) added, {skipped} already stored")
    if without:
        print(
            f"ops-perf history: {len(without)} of the added runs have no histograms (no <prefix>.json, e.g. "
            f"plain Locust's CSVs): {_stand_in_note()}"
        )
    return int(ExitCode.OK)


def _stand_in_note() -> str:
    from ops_perf.history.stats import CSV_STAND_IN

    pairs = ", ".join(f"{cell} instead of {metric}" for metric, cell in CSV_STAND_IN.items())
    return f"their endpoint and page series use the stats CSV's cells ({pairs}), series of their own"


def _detect(store: Store, config: HistoryConfig, env: str | None, scenario: str | None, json_path: Path | None) -> int:
    from ops_perf.history.detect import describe, detect, recent_regressions, series_lines
    from ops_perf.history.sensitivity import NIGHTS, POWER, sensitivity_lines

    series, changes = detect(store, config, env, scenario)
    analysed = sum(1 for s in series if len(s.points) >= config.min_runs)
    print(
        f"ops-perf history: {len(series)} series, {analysed} with at least {config.min_runs} runs analysed; "
        f"{len(changes)} change point(s) (p < {config.max_pvalue:g} and below the series' share of the "
        f"budget over its split positions, at least {config.min_change_pct:g}%); "
        f"a slower step into the newest {config.min_runs_after}-{config.recent_runs} runs fails within a "
        f"false-alarm budget of {config.alarm_rate:g} per night over all series"
    )
    precisions = {r["run_id"]: r["percentile_precision"] for r in store.runs(env, scenario, valid_only=True)}
    print("series by kind and metric (which metric, why, from what):")
    for line in series_lines(series, precisions):
        print(f"  {line}")
    visible = sensitivity_lines(series, config)
    if visible:
        print(
            f"smallest slower step detect sees within {min(NIGHTS, config.recent_runs)} nights ({POWER:.0%} of the time), "
            "at this store's own night-to-night noise:"
        )
        for line in visible:
            print(f"  {line}")
    if changes:
        print("change points (from the first run after each):")
    for change in changes:
        print(f"  {describe(change)}")
    if json_path is not None:
        try:
            json_path.parent.mkdir(parents=True, exist_ok=True)
            json_path.write_text(json.dumps([c.as_json() for c in changes], indent=2) + "\n", encoding="utf-8")
        except OSError as err:
            raise OpsPerfError(
                f"--json {json_path}: cannot write it ({err.strerror or err}); pass a writable path"
            ) from None
    recent = recent_regressions(changes, config)
    if recent:
        print(
            f"ops-perf history: REGRESSION: {len(recent)} slower change(s) within the newest {config.recent_runs} runs"
        )
        for change in recent:
            print(f"  {change.name} {change.metric}: p={change.pvalue:.1g} below its share {change.alarm_level:.1g}")
        return int(ExitCode.REGRESSION)
    return int(ExitCode.OK)


def _trend(
    store: Store,
    config: HistoryConfig,
    env: str | None,
    scenario: str | None,
    name: str,
    metric: str | None,
    out: Path,
) -> int:
    from ops_perf.history.trend import as_text, chart_name, draw, find_trends

    named = find_trends(store, config, env, scenario, name)
    trends = [t for t in named if metric in (None, t.series.metric)]
    if not trends:
        others = sorted({t.series.metric for t in named})
        hint = f" (its series follow {', '.join(others)}: runs without histograms have CSV cells)" if others else ""
        raise OpsPerfError(
            f"no series named {name!r}{f' with metric {metric}' if metric else ''} in the store{hint}; "
            "see `ops-perf history runs`, and check --env/--scenario (an endpoint needs "
            f"{config.min_requests} requests per run to have a point)"
        )
    for trend in trends:
        path = draw(trend, out / chart_name(trend))
        print(as_text(trend))
        print(f"  chart: {path}")
    return int(ExitCode.OK)


def _list(store: Store, env: str | None, scenario: str | None) -> int:
    found = store.runs(env, scenario)
    for run in found:
        flag = "" if run["valid"] else f"  (left out: {run['invalid_reason']})"
        print(
            f"{run['started_at'][:19].replace('T', ' ')}  {run['env'] or '-'}/{run['scenario'] or '-'}  "
            f"{run['prefix']}  {run['requests']} requests  percentiles {run['percentile_precision']}{flag}"
        )
    print(f"ops-perf history: {len(found)} run(s)")
    return int(ExitCode.OK)


if __name__ == "__main__":
    raise SystemExit(main())
