"""`PersonUser`: a person using the OPS frontend, page view by page view (the page catalog).

A person lands on a page, reads (the scenario's think time, 5-30 s by default), moves on by the
navigation table (a link of the page, the top navigation, now and then a deep link), and keeps a
notifications poll going every `POLL_PERIOD_S` while on the site. Within a page view it behaves like
the browser running the frontend: at most `MAX_IN_FLIGHT` requests at once (one host, HTTP/1.1),
identical URLs in flight at once sent once (RTK Query's de-duplication), each call as soon as the
calls it needs have answered, fan-outs built from the fields the catalog names. A tab switch inside
a detail page keeps the layout's calls (not re-fetched), a deep link makes the hard-load calls first.

Every API call is recorded under its endpoint's Locust name; each page view is also one `PAGE`
entry (the route), timed from navigation to the last response, failed when a call that blocks the
page failed (`on_failure`; a degraded view is counted apart). Like the frontend (RTK Query), a
successful answer is reused for a minute after a page last used it, unless the call's hook refetches
(`refetch`); errors are never kept; a reload empties the cache (`Browser.cached`).
Which requests a view makes (URLs, names, fan-outs from earlier responses) is `view.py`'s job;
this module moves between pages and sends them.
"""

from __future__ import annotations

import gc
import logging
import random
import time
from bisect import bisect
from collections.abc import Mapping
from functools import lru_cache, partial
from itertools import accumulate
from typing import Any

import gevent
from gevent import GreenletExit
from locust import FastHttpUser, task
from locust.env import Environment as LocustEnvironment
from locust.exception import CatchResponseError

from ops_perf.auth.tokens import parse_token
from ops_perf.locust_compat import get_unreported
from ops_perf.server.records import record_id
from ops_perf.users import arrivals
from ops_perf.users.answers import record_unfinished
from ops_perf.users.endpoints.user import (
    after_response,
    auth_headers,
    judge,
    start_user,
    take_timeouts,
    think,
)
from ops_perf.users.pages.browser import MAX_IN_FLIGHT, Browser
from ops_perf.users.pages.catalog import CATALOG, Page, federal_fiscal_year
from ops_perf.users.pages.view import HARD_LOAD, HARD_LOAD_PLAN, PLANS, TOUR, PageViewFailed, Result, View
from ops_perf.users.state import run_state

logger = logging.getLogger(__name__)

POLL_PERIOD_S = 60.0
"""The frontend's notification poll (`useNotifications`: pollingInterval 60 s)."""
PICK_ATTEMPTS = 5
"""Moves tried before a person settles for the top navigation (a detail page whose pool is empty)."""
GC_YOUNG_THRESHOLD = 50_000
"""Allocations between young-generation collections in a process that runs page users (Python's
default: 700). A parsed body is thousands of dicts and lists that live until the view ends and are
then freed by reference counting; at 700 the collector ran several times per large body and moved
every such tree to the older generations, which it then walked again: about 5% of the page user's
CPU (bench/generator.py). At 50,000 most of them are gone before it runs. Cycles still get collected."""


_CUMULATIVE: dict[int, tuple[Mapping[str, int], list[str], list[int]]] = {}


def weighted(table: Mapping[str, int]) -> str:
    """A key of `table` drawn by weight, as `random.choices(keys, weights)[0]` draws it (the same draw
    for the same random state). The navigation's tables are the catalog's, fixed at import: their
    keys and running totals are worked out once (keyed by identity, the table kept alive with them),
    not at each move."""
    found = _CUMULATIVE.get(id(table))
    if found is None or found[0] is not table:
        found = _CUMULATIVE[id(table)] = (table, list(table), list(accumulate(table.values())))
    keys, totals = found[1], found[2]
    return keys[bisect(totals, random.random() * totals[-1], 0, len(keys) - 1)]


@lru_cache(maxsize=1)
def fiscal_year_text(minute: int) -> str:
    """The federal fiscal year as the frontend puts it in URLs, worked out once a minute (`minute`: the
    epoch minute) instead of at each view: `date.today()` reads the clock and the time zone."""
    return str(federal_fiscal_year())


