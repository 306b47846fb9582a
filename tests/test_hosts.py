"""Hosts as people type them (issue 11, item 4): one form for the suite, or one line saying what to type."""

from __future__ import annotations

import pytest

from ops_perf.errors import OpsPerfError
from ops_perf.settings import host_note, normalise_host


@pytest.mark.parametrize(
    "typed",
    ["https://x.example", "https://x.example/", "https://x.example/api/v1", "https://x.example/api/v1/",
     " https://x.example/api/v1// ", "HTTPS://x.example/API/V1", "https://x.example/api"],
)  # fmt: skip
def test_every_form_of_one_host_is_the_same_host(typed: str) -> None:
    assert normalise_host(typed) == "https://x.example"


def test_a_port_and_a_proxy_base_path_are_kept() -> None:
    assert normalise_host("http://127.0.0.1:8080/api/v1/") == "http://127.0.0.1:8080"
    assert normalise_host("https://gw.example/ops/api/v1") == "https://gw.example/ops"
    assert normalise_host("https://gw.example/ops/") == "https://gw.example/ops"


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x.example", "--host x.example has no scheme; type --host https://x.example (or http://x.example"),
        ("127.0.0.1:8080", "type --host https://127.0.0.1:8080 (or http://127.0.0.1:8080"),
        ("ftp://x.example", "is not an http(s) URL"),
        ("https://", "is not an http(s) URL"),
        ("https://x.example/?a=1", "has a query or fragment"),
        ("   ", "--host is empty"),
    ],
)
def test_what_cannot_be_a_host_is_one_line_saying_what_to_type(typed: str, message: str) -> None:
    with pytest.raises(OpsPerfError) as err:
        normalise_host(typed)
    assert message in str(err.value)
    assert "\n" not in str(err.value) and int(err.value.exit_code) == 2


def test_the_note_only_when_more_than_a_slash_changed() -> None:
    assert host_note("https://x.example/", "https://x.example") is None
    assert host_note("https://x.example/api/v1", "https://x.example") == (
        "host https://x.example/api/v1 -> https://x.example (the suite adds /api/v1/ to every path itself)"
    )
