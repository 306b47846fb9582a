"""What the server itself says during a run: per-record tallies and OPS's health samples (issue 16).

A run's percentiles say *which* endpoints are slow; these say *why* (with the judge, which decides):
- `records`: `RecordTally`, per record (id) of every `[id]` endpoint and detail page: requests,
  median and max time, mean bytes, fed by the users as they go (no extra request), merged on the
  master, written as `<prefix>_records.json`. Memory is bounded: at most `MAX_RECORDS_PER_NAME`
  (2,000) records per endpoint or page (the warm-up keeps at most a few hundred ids per pool; a
  page's fan-outs reach about 1,100 budget lines), each a few counters and at most about 330 time
  buckets (Locust's rounding of times below the request time-out); requests of further records are
  counted per name, not per record.
- `health`: `HealthSampler`, OPS's `GET /api/v1/health/` every few seconds with its own client (its
  database pool: in use against `size`, and the answer's own time), `<prefix>_server.json`. At most
  `MAX_SAMPLES` samples are kept (a 24-hour soak at 5 s is 17,280): beyond, every other one is dropped.

Nothing here knows Locust: the plugin (`ops_perf.plugin.server_watch`) runs the sampler in a
greenlet and the users feed the tally. The files' formats are `ops_perf.runfiles.records_json` and
`ops_perf.runfiles.server_json`, where the run model reads them.
"""

from __future__ import annotations
