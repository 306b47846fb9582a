"""`PersonUser`: a person using the OPS frontend, page view by page view (the page catalog).

A person lands on a page, reads (the scenario's think time, 5-30 s by default), moves on by the
navigation table (a link of the page, the top navigation, now and then a deep link), and keeps a
notifications poll going every `POLL_PERIOD_S` while on the site. Within a page view it behaves like
the browser running the frontend: at most `MAX_IN_FLIGHT` requests at once (one host, HTTP/1.1),
identical URLs in flight at once sent once (RTK Query's de-duplication), each call as soon as the
calls it needs have answered, fan-outs built from the fields the catalog names. A tab switch inside
a detail page keeps the layout's calls (not re-fetched), a deep link makes the hard-load calls first.

Every API call is recorded under its endpoint's Locust name; each page view is also one `PAGE`
entry (the route), timed from navigation to the last response, failed when any call failed.
"""

from __future__ import annotations

import logging
import random
import re
import time
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import gevent
import gevent.event
import gevent.lock
import gevent.pool
import orjson
from locust import FastHttpUser, between, task

from ops_perf import arrivals
from ops_perf.auth.tokens import parse_token
from ops_perf.page_stats import TALLY
from ops_perf.pages import CATALOG, Call, Page, compiled, federal_fiscal_year, fill_fiscal_years
from ops_perf.user import after_response, auth_headers, start_user
from ops_perf.warmup import CACHE

logger = logging.getLogger(__name__)

POLL_PERIOD_S = 60.0
"""The frontend's notification poll (`useNotifications`: pollingInterval 60 s)."""
MAX_IN_FLIGHT = 6
"""A browser's connections per host over HTTP/1.1."""
DEFECT_SUFFIX = " (frontend defect)"
"""Locust name suffix of a call the frontend sends by its own defect (only with the switch on)."""
PICK_ATTEMPTS = 5
"""Moves tried before a person settles for the top navigation (a detail page whose pool is empty)."""
_PLACEHOLDER = re.compile(r"\{(id|uid|oidc|item|items|n|FY(?:-\d)?)\}")
SHELL = "#notifications"
HARD_LOAD = "#user"


class PageViewFailed(Exception):
    """A page view in which at least one call failed; the message names the calls."""


@dataclass(frozen=True, slots=True)
class _Planned:
    call: Call
    needs: tuple[str, ...]


def _plans(page: Page) -> tuple[_Planned, ...]:
    """The page's calls with the shell's notifications call and what each waits for."""
    first_wave = tuple(c.key for c in page.calls if c.wave == 1)
    shell_needs = first_wave if page.shell_wave == 2 else ()
    shell = Call(SHELL, page.shell_wave, CATALOG.notifications.url, CATALOG.notifications.endpoint, kept=True)
    planned = [_Planned(shell, shell_needs)]
    planned += [_Planned(c, c.needs) for c in page.calls]
    return tuple(planned)


PLANS: Mapping[str, tuple[_Planned, ...]] = {route: _plans(page) for route, page in CATALOG.pages.items()}
TOUR: tuple[str, ...] = tuple(CATALOG.pages)
"""The order of `--page-tour`: every page once, tabs of a family one after the other."""


def weighted(table: Mapping[str, int]) -> str:
    return random.choices(list(table), weights=list(table.values()))[0]


_UNPARSED = object()
PARSE_CACHE_ENTRIES = 64
"""Distinct response bodies whose parsed form is kept per process (LRU)."""
PARSE_CACHE_MIN_BYTES = 2048
PARSE_CACHE_MAX_BYTES = 1_000_000
"""Only mid-sized bodies are kept: small ones parse in microseconds, huge ones would hold memory."""
_PARSED: OrderedDict[bytes, Any] = OrderedDict()


def parse(content: bytes) -> Any:
    """The JSON of a body; an identical body seen lately (the all-CANs list on every agreement page,
    the filter lists, ...) is parsed once per process. The parsed objects are only read, never changed."""
    if not PARSE_CACHE_MIN_BYTES <= len(content) <= PARSE_CACHE_MAX_BYTES:
        return orjson.loads(content)
    found = _PARSED.get(content, _UNPARSED)
    if found is _UNPARSED:
        found = _PARSED[content] = orjson.loads(content)
        if len(_PARSED) > PARSE_CACHE_ENTRIES:
            _PARSED.popitem(last=False)
    else:
        _PARSED.move_to_end(content)
    return found