def visit_seconds(think_time_s: tuple[float, float], page_s: float = 1.0) -> float:
    """Expected length of a visit: mean views x (mean reading + about a second per page)."""
    low, high = CATALOG.navigation.views_per_visit
    return (low + high) / 2 * ((think_time_s[0] + think_time_s[1]) / 2 + page_s)


class PersonUser(FastHttpUser):
    """A person reading OPS page by page: the page catalog's waves, fan-outs, tabs and navigation."""

    insecure = False
    concurrency = MAX_IN_FLIGHT
    """geventhttpclient's connections per user: the browser's per-host limit."""
    expected_iteration_s = 7.5 * (17.5 + 1.0)
    """Open model: how long a visit takes before any was measured (the pool's first size); the
    plugin gives the pool the scenario's own (`visit_seconds`)."""

    def __init__(self, environment: LocustEnvironment) -> None:
        take_timeouts(self, environment)  # the client is made here
        super().__init__(environment)

    def on_start(self) -> None:
        self.run_state, self.index = start_user(self.environment)
        settings = self.run_state.users
        self.frontend_defects = settings.frontend_defects
        self.poll_period_s = settings.poll_period_s
        if gc.get_threshold()[0] < GC_YOUNG_THRESHOLD:
            gc.set_threshold(GC_YOUNG_THRESHOLD, *gc.get_threshold()[1:])
        self.browser = Browser()
        self._oidc: dict[str, str] = {}
        self.uid: Any = None
        self.route: str | None = None
        self.page_id: Any = None
        self._kept: dict[str, list[Result]] = {}
        self._tour = list(TOUR) if settings.page_tour else []
        # Closed model: the person stays on the site, polling; open model: only during a visit.
        pool = self.run_state.arrivals
        self._poller = None if pool.active else gevent.spawn(self._poll)
        arrivals.wait_for_first_arrival(self, pool)  # open model: one arrival is one visit (`run_one_arrival`)

    def on_stop(self) -> None:
        self._stop_polling()
        browser = getattr(self, "browser", None)  # (absent when on_start stopped early)
        if browser is not None:
            browser.close()
        run_state(self.environment).arrivals.leave(self)

    def wait_time(self) -> float:
        """Reading a page (the scenario's think time); in the open model, the wait for the next visit."""
        if self.run_state.arrivals.active:
            return arrivals.open_wait(self, self.run_state.arrivals)
        return self.think_time()

    # --- moving about ---------------------------------------------------------------------------

    @task
    def act(self) -> None:
        """The person's one task: a page view (closed model), or one whole visit (open model)."""
        if self.run_state.arrivals.active:
            self.run_one_arrival()
        else:
            self.browse()

    def browse(self) -> None:
        for _ in range(PICK_ATTEMPTS):
            route, hard = self.next_move()
            page = CATALOG.pages[route]
            same_family = self.route is not None and CATALOG.pages[self.route].family == page.family
            tab = same_family and not hard
            page_id = self.page_id if tab else (self.run_state.ids.pick(page.id_pool) if page.id_pool else None)
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
        """Seconds a person reads a page: the scenario's think time."""
        return think(self.run_state)

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
        auth = auth_headers(self.run_state, self.index)
        if auth is None:
            return
        token, headers = auth
        # Open model, started late: the page is timed from its intended start (coordinated omission).
        started = time.perf_counter() - arrivals.late_ms(self, self.run_state.arrivals) / 1000
        values = {"FY": fiscal_year_text(int(time.time() // 60)), "oidc": self.oidc(token)}
        view = View(self, page, page_id, values)
        send = partial(self._get, token=token, headers=headers)
        if not tab:
            self._kept = {}
        if hard or self.uid is None:
            self.browser.forget()  # a reload starts the frontend afresh: its cache is empty
            self.browser.run_view(view, HARD_LOAD_PLAN, {}, send)
            users = [v for v in view.field_values([HARD_LOAD], CATALOG.user_field) if v is not None]
            self.uid = users[0] if users else self.uid
        for name, value in (("uid", self.uid), ("id", page_id)):
            if value is not None:
                values[name] = str(value)
        plans = PLANS[page.route]
        preset: dict[str, list[Result] | None] = {}
        for planned in plans:
            call = planned.call
            if call.on == "hard_load" and not hard:
                preset[call.key] = None
            elif tab and call.kept and call.key in self._kept and not any(r.failed for r in self._kept[call.key]):
                preset[call.key] = self._kept[call.key]  # errors are never kept: the frontend asks again
        self.browser.run_view(view, plans, preset, send)
        self._kept = {
            p.call.key: view.responses[p.call.key] for p in plans if p.call.kept and p.call.key in view.responses
        }
        self.route, self.page_id = page.route, page_id
        self._record(view, started)

    def fetch(self, url: str, name: str, defect: bool, token: str, headers: Mapping[str, str]) -> tuple[Result, bool]:
        """One GET; an identical URL already pending is awaited instead of sent. (result, sent by us?)"""
        return self.browser.fetch(url, name, defect, partial(self._get, token=token, headers=headers))

    def _get(self, url: str, name: str, defect: bool, token: str, headers: Mapping[str, str]) -> Result:
        """One request as the frontend's fetch makes it, judged and reported here (`get_unreported`: no
        `catch_response` block, the hot path of the page user)."""
        start = time.perf_counter()
        started_at = time.time()
        designed = False
        try:
            response, sent_to, content, error = get_unreported(self.client, url, headers)
        except GreenletExit:  # the load stopped while this request was open (users/answers.py)
            record_unfinished(self.environment, "GET", name, start)
            raise
        end = time.perf_counter()
        status = response.status_code
        if content is None:  # no whole answer (a dropped connection): Locust's error says why
            failed = True
        elif defect:
            # Fails by the frontend's design: its 404 is expected and not an OPS failure; a 5xx still is.
            failed = status >= 500
            error = CatchResponseError(f"HTTP {status}") if failed else None
        else:
            designed, why = judge(self.run_state, name, status, response.headers, content)
            if designed:  # OPS's answer by design: a success to Locust, a part the view renders without
                error, failed = None, False
            else:
                error = CatchResponseError(why) if why else error
                failed = error is not None or status >= 400
        ms = (end - start) * 1000
        length = len(content) if content else 0
        self.environment.events.request.fire(
            request_type="GET",
            name=name,
            response_time=ms,
            response_length=length,
            exception=error,
            context=self.context(),
            response=response,
            start_time=started_at,
            url=sent_to,
        )
        after_response(self.run_state, token, status)
        if "[id]" in name:  # an [id] endpoint: counted per record (`<prefix>_records.json`)
            found = record_id(url, name)
            if found is not None:
                self.run_state.records.add(name, found, ms, length, failed)
        return Result(name, content, ms, end, failed, designed, url)

    def _record(self, view: View, started: float) -> None:
        """One PAGE entry: failed only when a call that blocks the page failed (what a person sees);
        a view whose degrading calls failed renders without their parts and is counted as degraded."""
        last = max((r.end for r in view.sent), default=started)
        slowest = max(view.sent, key=lambda r: r.ms, default=None)
        exception = None
        if view.failures:
            exception = PageViewFailed(f"{len(view.failures)} call(s) failed: {', '.join(sorted(set(view.failures)))}")
        page_ms, page_bytes = (last - started) * 1000, sum(r.length for r in view.sent)
        self.environment.events.request.fire(
            request_type="PAGE",
            name=view.page.route,
            response_time=page_ms,
            response_length=page_bytes,
            exception=exception,
            context={},
        )
        if view.page_id is not None:  # a detail page: counted per record too
            self.run_state.records.add(view.page.route, view.page_id, page_ms, page_bytes, bool(view.failures), "page")
        self.run_state.pages.record(
            view.page.route, len(view.sent), slowest.name if slowest else None, view.failures, view.degraded
        )

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
            auth = auth_headers(self.run_state, self.index)
            if auth is None:
                continue
            token, headers = auth
            url = CATALOG.notifications.path.replace("{oidc}", self.oidc(token))
            try:
                self.fetch(url, CATALOG.notifications.endpoint, False, token, headers)
            except Exception:  # recorded by Locust already; the poll goes on, like the frontend's
                logger.debug("notification poll failed", exc_info=True)
