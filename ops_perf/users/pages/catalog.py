"""The page catalog: the OPS frontend's page views and its navigation, loaded from `pages.toml`.

Why data: which page sends what is a fact about the frontend (frontend-journeys.md), not about the
load generator, and it changes when the frontend does. The file is read and checked once at import,
like the endpoint catalog, so that a typo (an unknown endpoint, a fan-out reading a call that comes
later, a JMESPath expression that does not parse, a page nobody can reach) stops the suite at start
rather than showing up as odd figures an hour into a run. The page user (`person.py`) plays it.

Besides what each page sends, the file says what the frontend does with the answers
(frontend-failure-modes.md): per call, what a person sees when it fails (`on_failure`), and whether
its hook reuses a cached answer (`refetch`); and, once for the site, how the frontend caches and
retries (`[cache]`). A load test that counts every failed call as a failed page, or refetches what
the browser would reuse, judges a site its users do not see.
"""

from __future__ import annotations

import json
import re
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

import jmespath

from ops_perf.users.endpoints.catalog import POOLS, by_name, fingerprint_of
from ops_perf.users.pages.fields import Expression

PAGES_FILE = Path(__file__).resolve().parent / "pages.toml"
API = "/api/v1/"
_PATHS: dict[str, str] = {}
"""Call url -> its request path (`Call.path`)."""
PLACEHOLDER = re.compile(r"\{(id|uid|oidc|item|items|n|FY(?:-\d)?)\}")
"""The placeholders a call's url may hold (and `{FY}`.. inside a field expression); the page user fills them."""
_FY = re.compile(r"\{FY(?:-(\d))?\}")

FailureEffect = Literal["blocks", "degrades", "ignored"]
FAILURE_EFFECTS: tuple[FailureEffect, ...] = ("blocks", "degrades", "ignored")
"""What a person sees when a call fails (an error status, no answer): `blocks` the page (an error
page, "Loading..." for good, an inline error instead of the content, an empty shell), `degrades` it
(it renders, a part is missing, empty, "TBD" or $0), or nothing visible on load (`ignored`: the data
is unused, used only after a click, or the error is the normal answer)."""
Refetch = Literal["cache", "mount", "lazy", "axios"]
REFETCH_RULES: tuple[Refetch, ...] = ("cache", "mount", "lazy", "axios")
"""How the frontend fetches a call, which decides whether a later view reuses an earlier answer:
`cache` (an RTK query: a success is reused while used and `[cache] keep_unused_s` after), `mount`
(refetchOnMountOrArgChange: sent on every mount), `lazy` (a lazy trigger: sent every time, deduped
only while in flight), `axios` (a plain axios call: never cached nor deduped, no token refresh)."""


class PageCatalogError(ValueError):
    """The page catalog is inconsistent; the message names the page and the call."""


@dataclass(frozen=True, slots=True)
class FanOut:
    """One call per value of `field` in the responses of `sources` (JMESPath, per response body)."""

    sources: tuple[str, ...]
    field: str
    distinct: bool = False
    null_as: str | None = None
    """Nulls are sent as this value (the frontend's defect), only with the defects switch on."""


@dataclass(frozen=True, slots=True)
class Paging:
    """The further pages of a list: offsets `limit`, `2*limit`, .. below `total` of `source`."""

    source: str
    total: str
    limit: int


@dataclass(frozen=True, slots=True)
class Batch:
    size: int
    param: str


@dataclass(frozen=True, slots=True)
class Condition:
    """The call is made only when `field` of `source`'s response is non-empty."""

    source: str
    field: str


@dataclass(frozen=True, slots=True)
class Call:
    key: str
    wave: int
    url: str
    endpoint: str
    kept: bool = False
    """The layout's call: a tab switch in the family keeps its answer. It may wait for a call of the
    page that is not kept (For Review's tab bar mounts only after the hidden agreements list)."""
    each: FanOut | None = None
    pages: Paging | None = None
    batch: Batch | None = None
    when: Condition | None = None
    needs: tuple[str, ...] = ()
    """Every call this one waits for (explicit `needs`, its sources, or the whole wave before)."""
    on: str = "always"
    defect: str = ""
    on_failure: FailureEffect = "blocks"
    """What a person sees on this page when the call fails. Required in the file for every call; the
    default serves only calls built in code, which then keep the strict rule (a failure fails the view)."""
    degraded: str = ""
    """With `degrades`: what is missing, in a few words, for the report ("badge count missing")."""
    refetch: Refetch = "cache"
    """Whether a later view reuses this call's answer (see REFETCH_RULES)."""

    @property
    def path(self) -> str:
        """The request path template: relative urls sit under /api/v1/. The same string object each time
        (`_PATHS`), so the view's lookups by it (`view._parts`) find its hash already computed."""
        found = _PATHS.get(self.url)
        if found is None:
            found = _PATHS[self.url] = self.url if self.url.startswith("/") else API + self.url
        return found

    @property
    def sources(self) -> tuple[str, ...]:
        found = [*(self.each.sources if self.each else ())]
        found += [self.pages.source] if self.pages else []
        found += [self.when.source] if self.when else []
        return tuple(dict.fromkeys(found))