class _Result:
    """One request's outcome, shared by every call that asked for the same URL while it was in flight."""

    __slots__ = ("body", "content", "end", "failed", "length", "ms", "name")
    # The body is parsed on first use only: most responses are never read by a later call.

    def __init__(self, name: str, content: bytes | None, ms: float, end: float, failed: bool) -> None:
        self.name, self.content, self.ms, self.end, self.failed = name, content, ms, end, failed
        self.length = len(content) if content else 0
        self.body: Any = _UNPARSED

    def json(self) -> Any:
        if self.body is _UNPARSED:
            try:
                # orjson: bodies such as agreements/{id} run to megabytes; parsing is the page user's
                # main cost beyond the requests themselves (bench/generator.py), 2-3x less than json.
                self.body = parse(self.content) if self.content and not self.failed else None
            except orjson.JSONDecodeError:
                self.body = None
        return self.body


class _View:
    """One page view in progress: the responses so far, and the accounting of its requests."""

    def __init__(self, person: PersonUser, page: Page, page_id: Any, values: dict[str, str]) -> None:
        self.person, self.page, self.page_id, self.values = person, page, page_id, values
        self.responses: dict[str, list[_Result]] = {}
        self.done: dict[str, gevent.event.Event] = {}
        self.sent: list[_Result] = []
        self.failures: list[str] = []

    def fill(self, url: str, extra: Mapping[str, str] | None = None) -> str:
        values = {**self.values, **(extra or {})}
        url = fill_fiscal_years(url, int(self.values["FY"]))
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), url)

    def bodies(self, key: str) -> list[Any]:
        return [r.json() for r in self.responses.get(key, ())]

    def field_values(self, sources: Sequence[str], field: str) -> list[Any]:
        expression = compiled(fill_fiscal_years(field, int(self.values["FY"])))
        found: list[Any] = []
        for source in sources:
            for body in self.bodies(source):
                if body is None:
                    continue
                value = expression.search(body)
                found.extend(value if isinstance(value, list) else [value])
        return found

    def requests_of(self, call: Call) -> list[tuple[str, str, bool]]:
        """(url, Locust name, is a defect) for each request this call makes now."""
        if call.when is not None and not any(self.field_values([call.when.source], call.when.field)):
            return []
        defects = self.person.frontend_defects
        if call.defect and not (call.each and call.each.null_as is not None):
            return [(self.fill(call.path), self.fill(call.path) + DEFECT_SUFFIX, True)] if defects else []
        if call.pages is not None:
            totals = self.field_values([call.pages.source], call.pages.total)
            total = totals[0] if totals and isinstance(totals[0], int) else 0
            offsets = range(call.pages.limit, total, call.pages.limit)
            return [(self.fill(call.path, {"item": str(o)}), call.endpoint, False) for o in offsets]
        if call.each is None:
            return [(self.fill(call.path), call.endpoint, False)]
        values = self.field_values(call.each.sources, call.each.field)
        if call.each.null_as is not None and defects:
            values = [call.each.null_as if v is None else v for v in values]
        values = [v for v in values if isinstance(v, int | str) and not isinstance(v, bool)]
        if call.each.distinct:
            values = list(dict.fromkeys(values))
        if call.batch is not None:
            size, param = call.batch.size, call.batch.param
            chunks = [values[i : i + size] for i in range(0, len(values), size)]
            return [
                (
                    self.fill(call.path, {"items": "&".join(f"{param}={v}" for v in c), "n": str(len(c))}),
                    call.endpoint,
                    False,
                )
                for c in chunks
            ]
        out = []
        for value in values:
            url = self.fill(call.path, {"item": str(value)})
            is_defect = call.each.null_as is not None and str(value) == call.each.null_as
            out.append((url, url + DEFECT_SUFFIX if is_defect else call.endpoint, is_defect))
        return out


def visit_seconds(think_time_s: tuple[float, float], page_s: float = 1.0) -> float:
    """Expected length of a visit: mean views x (mean reading + about a second per page)."""
    low, high = CATALOG.navigation.views_per_visit
    return (low + high) / 2 * ((think_time_s[0] + think_time_s[1]) / 2 + page_s)


