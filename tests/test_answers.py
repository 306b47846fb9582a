"""What counts as OPS's answer (`ops_perf/users/answers.py`): designed statuses, and JSON or not."""

from __future__ import annotations

import json

import pytest

from ops_perf.users.answers import DESIGNED, AnswerTally, is_designed, not_json
from ops_perf.users.endpoints.catalog import DESIGNED_ANSWERS


@pytest.mark.parametrize(
    ("status", "content_type", "content", "problem"),
    [
        (200, "application/json", b'{"data": []}', ""),
        (200, "application/json", b"  [1, 2]", ""),
        (200, "application/json", b'"IN_PROCESS"', ""),  # a lookup's bare string is JSON too
        (200, None, b"42", ""),
        (
            200,
            "text/html; charset=utf-8",
            b"<html><body>Sign in</body></html>",
            "HTTP 200 with a text/html body, not JSON",
        ),
        (200, None, b"<!doctype html>", "HTTP 200 with a body that is not JSON"),
        (200, "application/json", b"", "HTTP 200 with an empty body"),
        (404, "text/html", b"<html>", ""),  # not a 2xx: Locust's own rule decides
        (302, "text/html", b"<html>", ""),
    ],
)
def test_a_2xx_must_carry_json(status: int, content_type: str | None, content: bytes, problem: str) -> None:
    assert not_json(status, content_type, content) == problem


def test_designed_answers_come_from_the_catalog() -> None:
    assert {name: frozenset(a.statuses) for name, a in DESIGNED_ANSWERS.items()} == DESIGNED
    assert is_designed("/api/v1/portfolios-url/[id]", 404)
    assert not is_designed("/api/v1/portfolios-url/[id]", 500)
    assert not is_designed("/api/v1/portfolios/[id]", 404)


def test_the_tally_merges_as_the_message_carries_it() -> None:
    worker, master = AnswerTally(), AnswerTally()
    worker.record("/api/v1/portfolios-url/[id]", 404)
    worker.record("/api/v1/portfolios-url/[id]", 404)
    master.record("/api/v1/portfolios-url/[id]", 404)
    master.merge(json.loads(json.dumps(worker.as_dict())))
    assert master.as_dict() == {"/api/v1/portfolios-url/[id]": {"404": 3}}
    master.clear()
    assert master.as_dict() == {}
