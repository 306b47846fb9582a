"""One page view's requests: which calls a page makes, in what order, with which URLs and names.

Why apart from `PersonUser`: this is the page catalog played as the frontend plays it (waves,
fan-outs built from the fields the catalog names, batches, paging, the shell's notifications call,
the frontend's defects) and the responses it reads to do so; none of it sends a request or knows
Locust, so it is tested without a load (tests/test_person.py). `person.py` is the user that moves
from page to page and sends these requests within the browser's limits.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import gevent.event
import orjson

from ops_perf.pages import CATALOG, PLACEHOLDER, Call, Page, compiled, fill_fiscal_years

if TYPE_CHECKING:
    from ops_perf.person import PersonUser

DEFECT_SUFFIX = " (frontend defect)"
"""Locust name suffix of a call the frontend sends by its own defect (only with the switch on)."""
SHELL = "#notifications"
HARD_LOAD = "#user"


class PageViewFailed(Exception):
    """A page view in which at least one call failed; the message names the calls."""


@dataclass(frozen=True, slots=True)
class Planned:
    call: Call
    needs: tuple[str, ...]


def _plans(page: Page) -> tuple[Planned, ...]:
    """The page's calls with the shell's notifications call and what each waits for."""
    first_wave = tuple(c.key for c in page.calls if c.wave == 1)
    shell_needs = first_wave if page.shell_wave == 2 else ()
    shell = Call(SHELL, page.shell_wave, CATALOG.notifications.url, CATALOG.notifications.endpoint, kept=True)
    planned = [Planned(shell, shell_needs)]
    planned += [Planned(c, c.needs) for c in page.calls]
    return tuple(planned)


PLANS: Mapping[str, tuple[Planned, ...]] = {route: _plans(page) for route, page in CATALOG.pages.items()}
TOUR: tuple[str, ...] = tuple(CATALOG.pages)
"""The order of `--page-tour`: every page once, tabs of a family one after the other."""


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


class Result:
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


class View:
    """One page view in progress: the responses so far, and the accounting of its requests."""

    def __init__(self, person: PersonUser, page: Page, page_id: Any, values: dict[str, str]) -> None:
        self.person, self.page, self.page_id, self.values = person, page, page_id, values
        self.responses: dict[str, list[Result]] = {}
        self.done: dict[str, gevent.event.Event] = {}
        self.sent: list[Result] = []
        self.failures: list[str] = []

    def fill(self, url: str, extra: Mapping[str, str] | None = None) -> str:
        values = {**self.values, **(extra or {})}
        url = fill_fiscal_years(url, int(self.values["FY"]))
        return PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), url)

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
