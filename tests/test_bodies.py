"""The page user's parsed bodies: kept by URL while the URL answers the same bytes, bounded in bytes."""

from __future__ import annotations

import orjson
import pytest

from ops_perf.users.pages.bodies import BODIES, ParsedBodies
from ops_perf.users.pages.view import Result


def body(i: int, pad: int = 40) -> bytes:
    return orjson.dumps({"count": 3, "data": [{"id": i, "pad": "x" * pad}]})


def test_the_same_bytes_from_the_same_url_are_parsed_once() -> None:
    bodies = ParsedBodies()
    first = bodies.parse("/api/v1/a/1", body(1))
    assert bodies.parse("/api/v1/a/1", bytes(bytearray(body(1)))) is first, "equal bytes, a new object: reused"
    assert bodies.parse("/api/v1/a/2", body(1)) is not first, "another URL is its own entry"


def test_a_url_that_answers_other_bytes_is_parsed_again() -> None:
    bodies = ParsedBodies()
    bodies.parse("/api/v1/a/1", body(1))
    changed = bodies.parse("/api/v1/a/1", body(2))
    assert changed["data"][0]["id"] == 2
    assert list(bodies.kept) == ["/api/v1/a/1"] and bodies.size == len(body(2))


def test_the_kept_bodies_stay_within_their_bytes_least_recently_used_out_first() -> None:
    size = len(body(0))
    bodies = ParsedBodies(keep_bytes=3 * size)
    for i in range(3):
        bodies.parse(f"/u/{i}", body(i))
    bodies.parse("/u/0", body(0))  # used again: now the most recent
    bodies.parse("/u/3", body(3))
    assert list(bodies.kept) == ["/u/2", "/u/0", "/u/3"] and bodies.size == 3 * size
    bodies.clear()
    assert bodies.size == 0 and not bodies.kept


def test_a_body_larger_than_the_largest_kept_is_parsed_each_time() -> None:
    bodies = ParsedBodies(largest=100)
    big = body(1, pad=200)
    assert bodies.parse("/big", big) == orjson.loads(big)
    assert bodies.parse("/big", big) is not bodies.parse("/big", big) and bodies.size == 0


def test_a_result_reads_its_body_through_the_processs_bodies() -> None:
    BODIES.clear()
    one = Result("/api/v1/a/[id]", body(1), 1.0, 0.0, False, url="/api/v1/a/1")
    again = Result("/api/v1/a/[id]", body(1), 1.0, 0.0, False, url="/api/v1/a/1")
    assert one.json() is again.json() and BODIES.size == len(body(1))
    by_hand = Result("x", body(1), 1.0, 0.0, False)
    assert by_hand.json() == one.json() and by_hand.json() is not one.json(), "no URL: not kept"
    assert Result("x", b"<html>", 1.0, 0.0, False, url="/h").json() is None, "not JSON: no body to read"
    assert Result("x", body(1), 1.0, 0.0, True, url="/f").json() is None, "a failed answer is not read"
    with pytest.raises(orjson.JSONDecodeError):
        ParsedBodies().parse("/h", b"<html>")
