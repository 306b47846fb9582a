"""The parsed JSON of the response bodies a page user reads, kept per process by URL.

Why: a page view reads the bodies its fan-outs are built from, and the same bodies come back again
and again (each of a portfolio's 231 budget lines, the all-CANs list on every agreement page, the
user and notifications calls of every page). Parsing them was the page user's largest cost beyond
the requests themselves (bench/generator.py): 27 % of its requests parsed a budget line's body,
about 300 distinct ones. So a parsed body is kept under its URL and reused while the URL answers
with the very same bytes: exact, since a body that changed is parsed again.

Why by URL and not by the body itself: every response is a new bytes object, and hashing a
60 KB body to look it up costs about as much as parsing a small one; a URL is short, and comparing
two bodies of equal length is one `memcmp`. The kept bodies are bounded by their size in bytes (the
bodies' own, not the parsed objects'), least recently used first out. The parsed objects are
shared by every view that reads them: they are only read, never changed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import orjson

KEEP_BYTES = 16_000_000
"""Bytes of response bodies whose parsed form a process keeps (all the simulator's page bodies are
about 5.5 MB; parsed, 3.4 times that: 18.7 MB by tracemalloc)."""
LARGEST_KEPT = 1_000_000
"""A body larger than this is parsed each time: one such body would crowd out hundreds of others."""


class ParsedBodies:
    """Parsed bodies by URL, least recently used out first once their bodies pass `keep_bytes`."""

    def __init__(self, keep_bytes: int = KEEP_BYTES, largest: int = LARGEST_KEPT) -> None:
        self.keep_bytes, self.largest = keep_bytes, largest
        self.kept: OrderedDict[str, tuple[bytes, Any]] = OrderedDict()
        self.size = 0
        """Bytes of the kept bodies."""

    def parse(self, url: str, content: bytes) -> Any:
        """The JSON of `content`, the body `url` answered (raises orjson.JSONDecodeError)."""
        kept = self.kept.get(url)
        if kept is not None and kept[0] == content:
            self.kept.move_to_end(url)
            return kept[1]
        body = orjson.loads(content)
        if kept is not None:  # the URL answers with another body now
            del self.kept[url]
            self.size -= len(kept[0])
        if len(content) <= self.largest:
            self.kept[url] = (content, body)
            self.size += len(content)
            while self.size > self.keep_bytes:
                _, (old, _) = self.kept.popitem(last=False)
                self.size -= len(old)
        return body

    def clear(self) -> None:
        self.kept.clear()
        self.size = 0


BODIES = ParsedBodies()
"""The process's parsed bodies (each Locust process, master or worker, has its own)."""
