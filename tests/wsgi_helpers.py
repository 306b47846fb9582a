"""A WSGI app served in the test's own process on 127.0.0.1 (a free port), for tests that need a server
with answers of their own (a 504 once, an HTML 200) and the real sockets Locust's client uses."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from gevent.pywsgi import WSGIServer


@contextmanager
def serve(app: Callable[..., Any]) -> Iterator[str]:
    """The app's base URL while the block runs; the server is stopped after, whatever happened."""
    server = WSGIServer(("127.0.0.1", 0), app, log=None)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.stop(timeout=1)
