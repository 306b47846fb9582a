"""What the simulator saw: a capped request log and exact counts, for tests (`/__sim__/...`).

Why columnar: a soak run sends millions of requests. One dict per request would cost ~1 KB each;
here a request costs ~70 bytes (a float, a status and interned-string indices in `array`s), so the
default cap of 2 million entries stays under ~150 MB. `t` is the arrival, `t_end` the moment the
response was ready (None while in flight), so tests can count requests in flight at any instant. When the cap is reached the oldest half is
dropped in one go (amortised O(1)) and `dropped` says how many went; the counts are never capped.
Never holds a token: only whether a bearer token was present.
"""

from __future__ import annotations

from array import array
from typing import Any

DEFAULT_CAP = 2_000_000
_STRING_CAP = 200_000  # distinct header/path values remembered; later new values are logged as "…"
_OVERFLOW = "…"
_FIELDS = ("method", "path", "query", "user_agent", "referer", "accept", "content_type")


class Recorder:
    """Arrival-ordered log of requests with their final status, plus exact per-path counts."""

    def __init__(self, cap: int = DEFAULT_CAP) -> None:
        if cap < 2:
            raise ValueError("the request log cap must be at least 2")
        self.cap = cap
        self.reset()

    def reset(self) -> None:
        self._strings: list[str] = []
        self._string_ids: dict[str, int] = {}
        self._t = array("d")
        self._t_end = array("d")  # when the response was ready (0 while in flight)
        self._queued_ms = array("f")  # time spent waiting for a worker (`--workers`; else 0)
        self._service_ms = array("f")  # time it held a worker, from t + queued_ms (`--workers`; else 0)
        self._name = array("I")  # the Locust name the simulator matched ("" for none)
        self._rows = array("I")  # rows the answer held (list items, a record's embedded rows; causes.py)
        self._sql = array("I")  # SQL statements the request issued (--db-url and a planted N+1; else 0)
        self._status = array("H")
        self._bearer = array("b")
        self._columns = {name: array("I") for name in _FIELDS}
        self._first_seq = 0  # sequence number of the oldest entry still held
        self._next_seq = 0
        self.by_path: dict[str, int] = {}
        self.by_name: dict[str, int] = {}
        self.by_status: dict[int, int] = {}
        self.by_user: dict[str, int] = {}
        self.total = 0

    def _intern(self, value: str | None) -> int:
        text = value or ""
        index = self._string_ids.get(text)
        if index is None:
            if len(self._strings) >= _STRING_CAP:
                text = _OVERFLOW
                index = self._string_ids.get(text)
            if index is None:
                index = len(self._strings)
                self._strings.append(text)
                self._string_ids[text] = index
        return index

    def start(
        self,
        t: float,
        method: str,
        path: str,
        query: str,
        user_agent: str | None,
        referer: str | None,
        accept: str | None,
        content_type: str | None,
        has_bearer: bool,
    ) -> int:
        """Log a request on arrival (status 0 until `finish`); returns its sequence number."""
        if len(self._t) >= self.cap:
            half = self.cap // 2
            for column in (
                self._t,
                self._t_end,
                self._queued_ms,
                self._service_ms,
                self._name,
                self._rows,
                self._sql,
                self._status,
                self._bearer,
                *self._columns.values(),
            ):
                del column[:half]
            self._first_seq += half
        values = (method, path, query, user_agent, referer, accept, content_type)
        for name, value in zip(_FIELDS, values, strict=True):
            self._columns[name].append(self._intern(value))
        self._t.append(t)
        self._t_end.append(0.0)
        self._queued_ms.append(0.0)
        self._service_ms.append(0.0)
        self._name.append(self._intern(None))
        self._rows.append(0)
        self._sql.append(0)
        self._status.append(0)
        self._bearer.append(1 if has_bearer else 0)
        self.by_path[path] = self.by_path.get(path, 0) + 1
        self.total += 1
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def finish(
        self,
        seq: int,
        status: int,
        name: str | None = None,
        t_end: float = 0.0,
        queued_ms: float = 0.0,
        service_ms: float = 0.0,
        rows: int = 0,
        sql_statements: int = 0,
    ) -> None:
        """Record the status the request got, its Locust name (also for `by_name` counts), when its
        response was ready, how long it queued for a worker and how long it held one, the rows its
        answer held and the SQL statements it issued."""
        index = seq - self._first_seq
        if 0 <= index < len(self._status):
            self._status[index] = status
            self._t_end[index] = t_end
            self._queued_ms[index] = queued_ms
            self._service_ms[index] = service_ms
            self._name[index] = self._intern(name)
            self._rows[index] = rows
            self._sql[index] = sql_statements
        self.by_status[status] = self.by_status.get(status, 0) + 1
        if name is not None:
            self.by_name[name] = self.by_name.get(name, 0) + 1

    def count_user(self, subject: str) -> None:
        """An authenticated API request by the token's subject (the user, never the token itself)."""
        self.by_user[subject] = self.by_user.get(subject, 0) + 1

    @property
    def dropped(self) -> int:
        return self._first_seq

    def requests(self, offset: int = 0, limit: int | None = None) -> list[dict[str, Any]]:
        """Logged requests in arrival order; `offset`/`limit` page through a long (soak) log."""
        strings = self._strings
        columns = {name: self._columns[name] for name in _FIELDS}
        out = []
        start = max(0, offset)
        stop = len(self._t) if limit is None else min(len(self._t), start + max(0, limit))
        for i in range(start, stop):
            entry: dict[str, Any] = {"t": self._t[i], "t_end": self._t_end[i] or None}
            for name in _FIELDS:
                entry[name] = strings[columns[name][i]]
            entry["name"] = strings[self._name[i]] or None
            entry["queued_ms"] = round(self._queued_ms[i], 3)
            entry["service_ms"] = round(self._service_ms[i], 3)
            entry["rows"] = self._rows[i]
            entry["sql_statements"] = self._sql[i]
            entry["status"] = self._status[i]
            entry["has_bearer"] = bool(self._bearer[i])
            out.append(entry)
        return out

    def counts(self) -> dict[str, Any]:
        return {
            "by_path": dict(self.by_path),
            "by_name": dict(self.by_name),
            "by_status": {str(k): v for k, v in sorted(self.by_status.items())},
            "by_user": dict(self.by_user),
            "total": self.total,
        }
