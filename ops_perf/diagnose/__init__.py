"""`ops-perf diagnose`: isolated probes of chosen endpoints that tell why each is slow (issue 16).

A run says which endpoints are slow under a load shaped like real use; these probes, sent with
nothing else of ours running, measure what that load cannot separate:
- a concurrency sweep (1, 2, 4, 8 in flight): does throughput grow with concurrency, or does the
  server serialise the endpoint (workers, threads, the GIL, a lock, the pool)?
- a page-size sweep of a list (`limit` 10, 25, 50): milliseconds per row;
- a record sweep of an `[id]` endpoint (each id of its pool once, bounded, its slowest asked again):
  time against bytes and embedded rows, and the record that dominates;
- with a database URL: `pg_stat_statements` around each sequential request (deltas, no reset, so a
  read-only role does): statements per request, per row, distinct, the database's share of the time.

Modules: `catalog` (endpoint names -> what to send and how), `plan` (the budget: every request
counted and planned before the first is sent), `client` (the HTTP side: budget, in-flight limit,
stopping after 3 consecutive 5xx or time-outs), `database` (`pg_stat_statements`, the URL never
stored or printed), `probes` (the sweeps), `render` (diagnose.json, DIAGNOSIS.md, the charts).
The judge (`ops_perf.judge.causes`) decides what the figures mean; this package only measures and
renders. The command line is `ops_perf.cli.diagnose`; the contracts are in docs/DIAGNOSE.md.
"""

from __future__ import annotations
