"""The judge: the one evaluation of a run. Everything else renders it.

A run's statuses (aggregate, endpoints, pages against config/targets.toml), failure classes, gateway
ceiling, success criteria, findings with their severity, validity and the gate's verdict and exit
code are decided here, once. `ops_perf.report` renders them as PERFORMANCE_REPORT.md, `ops-perf check`
(and the check at the end of `ops-perf run`) as lines and an exit code, JUnit as test cases; none of
them judges anything of its own, so they cannot disagree.

Modules, each one job:
- `rows`: the rows judged (API-only aggregate, endpoints, pages) from the loaded CSVs;
- `failures`: Locust's error strings classified, counted per class and per endpoint;
- `ceiling`: the gateway ceiling (the response time at which a gateway cuts requests);
- `statuses`: each row's metrics against its tiers, requests/s only where it could be met;
- `criteria`: the 2025-10-15 success criteria;
- `validity`: whether a run can be judged at all;
- `findings`: the executive summary's findings and their severity;
- `evaluate`: `judge_run` / `judge_runs`, which put these together into a `RunJudgement`.
"""

from __future__ import annotations

from ops_perf.judge.evaluate import Breach, RunJudgement, judge_run, judge_runs
from ops_perf.judge.findings import Finding, findings

__all__ = ["Breach", "Finding", "RunJudgement", "findings", "judge_run", "judge_runs"]
