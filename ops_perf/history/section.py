"""The report's Trends section: a Markdown block and its charts, made from the history store.

The report calls `trends_markdown(runs, charts_dir)` with the runs it loaded and appends what it returns; everything
about the store (which one, whether it exists, which series, the change points) stays here, so the
report needs to know nothing about history beyond this one call. It returns "" when the store has
no earlier run of the reported runs' environment and scenario, or when there is no store at all:
a report never creates a store, and a broken store costs the section, never the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ops_perf.history.config import HistoryConfig, load_history_config
from ops_perf.history.record import store_url_for_run
from ops_perf.history.series import measured_by, where
from ops_perf.history.trend import Trends, trends_for_report

if TYPE_CHECKING:
    from ops_perf.runfiles.load import Run

SECTION_TITLE = "## Trends"


def _existing_store(prefix: Path) -> str | None:
    url = store_url_for_run(prefix)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        return None
    return url


def trends_markdown(runs: Sequence[Run], charts_dir: Path, targets_path: Path | None = None) -> str:
    """The Trends section for the reported runs (one part per environment x scenario), or "".

    `targets_path`: the report's `--targets` file, whose `[history]` section applies (default targets.toml)."""
    from sqlalchemy.exc import SQLAlchemyError

    from ops_perf.errors import OpsPerfError
    from ops_perf.history.store import Store, safe_url

    parts: list[str] = []
    seen: set[tuple[str | None, str | None, str | None, str]] = set()
    try:
        config: HistoryConfig | None = None
        for run in runs:
            url = _existing_store(run.path)
            if url is None:
                continue
            config = config or load_history_config(targets_path)
            env, scenario = run.env, run.meta.scenario
            measured = measured_by(run.meta.sim_profile, run.meta.sim_time_scale)
            key = (env, scenario, measured, url)
            if key in seen:
                continue
            seen.add(key)
            with Store(url, create=False) as store:
                trends = trends_for_report(store, config, env, scenario, charts_dir, measured)
            if trends is not None:
                parts.append(_render(trends, safe_url(url), charts_dir))
    except (OpsPerfError, SQLAlchemyError, OSError) as err:
        return f"{SECTION_TITLE}\n\nNot shown: the history store could not be read ({err}).\n"
    if not parts:
        return ""
    return f"{SECTION_TITLE}\n\n" + "\n".join(parts)


def _render(trends: Trends, url: str, charts_dir: Path) -> str:
    place = where(trends.env, trends.scenario, trends.measured)
    lines = [
        f"### {place}",
        "",
        f"The last {trends.runs} valid runs of {place} in the history store (`{url}`); change points by "
        "Apache Otava over each series (see docs/NIGHTLY.md, *How to read one*).",
        "",
    ]
    changes = trends.changes
    if changes:
        lines += ["| series | metric | first run after the change | started (UTC) | direction | change |",
                  "|---|---|---|---|---|---:|"]  # fmt: skip
        for c in changes:
            lines.append(
                f"| `{c.name}` | {c.metric} | `{c.prefix}` | {c.started_at[:19].replace('T', ' ')} | "
                f"{c.direction} | {c.change_pct:+.1f} % |"
            )
    else:
        lines.append("No change points in these runs.")
    lines.append("")
    for trend in trends.trends:
        if trend.chart is not None:
            rel = f"{charts_dir.name}/{trend.chart.name}"
            lines += [f"![{trend.title}]({rel})", ""]
    return "\n".join(lines)
