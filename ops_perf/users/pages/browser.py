"""A person's browser: a page view's requests sent as the frontend's browser sends them.

At most `MAX_IN_FLIGHT` requests at once (one host, HTTP/1.1), identical URLs pending at once sent
once (RTK Query's de-duplication: a later asker shares the earlier one's answer), each call as
soon as the calls it needs have answered.

Why apart from `PersonUser`, and why no greenlet per call or per request: a page view is a small
graph of calls whose fan-outs run to hundreds of requests (231 budget lines on a portfolio's
spending page), and the page user must stay about as cheap per request as a bare `FastHttpUser`
(issue 9, bench/generator.py). So a view is driven by its answers: a queue of pending requests and
at most `MAX_IN_FLIGHT` sender greenlets per person that pop it (spawned as the queue first needs
them, then kept for the person's life: a spawn costs about ten times a wake-up); when the last
request of a call answers, the sender that got it plans the calls waiting for it
(`View.requests_of`) and queues their requests, and the person's greenlet just waits for the end.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence

import gevent
import gevent.event
import gevent.queue

from ops_perf.users.pages.catalog import CATALOG
from ops_perf.users.pages.view import Planned, Result, View

logger = logging.getLogger(__name__)

MAX_IN_FLIGHT = 6
"""A browser's connections per host over HTTP/1.1."""
KEEP_UNUSED_S = CATALOG.cache.keep_unused_s
"""The frontend reuses a successful answer this long after a page last used it (pages.toml `[cache]`)."""
CACHE_ENTRIES = 2048
"""A person's cache is emptied past this many URLs: a bound on memory for long runs."""


class PageViewStopped(RuntimeError):
    """A request given up because its page view stopped (the user was stopped mid-view)."""


Send = Callable[[str, str, bool], Result]
"""Sends one GET (url, Locust name, is a frontend defect) and returns its outcome."""


class _Pending:
    """A URL asked for and not answered yet: the view calls that asked, and a blocking fetch's wait."""

    __slots__ = ("defect", "listeners", "name", "send", "url", "waiter")

    def __init__(self, url: str, name: str, defect: bool, send: Send) -> None:
        self.url, self.name, self.defect, self.send = url, name, defect, send
        self.listeners: list[tuple[_CallRun, int, bool]] = []
        """(call, position of the request in it, sent by that call?)"""
        self.waiter: gevent.event.AsyncResult | None = None


class _CallRun:
    """One call of a view in progress: its requests' outcomes, in request order."""

    __slots__ = ("index", "left", "outcomes", "urls", "view_run")

    def __init__(self, view_run: _ViewRun, index: int, urls: list[str]) -> None:
        self.view_run, self.index, self.urls, self.left = view_run, index, urls, len(urls)
        self.outcomes: list[tuple[Result | None, bool]] = [(None, False)] * len(urls)


