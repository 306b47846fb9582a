"""Causes of slowness the simulator can plant on chosen routes, so a diagnosis can be proven to find them.

Why: the suite's `diagnose` and its run-time samplers claim to tell *why* an endpoint is slow (issue
16): time that grows per embedded row, one record that dominates, a route that serialises, an ORM
N+1. Against OPS those are guesses until proven; against the simulator each is planted, on a route
named in data, with a formula, so a test can demand the diagnosis finds exactly what was planted.

Profile keys (top level; a file that `extends` another replaces each key whole), and the command
line's equivalents merged over them (`server.py`):

    "per_row_ms": {"/api/v1/budget-line-items/": 2.0}   --per-row NAME=MS     time per row answered
    "serialised": {"/api/v1/cans/[id]": 1}              --serialise NAME=N    at most N in service
    "n_plus_one": ["/api/v1/agreements/[id]"]           --n-plus-one NAME     real SQL per row (--db-url)
    "html_200":   ["/api/v1/agreements/"]               --html-200 NAME       a proxy's login page, 200
    "health":     {"pool_status": false}                --health-without-pool-status

A name is a Locust name of the simulator (`routes.all_names`): a route's bare name covers all its
query variants (`/api/v1/budget-line-items/` also `?limit=10&offset=0`), a variant's name only it.

Rows (`RowCounter`): for a list route the items in the answered page (so `limit` changes them), for
an `[id]` route the record's embedded rows of `EMBEDDED` (an agreement's budget lines); a route with
neither (a static body, a summary) has none and refuses per-row and N+1 plants.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from statistics import median
from typing import Any

from ops_perf.sim.dataset import Dataset
from ops_perf.sim.routes import ROUTES_BY_NAME, Route, Shape, all_names


class CauseError(ValueError):
    """A planted cause that cannot be played; the message names the key and the problem."""


@dataclass(frozen=True)
class Embedded:
    """The rows an `[id]` route's record embeds: rows of `child` whose `field` is the record's id."""

    parent: str  # the record's table
    child: str
    field: str


#: The `[id]` routes whose bodies embed rows of another table, as OPS's detail schemas do.
EMBEDDED: dict[str, Embedded] = {
    "/api/v1/agreements/[id]": Embedded("agreements", "budget_line_items", "agreement_id"),
    "/api/v1/cans/[id]": Embedded("cans", "budget_line_items", "can_id"),
    "/api/v1/portfolios/[id]": Embedded("portfolios", "cans", "portfolio_id"),
    "/api/v1/projects/[id]": Embedded("projects", "agreements", "project_id"),
    "/api/v1/procurement-trackers/[id]": Embedded(
        "procurement_trackers", "procurement_tracker_steps", "procurement_tracker_id"
    ),
}
LIST_SHAPES = frozenset({Shape.WRAPPED, Shape.PLAIN, Shape.PLAIN_PAGED, Shape.BLI, Shape.CHILDREN})

#: What a proxy in front of OPS answers when its session is gone: a login page, status 200.
LOGIN_PAGE = (
    b'<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Sign in</title></head>\n'
    b'<body>\n<h1>Sign in to continue</h1>\n<form method="post" action="/oauth2/start">\n'
    b'<button type="submit">Sign in</button>\n</form>\n</body>\n</html>\n'
)
LOGIN_PAGE_TYPE = "text/html; charset=utf-8"


def route_of(name: str) -> Route:
    """The route of a Locust name (`/api/v1/cans/?portfolio_id=[id]` -> `/api/v1/cans/`)."""
    return ROUTES_BY_NAME[name.split("?", 1)[0]]


def has_rows(route: Route) -> bool:
    """Whether a request to `route` answers rows a per-row cost or an N+1 can be priced by."""
    return route.shape in LIST_SHAPES or route.name in EMBEDDED


@dataclass(frozen=True)
class Causes:
    """The planted causes of one simulator (profile keys, then command-line flags over them)."""

    per_row_ms: Mapping[str, float] = field(default_factory=dict)
    serialised: Mapping[str, int] = field(default_factory=dict)
    n_plus_one: tuple[str, ...] = ()
    html_200: tuple[str, ...] = ()
    health_pool_status: bool = True

    @staticmethod
    def _key(keys: Mapping[str, Any] | tuple[str, ...], name: str) -> str | None:
        """The planted key matching a request's Locust name: the name itself, else its route's name."""
        if not keys:
            return None
        if name in keys:
            return name
        base = name.split("?", 1)[0]
        return base if base in keys else None

    def row_ms(self, name: str) -> float:
        key = self._key(self.per_row_ms, name)
        return float(self.per_row_ms[key]) if key is not None else 0.0

    def gate(self, name: str) -> str | None:
        """The serialised key a request of `name` queues behind, or None."""
        return self._key(self.serialised, name)

    def plants_n_plus_one(self, name: str) -> bool:
        return self._key(self.n_plus_one, name) is not None

    def answers_html(self, name: str) -> bool:
        return self._key(self.html_200, name) is not None

    def merged(self, over: Causes) -> Causes:
        """These causes with `over`'s added (its values win for the same name)."""
        return replace(
            self,
            per_row_ms={**self.per_row_ms, **over.per_row_ms},
            serialised={**self.serialised, **over.serialised},
            n_plus_one=tuple(dict.fromkeys((*self.n_plus_one, *over.n_plus_one))),
            html_200=tuple(dict.fromkeys((*self.html_200, *over.html_200))),
            health_pool_status=self.health_pool_status and over.health_pool_status,
        )

    def describe(self) -> dict[str, Any]:
        return {
            "per_row_ms": dict(self.per_row_ms),
            "serialised": dict(self.serialised),
            "n_plus_one": list(self.n_plus_one),
            "html_200": list(self.html_200),
            "health_pool_status": self.health_pool_status,
        }


