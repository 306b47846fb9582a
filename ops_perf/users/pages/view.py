"""One page view's requests: which calls a page makes, in what order, with which URLs and names.

Why apart from `PersonUser`: this is the page catalog played as the frontend plays it (waves,
fan-outs built from the fields the catalog names, batches, paging, the shell's notifications call,
the frontend's defects) and the responses it reads to do so; none of it sends a request or knows
Locust, so it is tested without a load (tests/test_person.py). `person.py` is the user that moves
from page to page and sends these requests within the browser's limits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Protocol

import orjson

from ops_perf.users.pages.bodies import BODIES
from ops_perf.users.pages.catalog import CATALOG, PLACEHOLDER, Call, Page, compiled, fill_fiscal_years
from ops_perf.users.pages.fields import Expression


class Viewer(Protocol):
    """What a view needs of the person viewing it (`PersonUser`): whether the frontend's defects are on."""

    frontend_defects: bool


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


HARD_LOAD_PLAN: tuple[Planned, ...] = (Planned(replace(CATALOG.hard_load, key=HARD_LOAD), ()),)
"""A hard load's first call (who the user is), made before the page's own calls."""
PLANS: Mapping[str, tuple[Planned, ...]] = {route: _plans(page) for route, page in CATALOG.pages.items()}
TOUR: tuple[str, ...] = tuple(CATALOG.pages)
"""The order of `--page-tour`: every page once, tabs of a family one after the other."""


_UNPARSED = object()


class Result:
    """One request's outcome, shared by every call that asked for the same URL while it was in flight."""

    __slots__ = ("body", "content", "designed", "end", "failed", "length", "ms", "name", "url")
    # The body is parsed on first use only: most responses are never read by a later call.

    def __init__(
        self,
        name: str,
        content: bytes | None,
        ms: float,
        end: float,
        failed: bool,
        designed: bool = False,
        url: str = "",
    ) -> None:
        self.name, self.content, self.ms, self.end, self.failed = name, content, ms, end, failed
        self.url = url
        """The URL that answered (the key of its parsed body, `bodies.py`; "" for one made by hand)."""
        self.designed = designed
        """OPS's designed answer for a record without this resource (`users/answers.py`): not a failure."""
        self.length = len(content) if content else 0
        self.body: Any = _UNPARSED

    def json(self) -> Any:
        if self.body is _UNPARSED:
            try:
                # orjson: bodies such as agreements/{id} run to megabytes; parsing is the page user's
                # main cost beyond the requests themselves (bench/generator.py), 2-3x less than json.
                if not self.content or self.failed:
                    self.body = None
                elif self.url:
                    self.body = BODIES.parse(self.url, self.content)
                else:
                    self.body = orjson.loads(self.content)
            except orjson.JSONDecodeError:
                self.body = None
        return self.body


@cache
def _parts(url: str, fiscal_year: int) -> tuple[str, ...]:
    """A url template with its fiscal years filled, split at its placeholders: literal, name, literal,
    .., literal. Worked out once per template and year (a view fills many)."""
    return tuple(PLACEHOLDER.split(fill_fiscal_years(url, fiscal_year)))


@cache
def _expression(field: str, fiscal_year: int) -> Expression:
    return compiled(fill_fiscal_years(field, fiscal_year))


class View:
    """One page view in progress: the responses so far, and the accounting of its requests."""

    def __init__(self, person: Viewer, page: Page, page_id: Any, values: dict[str, str]) -> None:
        self.person, self.page, self.page_id, self.values = person, page, page_id, values
        self.fiscal_year = int(values["FY"])
        self.responses: dict[str, list[Result]] = {}
        self.sent: list[Result] = []
        self.failures: list[str] = []
        """The failed calls that block the page (what fails the view), by the request's name."""
        self.degraded: list[str] = []
        """The calls that degraded it (the page renders without their part), by endpoint name."""

    def failed(self, call: Call, name: str) -> None:
        """A request of `call` failed: by the frontend's own rule for that call (pages.toml
        `on_failure`) it blocks the page, degrades it, or changes nothing a person sees."""
        if call.on_failure == "blocks":
            self.failures.append(name)
        elif call.on_failure == "degrades" and call.endpoint not in self.degraded:
            self.degraded.append(call.endpoint)

    def without(self, call: Call, name: str) -> None:
        """OPS answered `call` with its designed status for a record that lacks the resource (a portfolio
        without a website URL): not a failure, but the page renders without that part, unless the
        frontend cannot render without it at all (a call that blocks: the person sees its error page)."""
        if call.on_failure == "blocks":
            self.failures.append(name)
        elif call.endpoint not in self.degraded:
            self.degraded.append(call.endpoint)

    def fill(self, url: str, extra: Mapping[str, str] | None = None) -> str:
        """The url with its placeholders filled (one left unknown stays as it is)."""
        parts = _parts(url, self.fiscal_year)
        if len(parts) == 1:
            return parts[0]
        values = {**self.values, **extra} if extra else self.values
        out = [parts[0]]
        for i in range(1, len(parts), 2):
            name = parts[i]
            out.append(values.get(name, f"{{{name}}}"))
            out.append(parts[i + 1])
        return "".join(out)

    def pieces(self, url: str, name: str) -> list[str]:
        """The url filled but for `name`, cut where `name` goes: `str(v).join(pieces)` is the url for v."""
        parts = _parts(url, self.fiscal_year)
        pieces, current = [], [parts[0]]
        for i in range(1, len(parts), 2):
            if parts[i] == name:
                pieces.append("".join(current))
                current = []
            else:
                current.append(self.values.get(parts[i], f"{{{parts[i]}}}"))
            current.append(parts[i + 1])
        pieces.append("".join(current))
        return pieces

    def bodies(self, key: str) -> list[Any]:
        return [r.json() for r in self.responses.get(key, ())]

    def field_values(self, sources: Sequence[str], field: str) -> list[Any]:
        search = _expression(field, self.fiscal_year).search
        found: list[Any] = []
        for source in sources:
            for result in self.responses.get(source, ()):
                body = result.json()
                if body is None:
                    continue
                value = search(body)
                if isinstance(value, list):
                    found.extend(value)
                else:
                    found.append(value)
        return found

    def requests_of(self, call: Call) -> list[tuple[str, str, bool]]:
        """(url, Locust name, is a defect) for each request this call makes now."""
        if call.when is not None and not any(self.field_values([call.when.source], call.when.field)):
            return []
        defects = self.person.frontend_defects
        if call.defect and not (call.each and call.each.null_as is not None):
            url = self.fill(call.path)
            return [(url, url + DEFECT_SUFFIX, True)] if defects else []
        if call.pages is not None:
            totals = self.field_values([call.pages.source], call.pages.total)
            total = totals[0] if totals and isinstance(totals[0], int) else 0
            offsets = range(call.pages.limit, total, call.pages.limit)
            pieces = self.pieces(call.path, "item")
            return [(str(o).join(pieces), call.endpoint, False) for o in offsets]
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
        pieces = self.pieces(call.path, "item")
        null_as = call.each.null_as
        out = []
        for value in values:
            text = str(value)
            url = text.join(pieces)
            if null_as is not None and text == null_as:
                out.append((url, url + DEFECT_SUFFIX, True))
            else:
                out.append((url, call.endpoint, False))
        return out