@dataclass(frozen=True, slots=True)
class Page:
    route: str
    family: str
    calls: tuple[Call, ...]
    id_pool: str | None = None
    shell_wave: int = 1

    @property
    def waves(self) -> int:
        return max((c.wave for c in self.calls), default=0)


@dataclass(frozen=True, slots=True)
class Navigation:
    land: Mapping[str, int]
    top: Mapping[str, int]
    deep_links: Mapping[str, int]
    links: Mapping[str, Mapping[str, int]]
    link_share: float
    deep_link_share: float
    views_per_visit: tuple[int, int] = (3, 12)
    """Open model: page views in one person's visit (uniform MIN..MAX); one arrival is one visit."""


@dataclass(frozen=True, slots=True)
class CachePolicy:
    """How the OPS frontend caches and retries its GETs (frontend-failure-modes.md, summary): the
    person reuses what the browser would reuse and sends again what it would send again."""

    keep_unused_s: float
    """A successful answer is reused for this long after the last page using it went away (RTK's
    keepUnusedDataFor, never set in OPS: its default), unless the call's `refetch` says otherwise."""
    errors_cached: bool
    """Whether a failed answer is reused (it is not: the next view that needs it asks again)."""
    retries: int
    """Retries of a failed GET (none: a failure stays until the person reloads or navigates)."""
    refresh_on_401: bool
    """A 401 on an RTK query: one token refresh, then the same request once more (a failed refresh
    logs the person out). Not for `refetch = "axios"` calls nor `no_refresh_endpoints`."""
    no_refresh_endpoints: tuple[str, ...]
    """RTK endpoints of another API slice whose 401 is an ordinary error (`/auth/roles/`)."""
    client_timeout_s: float
    """The frontend's own timeout for a GET; 0 = none (a call waits until the server or a proxy answers)."""


@dataclass(frozen=True, slots=True)
class Catalog:
    pages: Mapping[str, Page]
    notifications: Call
    hard_load: Call
    user_field: str
    navigation: Navigation
    cache: CachePolicy

    def endpoints(self, defects: bool = False) -> set[str]:
        """Every endpoint (Locust name) a page view or the shell sends; defects' names only when asked."""
        names = {self.notifications.endpoint, self.hard_load.endpoint}
        for page in self.pages.values():
            names |= {c.endpoint for c in page.calls if defects or not c.defect}
        return names

    def fingerprint(self) -> str:
        """Two pages runs with the same fingerprint played the same page catalog."""
        payload = json.dumps({route: asdict(page) for route, page in self.pages.items()}, sort_keys=True, default=str)
        payload += json.dumps(asdict(self.navigation), sort_keys=True)
        payload += json.dumps(asdict(self.cache), sort_keys=True)
        return fingerprint_of(payload)


def federal_fiscal_year(day: date | None = None) -> int:
    """October to September, as the frontend's `getCurrentFiscalYear` (month >= October: next year)."""
    day = day or date.today()
    return day.year + 1 if day.month >= 10 else day.year


def fill_fiscal_years(text: str, fiscal_year: int) -> str:
    """`{FY}` / `{FY-1}` .. replaced (not str.format: JMESPath uses braces of its own)."""
    return _FY.sub(lambda m: str(fiscal_year - int(m.group(1) or 0)), text)


_COMPILED: dict[str, Expression] = {}


def compiled(expression: str) -> Expression:
    """JMESPath expressions compile once per process (a page view evaluates many); plain paths are
    evaluated without the interpreter (`ops_perf.users.pages.fields`)."""
    found = _COMPILED.get(expression)
    if found is None:
        found = _COMPILED[expression] = Expression(expression)
    return found


# --- loading ---------------------------------------------------------------------------------------


