"""Percentiles within 1 %: the suite's response-time buckets, installed in every Locust process at import.

At import because the locustfile is imported in every process before any request is logged: the
local runner, each `--worker`, and the `--processes` parent before it forks (its workers inherit the
function). A master only merges the workers' buckets, so what counts there is what the workers had:
each worker says its precision in its hello (`messages`), and run.json records the coarsest
(`run_record`). On a Locust without the replaceable function (before 2.43.4) nothing is installed and
the run records Locust's default.

Also at import, in every process: each row of Locust's stats CSVs takes its percentiles from one sort
of the entry's histogram (`compat.install_one_sort_percentiles`), since the finer buckets made Locust's
11 sorts per row (and per `--csv-full-history` row 11 diffs) a cost of its own.
"""

from __future__ import annotations

from ops_perf import locust_compat as compat

INSTALLED = compat.install_buckets(compat.bucket_response_time)
"""Whether this process buckets at the suite's precision (`compat.precision()` says which one it is)."""
compat.install_one_sort_percentiles()
