"""`--baseline-last N`: the last N valid runs of the candidate's environment and scenario, found on disk.

Why choose by run.json before loading: a results root holds months of nights; only run.json and file
names are read to choose, and only the chosen runs are loaded (`load_run`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.judge.validity import invalid_reasons
from ops_perf.runfiles.load import Run, RunInputs, load_run, runs_under, split_prefix
from ops_perf.settings.targets import normalise_env


def _read_record(path: Path) -> dict[str, Any]:
    """run.json leniently ({} when unreadable), to choose among runs before loading them."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def run_order_key(run: RunInputs, record: Mapping[str, Any]) -> tuple[str, float]:
    """Oldest first: run.json `started_at` where present, else the stats file's modification time."""
    started = record.get("started_at")
    return (started if isinstance(started, str) else "", run.stats.stat().st_mtime)


def find_previous_runs(candidate: Run, root: Path, count: int) -> tuple[list[Run], list[str]]:
    """The last `count` valid runs under `root` of the candidate's environment and scenario.

    Returns the runs (oldest first) and one note per run left out, so the comparison can say why a
    night is missing from the baseline. Only run.json and file names are read to choose; only the
    chosen runs are loaded.
    """
    if count < 1:
        raise OpsPerfError(f"--baseline-last {count}: must be at least 1")
    if not root.is_dir():
        raise OpsPerfError(f"--results-root {root}: not a folder; point it at the results of earlier runs")
    pool, skipped = _earlier_runs(candidate, root)
    chosen: list[Run] = []
    for inputs in reversed(pool):  # newest first, until `count` valid ones
        if len(chosen) == count:
            break
        run = load_run(inputs)
        if reasons := invalid_reasons(run):
            skipped.append(f"{run.label} left out: {'; '.join(reasons)}")
            continue
        chosen.append(run)
    chosen.reverse()
    if not chosen:
        raise OpsPerfError(
            f"no earlier valid {candidate.env}-{candidate.meta.scenario} runs under {root}; "
            "run the baseline first, or pass BASELINE explicitly"
        )
    return chosen, skipped


def _earlier_runs(candidate: Run, root: Path) -> tuple[list[RunInputs], list[str]]:
    """The runs under `root` of the candidate's env and scenario that started before it, oldest first,
    by their run.json alone; and a note for each left out by its status."""
    cand_key = (candidate.inputs.directory.resolve(), candidate.prefix)
    pool: list[tuple[tuple[str, float], RunInputs]] = []
    skipped: list[str] = []
    for inputs in runs_under(root):
        if (inputs.directory.resolve(), inputs.prefix) == cand_key:
            continue
        record = _read_record(inputs.run_json) if inputs.run_json is not None else {}
        if not _same_series(inputs, record, candidate):
            continue
        if (why := _left_out(record)) is not None:
            skipped.append(f"{inputs.directory.name}/{inputs.prefix} left out: {why}")
            continue
        pool.append((run_order_key(inputs, record), inputs))
    pool.sort(key=lambda item: item[0])
    return [inputs for _, inputs in pool], skipped


def _same_series(inputs: RunInputs, record: Mapping[str, Any], candidate: Run) -> bool:
    """Same environment and scenario as the candidate, and started before it (a newer run is no baseline)."""
    p_env, p_scenario = split_prefix(inputs.prefix)
    r_env = normalise_env(record.get("env") if isinstance(record.get("env"), str) else p_env)
    r_scenario = record.get("scenario") if isinstance(record.get("scenario"), str) else p_scenario
    if r_env != candidate.env or r_scenario != candidate.meta.scenario:
        return False
    cand_started, started = candidate.record.get("started_at"), record.get("started_at")
    return not (isinstance(cand_started, str) and isinstance(started, str) and started >= cand_started)


def _left_out(record: Mapping[str, Any]) -> str | None:
    """Why run.json alone rules a run out of a baseline (None: it may be one, if its files say it is valid)."""
    status = record.get("status")
    if status not in (None, "completed"):
        return f"status {status}"
    if record.get("cpu_warning") is True:
        return "load generator saturated"
    return None
