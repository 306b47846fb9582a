"""The probes' HTTP side: every request counted against the budget, at most N in flight, timed alone.

Threads, not greenlets: the command line never loads Locust or gevent's monkey-patching, and a
probe's few in-flight requests need no more than a thread each. Each slot keeps its own keep-alive
session (a concurrency level is not a test of connection set-up).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from queue import SimpleQueue
from typing import Any

import requests


class BudgetSpent(RuntimeError):
    """The plan is spent: nothing more is sent."""


class Budget:
    """The requests a diagnosis may still send (thread-safe)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.used = 0
        self._lock = threading.Lock()

    def take(self) -> None:
        with self._lock:
            if self.used >= self.limit:
                raise BudgetSpent(f"the budget of {self.limit} requests is spent")
            self.used += 1

    @property
    def left(self) -> int:
        return self.limit - self.used


@dataclass(frozen=True)
class Answer:
    ms: float
    status: int
    """0 without an answer (time-out, connection error)."""
    size: int
    content: bytes
    error: str | None = None

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def bad(self) -> bool:
        """What stops a probe when it repeats: a 5xx or no answer."""
        return self.status == 0 or self.status >= 500

    def json(self) -> Any:
        try:
            return json.loads(self.content) if self.content else None
        except ValueError:
            return None


class Client:
    """GETs against `host` within the budget, with `headers()` (a fresh token after a renewal)."""

    def __init__(
        self,
        host: str,
        headers: Callable[[], Mapping[str, str]],
        budget: Budget,
        timeout_s: float,
        slots: int,
    ) -> None:
        self.host = host.rstrip("/")
        self.headers = headers
        self.budget = budget
        self.timeout_s = timeout_s
        self.sessions: SimpleQueue[requests.Session] = SimpleQueue()
        for _ in range(max(1, slots)):
            session = requests.Session()
            session.trust_env = False  # the target itself, never a proxy from the environment
            session.headers.clear()
            self.sessions.put(session)
        self.stopping = threading.Event()

    def get(self, path: str) -> Answer:
        """One GET (raises `BudgetSpent` when the budget is spent; never for a failed request)."""
        self.budget.take()
        session = self.sessions.get()
        began = time.perf_counter()
        try:
            response = session.get(
                self.host + path, headers=dict(self.headers()), timeout=self.timeout_s, allow_redirects=False
            )
            content = response.content
            return Answer((time.perf_counter() - began) * 1000.0, response.status_code, len(content), content)
        except requests.Timeout:
            return Answer((time.perf_counter() - began) * 1000.0, 0, 0, b"", "timed out")
        except requests.RequestException as err:
            return Answer((time.perf_counter() - began) * 1000.0, 0, 0, b"", type(err).__name__)
        finally:
            self.sessions.put(session)

    def close(self) -> None:
        while not self.sessions.empty():
            self.sessions.get().close()


def rows_of(body: Any) -> tuple[int | None, str | None]:
    """The length of the answer's longest list and where it is: a list's items, a wrapped list's
    `data`, a record's longest embedded list (an agreement's `budget_line_items`); (None, None) for
    an answer with no list."""
    if isinstance(body, list):
        return len(body), "items"
    if not isinstance(body, dict):
        return None, None
    if isinstance(body.get("data"), list):
        return len(body["data"]), "data"
    lists = [(len(v), k) for k, v in body.items() if isinstance(v, list)]
    if not lists:
        return None, None
    length, key = max(lists, key=lambda x: (x[0], x[1]))
    return length, key