def load(path: Path = PAGES_FILE) -> Catalog:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise PageCatalogError(f"{path}: {err}") from None
    endpoints = set(by_name())
    shell = _table(raw.get("shell"), "[shell]")
    notifications = _call(_table(shell.get("notifications"), "[shell] notifications"), "shell", 0, endpoints)
    hard = _table(shell.get("hard_load"), "[shell] hard_load")
    user_field = str(hard.pop("user_field", ""))
    hard_load = _call(hard, "shell", 0, endpoints)
    _compile(user_field, "[shell] hard_load user_field")
    pages: dict[str, Page] = {}
    for index, entry in enumerate(raw.get("page", [])):
        page = _page(_table(entry, f"page {index + 1}"), endpoints)
        if page.route in pages:
            raise PageCatalogError(f"page {page.route}: defined twice")
        pages[page.route] = page
    _check_kept(pages)
    navigation = _navigation(_table(raw.get("navigation"), "[navigation]"), pages)
    cache = _cache(_table(raw.get("cache"), "[cache]"), endpoints)
    return Catalog(pages, notifications, hard_load, user_field, navigation, cache)


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PageCatalogError(f"{where}: expected a table")
    return dict(value)


def _page(entry: dict[str, Any], endpoints: set[str]) -> Page:
    route = entry.get("route")
    if not isinstance(route, str) or not route.startswith("/"):
        raise PageCatalogError(f"page {route!r}: route must be a path like /agreements/:id")
    id_pool = entry.get("id_pool")
    if (":id" in route) != (id_pool is not None) or (id_pool is not None and id_pool not in POOLS):
        raise PageCatalogError(f"page {route}: a route with :id needs an id_pool of the catalog (and only then)")
    shell_wave = entry.get("shell_wave", 1)
    if shell_wave not in (1, 2):
        raise PageCatalogError(f"page {route}: shell_wave is 1 or 2")
    calls: list[Call] = []
    for index, raw in enumerate(entry.get("call", [])):
        calls.append(_call(_table(raw, f"page {route} call {index + 1}"), route, index, endpoints, calls))
    family = entry.get("family")
    if not isinstance(family, str) or not family:
        raise PageCatalogError(f"page {route}: family must be a name (pages of one family are tabs)")
    unknown = set(entry) - {"route", "family", "id_pool", "shell_wave", "call"}
    if unknown:
        raise PageCatalogError(f"page {route}: unknown key(s) {sorted(unknown)}")
    return Page(route, family, tuple(calls), id_pool, shell_wave)


_CALL_KEYS = {"key", "wave", "url", "endpoint", "kept", "each", "pages", "batch", "when", "needs", "on", "defect"}
_CALL_KEYS |= {"on_failure", "degraded", "refetch"}


def _call(raw: dict[str, Any], route: str, index: int, endpoints: set[str], earlier: list[Call] | None = None) -> Call:
    earlier = earlier or []
    key = str(raw.get("key") or f"#{index + 1}")
    where = f"page {route} call {key}"
    unknown = set(raw) - _CALL_KEYS
    if unknown:
        raise PageCatalogError(f"{where}: unknown key(s) {sorted(unknown)}")
    wave = raw.get("wave", 1)
    url, endpoint, defect = raw.get("url"), raw.get("endpoint"), str(raw.get("defect", ""))
    if not isinstance(wave, int) or wave < 1:
        raise PageCatalogError(f"{where}: wave must be 1 or more")
    if not isinstance(url, str) or not url:
        raise PageCatalogError(f"{where}: url missing")
    if not isinstance(endpoint, str) or (endpoint not in endpoints and not defect):
        raise PageCatalogError(f"{where}: endpoint {endpoint!r} is not in ops_perf/users/endpoints/catalog.py")
    placeholders = set(PLACEHOLDER.findall(url))
    stray = set(re.findall(r"\{([^}]*)\}", url)) - placeholders
    if stray:
        raise PageCatalogError(f"{where}: unknown placeholder(s) {sorted(stray)} in {url}")
    if "id" in placeholders and ":id" not in route:
        raise PageCatalogError(f"{where}: {{id}} on a page without :id")
    each = _fanout(raw.get("each"), where)
    paging = _paging(raw.get("pages"), where)
    batch = _batch(raw.get("batch"), where)
    when = _condition(raw.get("when"), where)
    if ("item" in placeholders) != bool((each and not batch) or paging):
        raise PageCatalogError(f"{where}: {{item}} belongs to a fan-out (each or pages) and a fan-out needs it")
    if bool({"items", "n"} & placeholders) != bool(batch) or (batch and not each):
        raise PageCatalogError(f"{where}: a batch needs `each` and {{items}} / {{n}} in its url")
    on = raw.get("on", "always")
    if on not in ("always", "hard_load"):
        raise PageCatalogError(f"{where}: on is 'always' or 'hard_load'")
    if each and each.null_as is not None and not defect:
        raise PageCatalogError(f"{where}: null_as sends a call that fails by design: name it with `defect`")
    effects = _effects(raw, where)
    explicit = raw.get("needs", [])
    if not isinstance(explicit, list) or not all(isinstance(n, str) for n in explicit):
        raise PageCatalogError(f"{where}: needs is a list of call keys")
    call = Call(key, wave, url, endpoint, bool(raw.get("kept", False)), each, paging, batch, when, (), on, defect)
    needs = tuple(dict.fromkeys([*explicit, *call.sources]))
    by_key = {c.key: c for c in earlier}
    if key in by_key:
        raise PageCatalogError(f"{where}: key used twice on the page")
    for need in needs:
        if need not in by_key or by_key[need].wave >= wave:
            raise PageCatalogError(f"{where}: needs {need!r}, which is not a call of an earlier wave")
    if not needs and wave > 1:
        needs = tuple(c.key for c in earlier if c.wave == wave - 1)
        if not needs:
            raise PageCatalogError(f"{where}: wave {wave} follows no call of wave {wave - 1}")
    return Call(key, wave, url, endpoint, call.kept, each, paging, batch, when, needs, on, defect, *effects)


