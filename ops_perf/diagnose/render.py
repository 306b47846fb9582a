"""A diagnosis on disk: diagnose.json (the measurements), DIAGNOSIS.md (the judge's reading) and three charts.

The Markdown renders `judge.causes.judge_diagnosis`: what serialises, what grows per row, what is an
N+1, which record dominates, with the figures behind each and what to do about it. It decides nothing.
Charts are drawn as the report's are (matplotlib's Agg canvas, fixed sizes, no version stamp).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib as mpl
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ops_perf.chart_style import CHART_SAVE, CHART_STYLE
from ops_perf.judge.causes import DiagnosisJudgement, EndpointVerdict
from ops_perf.judge.fit import Fit
from ops_perf.runfiles.diagnosis_json import FILE_NAME, REPORT_NAME, Sample

CHARTS = {"concurrency": "diagnose-concurrency.png", "rows": "diagnose-rows.png", "bytes": "diagnose-bytes.png"}


def write_json(folder: Path, data: dict[str, Any]) -> Path:
    path = folder / FILE_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
    tmp.replace(path)  # a Ctrl-C while writing leaves the last whole file, never half of one
    return path


# ---- charts ---------------------------------------------------------------------------------------


def _figure(height: float = 5.0) -> Figure:
    fig = Figure(figsize=(10, height))
    FigureCanvasAgg(fig)
    return fig


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), ncol=2, fontsize=8)


def _fit_line(ax: Any, fit: Fit | None, color: str) -> None:
    if fit is not None:
        ax.plot([fit.x_low, fit.x_high], [fit.at(fit.x_low), fit.at(fit.x_high)], color=color, linestyle="--")


def draw_charts(folder: Path, verdicts: Sequence[EndpointVerdict]) -> dict[str, str]:
    """The three charts (only those with something to draw); kind -> file name."""
    out: dict[str, str] = {}
    with mpl.rc_context(CHART_STYLE):
        swept = [v for v in verdicts if v.probes.concurrency]
        if swept:
            fig = _figure()
            ax1, ax2 = fig.subplots(1, 2)
            for v in swept:
                levels = sorted(v.probes.concurrency, key=lambda lv: lv.in_flight)
                x = [lv.in_flight for lv in levels]
                rps = [lv.steady_rps if lv.steady_rps is not None else lv.throughput_rps for lv in levels]
                ax1.plot(x, rps, marker="o", label=v.name)
                ax2.plot(x, [lv.steady_ms if lv.steady_ms is not None else float("nan") for lv in levels], marker="o")
            ax1.set_xlabel("requests in flight")
            ax1.set_ylabel("throughput (requests/s, in flight / median)")
            ax1.set_title("throughput against concurrency")
            ax2.set_xlabel("requests in flight")
            ax2.set_ylabel("median once the queue is full (ms)")
            ax2.set_title("time against concurrency")
            _legend(ax1)
            fig.subplots_adjust(left=0.07, right=0.98, top=0.92, bottom=0.32, wspace=0.25)
            fig.savefig(folder / CHARTS["concurrency"], **CHART_SAVE)
            out["concurrency"] = CHARTS["concurrency"]
        rowed = [v for v in verdicts if _row_points(v)]
        if rowed:
            fig = _figure()
            ax = fig.subplots()
            for v in rowed:
                points = _row_points(v)
                line = ax.plot([p.rows for p in points], [p.ms for p in points], "o", markersize=3, label=v.name)
                _fit_line(ax, v.rows_fit, line[0].get_color())
            ax.set_xlabel("rows in the answer (list items, or a record's embedded rows)")
            ax.set_ylabel("response time (ms)")
            ax.set_title("time against rows (dashed: least squares)")
            _legend(ax)
            fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.3)
            fig.savefig(folder / CHARTS["rows"], **CHART_SAVE)
            out["rows"] = CHARTS["rows"]
        sized = [v for v in verdicts if [s for s in v.probes.records if s.ok]]
        if sized:
            fig = _figure()
            ax = fig.subplots()
            for v in sized:
                ok = [s for s in v.probes.records if s.ok]
                line = ax.plot([s.bytes / 1024 for s in ok], [s.ms for s in ok], "o", markersize=3, label=v.name)
                _fit_line(ax, v.size_fit, line[0].get_color())
            ax.set_xlabel("response size (KB)")
            ax.set_ylabel("response time (ms)")
            ax.set_title("records: time against size (one request per record; dashed: least squares)")
            _legend(ax)
            fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.3)
            fig.savefig(folder / CHARTS["bytes"], **CHART_SAVE)
            out["bytes"] = CHARTS["bytes"]
    return out


def _row_points(v: EndpointVerdict) -> list[Sample]:
    source = v.probes.page_size if v.rows_source == "page_size" else v.probes.records
    return [s for s in source if s.ok and s.rows is not None]


# ---- Markdown -------------------------------------------------------------------------------------


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def _cell(text: Any) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _endpoint_md(v: EndpointVerdict) -> list[str]:
    p = v.probes
    lines = [f"### `{v.name}`", ""]
    lines.append(
        f"{p.kind} endpoint, {p.requests} requests" + (f"; **stopped**: {p.stopped}" if p.stopped else "") + "."
    )
    lines.append("")
    if v.causes:
        for c in v.causes:
            lines.append(f"- **{c.title}**: {c.text}. *What to do*: {c.advice}.")
    else:
        lines.append("- No cause found: nothing in these probes makes it slow.")
    lines.append("")
    if v.concurrency is not None:
        conc = v.concurrency
        lines.append(
            f"Concurrency: **{conc.verdict}** (throughput at {conc.high.in_flight} in flight is "
            f"{conc.ratio:.2f}x that at 1, by Little's law on the medians once the queue is full; below 1.5x "
            "serialises)."
        )
        lines.append("")
        lines.append(
            "| in flight | requests | 2xx | seconds | requests/s (wall) | median (ms) | median once full (ms) | "
            "throughput (in flight / median) |"
        )
        lines.append("|---|---|---|---|---|---|---|---|")
        for lv in sorted(p.concurrency, key=lambda lv: lv.in_flight):
            little = f"{lv.steady_rps:.1f}" if lv.steady_rps is not None else "n/a"
            lines.append(
                f"| {lv.in_flight} | {lv.requests} | {lv.ok} | {lv.seconds:.3f} | {lv.throughput_rps:.1f} | "
                f"{_ms(lv.median_ms)} | {_ms(lv.steady_ms)} | {little} |"
            )
        lines.append("")
    if v.rows_fit is not None:
        source = (
            "the page-size sweep, medians per page size"
            if v.rows_source == "page_size"
            else "the record sweep, embedded rows"
        )
        lines.append(
            f"Rows, from {source}: **{v.rows_fit.slope:.3f} ms per row** (r^2 {v.rows_fit.r2:.2f}, "
            f"{v.rows_fit.n} points, {v.rows_fit.x_low:.0f} to {v.rows_fit.x_high:.0f} rows)."
        )
        lines.append("")
    ok_records = [s for s in p.records if s.ok]
    if ok_records:
        ids = {s.id for s in p.records}
        answered = {s.id for s in ok_records}
        lines.append(
            f"Records: {len(answered)} of {len(ids)} answered 2xx, median {_ms(_median([s.ms for s in ok_records]))} ms"
            + (
                f"; slowest id {v.slowest.id}: {_ms(v.slowest.ms)} ms (median of {v.slowest.answers}), "
                f"{v.slowest.bytes / 1024:,.0f} KB"
                + (f", {v.slowest.rows} rows ({v.slowest.rows_key})" if v.slowest.rows_key else "")
                if v.slowest is not None
                else ""
            )
            + (
                f"; time against size {v.size_fit.slope:.3g} ms per KB (r^2 {v.size_fit.r2:.2f})"
                if v.size_fit is not None
                else ""
            )
            + "."
        )
        lines.append("")
    s = v.statements
    if s is not None:
        fit = f"{s.fit.intercept:.2f} + {s.fit.slope:.2f} x rows (r^2 {s.fit.r2:.2f})" if s.fit is not None else "n/a"
        share = f"{s.share:.0%}" if s.share is not None else "n/a"
        lines.append(
            f"Database (pg_stat_statements, {s.requests} sequential requests): {s.per_request:.1f} statements per "
            f"request ({fit}), {s.distinct} distinct, {_ms(s.db_ms_per_request)} ms of database time per request "
            f"({share} of the response time)."
        )
        lines.append("")
        if p.database is not None and p.database.top:
            lines.append("| statement (normalised, first 200 characters) | calls | ms |")
            lines.append("|---|---|---|")
            for st in p.database.top:
                lines.append(f"| `{_cell(st.query)}` | {st.calls} | {st.ms:,.1f} |")
            lines.append("")
    return lines


def _median(values: list[float]) -> float | None:
    values = sorted(values)
    if not values:
        return None
    mid = len(values) // 2
    return values[mid] if len(values) % 2 else (values[mid - 1] + values[mid]) / 2


def markdown(judged: DiagnosisJudgement, charts: dict[str, str]) -> str:
    d = judged.diagnosis
    budget = d.budget
    lines = [
        "# Why OPS is slow: diagnosis",
        "",
        f"**Environment**: {d.env or 'n/a'} · **host**: {d.host} · **started**: "
        f"{d.started_at.isoformat() if d.started_at else 'n/a'} · {d.seconds:.1f} s",
        f"**Requests**: {budget.get('used', 'n/a')} of a budget of {budget.get('requests', 'n/a')} "
        f"(at most {budget.get('in_flight', 'n/a')} in flight; a probe stops after {budget.get('stop_after', 3)} "
        "consecutive 5xx or time-outs)",
        f"**Endpoints**: {len(d.endpoints)} ({d.selection}" + (f", from `{d.from_run}`" if d.from_run else "") + ")",
        "",
    ]
    if d.interrupted:
        lines += ["**Interrupted (Ctrl-C)**: what was measured until then.", ""]
    database = d.database
    if database.get("given"):
        lines.append(
            "Database figures: "
            + ("`pg_stat_statements` deltas around each sequential request." if database.get("statements") else "none.")
            + (f" {database['note']}" if database.get("note") else "")
        )
    else:
        lines.append("No database URL (`--db-url` / `OPS_DB_URL`): no database figures.")
    lines.append("")
    for note in d.notes:
        lines.append(f"- {note}")
    if d.notes:
        lines.append("")
    causes = judged.causes
    lines += ["## Causes", ""]
    if causes:
        lines += ["| endpoint | cause | figures |", "|---|---|---|"]
        lines += [f"| `{c.subject}` | {c.title} | {_cell(c.text)} |" for c in causes]
    else:
        lines.append("None found in these probes.")
    lines.append("")
    for kind, caption in (
        ("concurrency", "throughput and median time against requests in flight"),
        ("rows", "time against rows"),
        ("bytes", "records: time against size"),
    ):
        if kind in charts:
            lines += [f"![{caption}]({charts[kind]})", ""]
    lines += ["## Endpoints", ""]
    for v in judged.endpoints:
        lines += _endpoint_md(v)
    return "\n".join(lines).rstrip() + "\n"


def write_markdown(folder: Path, judged: DiagnosisJudgement) -> Path:
    charts = draw_charts(folder, judged.endpoints)
    path = folder / REPORT_NAME
    path.write_text(markdown(judged, charts), encoding="utf-8")
    return path
