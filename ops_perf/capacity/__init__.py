"""`ops-perf capacity`: a search over open-model runs for the highest rate OPS serves within a tier, with evidence.

Modules, each one job:
- `search`: which rate to try next (a doubling ramp, then bisection; pure);
- `rules`: the rules a step is judged by (valid run, arrivals started, no 504s, failure % and p95
  within `--within` by their whole confidence intervals, a queue that does not grow, throughput that
  keeps up) and their outcomes: pass, fail, not enough evidence, not judged;
- `slope`: the latency trend within a step (the queue rule's figure);
- `throughput`: what a step answered and served per second of its window, and the Poisson bound a step
  that keeps up meets;
- `steps`: one step judged from its files (the one run model, the judgement's rows, the rules);
- `advice`: the answer in words ("the highest rate it served within <tier> with evidence: N req/s; the
  next step, M, failed because ...") and what to do (a saturated server is named as such);
- `render`: capacity.json, CAPACITY.md and the knee chart.
`ops_perf.cli.capacity` runs the steps as Locust runs and the command line.

capacity.json (schema 2) is described field by field in `ops_perf/capacity/README.md`.
"""

from __future__ import annotations
