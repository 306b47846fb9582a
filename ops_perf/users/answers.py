"""What counts as OPS's answer: a 2xx carrying JSON, or a status OPS gives by design for that record.

Two corrections to Locust's rule "below 400 is a success, 400 and above a failure", for both users:
- a status the catalog states as OPS's designed answer for an endpoint (`DESIGNED_ANSWERS`: 404 from
  `portfolios-url/{id}` for a portfolio without a website URL) is that answer, not a failure: it is
  counted per endpoint and status (`AnswerTally`, run.json `designed_answers`) and the report names it
  once as an API-design note;
- a 2xx whose body is not JSON (what a proxy's or a gateway's login page looks like: 200 with HTML) is a
  failure named as such: the endpoints only ever answer JSON.
The body is not parsed for this: its content type and its first character say it, at no cost per request.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from gevent import GreenletExit

from ops_perf.users.endpoints.catalog import ALL_ENDPOINTS

DESIGNED: Mapping[str, frozenset[int]] = {
    ep.locust_name: frozenset(ep.designed_statuses) for ep in ALL_ENDPOINTS if ep.designed_statuses
}
"""Locust name -> the statuses OPS gives by design on that endpoint."""
_JSON_STARTS = frozenset(b'{["-0123456789tfn')
"""The first character of any JSON text (an object, a list, a string such as a lookup's, a number, a literal)."""
JSON_TYPE = "application/json"
"""OPS's Content-Type (Flask's jsonify), the one taken without parsing the header."""


def not_json(status: int, content_type: str | None, content: bytes | None) -> str:
    """Why a 2xx answer is not the JSON the endpoint gives ("" when it is, or when it is not a 2xx)."""
    if not 200 <= status < 300:
        return ""
    if content_type != JSON_TYPE:  # (OPS's own answer is checked without taking the header apart)
        kind = (content_type or "").split(";", 1)[0].strip().lower()
        if kind and "json" not in kind:
            return f"HTTP {status} with a {kind} body, not JSON"
    if content and content[0] in _JSON_STARTS:
        return ""
    first = content[:64].lstrip()[:1] if content else b""
    if not first or first[0] not in _JSON_STARTS:
        return f"HTTP {status} with {'an empty body' if not content else 'a body that is not JSON'}"
    return ""


class UnfinishedRequest(Exception):
    """A request still waiting for its answer when the load stopped (its user was stopped)."""


UNFINISHED = UnfinishedRequest("no answer before the load stopped")
"""One instance, so that Locust's failures file groups every unfinished request of an endpoint in one row."""
UNFINISHED_FROM_MS = 1000.0
"""A request cut by the load's end after less than this was not hanging: at any instant of a busy run a
few requests are a few milliseconds old, and a stop finds them in flight. Those are left out, as Locust
leaves them; a request open longer is OPS still answering, and recorded."""
T = TypeVar("T")


def unless_unfinished(environment: Any, method: str, name: str, send: Callable[[], T]) -> T:
    """`send()`, and if the load stops it midway (Locust kills the user's greenlet: nothing would be
    recorded and the slowest requests would vanish from the figures), the request is recorded as an
    unfinished failure with its time so far before the user stops (from `UNFINISHED_FROM_MS` on)."""
    start = time.perf_counter()
    try:
        return send()
    except GreenletExit:
        record_unfinished(environment, method, name, start)
        raise


def record_unfinished(environment: Any, method: str, name: str, start: float) -> None:
    """Record a request its user was stopped in (`start`: its `time.perf_counter()`) as an unfinished
    failure, when it had been open for `UNFINISHED_FROM_MS` or more; the caller re-raises the exit."""
    elapsed = (time.perf_counter() - start) * 1000
    if elapsed >= UNFINISHED_FROM_MS:
        environment.events.request.fire(
            request_type=method, name=name, response_time=elapsed, response_length=0,
            exception=UNFINISHED, context={},
        )  # fmt: skip


def is_designed(name: str, status: int) -> bool:
    """Whether `status` is OPS's designed answer on the endpoint recorded as `name`."""
    statuses = DESIGNED.get(name)
    return statuses is not None and status in statuses


class AnswerTally:
    """Designed answers counted per endpoint and status in one Locust process; merged on the master."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter[int]] = {}

    def record(self, name: str, status: int) -> None:
        self.counts.setdefault(name, Counter())[status] += 1

    def merge(self, data: Mapping[str, Mapping[str, Any]]) -> None:
        for name, statuses in data.items():
            counter = self.counts.setdefault(name, Counter())
            counter.update({int(status): int(n) for status, n in statuses.items()})

    def as_dict(self) -> dict[str, dict[str, int]]:
        """For messages and run.json: `{endpoint: {"404": n}}` (JSON keys are text)."""
        return {name: {str(s): n for s, n in sorted(c.items())} for name, c in sorted(self.counts.items())}

    def clear(self) -> None:
        self.counts.clear()
