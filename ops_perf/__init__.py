"""ops-perf: the load-testing suite for the OPS API.

The public facade is small on purpose: the catalog, the settings loader and the exit codes are
what other tools (CI, notebooks) build on; everything else is reached through the `ops-perf` CLI
or `locust -f locustfile.py`.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]