def _names(where: str, value: Any) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CauseError(f'{where} must be a list of endpoint names, e.g. ["/api/v1/agreements/[id]"]')
    return list(value)


def _mapping(where: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise CauseError(f'{where} must map endpoint names to numbers, e.g. {{"/api/v1/cans/[id]": 1}}')
    return dict(value)


def _check_names(where: str, names: Iterable[str], need_rows: bool) -> None:
    known = set(all_names())
    for name in names:
        if name not in known:
            raise CauseError(f"{where}: unknown endpoint name {name!r} (use Locust names, e.g. /api/v1/cans/[id])")
        if need_rows and not has_rows(route_of(name)):
            with_rows = ", ".join(sorted(EMBEDDED))
            raise CauseError(
                f"{where}: {name} answers no rows to price (a list, or an [id] route with embedded rows: {with_rows})"
            )


def build(
    per_row_ms: Mapping[str, Any] | None = None,
    serialised: Mapping[str, Any] | None = None,
    n_plus_one: Iterable[str] = (),
    html_200: Iterable[str] = (),
    health_pool_status: bool = True,
    where: str = "causes",
    labels: Mapping[str, str] | None = None,
) -> Causes:
    """Validated causes (unknown names, negative costs, slots below 1 refused with the reason).

    Messages start with `where` and the key (`labels` renames keys, e.g. to command-line flags).
    """
    label = {key: f"{where} {key}".strip() for key in ("per_row_ms", "serialised", "n_plus_one", "html_200")}
    label |= {key: f"{where} {text}".strip() for key, text in (labels or {}).items()}
    rows: dict[str, float] = {}
    for name, value in (per_row_ms or {}).items():
        try:
            rows[name] = float(value)
        except (TypeError, ValueError):
            raise CauseError(f"{label['per_row_ms']} {name}: {value!r} is not a number of milliseconds") from None
        if rows[name] < 0:
            raise CauseError(f"{label['per_row_ms']} {name}: milliseconds must be >= 0, got {value}")
    slots: dict[str, int] = {}
    for name, value in (serialised or {}).items():
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise CauseError(f"{label['serialised']} {name}: needs a whole number of requests >= 1, got {value!r}")
        slots[name] = value
    n1, html = list(n_plus_one), list(html_200)
    _check_names(label["per_row_ms"], rows, need_rows=True)
    _check_names(label["serialised"], slots, need_rows=False)
    _check_names(label["n_plus_one"], n1, need_rows=True)
    _check_names(label["html_200"], html, need_rows=False)
    return Causes(rows, slots, tuple(dict.fromkeys(n1)), tuple(dict.fromkeys(html)), bool(health_pool_status))


def from_profile(raw: Mapping[str, Any], where: str) -> Causes:
    """The causes a profile's top-level keys plant (none when it has none of the keys)."""
    health = raw.get("health", {})
    if not isinstance(health, dict) or not isinstance(health.get("pool_status", True), bool):
        raise CauseError(f'{where}: health must be an object like {{"pool_status": false}}')
    return build(
        _mapping(f"{where} per_row_ms", raw.get("per_row_ms", {})),
        _mapping(f"{where} serialised", raw.get("serialised", {})),
        _names(f"{where} n_plus_one", raw.get("n_plus_one", [])),
        _names(f"{where} html_200", raw.get("html_200", [])),
        health.get("pool_status", True),
        where=where,
    )


class RowCounter:
    """The rows of one answer, for per-row costs and N+1 statements (see the module docstring)."""

    def __init__(self, ds: Dataset) -> None:
        self.ds = ds
        self.embedded: dict[str, dict[int, int]] = {}
        for name, spec in EMBEDDED.items():
            counts = dict.fromkeys(ds.ids(spec.parent), 0)
            for row in ds.rows(spec.child):
                owner = row.get(spec.field)
                if owner in counts:
                    counts[owner] += 1
            self.embedded[name] = counts

    def count(self, route: Route, row_id: int | None, status: int, items: int | None) -> int:
        """Items of a list answer; an `[id]` record's embedded rows; 0 for anything else (errors too)."""
        if status != 200:
            return 0
        if route.shape in LIST_SHAPES:
            return items or 0
        counts = self.embedded.get(route.name)
        return counts.get(row_id, 0) if counts is not None and row_id is not None else 0

    @staticmethod
    def heaviest_of(counts: Mapping[int, int]) -> int:
        """The id with the most rows (the lowest id of a tie)."""
        return max(counts, key=lambda row_id: (counts[row_id], -row_id))

    def heaviest(self, name: str) -> dict[str, Any]:
        """The record of `name` with the most embedded rows, and the median over its records."""
        counts = self.embedded[name]
        heavy = self.heaviest_of(counts)
        return {
            "endpoint": name,
            "id": heavy,
            "rows": counts[heavy],
            "median_rows": median(counts.values()),
            "records": len(counts),
            "table": EMBEDDED[name].child,
        }
