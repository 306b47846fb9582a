"""PNG charts of a run's history: response-time percentiles, requests/s, failures/s and users over time,
and OPS's database pool from the health samples (`<prefix>_server.json`) on the same time axis.

Why it is built this way:
- No pyplot and no global backend switch: figures are made with `matplotlib.figure.Figure` on an Agg
  canvas, so importing the report never changes matplotlib state for other code (or tests).
- Deterministic bytes: fixed size, DPI, margins (no `tight_layout`, which also costs a second draw) and style, `metadata={"Software": None}` (no version stamp in
  the PNG), fixed legend positions (`loc="best"` is slow on long series and data-dependent), and a fixed
  `svg.hashsalt` in case anyone renders SVG. The same history gives the same file.
- Gaps, not zeros: a history row without data is not drawn as 0 ms (see `without_empty_windows`).
- Fast at scale: a 24-hour history has 86,400 points per series; it is bucketed to at most
  `MAX_POINTS` before plotting (percentiles and users by the bucket's max, so spikes survive; rates by
  the mean), and the chart title says how long a bucket is.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path

import matplotlib as mpl
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ops_perf.chart_style import CHART_SAVE, CHART_STYLE
from ops_perf.runfiles.load import History, Run
from ops_perf.runfiles.server_json import ServerWatch

MAX_POINTS = 1500
TOP_ENDPOINTS = 8


def _bucket(
    frame: pd.DataFrame, t0: int, max_points: int = MAX_POINTS, by: Sequence[str] = ()
) -> tuple[pd.DataFrame, int]:
    """Bucket a time series to at most `max_points` per group; returns (frame, bucket seconds)."""
    span = int(frame["ts"].max()) - t0 + 1 if len(frame) else 1
    size = max(1, math.ceil(span / max_points))
    out = frame.assign(minute=((frame["ts"] - t0) // size * size).astype("float64") / 60.0)
    if size == 1:
        return out, 1
    agg = {c: ("max" if c in ("users", "p50", "p95", "p99") else "mean") for c in frame.columns if c not in ("ts", *by)}
    grouped = out.drop(columns=["ts"]).groupby([*by, "minute"], observed=True, sort=True).agg(agg).reset_index()
    return grouped, size


PERCENTILE_COLUMNS = ("p50", "p95", "p99")


def without_empty_windows(frame: pd.DataFrame) -> pd.DataFrame:
    """Percentiles Locust wrote as 0 become gaps (NaN), which matplotlib leaves undrawn.

    Why: Locust writes `int(percentile or 0)` per history row, so a window without requests (a pause
    between stages, a stalled server) and the first ~10 s before its sliding window fills both come
    out as 0 ms. Drawn, they look like the fastest answers of the run. A real percentile of 0 would
    need sub-millisecond answers from OPS over a network, which does not happen; N/A cells are NaN already.
    """
    present = [c for c in PERCENTILE_COLUMNS if c in frame.columns]
    if not present:
        return frame
    return frame.assign(**{c: frame[c].where(frame[c] > 0) for c in present})


def _title_suffix(size: int) -> str:
    return "" if size == 1 else f" (each point: {size} s)"


def timeline_chart(prefix: str, history: History, path: Path) -> None:
    """Three panels sharing the time axis: percentiles, rates, users."""
    agg = history.aggregated
    t0 = int(agg["ts"].iloc[0])
    data, size = _bucket(without_empty_windows(agg[["ts", "users", "rps", "fps", "p50", "p95", "p99"]]), t0)
    window = "cumulative since start" if history.cumulative else "over the last ~10 s"
    with mpl.rc_context(CHART_STYLE):
        fig = Figure(figsize=(10, 8))
        FigureCanvasAgg(fig)
        axes = fig.subplots(3, 1, sharex=True, height_ratios=[3, 2, 1])
        ax = axes[0]
        for col, label in (("p50", "median"), ("p95", "p95"), ("p99", "p99")):
            ax.plot(data["minute"], data[col], label=label)
        ax.set_ylabel("response time (ms)")
        ax.set_title(f"{prefix}: response-time percentiles, {window}{_title_suffix(size)}")
        ax.legend(loc="upper left")
        ax = axes[1]
        ax.plot(data["minute"], data["rps"], label="requests/s")
        ax.plot(data["minute"], data["fps"], label="failures/s", color="tab:red")
        ax.set_ylabel("per second")
        ax.legend(loc="upper left")
        ax = axes[2]
        ax.step(data["minute"], data["users"], where="post", color="tab:gray")
        ax.set_ylabel("users")
        ax.set_xlabel("minutes since the first history row")
        fig.subplots_adjust(left=0.08, right=0.98, top=0.95, bottom=0.07, hspace=0.12)
        fig.savefig(path, **CHART_SAVE)


def endpoints_chart(prefix: str, history: History, slowest: Sequence[str], path: Path, what: str = "endpoints") -> None:
    """p95 over time of the slowest endpoints or pages (full history only: Locust's ~10 s window)."""
    assert history.endpoints is not None
    t0 = int(history.aggregated["ts"].iloc[0]) if len(history.aggregated) else int(history.endpoints["ts"].min())
    wanted = history.endpoints[history.endpoints["label"].isin(list(slowest))][["ts", "label", "p95"]]
    data, size = _bucket(without_empty_windows(wanted), t0, by=("label",))
    with mpl.rc_context(CHART_STYLE):
        fig = Figure(figsize=(10, 6))
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        for label in slowest:
            series = data[data["label"] == label]
            ax.plot(series["minute"], series["p95"], label=label)
        ax.set_ylabel("p95 response time (ms)")
        ax.set_xlabel("minutes since the first history row")
        ax.set_title(
            f"{prefix}: p95 of the {len(slowest)} {what} with the highest p95, over the last ~10 s{_title_suffix(size)}"
        )
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=2, fontsize=8)
        fig.subplots_adjust(left=0.08, right=0.98, top=0.93, bottom=0.3)
        fig.savefig(path, **CHART_SAVE)


