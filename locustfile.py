"""The OPS load test, for `locust -f locustfile.py` (and `ops-perf run`, which calls Locust with it).

    locust -f locustfile.py --headless --ops-env stg --scenario baseline

Importing the hooks registers ops-perf's event listeners (arguments, warm-up, tokens, run.json);
the user classes and the shape are what Locust looks for in a locustfile; the hooks keep the one the
scenario names (`user = "pages"`: PersonUser, else OPSUser). See README.md.
"""

from ops_perf.plugin import hooks  # noqa: F401  (registers the event listeners)
from ops_perf.plugin.shape import ScenarioShape
from ops_perf.users.endpoints.user import OPSUser
from ops_perf.users.pages.person import PersonUser

__all__ = ["OPSUser", "PersonUser", "ScenarioShape"]
