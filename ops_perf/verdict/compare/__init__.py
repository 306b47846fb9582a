"""`ops-perf compare BASELINE... CANDIDATE`: what changed between runs, and whether it is more than noise.

Why the verdict has three gates and not one:
- *floors* (`[noise]` in targets.toml: relative %, absolute ms, failure percentage points) keep
  changes too small to matter from failing a build, however certain they are;
- *a minimum number of requests* per endpoint: below it a percentile is a handful of samples and no
  verdict is given at all ("not enough data"), rather than a coin toss presented as a finding;
- *a bootstrap confidence interval* on the change, where Locust's histograms are available, so that
  a change that clears the floors but is within what resampling the runs produces is not flagged.
A baseline may be several runs (their median per metric), so one noisy night does not set the bar.

Runs whose load differed (users, stages, think time, environment, scenario, user model) are not
compared silently: refused with one line naming the differences, or with `--allow-mismatch` compared
with the differences at the top of COMPARISON.md. What does not change the load does not refuse: a
catalog that grew or shrank (endpoints only in one run are *new* or *gone*, the rest are compared; a
nightly must survive the suite gaining endpoints) and the host (each `ops-perf demo` picks a free
simulator port; runs are compared by environment) are noted instead.

Modules: the rules, one per metric family (`comparability`: whether the load allows a comparison;
`catalog`: new and gone rows; `latency`; `failures`; `throughput`: requests/s), put together row
by row in `rows` (`compare_runs`) over `sides` (a row's baseline and candidate figures); what they
decide (`delta`: a metric's change and how it is written; `model`: rows and the comparison); the
rendering (`markdown`: COMPARISON.md; `cases`: JUnit); `baseline` (`--baseline-last N`) and `cli`.
"""

from __future__ import annotations

from ops_perf.verdict.compare.cases import junit_cases
from ops_perf.verdict.compare.cli import build_parser, default_output, main, summary_lines
from ops_perf.verdict.compare.comparability import differences, noted_differences
from ops_perf.verdict.compare.delta import Change, MetricDelta, describe_delta
from ops_perf.verdict.compare.markdown import render_markdown
from ops_perf.verdict.compare.model import Comparison, RowComparison
from ops_perf.verdict.compare.rows import compare_runs

__all__ = [
    "Change",
    "Comparison",
    "MetricDelta",
    "RowComparison",
    "build_parser",
    "compare_runs",
    "default_output",
    "describe_delta",
    "differences",
    "junit_cases",
    "main",
    "noted_differences",
    "render_markdown",
    "summary_lines",
]