def _effects(raw: dict[str, Any], where: str) -> tuple[FailureEffect, str, Refetch]:
    """`on_failure` (required), `degraded` (only with degrades) and `refetch` of a call."""
    on_failure = raw.get("on_failure")
    if on_failure not in FAILURE_EFFECTS:
        raise PageCatalogError(f"{where}: on_failure must be one of {' | '.join(FAILURE_EFFECTS)} (what a person sees)")
    degraded = raw.get("degraded", "")
    if not isinstance(degraded, str) or (degraded and on_failure != "degrades"):
        raise PageCatalogError(f"{where}: degraded is a short text, and only for on_failure = 'degrades'")
    refetch = raw.get("refetch", "cache")
    if refetch not in REFETCH_RULES:
        raise PageCatalogError(f"{where}: refetch must be one of {' | '.join(REFETCH_RULES)}")
    return on_failure, degraded, refetch


def _cache(raw: dict[str, Any], endpoints: set[str]) -> CachePolicy:
    """The `[cache]` table: every rule stated (no silent default: they are facts about the frontend)."""
    keys = {"keep_unused_s", "errors_cached", "retries", "refresh_on_401", "no_refresh_endpoints", "client_timeout_s"}
    if unknown := set(raw) - keys:
        raise PageCatalogError(f"[cache]: unknown key(s) {sorted(unknown)}")
    if missing := keys - set(raw):
        raise PageCatalogError(f"[cache]: missing {sorted(missing)}")
    for name in ("keep_unused_s", "client_timeout_s"):
        value = raw[name]
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PageCatalogError(f"[cache] {name} must be a number of seconds >= 0")
    for name in ("errors_cached", "refresh_on_401"):
        if not isinstance(raw[name], bool):
            raise PageCatalogError(f"[cache] {name} must be true or false")
    retries = raw["retries"]
    if isinstance(retries, bool) or not isinstance(retries, int) or retries < 0:
        raise PageCatalogError("[cache] retries must be a whole number >= 0")
    names = raw["no_refresh_endpoints"]
    if not isinstance(names, list) or any(n not in endpoints for n in names):
        raise PageCatalogError(
            "[cache] no_refresh_endpoints must list endpoints of ops_perf/users/endpoints/catalog.py"
        )
    return CachePolicy(
        float(raw["keep_unused_s"]),
        raw["errors_cached"],
        retries,
        raw["refresh_on_401"],
        tuple(names),
        float(raw["client_timeout_s"]),
    )


def _compile(expression: str, where: str) -> None:
    try:
        compiled(fill_fiscal_years(expression, 2000))
    except jmespath.exceptions.JMESPathError as err:
        raise PageCatalogError(f"{where}: field {expression!r} is not JMESPath ({err})") from None


