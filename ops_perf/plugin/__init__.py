"""What runs inside the Locust process: the suite as a Locust plugin.

`locustfile.py` imports `ops_perf.plugin.hooks`, which registers listeners on Locust's documented
events, phase by phase of a run's life: options, start-up (settings, token, host probe), the warm-up,
master/worker messages, progress and the files written at the end. Also here: the shape
(`LoadTestShape`), the open model's Locust side, Ctrl-C, the web UI form, and `compat`, the one module
that reaches into Locust's internals, with the Locust versions it supports.

Named `plugin` rather than `locust` so that `ops_perf.locust` never shadows or is confused with the
`locust` package in imports and tracebacks.
"""
