"""The local OPS simulator: a real HTTP server on 127.0.0.1 that answers like the OPS API.

It lets newcomers, tests and benchmarks run the suite without OPS access: the same paths and
response shapes as OPS, its request rules (bearer token, Referer, no JSON Content-Type on GETs), its
token life cycle (test login, refresh, one session per user), a deterministic portfolio-sized
dataset, and latency/failure profiles (`healthy`, the measured `prod-2025-10-15`, `regression-demo`).

Start it with `python -m ops_perf.sim --port 0` (or `ops-perf sim`); modules, one job each:
`data` (the dataset), `views` (bodies), `frontend` (the frontend-only routes' bodies and the query
strings pages send), `routes` (the route table and Locust-name matcher), `api` (answers), `rules`,
`tokens`, `profiles`, `capacity` (`--workers`: N at once, a FIFO queue, the gateway's 504),
`causes` (planted causes of slowness: per-row cost, serialised routes, N+1, HTML 200), `pool` (the
health endpoint's database pool), `sql` (an N+1's real SQL with `--db-url`), `recorder` (the request
log), `admin` (`/__sim__/data/...`), `app` (Flask), `server` (gevent).

This package imports nothing at load time on purpose: `python -m ops_perf.sim` must be able to
monkey-patch with gevent before anything else is imported.
"""
