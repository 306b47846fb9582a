"""Render dataset rows as OPS response bodies (a realistic subset of `ops-openapi.yml`'s schemas).

Why a package apart: `data.py` holds relations, `routes.py` holds which route serves what; this
package alone knows what an OPS body looks like, so a schema change in OPS touches one place.
List items are slimmer than detail bodies, as in OPS (e.g. `BudgetLineItemListItem` drops team
members; `CANList` vs `CAN`). Every renderer is pure: the app renders once and serves the
pre-serialised bytes, so none of this runs per request.

One module per OPS resource family, each a class adding its renderers to the ones it embeds
(dependencies point down the list): `base` (the reverse relations), `shared` (users, divisions,
shops, a CAN's basics, services components), `budget_lines`, `cans`, `portfolios`, `projects`,
`agreements`, `procurement`, `notifications`, `static` (filters, lookups, health, version).
`Views` is all of them over one dataset: what `api.py` and `frontend.py` render with.
"""

from __future__ import annotations

from ops_perf.sim.views.agreements import AgreementViews
from ops_perf.sim.views.base import Body
from ops_perf.sim.views.notifications import NotificationViews
from ops_perf.sim.views.portfolios import PortfolioViews
from ops_perf.sim.views.procurement import ProcurementViews
from ops_perf.sim.views.static import SIM_VERSION, StaticViews

__all__ = ["SIM_VERSION", "Body", "Views"]


class Views(PortfolioViews, AgreementViews, ProcurementViews, NotificationViews, StaticViews):
    """Every body renderer over one dataset, with the reverse relations they need precomputed."""
