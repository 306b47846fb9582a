"""The page catalog against frontend-failure-modes.md: the corrections it makes to the journeys.

The reference (read in place from ../shared/reference, skipped when absent) read the frontend's code
again, call by call, and found where frontend-journeys.md was wrong: For Review waits for a hidden
agreements list, and the approval pages send calls the journeys did not list.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ops_perf.pages import CATALOG

FILE = "frontend-failure-modes.md"


def reference(reference_dir: Path) -> str:
    path = reference_dir / FILE
    if not path.is_file():
        pytest.skip(f"{path} not found (the reference material is read in place, never copied)")
    return path.read_text(encoding="utf-8")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


def test_for_review_waits_for_the_hidden_agreements_list(reference_dir: Path) -> None:
    text = reference(reference_dir)
    assert "Wave correction" in text and "the hidden list" in text
    page = CATALOG.pages["/agreements?filter=change-requests"]
    first = {c.key for c in page.calls if c.wave == 1}
    assert first == {"filters", "list"}
    hidden = next(c for c in page.calls if c.key == "list")
    assert hidden.url == CATALOG.pages["/agreements"].calls[1].url
    badge = ("cr_total", "pending_approvals", "pending_requisitions", "pending_awards")
    review = ("review_list", "list_pending_approvals", "list_pending_requisitions", "list_pending_awards")
    for call in page.calls:
        if call.key in badge + review:
            assert call.wave == 2 and call.needs == ("list",), call.key
        elif call.wave > 1:
            assert call.wave == 3 and set(call.needs) <= set(review), call
    # the badge calls stay the layout's (kept on a tab switch) though they wait for a page call
    assert all(c.kept for c in page.calls if c.key in badge)


def _not_in_journeys(text: str, heading: str) -> list[str]:
    section = text.split(heading)[1].split("\n####")[0]
    return [_cells(line)[0] for line in section.splitlines() if line.startswith("| (not in journeys)")]


def test_the_approval_pages_send_the_calls_the_journeys_lacked(reference_dir: Path) -> None:
    text = reference(reference_dir)
    rows = _not_in_journeys(text, "#### /agreements/:id/pre-award-approval")
    assert len(rows) == 2 and "`portfolios/`" in rows[0] and "`cans/{id}/funding/`" in rows[1]
    page = CATALOG.pages["/agreements/:id/review-pre-award"]
    calls = {c.key: c for c in page.calls}
    portfolios, funding = calls["portfolios"], calls["can_funding"]
    assert (portfolios.url, portfolios.endpoint, portfolios.needs) == (
        "portfolios/",
        "/api/v1/portfolios/",
        ("agreement",),
    )
    assert funding.endpoint == "/api/v1/cans/[id]/funding/" and funding.needs == ("portfolios", "agreement")
    assert funding.each is not None and funding.each.sources == ("agreement",) and funding.each.distinct
    # the approve page's funding cards sit in the same accordion: they wait for the portfolio list
    approve = CATALOG.pages["/agreements/approve/:id"]
    cards = next(c for c in approve.calls if c.endpoint == "/api/v1/cans/[id]/funding/")
    assert "portfolios" in cards.needs


def test_the_agreement_alert_looks_up_the_shops_of_a_notification(reference_dir: Path) -> None:
    assert "(only for procurement-shop notifications; not in journeys)" in reference(reference_dir)
    for route, page in CATALOG.pages.items():
        if page.family != "agreement":
            continue
        call = next(c for c in page.calls if c.key == "notification_shops")
        assert call.kept and call.each is not None and call.each.sources == ("agreement_notifications",), route