class PersonUser(FastHttpUser):
    """A person reading OPS page by page: the page catalog's waves, fan-outs, tabs and navigation."""

    wait_time = between(5, 30)  # replaced from the scenario's think time at test start
    network_timeout = 60.0
    connection_timeout = 10.0
    insecure = False
    concurrency = MAX_IN_FLIGHT
    """geventhttpclient's connections per user: the browser's per-host limit."""
    frontend_defects = False
    """Set by the hooks from the scenario / `--frontend-defects`."""
    page_tour = False
    """Set by the hooks (`--page-tour`): every page of the catalog once first, then by navigation."""
    poll_period_s = POLL_PERIOD_S
    think_time_s: tuple[float, float] = (5.0, 30.0)
    """Set by the hooks from the scenario; in the open model it paces the views inside a visit."""
    expected_iteration_s = 7.5 * (17.5 + 1.0)
    """Open model: how long a visit takes before any was measured (the pool's first size); the hooks
    set it from the scenario's think time (`visit_seconds`)."""

    def on_start(self) -> None:
        self.index = start_user(self.environment)
        self._slots = gevent.lock.BoundedSemaphore(MAX_IN_FLIGHT)
        self._in_flight: dict[str, gevent.event.AsyncResult] = {}
        self._oidc: dict[str, str] = {}
        self.uid: Any = None
        self.route: str | None = None
        self.page_id: Any = None
        self._kept: dict[str, list[_Result]] = {}
        self._tour = list(TOUR) if self.page_tour else []
        # Closed model: the person stays on the site, polling; open model: only during a visit.
        self._poller = None if arrivals.POOL.active else gevent.spawn(self._poll)
        arrivals.wait_for_first_arrival(self)  # open model: one arrival is one visit (`run_one_arrival`)

    def on_stop(self) -> None:
        self._stop_polling()
        arrivals.POOL.leave(self)

    # --- moving about ---------------------------------------------------------------------------

    @task
    def browse(self) -> None:
        for _ in range(PICK_ATTEMPTS):
            route, hard = self.next_move()
            page = CATALOG.pages[route]
            same_family = self.route is not None and CATALOG.pages[self.route].family == page.family
            tab = same_family and not hard
            page_id = self.page_id if tab else (CACHE.pick(page.id_pool) if page.id_pool else None)
            if page.id_pool is None or page_id is not None:
                self.view(page, page_id, hard=hard, tab=tab)
                return
        self.route = None  # nothing to open: land afresh next time

    def run_one_arrival(self) -> None:
        """Open model: one arrival is one person's visit: lands afresh (a hard load, nothing kept),
        views `views_per_visit` pages reading between them (the scenario's think time), polls
        notifications while there, and leaves. The first view is timed from the arrival's intended
        start (`arrivals.late_ms` in `view`)."""
        self.route, self.page_id, self._kept = None, None, {}
        low, high = CATALOG.navigation.views_per_visit
        poller = gevent.spawn(self._poll)
        try:
            for number in range(random.randint(low, high)):
                if number:
                    gevent.sleep(self.think_time())
                self.browse()
        finally:
            poller.kill(block=False)

    def think_time(self) -> float:
        """Seconds a person reads a page; the closed model's wait time (set by the hooks)."""
        low, high = self.think_time_s
        return random.uniform(low, high)

    def next_move(self) -> tuple[str, bool]:
        """(route, hard load?): the first view of a visit is a hard load (login lands on a page)."""
        nav = CATALOG.navigation
        if self._tour:
            return self._tour.pop(0), self.route is None
        if self.route is None:
            return weighted(nav.land), True
        if nav.deep_links and random.random() < nav.deep_link_share:
            return weighted(nav.deep_links), True
        links = nav.links.get(self.route)
        if links and random.random() < nav.link_share:
            return weighted(links), False
        return weighted(nav.top), False

    # --- one page view ----------------------------------------------------------------------------

    def view(self, page: Page, page_id: Any, *, hard: bool, tab: bool) -> None:
        auth = auth_headers(self.index)
        if auth is None:
            return
        token, headers = auth
        # Open model, started late: the page is timed from its intended start (coordinated omission).
        started = time.perf_counter() - arrivals.late_ms(self) / 1000
        values = {"FY": str(federal_fiscal_year()), "oidc": self.oidc(token)}
        view = _View(self, page, page_id, values)
        if not tab:
            self._kept = {}
        if hard or self.uid is None:
            hard_load = CATALOG.hard_load
            self._run(
                view, hard_load, HARD_LOAD, [(view.fill(hard_load.path), hard_load.endpoint, False)], token, headers
            )
            users = [v for v in view.field_values([HARD_LOAD], CATALOG.user_field) if v is not None]
            self.uid = users[0] if users else self.uid
        for name, value in (("uid", self.uid), ("id", page_id)):
            if value is not None:
                values[name] = str(value)
        greenlets = []
        for planned in PLANS[page.route]:
            call = planned.call
            view.done[call.key] = gevent.event.Event()
            if call.on == "hard_load" and not hard:
                view.done[call.key].set()
            elif tab and call.kept and call.key in self._kept:
                view.responses[call.key] = self._kept[call.key]
                view.done[call.key].set()
            else:
                greenlets.append(gevent.spawn(self._call, view, planned, token, headers))
        gevent.joinall(greenlets)
        self._kept = {
            p.call.key: view.responses[p.call.key]
            for p in PLANS[page.route]
            if p.call.kept and p.call.key in view.responses
        }
        self.route, self.page_id = page.route, page_id
        self._record(view, started)

    def _call(self, view: _View, planned: _Planned, token: str, headers: Mapping[str, str]) -> None:
        try:
            for need in planned.needs:
                view.done[need].wait()
            requests = view.requests_of(planned.call)
            self._run(view, planned.call, planned.call.key, requests, token, headers)
        finally:
            view.done[planned.call.key].set()

    def _run(
        self,
        view: _View,
        call: Call,
        key: str,
        requests: list[tuple[str, str, bool]],
        token: str,
        headers: Mapping[str, str],
    ) -> None:
        """Send a call's requests side by side (within the person's slots); keep the results by key."""
        if len(requests) == 1:  # the common case: no greenlet of its own
            url, name, defect = requests[0]
            try:
                outcomes = [self.fetch(url, name, defect, token, headers)]
            except Exception:
                outcomes = [(None, False)]
        else:
            jobs = [gevent.spawn(self.fetch, url, name, defect, token, headers) for url, name, defect in requests]
            gevent.joinall(jobs)
            outcomes = [job.value if job.successful() else (None, False) for job in jobs]
        results = []
        for (result, sent), (url, _name, _defect) in zip(outcomes, requests, strict=True):
            if result is None:
                view.failures.append(url)
                continue
            results.append(result)
            if sent:
                view.sent.append(result)
            if result.failed:
                view.failures.append(result.name)
        view.responses[key] = results

    def fetch(self, url: str, name: str, defect: bool, token: str, headers: Mapping[str, str]) -> tuple[_Result, bool]:
        """One GET; an identical URL already in flight is awaited instead of sent. (result, sent by us?)"""
        pending = self._in_flight.get(url)
        if pending is not None:
            return pending.get(), False
        pending = self._in_flight[url] = gevent.event.AsyncResult()
        try:
            with self._slots:
                result = self._get(url, name, defect, token, headers)
            pending.set(result)
        except BaseException as err:
            pending.set_exception(err)
            raise
        finally:
            if self._in_flight.get(url) is pending:
                del self._in_flight[url]
        return result, True

    def _get(self, url: str, name: str, defect: bool, token: str, headers: Mapping[str, str]) -> _Result:
        start = time.perf_counter()
        if defect:
            # Fails by the frontend's design: its 404 is expected and not an OPS failure; a 5xx or a
            # dropped connection still is.
            with self.client.get(url, name=name, headers=headers, catch_response=True) as response:
                failed = response.status_code == 0 or response.status_code >= 500
                if failed:
                    response.failure(f"HTTP {response.status_code}")
                else:
                    response.success()
        else:
            response = self.client.get(url, name=name, headers=headers)
            failed = response.status_code == 0 or response.status_code >= 400 or bool(getattr(response, "error", None))
        end = time.perf_counter()
        after_response(token, response.status_code)
        return _Result(name, response.content, (end - start) * 1000, end, failed)

    def _record(self, view: _View, started: float) -> None:
        last = max((r.end for r in view.sent), default=started)
        slowest = max(view.sent, key=lambda r: r.ms, default=None)
        exception = None
        if view.failures:
            exception = PageViewFailed(f"{len(view.failures)} call(s) failed: {', '.join(sorted(set(view.failures)))}")
        self.environment.events.request.fire(
            request_type="PAGE",
            name=view.page.route,
            response_time=(last - started) * 1000,
            response_length=sum(r.length for r in view.sent),
            exception=exception,
            context={},
        )
        TALLY.record(view.page.route, len(view.sent), slowest.name if slowest else None, view.failures)

    # --- identity and the notifications poll ------------------------------------------------------

    def oidc(self, token: str) -> str:
        """The logged-in user's OIDC id: the token's `sub` (as the frontend reads it)."""
        found = self._oidc.get(token)
        if found is None:
            self._oidc = {token: parse_token(token).subject}
            found = self._oidc[token]
        return found

    def _stop_polling(self) -> None:
        poller = getattr(self, "_poller", None)
        if poller is not None:
            poller.kill(block=False)
            self._poller = None

    def _poll(self) -> None:
        """`notifications/?oidc_id=` every poll period while the person is on the site."""
        while True:
            gevent.sleep(self.poll_period_s)
            auth = auth_headers(self.index)
            if auth is None:
                continue
            token, headers = auth
            url = CATALOG.notifications.path.replace("{oidc}", self.oidc(token))
            try:
                self.fetch(url, CATALOG.notifications.endpoint, False, token, headers)
            except Exception:  # recorded by Locust already; the poll goes on, like the frontend's
                logger.debug("notification poll failed", exc_info=True)
