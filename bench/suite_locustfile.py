"""The suite's own locustfile plus the measuring plugin (for bench/generator.py).

The suite's hooks must be imported first so that the plugin's test_start listener runs after the
warm-up and counts the load phase only. `$BENCH_SEED` seeds `random`, from which the users draw their
moves and ids: the same page mix in every page run of a bench.
"""

# ruff: noqa: I001
import os
import random

if os.environ.get("BENCH_SEED"):
    random.seed(int(os.environ["BENCH_SEED"]))
from ops_perf.plugin import hooks  # noqa: F401
import measure  # noqa: F401
from ops_perf.users.pages.person import PersonUser
from ops_perf.plugin.shape import ScenarioShape
from ops_perf.users.endpoints.user import OPSUser

__all__ = ["OPSUser", "PersonUser", "ScenarioShape"]
