"""One row of a comparison as the rules see it: the baseline runs' rows and the candidate's.

Why a value of its own: each rule (latency, failure %, requests/s, new or gone) needs the same few
things of a row: the baseline's median figures, the candidate's, how many requests both sides have
(what gates a verdict), and the histograms that size the noise. Gathering them once per row keeps
the rules free of runs and files.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ops_perf.judge.figures import RowStats, RunFigures, run_figures
from ops_perf.judge.intervals import evidence_needed
from ops_perf.runfiles.load import Run
from ops_perf.settings.targets import Noise


def median(values: Iterable[float]) -> float:
    """The median of the values that are not NaN; NaN when none is."""
    clean = [v for v in values if not math.isnan(v)]
    return float(statistics.median(clean)) if clean else math.nan


@dataclass(frozen=True)
class Side:
    """A run with its figures (made once per run), as a comparison reads it."""

    run: Run
    figures: RunFigures

    @classmethod
    def of(cls, run: Run) -> Side:
        return cls(run, run_figures(run))


@dataclass(frozen=True)
class Sides:
    """One row: its stats in each baseline run that has it, and in the candidate (None: not there)."""

    name: str
    base: list[RowStats]
    base_histograms: list[dict[float, int] | None]
    cand: RowStats | None
    cand_histogram: dict[float, int] | None
    cand_without_ids: bool = False
    """The candidate's warm-up found no ids for it (run.json `warmup.endpoints_without_ids`): not sent."""

    @property
    def base_requests(self) -> float:
        """The baseline's requests: the median over the baseline runs (0 when none has the row)."""
        return median(float(row.requests) for row in self.base) if self.base else 0.0

    def baseline(self, metric: str) -> float:
        """The baseline's value of a metric: the median over the baseline runs, so one night does not set the bar."""
        return median(row.values[metric] for row in self.base)

    @property
    def samples(self) -> float:
        """The requests both sides have (the smaller): what decides whether a verdict can be given."""
        assert self.cand is not None
        return min(self.base_requests, self.cand.requests)

    def lacks_evidence(self, metric: str, settings: Noise) -> str:
        """Why a metric gets no verdict ("" when it can have one): the judge's rule on both sides, that the
        requests can bound the metric's confidence interval at all (`judge.intervals.evidence_needed`)."""
        return evidence_needed(metric, self.samples, settings.confidence)


def gather(name: str, baselines: Sequence[Side], candidate: Side) -> Sides:
    """The row `name` of every run; baseline runs without it are left out of its baseline."""
    present = [(side, row) for side in baselines if (row := side.figures.row(name)) is not None]
    return Sides(
        name=name,
        base=[row for _, row in present],
        base_histograms=[side.run.histogram(name) for side, _ in present],
        cand=candidate.figures.row(name),
        cand_histogram=candidate.run.histogram(name),
        cand_without_ids=name in _without_ids(candidate),
    )


def _without_ids(side: Side) -> set[str]:
    warmup = side.run.meta.warmup or {}
    names = warmup.get("endpoints_without_ids") if isinstance(warmup, dict) else None
    return {str(n) for n in names} if isinstance(names, list) else set()
