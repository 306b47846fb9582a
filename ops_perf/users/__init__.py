"""Who is simulated: the endpoint user and its catalog, the page user (a person) and the page catalog.

- `endpoints`: the 64 weighted requests of the OPS API (`catalog`) and `OPSUser`, which sends them;
- `pages`: the frontend's page views as data (`catalog`, `pages.toml`), `PersonUser` (a person), its
  browser (at most 6 in flight), one page view's requests, the response fields fan-outs read, and the
  per-page counts;
- `warmup` / `warmup_file`: the id pools both users draw from, harvested once per run;
- `arrivals`: the open model without Locust (arrival times, the queue users take them from);
- `state`: what a Locust process knows of its run (`RunState`), kept on `environment.ops_perf`.

Users read their run through `self.environment.ops_perf`; the plugin fills it. The catalogs import
nothing of Locust, so the report and the judge can read them.
"""
