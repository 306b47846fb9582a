"""Whether runs can be compared at all: the differences in *load* that refuse a comparison, and the
differences that do not (a grown catalog, another host or simulator profile), which are only noted.

Why only the load refuses: a nightly must survive the suite gaining endpoints (endpoints only in one
run are *new* or *gone*, `catalog`), and each `ops-perf demo` picks a free simulator port; runs are
compared by environment. Unknown values (no run.json, nothing to infer from) are not differences.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Sequence

from ops_perf.runfiles.load import Run
from ops_perf.runfiles.precision import describe as describe_precision

DURATION_TOLERANCE = (0.10, 5.0)
"""Durations within 10 % or 5 s are the same duration (a shape's last tick, a slow shutdown)."""


def differences(baselines: Sequence[Run], candidate: Run) -> list[str]:
    """How the *load* of the baseline runs differed from the candidate's, one phrase per property.

    Only what changes the load refuses a comparison: users, stages (or the duration, for runs whose
    stages were not recorded), think time, environment, scenario, user model, arrival model and tag
    filters. What does not change the load is compared or noted instead: a grown or shrunk catalog
    (endpoints only in one run are *new* or *gone*, the rest are compared) and the host (the
    simulator picks a free port per run; runs are compared by environment).

    Unknown values (no run.json, nothing to infer from) are not differences: we cannot tell, and
    refusing would make the 2025-10-15 CSVs uncomparable with anything.
    """
    out: list[str] = []

    def prop(
        name: str,
        get: Callable[[Run], object],
        same: Callable[[object, object], bool] = operator.eq,
        show: Callable[[object], str] = str,
        runs: Sequence[Run] = baselines,
    ) -> None:
        want = get(candidate)
        if want is None:
            return
        odd = [(r, v) for r in runs if (v := get(r)) is not None and not same(v, want)]
        if odd:
            theirs = ", ".join(f"{show(v)} ({r.label})" for r, v in odd)
            out.append(f"{name}: candidate {show(want)} vs baseline {theirs}")

    prop("users", lambda r: r.meta.users)
    prop("stages", _stages, show=_show_stages)
    # The duration alone only where a side has no recorded stages (older runs, inferred from the history).
    unstaged = baselines if _stages(candidate) is None else [r for r in baselines if _stages(r) is None]
    prop("duration", lambda r: r.meta.duration_s, _same_duration, lambda v: f"{v:g} s", unstaged)  # type: ignore[str-format]
    prop("environment", lambda r: r.env)
    prop("scenario", lambda r: r.meta.scenario)
    prop("think time", lambda r: r.meta.think_time_s, show=lambda v: "{:g}-{:g} s".format(*v))  # type: ignore[misc]
    prop("user model", lambda r: _recorded(r, "user", "endpoints"))
    prop("endpoint mix", _mix)
    prop("arrival model", lambda r: _recorded(r, "model", "closed"))
    prop("tag filter", _tag_filter)
    return out


def _mix(run: Run) -> object:
    """The endpoint user's mix (`weighted` where run.json predates it); None for a pages run."""
    return _recorded(run, "mix", "weighted") if _recorded(run, "user", "endpoints") == "endpoints" else None


def noted_differences(baselines: Sequence[Run], candidate: Run) -> list[str]:
    """What differs between the runs without changing their load: said, never refused."""
    notes: list[str] = []
    fp = candidate.record.get("catalog_fingerprint")
    changed = [  # a mix change alters the fingerprint too; it is a load difference, named above
        r
        for r in baselines
        if isinstance(fp, str) and r.record.get("catalog_fingerprint") not in (None, fp) and _mix(r) == _mix(candidate)
    ]
    if changed:
        counts = ", ".join(f"{r.label}: {_count(r)}" for r in changed if _count(r) is not None)
        notes.append(
            f"the endpoint catalog changed between the runs (candidate {_count(candidate) or '?'} endpoints"
            + (f"; {counts}" if counts else "")
            + "): endpoints only in one run are listed as new or gone, the others are compared; "
            "the Aggregated row includes them"
        )
    host = candidate.meta.host
    other = sorted({h for r in baselines if (h := r.meta.host) and host and h.rstrip("/") != host.rstrip("/")})
    if other:
        notes.append(
            f"host: candidate {host} vs baseline {', '.join(other)} (not a difference in load: compared by environment)"
        )
    profile = candidate.meta.sim_profile
    others = sorted({p for r in baselines if (p := r.meta.sim_profile) and profile and p != profile})
    if others:
        notes.append(
            f"simulator profile: candidate {profile} vs baseline {', '.join(others)} (the target differs, not the load)"
        )
    notes.extend(_precision_note(baselines, candidate))
    return notes


def _precision_note(baselines: Sequence[Run], candidate: Run) -> list[str]:
    """Runs whose percentiles differ in precision (runfiles/precision): a few % of a change can be rounding."""
    mine = candidate.meta.percentile_precision
    others = sorted({p for r in baselines if (p := r.meta.percentile_precision) != mine})
    if not others:
        return []
    return [
        f"percentile precision: candidate {describe_precision(mine)} vs baseline "
        f"{', '.join(describe_precision(p) for p in others)}: latency changes of a few % can be Locust's rounding"
    ]


def _count(run: Run) -> int | None:
    value = run.record.get("endpoints")
    return value if isinstance(value, int) else None


def _recorded(run: Run, key: str, default: str) -> str | None:
    """A run.json key; runs from before the key existed have the default, runs without run.json are unknown."""
    value = run.record.get(key)
    if isinstance(value, str) and value:
        return value
    return default if run.record else None


def _stages(run: Run) -> tuple[tuple[tuple[str, object], ...], ...] | None:
    stages = run.record.get("stages")
    if not isinstance(stages, list) or not stages or not all(isinstance(s, dict) for s in stages):
        return None
    return tuple(tuple(sorted((str(k), _plain(v)) for k, v in s.items())) for s in stages)


def _plain(value: object) -> object:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


def _show_stages(value: object) -> str:
    """`60 s at 3 users (1/s) + 120 s at 10 users (2/s)`; other stage keys (e.g. arrival_rate) as k=v."""
    parts = []
    for stage in value:  # type: ignore[attr-defined]
        items = dict(stage)
        text = f"{items.pop('duration_s', 0):g} s at {items.pop('users', 0):g} users"
        if (rate := items.pop("spawn_rate", None)) is not None:
            text += f" ({rate:g}/s)"
        text += "".join(f", {k} {v:g}" if isinstance(v, float) else f", {k} {v}" for k, v in items.items())
        parts.append(text)
    return " + ".join(parts)


def _tag_filter(run: Run) -> str | None:
    if "tags" not in run.record and "exclude_tags" not in run.record:
        return None
    tags = ",".join(sorted(run.record.get("tags") or [])) or "all"
    excluded = ",".join(sorted(run.record.get("exclude_tags") or []))
    return f"tags {tags}" + (f" minus {excluded}" if excluded else "")


def _same_duration(a: object, b: object) -> bool:
    fa, fb = float(a), float(b)  # type: ignore[arg-type]
    rel, floor = DURATION_TOLERANCE
    return abs(fa - fb) <= max(floor, rel * max(fa, fb))
