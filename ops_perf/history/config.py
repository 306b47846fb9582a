"""The `[history]` section of `config/targets.toml`: how change detection decides.

Significance, minimum magnitude and "how recent is a regression" are the team's judgement, not code,
so they live beside the other targets. The judge slice owns the rest of targets.toml and its loader;
this module reads only its own section, so neither has to know the other's keys.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from ops_perf.errors import OpsPerfError
from ops_perf.settings.targets import DEFAULT_TARGETS_FILE

LATENCY_METRICS = ("p50_ms", "p95_ms", "p99_ms", "avg_ms", "center_ms")
"""The metrics a series may follow: all lower-is-better latencies, so `slower` means a larger value.
`center_ms` comes from the stored histogram (ops_perf/history/stats.py), the others from the CSV cells."""


@dataclass(frozen=True)
class HistoryConfig:
    """Defaults are what `bench/detection_power.py` measured on a store's nights and on the 2025-10-15 noise
    (see docs/NIGHTLY.md)."""

    max_pvalue: float = 0.001
    """Significance: a change point is kept only when its t-test p-value is below this (Otava's max_pvalue),
    and below its series' share of `alarm_rate` divided over the series' split positions (detect.history_level)."""
    min_change_pct: float = 20.0
    """Minimum magnitude: smaller mean shifts are not listed, however significant (Otava's min_magnitude);
    the step test flags no step that is credibly (one-sided 95 %) smaller than this (history/recent.py)."""
    window: int = 30
    """Otava's sliding window (runs) for the first, E-divisive pass."""
    recent_runs: int = 10
    """`detect` exits REGRESSION when a slower change starts within the newest this-many runs."""
    min_runs_after: int = 3
    """A change is reported once this many runs show it: one or two bad nights never fail the nightly."""
    step_runs: tuple[int, ...] = (3, 5, 10)
    """The newest-runs step test's k, tried every night (history/recent.py): each k is the exact split on
    the k-th night of a change, and the night's budget is shared by the k tried, so a few well spread
    ones (the 3rd night for a large step, the 5th and the 10th for the issue's windows) beat every k.
    Those outside `min_runs_after`..`recent_runs` are not tried (given explicitly, they are refused)."""
    alarm_rate: float = 0.033
    """The night's false-alarm budget: the chance that the newest-runs step test (history/recent.py)
    flags some series of an unchanged OPS on a given night, shared out over all series (Bonferroni);
    0.033 is the issue's goal itself (one false alarm in 30 nights) as the budget; Bonferroni over
    overlapping tests is conservative, so the bench counts fewer (docs/NIGHTLY.md)."""
    min_runs: int = 6
    """A series with fewer points is not analysed (no change can be significant yet)."""
    min_requests: int = 5
    """A run contributes a point to an endpoint's or page's series only with this many requests."""
    endpoint_metrics: tuple[str, ...] = ("p50_ms",)
    page_metrics: tuple[str, ...] = ("p50_ms", "p95_ms")
    aggregate_metrics: tuple[str, ...] = ("p50_ms", "p95_ms")
    trend_runs: int = 30
    """How many of the newest runs the trend charts show."""

    def metrics_for(self, kind: str) -> tuple[str, ...]:
        return {"endpoint": self.endpoint_metrics, "page": self.page_metrics, "aggregate": self.aggregate_metrics}[kind]


def load_history_config(path: Path | None = None) -> HistoryConfig:
    """Read `[history]` (every key optional); a wrong key or value is one line naming it."""
    path = path or DEFAULT_TARGETS_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsPerfError(f"{path}: not found; pass --targets FILE or restore config/targets.toml") from None
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise OpsPerfError(f"{path}: cannot read it ({err}); fix the TOML") from None
    section = data.get("history", {})
    if not isinstance(section, Mapping):
        raise OpsPerfError(f"{path}: [history] must be a table")
    return _parse(section, path)


def _parse(section: Mapping[str, Any], path: Path) -> HistoryConfig:
    known = {f.name: f for f in fields(HistoryConfig)}
    values: dict[str, Any] = {}
    for key, value in section.items():
        if key not in known:
            raise OpsPerfError(f"{path}: [history] has unknown key {key!r}; known: {', '.join(known)}")
        default = getattr(HistoryConfig, key)
        where = f"{path}: [history] {key}"
        if key == "step_runs":
            if not isinstance(value, list) or not value or not all(isinstance(v, int) and v >= 1 for v in value):
                raise OpsPerfError(f"{where} must be a list of whole numbers of runs, e.g. [3, 5, 10]")
            values[key] = tuple(sorted(set(value)))
        elif isinstance(default, tuple):
            if not isinstance(value, list) or not all(v in LATENCY_METRICS for v in value):
                raise OpsPerfError(f"{where} must be a list of {', '.join(LATENCY_METRICS)}")
            values[key] = tuple(value)
        elif isinstance(default, int) and not isinstance(default, bool):
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise OpsPerfError(f"{where} must be a whole number of at least 1, not {value!r}")
            values[key] = value
        else:
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                raise OpsPerfError(f"{where} must be a non-negative number, not {value!r}")
            values[key] = float(value)
    config = HistoryConfig(**values)
    if not 0 < config.max_pvalue < 1:
        raise OpsPerfError(f"{path}: [history] max_pvalue must be between 0 and 1, not {config.max_pvalue}")
    if not 0 < config.alarm_rate < 1:
        raise OpsPerfError(f"{path}: [history] alarm_rate must be between 0 and 1, not {config.alarm_rate}")
    if config.window < 2:
        raise OpsPerfError(f"{path}: [history] window must be at least 2")
    if "step_runs" in section and not all(config.min_runs_after <= k <= config.recent_runs for k in config.step_runs):
        raise OpsPerfError(
            f"{path}: [history] step_runs {list(config.step_runs)} must lie within min_runs_after "
            f"({config.min_runs_after}) and recent_runs ({config.recent_runs})"
        )
    return config