class Browser:
    """One person's requests: what is pending, the queue, and the senders (one per connection slot),
    shared by the page views and the notifications poll."""

    def __init__(self, keep_unused_s: float = KEEP_UNUSED_S) -> None:
        self.pending: dict[str, _Pending] = {}
        self.queue: gevent.queue.SimpleQueue[_Pending] = gevent.queue.SimpleQueue()
        self.senders: list[gevent.Greenlet] = []
        self.idle = 0
        """Senders waiting for a request to send."""
        self.keep_unused_s = keep_unused_s
        self.answers: dict[str, tuple[Result, float]] = {}
        """The frontend's cache: each URL's last successful answer and when a view last used it."""

    def cached(self, url: str) -> Result | None:
        """A successful answer to `url` used within `keep_unused_s` (RTK Query's keepUnusedDataFor), else None.
        Errors are never kept; a reuse counts as a use."""
        found = self.answers.get(url)
        now = time.monotonic()
        if found is None or now - found[1] > self.keep_unused_s:
            return None
        self.answers[url] = (found[0], now)
        return found[0]

    def forget(self) -> None:
        """A reload (a hard load, a new visit) empties the cache."""
        self.answers.clear()

    def fetch(self, url: str, name: str, defect: bool, send: Send) -> tuple[Result, bool]:
        """One GET, blocking, sent by the senders like a view's; an identical URL already pending is
        awaited instead. (result, sent by us?)"""
        pending = self.pending.get(url)
        ours = pending is None
        if pending is None:
            pending = self.pending[url] = _Pending(url, name, defect, send)
            self.put(pending)
        if pending.waiter is None:
            pending.waiter = gevent.event.AsyncResult()
        return pending.waiter.get(), ours

    def send(self, pending: _Pending) -> None:
        """Send a pending URL; hand its outcome (None: it raised) to all who asked. Only the senders
        send, and there are at most `MAX_IN_FLIGHT` of them: that is the browser's limit."""
        try:
            result = pending.send(pending.url, pending.name, pending.defect)
        except BaseException as err:
            self.answer(pending, None, err)
            raise
        self.answer(pending, result, None)

    def answer(self, pending: _Pending, result: Result | None, error: BaseException | None) -> None:
        del self.pending[pending.url]
        if pending.waiter is not None:
            if error is None:
                pending.waiter.set(result)
            else:  # a blocking fetch (the poll) fails like a request, not like a killed greenlet
                failure = error if isinstance(error, Exception) else PageViewStopped(pending.url)
                pending.waiter.set_exception(failure)
        if result is not None and not result.failed and not result.designed and not pending.defect:
            # (a designed 404 is an error to the frontend's cache too: asked again next time)
            if len(self.answers) >= CACHE_ENTRIES:
                self.answers.clear()  # bounded: a person's cache never outgrows a few pages' answers
            self.answers[pending.url] = (result, time.monotonic())
        for call_run, position, sent in pending.listeners:
            call_run.outcomes[position] = (result, sent)
            call_run.left -= 1
            if not call_run.left:
                try:
                    call_run.view_run.finish(call_run)
                except Exception:  # a defect of ours: said loudly, and the others still get their answers
                    logger.exception("page %s: finishing a call failed", call_run.view_run.view.page.route)

    def put(self, pending: _Pending) -> None:
        """Queue a request for the senders; one more sender while the queue outgrows the idle ones."""
        self.queue.put(pending)
        if self.idle < self.queue.qsize() and len(self.senders) < MAX_IN_FLIGHT:
            self.senders.append(gevent.spawn(self._sender))

    def _sender(self) -> None:
        """Send queued requests for as long as the person lives (`close`)."""
        queue = self.queue
        while True:
            self.idle += 1
            try:
                pending = queue.get()
            finally:
                self.idle -= 1
            try:
                self.send(pending)
            except Exception:  # the call gets no result: its failure names the URL
                logger.debug("request %s raised", pending.url, exc_info=True)

    def drop_queued(self) -> None:
        """A page view stopped midway: what it queued is not sent (everyone who asked is told)."""
        while not self.queue.empty():
            pending = self.queue.get_nowait()
            self.answer(pending, None, PageViewStopped(pending.url))

    def close(self) -> None:
        self.drop_queued()
        gevent.killall(self.senders, block=False)
        self.senders = []

    def run_view(
        self, view: View, plans: Sequence[Planned], preset: dict[str, list[Result] | None], send: Send
    ) -> None:
        """Play a page view's calls to the end. `preset` calls are not sent: their kept results are
        taken (None: the call is skipped); the others go once the calls they need have answered."""
        _ViewRun(self, view, plans, send).play(preset)


_GRAPHS: dict[int, tuple[Sequence[Planned], tuple[tuple[int, ...], ...]]] = {}