def pool_chart(prefix: str, server: ServerWatch, t0: float, path: Path) -> None:
    """The pool (connections in use against `size`) and health's own time, per sample, over the run.

    `t0`: the history's first timestamp, so the minutes line up with the timeline chart's."""
    samples = server.samples
    minutes = [(s.t - t0) / 60.0 for s in samples]
    pooled = [(m, s.pool) for m, s in zip(minutes, samples, strict=True) if s.pool is not None]
    with mpl.rc_context(CHART_STYLE):
        fig = Figure(figsize=(10, 6))
        FigureCanvasAgg(fig)
        axes = fig.subplots(2, 1, sharex=True, height_ratios=[3, 2])
        ax = axes[0]
        if pooled:
            ax.step(
                [m for m, _ in pooled], [p.checked_out for _, p in pooled], where="post", label="in use (checked_out)"
            )
            ax.plot([m for m, _ in pooled], [p.size for _, p in pooled], linestyle="--", color="tab:red", label="size")
            ax.set_ylim(0, max(max(p.size, p.checked_out) for _, p in pooled) * 1.3)  # room for the legend
            ax.legend(loc="upper left")
        else:
            ax.text(0.5, 0.5, "no pool_status in the health answers", ha="center", va="center", transform=ax.transAxes)
        ax.set_ylabel("database connections")
        ax.set_title(
            f"{prefix}: OPS's pool per health sample (one gunicorn worker's each), every {server.interval_s:g} s"
        )
        ax = axes[1]
        answered = [(m, s.ms) for m, s in zip(minutes, samples, strict=True) if s.answered]
        timed_out = [(m, s.ms) for m, s in zip(minutes, samples, strict=True) if s.timed_out]
        ax.plot([m for m, _ in answered], [v for _, v in answered], marker=".", label="health's time")
        if timed_out:
            ax.plot([m for m, _ in timed_out], [v for _, v in timed_out], "x", color="tab:red", label="timed out")
        idle = [s.ms for s in server.baseline if s.answered]
        if idle:
            ax.axhline(sorted(idle)[len(idle) // 2], color="tab:gray", linestyle=":", label="before the load")
        ax.set_ylabel("health (ms)")
        ax.set_xlabel("minutes since the first history row")
        ax.legend(loc="upper left")
        fig.subplots_adjust(left=0.08, right=0.98, top=0.94, bottom=0.09, hspace=0.1)
        fig.savefig(path, **CHART_SAVE)


def chart_name(prefix: str, kind: str) -> str:
    return f"{prefix}-{kind}.png"


def render_charts(run: Run, charts_dir: Path) -> dict[str, str]:
    """Draw every chart the run's history allows into `charts_dir`; returns kind -> file name."""
    out: dict[str, str] = {}
    history = run.history
    if run.server is not None and run.server.samples:
        has_history = history is not None and not history.aggregated.empty
        t0 = float(history.aggregated["ts"].iloc[0]) if has_history else run.server.samples[0].t  # type: ignore[union-attr]
        name = chart_name(run.prefix, "pool")
        pool_chart(run.prefix, run.server, t0, charts_dir / name)
        out["pool"] = name
    if history is None or history.aggregated.empty:
        return out
    name = chart_name(run.prefix, "timeline")
    timeline_chart(run.prefix, history, charts_dir / name)
    out["timeline"] = name
    if history.endpoints is not None and not history.endpoints.empty:
        present = set(history.endpoints["label"].cat.categories)
        rows = run.endpoints[run.endpoints["requests"] > 0]
        is_page = rows["method"] == "PAGE"
        # Page views are charted apart: a page's time is a wave of calls, not one call's.
        for kind, what, chosen in (("endpoints", "endpoints", rows[~is_page]), ("pages", "pages", rows[is_page])):
            sort_cols = [c for c in ("p95", "avg") if c in chosen.columns]
            ranked = chosen.sort_values([*sort_cols, "label"], ascending=[False] * len(sort_cols) + [True])
            slowest = [label for label in ranked["label"] if label in present][:TOP_ENDPOINTS]
            if slowest:
                name = chart_name(run.prefix, f"{kind}-p95")
                endpoints_chart(run.prefix, history, slowest, charts_dir / name, what)
                out[kind] = name
    return out
