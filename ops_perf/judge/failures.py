"""What each failure was: Locust's error strings classified, and counted per class and per endpoint.

Why the judge classifies: a failure's class decides its severity (a 504 is the gateway cutting a
slow request, critical; a 4xx is a request the suite or the data got wrong, a concern; a connection
error is the host or the network, not the route) and which recommendation follows.

Only API calls are counted here. A failed page view (request type PAGE) always comes with the failed
call it names, which is already counted; the Pages section lists page failures by the call.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from ops_perf.judge.numbers import pct
from ops_perf.judge.rows import PAGE_TYPE, Row
from ops_perf.runfiles.load import Run

_HTTP_ERROR = re.compile(r"HTTPError\(\s*['\"](\d{3}) (?:Client|Server) Error: (.*?) for url", re.S)
_BAD_STATUS = re.compile(r"BadStatusCode\(.*?code=(\d{3})", re.S)
_CATCH = re.compile(r"^CatchResponseError\((.*)\)$", re.S)
_STATUS_IN_TEXT = re.compile(
    r"(?:status(?:[ _]code)?|http|code|got|returned|response)\s*[:=]?\s*['\"]?([1-5]\d\d)(?!\d)"
    r"|^['\"]?([1-5]\d\d)(?!\d)",
    re.I,
)
_GATEWAY_TEXT = re.compile(r"gateway\s*time-?out", re.I)
_TIMEOUT = re.compile(r"timeout|timed out|time-out|TimeoutError|<Timeout at", re.I)
_CONNECTION = re.compile(
    r"Connection|RemoteDisconnected|NewConnectionError|BrokenPipe|SSLError|SSL|gaierror|Name or service|"
    r"Max retries|HTTPConnectionClosed|RetriesExceeded|EOF occurred|Errno|HTTPParseError|ProtocolError",
    re.I,
)

KIND_ORDER = (
    "gateway_timeout", "unfinished", "not_json", "http_5xx", "http_4xx", "http_other", "client_timeout",
    "connection", "check", "other",
)  # fmt: skip
UNFINISHED = "UnfinishedRequest('no answer before the load stopped')"
"""The error the users record for a request still waiting when the load stopped (`users/answers.py`)."""
_NOT_JSON = re.compile(r"HTTP 2\d\d with (?:an empty body|a body that is not JSON|a \S+ body, not JSON)")
KIND_TITLES = {
    "unfinished": "unfinished when the load stopped (no answer yet; timed until then)",
    "not_json": "2xx answers that are not JSON (a proxy's or a login page?)",
    "gateway_timeout": "504 gateway timeouts",
    "http_5xx": "5xx server errors (other than 504)",
    "http_4xx": "4xx client errors",
    "http_other": "other HTTP status",
    "client_timeout": "client timeouts (no response in time)",
    "connection": "connection errors",
    "check": "response checks failed (CatchResponseError)",
    "other": "other errors",
}


@dataclass(frozen=True)
class ErrorClass:
    """What one Locust error string means: a class, the HTTP status where there is one."""

    kind: str
    code: int | None = None
    reason: str | None = None

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.code}" if self.code is not None else self.kind

    @property
    def title(self) -> str:
        if self.code is not None:
            reason = self.reason or _phrase(self.code)
            return f"{self.code} {reason}".strip()
        return KIND_TITLES[self.kind]


def _phrase(code: int) -> str:
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _from_code(code: int, reason: str | None = None) -> ErrorClass:
    if code == 504:
        return ErrorClass("gateway_timeout", 504, reason or "Gateway Timeout")
    if 500 <= code <= 599:
        return ErrorClass("http_5xx", code, reason)
    if 400 <= code <= 499:
        return ErrorClass("http_4xx", code, reason)
    return ErrorClass("http_other", code, reason)


def classify_error(error: str) -> ErrorClass:
    """Classify a Locust failure string, from `HttpUser` (requests) or `FastHttpUser` (geventhttpclient).

    Seen in practice: `HTTPError('504 Server Error: Gateway Time-out for url: /api/v1/...')` (HttpUser),
    `LocustBadStatusCode(code=504)` (FastHttpUser), `CatchResponseError('...')` (our own checks, which
    may name a status), `ReadTimeout(...)`, `RetriesExceeded(url, 3, original=timed out)`,
    `ConnectionRefusedError(111, 'Connection refused')`, `ConnectionError(... NewConnectionError ...)`.
    """
    text = error.strip()
    if text.startswith("UnfinishedRequest("):
        return ErrorClass("unfinished")
    if _NOT_JSON.search(text):
        return ErrorClass("not_json")
    if match := _HTTP_ERROR.search(text):
        return _from_code(int(match.group(1)), match.group(2).strip() or None)
    if match := _BAD_STATUS.search(text):
        code = int(match.group(1))
        if code:
            return _from_code(code)
    if match := _CATCH.match(text):
        inner = match.group(1).strip()
        if status := _STATUS_IN_TEXT.search(inner.strip("'\"")):
            return _from_code(int(status.group(1) or status.group(2)))
        if _GATEWAY_TEXT.search(inner):
            return _from_code(504)
        if _TIMEOUT.search(inner):
            return ErrorClass("client_timeout")
        return ErrorClass("check")
    if _TIMEOUT.search(text) and not _GATEWAY_TEXT.search(text):
        return ErrorClass("client_timeout")
    if _CONNECTION.search(text):
        return ErrorClass("connection")
    if status := re.match(r"^['\"]?([1-5]\d\d)\b", text):
        return _from_code(int(status.group(1)))
    return ErrorClass("other")


@dataclass(frozen=True)
class FailureClassRow:
    key: str
    kind: str
    title: str
    occurrences: int
    endpoints: int
    share_pct: float | None


@dataclass(frozen=True)
class FailingEndpoint:
    label: str
    requests: int | None
    failures: int
    failure_pct: float | None
    class_counts: tuple[tuple[str, str, int], ...]
    """(class key, short name, occurrences) of this endpoint's failures, most first."""

    @property
    def classes(self) -> str:
        """`504 x3, 404 x2`, or a note when the failures file does not list this endpoint."""
        return ", ".join(f"{short} x{n}" for _, short, n in self.class_counts) or "not in failures file"

    def has_kind(self, keys: Iterable[str]) -> bool:
        wanted = set(keys)
        return any(key in wanted for key, _, _ in self.class_counts)

    @property
    def kinds(self) -> set[str]:
        return {key.split(":")[0] for key, _, _ in self.class_counts}


