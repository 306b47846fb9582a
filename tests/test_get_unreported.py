"""`locust_compat.get_unreported`: the page user's GET, which it judges and reports itself, must send
what Locust's `FastHttpSession.request` sends and find the error Locust would record, on every answer
the page user meets (JSON, a bad status, a body that is not JSON, no answer at all).

Real sockets: a gevent WSGI server on 127.0.0.1 and Locust's own session, each case also sent through
`FastHttpSession.request` for the error Locust records."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from locust.contrib.fasthttp import FastHttpSession
from locust.event import EventHook
from wsgi_helpers import serve

from ops_perf.locust_compat import ACCEPT_ENCODING, get_unreported

ANSWERS = {
    "/json": ("200 OK", "application/json", b'{"id": 1}'),
    "/missing": ("404 Not Found", "application/json", b'{"message": "not found"}'),
    "/broken": ("500 Internal Server Error", "text/plain", b"boom"),
    "/login": ("200 OK", "text/html", b"<html>log in</html>"),
}


@pytest.fixture
def server() -> Iterator[tuple[str, list[dict[str, str]]]]:
    seen: list[dict[str, str]] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append({k: v for k, v in environ.items() if k.startswith("HTTP_")})
        status, kind, body = ANSWERS[environ["PATH_INFO"]]
        start_response(status, [("Content-Type", kind), ("Content-Length", str(len(body)))])
        return [body]

    with serve(app) as url:
        yield url, seen


def _session(base_url: str) -> tuple[FastHttpSession, list[dict[str, Any]]]:
    fired: list[dict[str, Any]] = []
    event = EventHook()
    event.add_listener(lambda **meta: fired.append(meta))
    return FastHttpSession(base_url, event, None, network_timeout=5, connection_timeout=5), fired


def _locust_report(base_url: str, path: str) -> tuple[Any, str]:
    """The exception and the URL Locust itself reports for `path` (plain `request`, no catch_response)."""
    session, fired = _session(base_url)
    session.request("GET", path, name=path)
    assert len(fired) == 1
    return fired[0]["exception"], fired[0]["url"]


@pytest.mark.parametrize("path", sorted(ANSWERS))
def test_the_answer_and_the_error_are_locusts(server: tuple[str, list[dict[str, str]]], path: str) -> None:
    base_url, _ = server
    session, fired = _session(base_url)
    response, url, content, error = get_unreported(session, path, {"Authorization": "Bearer t"})
    status, _, body = ANSWERS[path]
    assert response.status_code == int(status.split()[0])
    assert content == body
    assert fired == [], "not reported: the caller judges and fires the request event"
    expected, locusts_url = _locust_report(base_url, path)
    assert repr(error) == repr(expected)  # what the failures file would say
    assert url == locusts_url == f"{base_url}{path}"  # the request event's `url`, as Locust reports it
    assert (error is None) == status.startswith("2")


def test_the_headers_are_what_locust_sends_and_the_callers_are_kept(server: tuple[str, list[dict[str, str]]]) -> None:
    base_url, seen = server
    session, _ = _session(base_url)
    headers = {"Authorization": "Bearer t", "Accept": "application/json"}
    get_unreported(session, "/json", headers)
    assert headers == {"Authorization": "Bearer t", "Accept": "application/json"}, "the caller's dict untouched"
    session.request("GET", "/json", headers=dict(headers))  # (2.43.4's `request` adds to the dict it is given)
    mine, locusts = seen
    assert mine == locusts
    assert mine["HTTP_ACCEPT_ENCODING"] == ACCEPT_ENCODING and mine["HTTP_AUTHORIZATION"] == "Bearer t"


def test_no_answer_gives_no_body_and_locusts_connection_error() -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        base_url = f"http://127.0.0.1:{probe.getsockname()[1]}"
    session, _ = _session(base_url)
    response, url, content, error = get_unreported(session, "/json", {})
    assert response.status_code == 0 and content is None
    assert isinstance(error, ConnectionRefusedError)
    locusts_error, locusts_url = _locust_report(base_url, "/json")
    assert type(error) is type(locusts_error) and url == locusts_url
