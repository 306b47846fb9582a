"""The page user's browser without a server: the in-flight limit, de-duplication, waves, failures, a stop."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from typing import Any

import gevent
import pytest

from ops_perf.users.pages.browser import MAX_IN_FLIGHT, Browser, PageViewStopped
from ops_perf.users.pages.catalog import CATALOG, Call, FanOut
from ops_perf.users.pages.view import Planned, Result, View

IDS = [*range(1, 21), 1, 2]
"""The fan-out's ids: 20 distinct, two of them twice (not de-duplicated by the catalog)."""


class _Person:
    frontend_defects = False


class FakeServer:
    """Answers after a short pause, counting what is open at once and what was sent."""

    def __init__(self, pause_s: float = 0.002, fail: str = "") -> None:
        self.pause_s, self.fail = pause_s, fail
        self.open = self.most_open = 0
        self.sent: list[str] = []

    def send(self, url: str, name: str, defect: bool) -> Result:
        self.sent.append(url)
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            gevent.sleep(self.pause_s)
            if url == self.fail:
                raise ConnectionError(url)
            body = json.dumps({"ids": IDS} if url == "/api/v1/x/" else {"url": url}).encode()
            return Result(name, body, 1.0, time.perf_counter(), False)
        finally:
            self.open -= 1


def plan() -> tuple[Planned, ...]:
    a = Call("a", 1, "x/", "/api/v1/x/")
    b = Call("b", 1, "x/", "/api/v1/x/")  # the same URL at once: sent once, both get the answer
    c = Call("c", 2, "y/{item}", "/api/v1/y/[id]", each=FanOut(("a",), "ids"), needs=("a",))
    d = Call("d", 3, "z/", "/api/v1/z/", needs=("c",))
    return tuple(Planned(call, call.needs) for call in (a, b, c, d))


PLAN = plan()


def new_view() -> View:
    page = next(iter(CATALOG.pages.values()))
    return View(_Person(), page, None, {"FY": "2027", "oidc": "o"})  # type: ignore[arg-type]


def test_a_view_keeps_the_browsers_limits_and_waits_for_what_each_call_needs() -> None:
    server, browser, view = FakeServer(), Browser(), new_view()
    browser.run_view(view, PLAN, {}, server.send)
    fan_out = [f"/api/v1/y/{i}" for i in range(1, 21)]
    assert server.sent.count("/api/v1/x/") == 1
    assert sorted(server.sent[1:-1], key=lambda u: int(u.rsplit("/", 1)[1])) == fan_out, "each id sent once"
    assert server.sent[-1] == "/api/v1/z/", "the third wave after every answer of the second"
    assert server.most_open == MAX_IN_FLIGHT
    assert [r.json()["url"] for r in view.responses["c"]] == [f"/api/v1/y/{i}" for i in IDS]
    assert len(view.sent) == 1 + 20 + 1 and view.failures == []
    assert view.responses["a"] == view.responses["b"] and browser.pending == {}


def test_a_failed_request_fails_its_call_and_names_the_url() -> None:
    server, browser, view = FakeServer(fail="/api/v1/y/3"), Browser(), new_view()
    browser.run_view(view, PLAN, {}, server.send)
    assert view.failures == ["/api/v1/y/3"]
    assert len(view.responses["c"]) == len(IDS) - 1 and server.sent[-1] == "/api/v1/z/"
    assert browser.pending == {}


def test_preset_calls_are_not_sent() -> None:
    server, browser, view = FakeServer(), Browser(), new_view()
    kept = [Result("/api/v1/x/", json.dumps({"ids": [7]}).encode(), 1.0, 0.0, False)]
    browser.run_view(view, PLAN, {"a": kept, "b": None}, server.send)
    assert server.sent == ["/api/v1/y/7", "/api/v1/z/"]
    assert "b" not in view.responses and view.responses["a"] == kept


def test_a_kept_designed_answer_degrades_every_tab_that_keeps_it() -> None:
    """A portfolio without a URL: its `portfolios-url` 404 is kept by the layout across the tabs, so
    each tab renders without the link and is counted as degraded, though nothing is sent again."""
    server, browser, view = FakeServer(), Browser(), new_view()
    designed = Result("/api/v1/x/", b"{}", 1.0, 0.0, False, designed=True)
    ignored = replace(PLAN[0].call, on_failure="ignored")
    browser.run_view(view, (Planned(ignored, ()), *PLAN[1:]), {"a": [designed], "b": None}, server.send)
    assert view.degraded == ["/api/v1/x/"] and view.failures == []
    assert server.sent == ["/api/v1/z/"], "no fan-out from an answer without ids, nothing sent again"


def test_a_blocking_fetch_shares_a_pending_view_request_and_a_stop_sends_nothing_more() -> None:
    server, browser, view = FakeServer(pause_s=0.05), Browser(), new_view()
    playing = gevent.spawn(browser.run_view, view, PLAN, {}, server.send)
    gevent.sleep(0.07)  # the fan-out is queued, six of it in flight
    queued = next(url for url in (f"/api/v1/y/{i}" for i in range(20, 0, -1)) if url in browser.pending)
    poll = gevent.spawn(browser.fetch, queued, "poll", False, server.send)
    gevent.sleep(0)
    playing.kill()
    with pytest.raises(PageViewStopped):
        poll.get(timeout=5)
    gevent.sleep(0.2)
    assert queued not in server.sent and "/api/v1/z/" not in server.sent
    assert len(server.sent) <= 1 + MAX_IN_FLIGHT and browser.pending == {}
    browser.close()


def test_the_poll_is_deduplicated_against_the_view() -> None:
    server, browser, view = FakeServer(pause_s=0.02), Browser(), new_view()
    poll = gevent.spawn(browser.fetch, "/api/v1/x/", "poll", False, server.send)
    gevent.sleep(0)
    browser.run_view(view, PLAN, {}, server.send)
    result, sent = poll.get(timeout=5)
    assert sent and server.sent.count("/api/v1/x/") == 1
    assert view.responses["a"] == [result] and result not in view.sent


def test_a_call_that_cannot_be_planned_ends_with_no_requests_and_the_view_goes_on(monkeypatch: Any) -> None:
    server, browser, view = FakeServer(), Browser(), new_view()
    planned = View.requests_of

    def broken(self: View, call: Call) -> list[tuple[str, str, bool]]:
        if call.key == "c":
            raise KeyError("a defect of the planner")
        return planned(self, call)

    monkeypatch.setattr(View, "requests_of", broken)
    finished = gevent.spawn(browser.run_view, view, PLAN, {}, server.send)
    finished.get(timeout=5)  # no hang: the person's greenlet is not left waiting
    assert server.sent == ["/api/v1/x/", "/api/v1/z/"] and view.responses["c"] == []