def _fanout(raw: Any, where: str) -> FanOut | None:
    if raw is None:
        return None
    raw = _table(raw, f"{where} each")
    sources = raw.get("from")
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources or not isinstance(raw.get("field"), str):
        raise PageCatalogError(f"{where}: each needs from = [call keys] and field = a JMESPath expression")
    _compile(raw["field"], where)
    null_as = raw.get("null_as")
    return FanOut(
        tuple(sources), raw["field"], bool(raw.get("distinct", False)), None if null_as is None else str(null_as)
    )


def _paging(raw: Any, where: str) -> Paging | None:
    if raw is None:
        return None
    raw = _table(raw, f"{where} pages")
    if not isinstance(raw.get("limit"), int) or raw["limit"] < 1 or not isinstance(raw.get("total"), str):
        raise PageCatalogError(f"{where}: pages needs from, total (a field) and limit")
    _compile(raw["total"], where)
    return Paging(str(raw.get("from")), raw["total"], raw["limit"])


def _batch(raw: Any, where: str) -> Batch | None:
    if raw is None:
        return None
    raw = _table(raw, f"{where} batch")
    if not isinstance(raw.get("size"), int) or raw["size"] < 1 or not isinstance(raw.get("param"), str):
        raise PageCatalogError(f"{where}: batch needs size and param")
    return Batch(raw["size"], raw["param"])


def _condition(raw: Any, where: str) -> Condition | None:
    if raw is None:
        return None
    raw = _table(raw, f"{where} when")
    if not isinstance(raw.get("from"), str) or not isinstance(raw.get("field"), str):
        raise PageCatalogError(f"{where}: when needs from (a call key) and field")
    _compile(raw["field"], where)
    return Condition(raw["from"], raw["field"])


def _check_kept(pages: Mapping[str, Page]) -> None:
    """A kept call is skipped on a tab switch: every tab of the family must agree on what it is."""
    seen: dict[tuple[str, str], Call] = {}
    for page in pages.values():
        for call in page.calls:
            if not call.kept:
                continue
            first = seen.setdefault((page.family, call.key), call)
            if (first.url, first.each, first.pages) != (call.url, call.each, call.pages):
                raise PageCatalogError(f"page {page.route} call {call.key}: kept, but differs from its family's")


def _weights(raw: Any, where: str, pages: Mapping[str, Page]) -> dict[str, int]:
    table = _table(raw, where)
    for route, weight in table.items():
        if route not in pages:
            raise PageCatalogError(f"{where}: {route} is not a page of the catalog")
        if not isinstance(weight, int) or weight < 1:
            raise PageCatalogError(f"{where}: weight of {route} must be a whole number >= 1")
    return table


def _navigation(raw: dict[str, Any], pages: Mapping[str, Page]) -> Navigation:
    shares = {}
    for name in ("link_share", "deep_link_share"):
        value = raw.get(name)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise PageCatalogError(f"[navigation] {name} must be a number from 0 to 1")
        shares[name] = float(value)
    links = {
        route: _weights(table, f"[navigation.links.{route!r}]", pages)
        for route, table in _table(raw.get("links", {}), "[navigation.links]").items()
    }
    if unknown := set(links) - set(pages):
        raise PageCatalogError(f"[navigation.links]: {sorted(unknown)} are not pages of the catalog")
    visit = raw.get("views_per_visit", [3, 12])
    if (
        not isinstance(visit, list)
        or len(visit) != 2
        or not all(isinstance(v, int) and not isinstance(v, bool) for v in visit)
        or not 1 <= visit[0] <= visit[1]
    ):
        raise PageCatalogError("[navigation] views_per_visit must be [MIN, MAX] whole numbers with 1 <= MIN <= MAX")
    nav = Navigation(
        views_per_visit=(visit[0], visit[1]),
        land=_weights(raw.get("land"), "[navigation.land]", pages),
        top=_weights(raw.get("top"), "[navigation.top]", pages),
        deep_links=_weights(raw.get("deep_links", {}), "[navigation.deep_links]", pages),
        links=links,
        **shares,
    )
    unreachable = set(pages) - reachable(nav)
    if unreachable:
        raise PageCatalogError(f"[navigation]: no way leads to {sorted(unreachable)}; add a link or a top entry")
    return nav


def reachable(nav: Navigation) -> set[str]:
    """Pages a person can get to from where they land (links, the top navigation, deep links)."""
    seen = set(nav.land) | set(nav.top) | set(nav.deep_links)
    todo = list(seen)
    while todo:
        for target in nav.links.get(todo.pop(), {}):
            if target not in seen:
                seen.add(target)
                todo.append(target)
    return seen


CATALOG = load()
"""The page catalog, loaded and checked at import."""
