"""Which endpoints a diagnosis can probe, and how: the endpoint catalog seen by its probes.

Every name is a Locust name of the catalog (the 64 requests and the frontend's page-only GETs), so
a run's slow rows name exactly what `diagnose` can probe. Its kind decides the sweeps:
- `detail`: the path or query takes an id from a pool (`/api/v1/agreements/[id]`,
  `/api/v1/budget-line-items/?agreement_id=[id]`): a record sweep over the pool's ids;
- `list`: a list OPS pages with `limit`/`offset` (its path is a pool's paged list): a page-size sweep;
- `other`: a fixed URL (filters, lookups, version): the concurrency sweep only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlencode

from ops_perf.errors import OpsPerfError
from ops_perf.users.endpoints.catalog import ENDPOINTS, FISCAL_YEARS, PAGE_ONLY_ENDPOINTS, POOLS, Endpoint, ListShape

PAGE_LIMITS = (10, 25, 50)
"""The `limit` values a page-size sweep tries: the frontend's 25, and OPS's bounds' neighbours (1..50)."""
_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Target:
    """One endpoint as the probes send it."""

    name: str
    template: str
    """Path and query with `{placeholders}`; `{fiscal_year}` is filled with the latest catalog year."""
    kind: str
    pool: str | None
    id_field: str | None

    def url(self, record: object = None, limit: int | None = None) -> str:
        values: dict[str, object] = {"fiscal_year": FISCAL_YEARS[-1]}
        if self.id_field is not None:
            values[self.id_field] = record
        url = self.template.format_map(values)
        if limit is None:
            return url
        path, _, query = url.partition("?")
        params = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k not in ("limit", "offset")]
        return f"{path}?{urlencode([*params, ('limit', str(limit)), ('offset', '0')])}"


PAGED_LISTS = frozenset(p.list_path for p in POOLS.values() if p.shape is not ListShape.PLAIN)


def _target(endpoint: Endpoint) -> Target:
    template = endpoint.path + (f"?{endpoint.query}" if endpoint.query else "")
    fields = [f for f in _PLACEHOLDER.findall(template) if f != "fiscal_year"]
    id_field = fields[0] if fields and endpoint.pool is not None else None
    if id_field is not None:
        kind = "detail"
    elif endpoint.path in PAGED_LISTS and not fields:
        kind = "list"
    else:
        kind = "other"
    return Target(endpoint.locust_name, template, kind, endpoint.pool if id_field else None, id_field)


TARGETS: dict[str, Target] = {}
for _endpoint in (*ENDPOINTS, *PAGE_ONLY_ENDPOINTS):
    TARGETS.setdefault(_endpoint.locust_name, _target(_endpoint))


def resolve(names: Iterable[str]) -> list[Target]:
    """The targets of `--endpoint` names (each once, in order); one line naming an unknown one."""
    out: list[Target] = []
    for name in dict.fromkeys(names):
        target = TARGETS.get(name)
        if target is None:
            close = [n for n in TARGETS if name.rstrip("/").split("/")[-1] and name.rstrip("/").split("/")[-1] in n]
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
            raise OpsPerfError(
                f"--endpoint {name!r} is not an endpoint of the catalog{hint}; names are Locust names such as "
                "/api/v1/agreements/[id] (ops_perf/users/endpoints/catalog.py)"
            )
        out.append(target)
    return out


def every_target() -> list[Target]:
    return list(TARGETS.values())


def known(names: Sequence[str]) -> tuple[list[Target], list[str]]:
    """(the names of the catalog, the others): a run's rows may hold names the catalog lost since."""
    found = [TARGETS[n] for n in dict.fromkeys(names) if n in TARGETS]
    return found, [n for n in dict.fromkeys(names) if n not in TARGETS]