def dependents_of(plans: Sequence[Planned]) -> tuple[tuple[int, ...], ...]:
    """For each call of a plan, the calls that wait for it; worked out once per plan (the plans are
    the page catalog's, fixed at import: keyed by identity, the plan kept alive with it)."""
    found = _GRAPHS.get(id(plans))
    if found is None or found[0] is not plans:
        index = {p.call.key: i for i, p in enumerate(plans)}
        graph = tuple(tuple(j for j, q in enumerate(plans) if p.call.key in q.needs) for p in plans)
        assert all(need in index for p in plans for need in p.needs), "a call needs one outside its plan"
        found = _GRAPHS[id(plans)] = (plans, graph)
    return found[1]


class _ViewRun:
    """The calls of one page view, driven by the answers to their requests."""

    def __init__(self, browser: Browser, view: View, plans: Sequence[Planned], send: Send) -> None:
        self.browser, self.view, self.plans, self.send = browser, view, plans, send
        self.dependents = dependents_of(plans)
        self.waiting = [len(p.needs) for p in plans]
        self.started = [False] * len(plans)
        self.unfinished = len(plans)
        self.finished: gevent.event.Event | None = None
        self.abandoned = False

    def play(self, preset: dict[str, list[Result] | None]) -> None:
        skipped = [i for i, p in enumerate(self.plans) if p.call.key in preset]
        for i in skipped:
            self.started[i] = True
        for i in skipped:
            call = self.plans[i].call
            kept = preset[call.key]
            if kept is not None:
                self.view.responses[call.key] = kept
                for result in kept:  # the layout kept OPS's designed answer: this tab renders without it too
                    if result.designed:
                        self.view.without(call, result.name)
            self._done(i)
        for i in range(len(self.plans)):
            if not self.started[i] and not self.waiting[i]:
                self._start(i)
        if not self.unfinished:
            return
        self.finished = gevent.event.Event()
        try:
            self.finished.wait()
        finally:
            if self.unfinished:  # killed (the run stops): nothing more is sent for this view
                self.abandoned = True
                self.browser.drop_queued()

    def _start(self, i: int) -> None:
        """Plan call `i` now that what it needs has answered, and queue its requests."""
        self.started[i] = True
        call = self.plans[i].call
        try:
            requests = self.view.requests_of(call)
        except Exception:
            logger.exception("page %s call %s: planning failed", self.view.page.route, call.key)
            requests = []
        if not requests:
            self.view.responses[call.key] = []
            self._done(i)
            return
        call_run = _CallRun(self, i, [url for url, _name, _defect in requests])
        browser = self.browser
        pending_urls = browser.pending
        reuse = call.refetch == "cache"
        for position, (url, name, defect) in enumerate(requests):
            if reuse and not defect and (kept := browser.cached(url)) is not None:
                call_run.outcomes[position] = (kept, False)  # the frontend's cache answers: nothing sent
                call_run.left -= 1
                continue
            pending = pending_urls.get(url)
            if pending is None:
                pending = pending_urls[url] = _Pending(url, name, defect, self.send)
                pending.listeners.append((call_run, position, True))
                browser.put(pending)
            else:  # asked for already (queued or in flight): its answer is this call's too
                pending.listeners.append((call_run, position, False))
        if not call_run.left:  # every request answered from the cache
            self.finish(call_run)

    def finish(self, call_run: _CallRun) -> None:
        """The last request of a call answered: keep its results, account for them, go on (the view
        must end whatever happens here: the person waits for it)."""
        view = self.view
        call = self.plans[call_run.index].call
        results = []
        try:
            for (result, sent), url in zip(call_run.outcomes, call_run.urls, strict=True):
                if result is None:
                    view.failed(call, url)
                    continue
                results.append(result)
                if sent:
                    view.sent.append(result)
                if result.failed:
                    view.failed(call, result.name)
                elif result.designed:
                    view.without(call, result.name)
            view.responses[call.key] = results
        finally:
            self._done(call_run.index)

    def _done(self, i: int) -> None:
        self.unfinished -= 1
        if self.abandoned:
            return
        for dependent in self.dependents[i]:
            self.waiting[dependent] -= 1
            if not self.waiting[dependent] and not self.started[dependent]:
                self._start(dependent)
        if not self.unfinished and self.finished is not None:
            self.finished.set()
