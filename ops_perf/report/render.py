"""Markdown from the analysis, through jinja2 templates (`templates/*.md.j2`).

Why templates and filters: the report's wording lives in one readable file a reviewer can edit, and
every number passes through one of a handful of filters below, so formatting is decided once:
counts as integers, failure % with 2 decimals, average with 1, requests/s with 2, median, percentiles
and min/max as whole ms from 1,000 ms up and with 4 significant digits below (the suite's percentiles are
within 1 %, which whole ms would lose below 100 ms; Locust's default cells are whole numbers and print as such). Rounding is half-up on the number as Locust printed it (see `analyse.round_half_up`).

Determinism: the only varying line is "Generated ..."; it honours `SOURCE_DATE_EPOCH` (the
reproducible-builds convention) so tests and CI can pin it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from ops_perf import __version__
from ops_perf.report.analyse import METRIC_LABELS, Analysis, plural, round_half_up
from ops_perf.runfiles.precision import describe as describe_precision

TEMPLATES = Path(__file__).with_name("templates")
_TRAILING = re.compile(r"[ \t]+\n")
_BLANKS = re.compile(r"\n{3,}")
NA = "n/a"
STATUS_ICONS = {"target": "🟢", "acceptable": "🟡", "concern": "🟠", "critical": "🔴", "not enough evidence": "⚪"}


def fmt_int(value: float | None) -> str:
    return NA if value is None else str(int(value))


def fmt_ms(value: float | None) -> str:
    """Milliseconds at the figure's own precision: whole ms from 1,000 ms up and for whole numbers (`190.0` ->
    `190`, `20173.145` -> `20173`), else 4 significant digits, the suite's bucket keys as they are (`19.87`,
    `147.3`): a percentile within 1 % (runfiles/precision) stays within 1 % once printed."""
    if value is None:
        return NA
    if value >= 1000 or float(value).is_integer():
        return str(round_half_up(value))
    places = 1 if value >= 100 else 2 if value >= 10 else 3 if value >= 1 else 4
    return str(round_half_up(value, places))


def fmt_precision(precision: str) -> str:
    """A run's percentile precision in words (runfiles/precision): `within 1 % (...)` or Locust's default."""
    return describe_precision(precision)


def fmt_avg(value: float | None) -> str:
    return NA if value is None else str(round_half_up(value, 1))


def fmt_pct(value: float | None) -> str:
    return NA if value is None else str(round_half_up(value, 2))


def fmt_rps(value: float | None) -> str:
    return NA if value is None else str(round_half_up(value, 2))


def fmt_num(value: float | None) -> str:
    """A config number as written (`50`, `2.5`)."""
    return NA if value is None else f"{value:g}"


def fmt_minutes(duration_s: float | None) -> str:
    """Whole minutes from 5 min up (599 s -> 10, the "3 x 10" convention), else one decimal (0.5)."""
    if duration_s is None:
        return NA
    minutes = duration_s / 60.0
    if minutes >= 5:
        return str(round_half_up(minutes))
    return str(round_half_up(minutes, 1)).rstrip("0").rstrip(".") or "0"


def fmt_duration(duration_s: float | None) -> str:
    if duration_s is None:
        return NA
    return f"{fmt_num(float(round_half_up(duration_s, 1)))} s ({round_half_up(duration_s / 60.0, 1)} min)"


def fmt_time(value: datetime | None) -> str:
    return NA if value is None else value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def fmt_cell(value: Any) -> str:
    """Safe inside a Markdown table cell: no pipes, no line breaks."""
    return " ".join(str(value).split()).replace("|", "\\|")


def fmt_code(value: Any) -> str:
    text = fmt_cell(value)
    fence = "``" if "`" in text else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def fmt_status(status: str) -> str:
    icon = STATUS_ICONS.get(status)
    return f"{icon} {status}" if icon else status


def fmt_verdict(verdict: str) -> str:
    if verdict.startswith("PASS"):
        return f"✅ {verdict}"
    if verdict == "FAIL":
        return "❌ FAIL"
    return verdict


def fmt_metric(value: float | None, metric: str) -> str:
    if metric == "failure_pct":
        return fmt_pct(value)
    if metric == "rps":
        return fmt_rps(value)
    if metric == "avg_ms":
        return fmt_avg(value)
    return fmt_ms(value)


@dataclass(frozen=True)
class InputFile:
    """One file read, as the appendix lists it."""

    run: str
    path: str
    rows: int | None
    size: int
    sha256: str


def generated_at() -> datetime:
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch and epoch.strip().isdigit():
        return datetime.fromtimestamp(int(epoch), UTC)
    return datetime.now(UTC).replace(microsecond=0)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(str(TEMPLATES)),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        autoescape=False,  # Markdown, not HTML; cells are escaped by `cell`/`code`
    )
    env.filters.update(
        {
            "int": fmt_int,
            "ms": fmt_ms,
            "precision": fmt_precision,
            "avg": fmt_avg,
            "pct": fmt_pct,
            "rps": fmt_rps,
            "num": fmt_num,
            "minutes": fmt_minutes,
            "duration": fmt_duration,
            "time": fmt_time,
            "cell": fmt_cell,
            "code": fmt_code,
            "status": fmt_status,
            "verdict": fmt_verdict,
            "metric": fmt_metric,
            "plural": plural,
        }
    )
    env.globals.update({"metric_labels": METRIC_LABELS, "NA": NA})
    return env


def render_markdown(analysis: Analysis, inputs: list[InputFile], when: datetime | None = None, trends: str = "") -> str:
    """`trends`: the Trends section as `ops_perf.history.section` wrote it ("" when the store has none)."""
    template = environment().get_template("report.md.j2")
    text = template.render(
        a=analysis,
        runs=analysis.runs,
        inputs=inputs,
        version=__version__,
        generated=fmt_time(when or generated_at()),
        trends=trends,
    )
    # Template whitespace is tuned for readability of the template, not of the output: normalise it
    # (no trailing blanks, at most one empty line) so diffs between reports show only real changes.
    text = _TRAILING.sub("\n", text)
    return _BLANKS.sub("\n\n", text).strip("\n") + "\n"