@dataclass(frozen=True)
class FailureDetail:
    label: str
    title: str
    occurrences: int
    error: str


@dataclass
class Failures:
    """The run's failures by class and by endpoint (API calls only)."""

    in_file: bool
    """Whether the failures file exists (without it failures cannot be classified)."""
    listed: int
    classes: list[FailureClassRow]
    endpoints: list[FailingEndpoint]
    details: list[FailureDetail]
    gateway_by_label: dict[str, int] = field(default_factory=dict)

    @property
    def all_failed(self) -> list[FailingEndpoint]:
        return [f for f in self.endpoints if f.requests and f.failures >= f.requests]

    def count(self, kind: str, code: int | None = None) -> int:
        return sum(
            c.occurrences for c in self.classes if c.kind == kind and (code is None or c.key == f"{kind}:{code}")
        )

    def of_kind(self, kind: str) -> list[FailureClassRow]:
        return [c for c in self.classes if c.kind == kind]

    def labels_with(self, kinds: Iterable[str]) -> list[str]:
        keys = [c.key for c in self.classes if c.kind in set(kinds)]
        return [f.label for f in self.endpoints if f.has_kind(keys)]


def classify_failures(run: Run, rows: Sequence[Row]) -> Failures:
    """Failure classes (from the failures file) and failing endpoints (from the stats file).

    Also counts the 504s per endpoint, which the gateway ceiling needs.
    """
    requests_by_label = {r.label: r.requests for r in rows}
    failures_by_label = {r.label: r.failures for r in rows if r.failures > 0}
    per_class: dict[str, list[Any]] = {}
    per_endpoint: dict[str, dict[str, list[Any]]] = {}
    details: list[FailureDetail] = []
    in_file = 0
    gateway_by_label: dict[str, int] = {}
    if run.failures is not None:
        for method, label, error, occurrences in zip(
            run.failures["method"],
            run.failures["label"],
            run.failures["error"],
            run.failures["occurrences"],
            strict=True,
        ):
            if method == PAGE_TYPE:
                continue
            occurrences = int(occurrences)
            cls = classify_error(str(error))
            in_file += occurrences
            entry = per_class.setdefault(cls.key, [cls, 0, set()])
            entry[1] += occurrences
            entry[2].add(label)
            ep_entry = per_endpoint.setdefault(label, {}).setdefault(cls.key, [cls, 0])
            ep_entry[1] += occurrences
            details.append(FailureDetail(label, cls.title, occurrences, str(error)))
            if cls.kind == "gateway_timeout":
                gateway_by_label[label] = gateway_by_label.get(label, 0) + occurrences
    order = {k: i for i, k in enumerate(KIND_ORDER)}
    classes = sorted(
        (
            FailureClassRow(key, cls.kind, cls.title, n, len(labels), pct(n, in_file))
            for key, (cls, n, labels) in per_class.items()
        ),
        key=lambda c: (order[c.kind], -c.occurrences, c.key),
    )
    failing: list[FailingEndpoint] = []
    for label in sorted(set(failures_by_label) | set(per_endpoint)):
        requests = requests_by_label.get(label)
        failures = failures_by_label.get(label, sum(e[1] for e in per_endpoint.get(label, {}).values()))
        parts = sorted(per_endpoint.get(label, {}).values(), key=lambda e: (-e[1], e[0].key))
        counts = tuple((e[0].key, _short(e[0]), int(e[1])) for e in parts)
        failing.append(FailingEndpoint(label, requests, failures, pct(failures, requests or 0), counts))
    failing.sort(key=lambda f: (-f.failures, f.label))
    details.sort(key=lambda d: (-d.occurrences, d.label, d.error))
    return Failures(run.failures is not None, in_file, classes, failing, details, gateway_by_label)


def _short(cls: ErrorClass) -> str:
    if cls.code is not None:
        return str(cls.code)
    return {"client_timeout": "timeout", "connection": "connection", "check": "check"}.get(cls.kind, "other")
