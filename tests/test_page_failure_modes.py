"""The page catalog's failure effects, cache rules and corrections against frontend-failure-modes.md.

The reference (read in place from ../shared/reference, skipped when absent) gives one label per call
of every page view: what a person sees when it fails. Our data states the same facts in its own keys
(`on_failure`, `refetch`, `[cache]`, the designed answers of ops_perf/users/endpoints/catalog.py); these tests find
each of our calls' row in the reference by its URL and compare. Calls whose row the URL cannot
single out (one URL in two rows of a page) are mapped by hand below, each with the reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from ops_perf.users.endpoints.catalog import ALL_ENDPOINTS, DESIGNED_ANSWERS, POOLS
from ops_perf.users.pages.catalog import CATALOG, FAILURE_EFFECTS, Call, Page

FILE = "frontend-failure-modes.md"
LABEL = re.compile(r"\*\*(blocks|degrades|ignored|n/a)\*\*")
ROUTE = re.compile(r"/[A-Za-z0-9:_\-/?=.]+")
TAB = re.compile(r"^(details|spending|funding)(?: W\d)?: ")
SHELL = "shell"


@dataclass(frozen=True)
class Row:
    """One call row of a reference table: where it applies, its call cell, its label."""

    routes: frozenset[str]
    cell: str
    label: str
    tab: str | None
    """`details` / `spending` / `funding`: the row belongs to that tab of its section only."""


def reference(reference_dir: Path) -> str:
    path = reference_dir / FILE
    if not path.is_file():
        pytest.skip(f"{path} not found (the reference material is read in place, never copied)")
    return path.read_text(encoding="utf-8")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in re.split(r"(?<!\\)\|", line.strip().strip("|"))]


RELATIVE = {
    "/review-pre-award": "/agreements/:id/review-pre-award",
    "/review-budget-requisition": "/agreements/:id/review-budget-requisition",
    "/review-award": "/agreements/:id/review-award",
    "/portfolios/:id": "/portfolios/:id/spending",
}
"""Route forms of the headings: relative names of the pre-award pages, /portfolios/:id = its spending tab."""


def _heading_routes(heading: str) -> set[str]:
    text = re.sub(r"\([^)]*\)", "", heading.split(" - ")[0])
    return {RELATIVE.get(r.rstrip(",."), r.rstrip(",.")) for r in ROUTE.findall(text)}


def rows_of(text: str) -> list[Row]:
    """Every call row of the shell table and of section 1 (the summary is not a page table)."""
    body = text.split("\n## 2.")[0]
    rows: list[Row] = []
    routes: set[str] = set()
    for line in body.splitlines():
        if line.startswith("## 0."):
            routes = {SHELL}
        elif line.startswith(("### ", "#### ")):
            routes = _heading_routes(line.lstrip("#").strip())
        elif line.startswith("| ") and (cells := _cells(line)) and len(cells) >= 3:
            found = LABEL.search(cells[1])
            if not found:
                continue
            cell, here = cells[0], set(routes)
            if not here:  # the Users table names its page in front of the call
                head, _, cell = cell.partition(": ")
                here = {ROUTE.findall(head)[0]}
            tab = TAB.match(cell)
            rows.append(Row(frozenset(here), cell, found.group(1), tab.group(1) if tab else None))
    return rows


def tab_of(route: str) -> str:
    return route.rsplit("/", 1)[1] if route.endswith(("/spending", "/funding")) else "details"


def rows_for(rows: list[Row], route: str) -> list[Row]:
    """The rows that apply to one of our page views (a section's untabbed rows apply to every tab)."""
    return [r for r in rows if route in r.routes and (r.tab is None or r.tab == tab_of(route))]


SHORTHAND = {
    "SC list": "services-components/?agreement_id={id}",
    "GN list": "grant-numbers/?agreement_id={id}",
    "all CANs": "cans/?limit=50&offset=0",
    "row creators": "users/{created_by}",
}
"""The workflow tables name some calls by the names frontend-journeys.md gives them."""
STRANGE_IDS = {"-1", "0", "null"}
"""Ids the frontend sends for a record's missing reference (its defects): one lookup URL like any id."""


def template(url: str) -> tuple[str, frozenset[tuple[str, str]]]:
    """(path with ids as {}, query pairs with ids as {} and the fiscal-year placeholders kept)."""
    url = url.removeprefix("/api/v1/")
    path, _, query = url.partition("?")
    segments = ["{}" if s.startswith("{") or s in STRANGE_IDS else s for s in path.split("/")]
    pairs = set()
    for pair in filter(None, query.split("&")):
        name, _, value = pair.partition("=")
        pairs.add((name, value if value.startswith("{FY") or not value.startswith("{") else "{}"))
    return "/".join(segments), frozenset(pairs)


def tokens(cell: str) -> list[tuple[str, frozenset[tuple[str, str]]]]:
    """The URLs a call cell names: `.../x/` continues the previous URL's directory; `...&a=b...` (a
    variant of the previous URL's query) says nothing of its own."""
    found: list[str] = []
    for token in re.findall(r"`([^`]+)`", cell):
        if token.startswith(".../") and found:
            found.append(found[-1].rsplit("/", 2)[0] + token[3:])
        elif not token.startswith("..."):
            found.append(token)
    found += [url for name, url in SHORTHAND.items() if name in cell]
    return [template(t) for t in found]


def candidates(rows: list[Row], call: Call) -> list[Row]:
    """Rows whose URL is the call's: the same query first, then a query it extends, then the path."""
    path, query = template(call.url)
    names = {n for n, _ in query}
    stages = [
        lambda p, q: p == path and q == query,
        lambda p, q: p == path and {n for n, _ in q} <= names,
        lambda p, q: p == path,
    ]
    for stage in stages:
        found = [r for r in rows if any(stage(p, q) for p, q in tokens(r.cell))]
        if found:
            return found
    return []


HAND: dict[tuple[str, str], tuple[str, str]] = {
    # (route, call key): (a piece of the row's call cell, why the URL cannot pick the row)
    ("/agreements/:id/budget-lines", "all_cans"): ("(W1 copy)", "the layout's all-CANs list and the rows' repeat"),
    ("/agreements/:id/budget-lines", "#10"): ("again", "the rows' all-CANs repeat, after the layout's copy"),
    ("/agreements/:id/budget-lines", "all_cans_more"): ("(W1 copy)", "the layout's further CAN pages"),
    ("/agreements/:id/budget-lines", "#9"): ("{created_by}", "creators, not the officers (users/{item} twice)"),
    ("/agreements/:id/budget-lines", "officers"): ("{alt po}", "the officers, not the creators"),
    ("/agreements/:id/procurement-tracker", "trackers"): ("(W1, Agreement.jsx)", "the layout's tracker query"),
    ("/agreements/:id/procurement-tracker", "#7"): ("(same URL again)", "the tab's own tracker query"),
    ("/agreements/:id/procurement-tracker", "officers"): ("{alt po}", "the officers, not the step users"),
    ("/agreements/:id/procurement-tracker", "#9"): (
        "{task_completed_by}",
        "one fan-out sends the step users and, for steps without one, users/-1 (its defect row is ignored)",
    ),
    ("/budget-lines", "#3"): ("{services_component_id}", "real ids; services-components/0 is the defect's 404 row"),
    ("/budget-lines", "#4"): ("{portfolio_id}", "real ids; portfolios/null is the defect's 404 row"),
    ("/portfolios/:id/funding", "#6"): ("{FY-4}", "the funding tab's five lazy FY summaries, not the layout's"),
    ("/agreements/review/:id", "#5"): ("`users/{po}`", "the officers, not the row creators"),
    ("/agreements/review/:id", "#7"): ("row creators", "the row creators, not the officers"),
    ("/agreements/approve/:id", "#2"): ("all CANs (hook)", "the page hook's all-CANs"),
    ("/agreements/approve/:id", "#9"): ("all CANs again", "the rows' all-CANs"),
    ("/agreements/approve/:id", "#4"): ("`users/{po}`", "the officers, not the row creators"),
    ("/agreements/approve/:id", "#8"): ("row creators", "the row creators, not the officers"),
    ("/agreements/:id/review-pre-award", "#6"): ("`users/{po}`", "the officers, not the step 5/6 requester"),
    ("/agreements/:id/review-pre-award", "#7"): ("{step 5/6 requester}", "the step 5/6 requester"),
    ("/procurement-dashboard", "agreements_more"): ("offset=50", "the further pages, named by their offsets"),
}
"""Our calls whose row the URL cannot single out (one URL in two rows of the page's table, with
different labels, or the same label but each row must be accounted for), mapped by hand: the row is
the one whose call cell holds the piece."""
HAND[("/budget-lines?filter=my-budget-lines", "#3")] = HAND[("/budget-lines", "#3")]
HAND[("/budget-lines?filter=my-budget-lines", "#4")] = HAND[("/budget-lines", "#4")]
SECTION_OF = {
    # the layout's alert (every tab) looks up a shop-change notification's shops: the reference names
    # them only in the Details table, as a dependent of the notifications ("not in journeys"), beside
    # the shops of a change request in review, with the same effect on the alert text
    ("/agreements/:id", "notification_shops"): "/agreements/:id",
    ("/agreements/:id/budget-lines", "notification_shops"): "/agreements/:id",
    ("/agreements/:id/procurement-tracker", "notification_shops"): "/agreements/:id",
    # RoleProtectedRoute's own user lookup: the shell's row says "Same on /procurement-dashboard"
    ("/procurement-dashboard", "#1"): SHELL,
}
"""Calls whose row sits in another table than their page's (matched there by URL)."""


def row_of(rows: list[Row], route: str, call: Call) -> Row:
    """The reference row of one of our calls: by URL, or by the hand map."""
    applicable = rows_for(rows, SECTION_OF.get((route, call.key), route))
    if (route, call.key) in HAND:
        piece = HAND[(route, call.key)][0]
        found = [r for r in applicable if piece in r.cell]
        assert len(found) == 1, f"{route} {call.key}: the hand map's {piece!r} matches {len(found)} rows"
        return found[0]
    found = candidates(applicable, call)
    assert found, f"{route} {call.key} ({call.url}): no row of the reference names this URL"
    labels = {r.label for r in found}
    assert len(labels) == 1, f"{route} {call.key} ({call.url}): rows disagree {labels}: map it by hand"
    return found[0]


def test_the_reference_tables_were_parsed(reference_dir: Path) -> None:
    rows = rows_of(reference(reference_dir))
    # The reference counts its rows by script: one per table row, less the 401 mechanism (n/a) and
    # the "none" of /projects/create (no label). Ours must find as many, or the layout has changed.
    counts = reference(reference_dir).split("### Counts")[1]
    figures = re.search(
        r"\| \*\*All\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \| \*\*(\d+)\*\* \|", counts
    )
    assert figures is not None, "the reference's counts table was not found"
    counted = [r for r in rows if r.label != "n/a"]
    assert len(counted) == int(figures.group(4))
    for i, effect in enumerate(FAILURE_EFFECTS):
        assert sum(r.label == effect for r in counted) == int(figures.group(i + 1)), effect


def test_every_hand_mapping_names_a_call_of_ours() -> None:
    for route, key in [*HAND, *SECTION_OF]:
        assert any(c.key == key for c in CATALOG.pages[route].calls), (route, key)


def test_every_call_of_ours_has_the_reference_label(reference_dir: Path) -> None:
    rows = rows_of(reference(reference_dir))
    checked = 0
    for route, page in CATALOG.pages.items():
        for call in page.calls:
            row = row_of(rows, route, call)
            assert call.on_failure == row.label, f"{route} {call.key} ({call.url}): ours {call.on_failure}, {row}"
            checked += 1
    assert checked == sum(len(p.calls) for p in CATALOG.pages.values())


def test_the_shell_calls_have_the_reference_label(reference_dir: Path) -> None:
    shell = [r for r in rows_of(reference(reference_dir)) if SHELL in r.routes]
    assert row_of_shell(shell, CATALOG.notifications.url).label == CATALOG.notifications.on_failure == "degrades"
    assert row_of_shell(shell, CATALOG.hard_load.url).label == CATALOG.hard_load.on_failure == "blocks"


def row_of_shell(shell: list[Row], url: str) -> Row:
    path = url.split("?")[0]
    found = [r for r in shell if f"`{path}?" in r.cell]
    assert len(found) == 1, url
    return found[0]


def test_every_reference_row_of_our_pages_is_sent_or_left_out_with_a_reason(reference_dir: Path) -> None:
    """The other way round: no row of a page we play is forgotten, unless it is not sent on load."""
    rows = rows_of(reference(reference_dir))
    left_out = {
        ("/agreements/edit/:id", "then create-step pages"): "the wizard's later steps are their own views",
        ("/agreements/review/:id", "per CAN of selected BLIs"): "sent after the person selects budget lines",
        ("/agreements/:id/review-pre-award", "request page: all CANs"): "the request page's, not a review page's",
    }
    matched = {id(row_of(rows, route, call)) for route, page in CATALOG.pages.items() for call in page.calls}
    forgotten = []
    for route, page in CATALOG.pages.items():
        for row in rows_for(rows, route):
            if id(row) in matched or any(route == r and piece in row.cell for (r, piece) in left_out):
                continue
            # a lookup of a missing id (users/-1 ..): sent by the same fan-out as the real ids, as its defect
            strange = re.match(r"`[a-z\-]+/(-1|0|null)`", row.cell)
            if strange and any(c.defect and c.each and c.each.null_as == strange.group(1) for c in page.calls):
                continue
            forgotten.append((route, row.cell))
    assert forgotten == []


# --- the corrections of the page catalog ---------------------------------------------------------


def test_for_review_waits_for_the_hidden_agreements_list(reference_dir: Path) -> None:
    text = reference(reference_dir)
    assert "Wave correction" in text and "the hidden list" in text
    page = CATALOG.pages["/agreements?filter=change-requests"]
    first = {c.key for c in page.calls if c.wave == 1}
    assert first == {"filters", "list"}
    hidden = next(c for c in page.calls if c.key == "list")
    assert hidden.url == CATALOG.pages["/agreements"].calls[1].url and hidden.on_failure == "blocks"
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
    assert portfolios.on_failure == funding.on_failure == "blocks"
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


# --- designed answers, defects and the cache ------------------------------------------------------


def test_the_designed_answers_are_stated_by_the_reference(reference_dir: Path) -> None:
    assert DESIGNED_ANSWERS, "the catalog states no designed answer"
    names = {ep.locust_name: ep for ep in ALL_ENDPOINTS}
    for name, answer in DESIGNED_ANSWERS.items():
        source = reference_dir / answer.source
        assert source.is_file(), answer.source
        text = source.read_text(encoding="utf-8")
        relative = name.removeprefix("/api/v1").replace("[id]", "")
        lines = [line for line in text.splitlines() if relative.strip("/") in line]
        assert any(str(s) in line for line in lines for s in answer.statuses), (name, answer.source)
        assert names[name].designed_statuses == answer.statuses


def test_portfolios_without_a_url_get_a_designed_404_that_nobody_sees(reference_dir: Path) -> None:
    rows = rows_of(reference(reference_dir))
    row = next(r for r in rows if "/portfolios/:id/spending" in r.routes and "`portfolios-url/{id}`" in r.cell)
    assert row.label == "ignored"
    summary = reference(reference_dir).split("## 2. Summary")[1]
    assert re.search(r"`portfolios-url/\{[\d,]+\}` \(404", summary)
    ep = next(e for e in ALL_ENDPOINTS if e.locust_name == "/api/v1/portfolios-url/[id]")
    assert ep.designed_statuses == (404,) and "without" in ep.designed_note
    for route in ("/portfolios/:id/spending", "/portfolios/:id/funding"):
        call = next(c for c in CATALOG.pages[route].calls if c.endpoint == ep.locust_name)
        assert call.on_failure == "ignored"


def test_the_lists_that_answer_404_when_empty_are_designed_answers() -> None:
    empty_404 = {p.list_path for p in POOLS.values() if p.empty_is_404}
    assert empty_404 == {n for n, a in DESIGNED_ANSWERS.items() if a.source == "ops-api-facts.md"}


def test_the_normal_404s_of_the_reference_are_our_defect_calls(reference_dir: Path) -> None:
    """Rows whose 404 "is the normal answer" are lookups of ids that do not exist: the frontend's
    defects, marked per call (their 404 is expected there), not designed answers of an endpoint."""
    text = reference(reference_dir)
    normal = re.findall(r"\| `([^`]+)`[^|]*\| \*\*ignored\*\* \| 404 is the normal answer", text)
    assert sorted(normal) == ["portfolios/null", "services-components/0", "users/-1"]
    defects = {c.each.null_as for p in CATALOG.pages.values() for c in p.calls if c.defect and c.each}
    assert {"-1", "0", "null"} <= defects
    assert not {"/api/v1/users/[id]", "/api/v1/services-components/[id]", "/api/v1/portfolios/[id]"} & set(
        DESIGNED_ANSWERS
    )


def test_the_cache_rules_are_the_reference_summary(reference_dir: Path) -> None:
    summary = reference(reference_dir).split("## 2. Summary")[1]
    seconds = re.search(r"RTK default (\d+) s: a successful entry is reused", summary)
    assert seconds and CATALOG.cache.keep_unused_s == float(seconds.group(1))
    assert "**Retry: none.**" in summary and CATALOG.cache.retries == 0
    assert "**Errors are not cached**" in summary and CATALOG.cache.errors_cached is False
    assert "a 401 on an opsApi query -> POST `/auth/refresh/` -> the same request once more" in summary
    assert CATALOG.cache.refresh_on_401 is True
    assert "opsAuthApi (`/auth/roles/`)" in summary and CATALOG.cache.no_refresh_endpoints == ("/auth/roles/",)
    assert "**No client timeout**" in summary and CATALOG.cache.client_timeout_s == 0


MOUNT: dict[str, list[tuple[str, str]]] = {
    # a file:line of the reference's "Refetch on mount" list: the (route, call key)s of ours it covers
    "AgreementsList.jsx:117": [(r, "list") for r in ("/agreements", "/agreements?filter=my-agreements")]
    + [("/agreements?filter=change-requests", "list")],
    "Agreement.jsx:80": [(r, "agreement") for r in ("/agreements/:id", "/agreements/:id/budget-lines")]
    + [("/agreements/:id/procurement-tracker", "agreement")],
    "Agreement.jsx:105": [(r, "trackers") for r in ("/agreements/:id", "/agreements/:id/budget-lines")]
    + [("/agreements/:id/procurement-tracker", "trackers")],
    "AgreementProcurementTracker.jsx:76": [("/agreements/:id/procurement-tracker", "#7")],
    "ChangeRequestsList.jsx:44": [("/agreements?filter=change-requests", "review_list")],
    "ChangeRequestsList.jsx:53": [("/agreements?filter=change-requests", "list_pending_approvals")],
    "ChangeRequestsList.jsx:60": [("/agreements?filter=change-requests", "list_pending_requisitions")],
    "ChangeRequestsList.jsx:67": [("/agreements?filter=change-requests", "list_pending_awards")],
    "useNotifications.js:15": [(SHELL, "notifications")],
    "Can.hooks.js:55": [(r, "can") for r in ("/cans/:id", "/cans/:id/spending", "/cans/:id/funding")],
    "Can.hooks.js:63": [(r, "#2") for r in ("/cans/:id", "/cans/:id/spending", "/cans/:id/funding")],
    "CanCard.jsx:26": [("/portfolios/:id/funding", "#11")],
    "PortfolioSpending.jsx:36": [("/portfolios/:id/spending", "portfolio_cans")],
    "PortfolioFunding.jsx:23": [("/portfolios/:id/funding", "funding_cans")],
    "ProjectDetail.jsx:26": [("/projects/:id", "project")],
    "ProjectSpending.jsx:58": [("/projects/:id/spending", "project")],
    "ProjectSpending.jsx:67": [("/projects/:id/spending", "spending")],
    "ProjectSpending.jsx:76": [("/projects/:id/spending", "#3")],
    "ProjectFunding.jsx:32": [("/projects/:id/funding", "project")],
    "ProjectFunding.jsx:43": [("/projects/:id/funding", "#2")],
    "EditUser.jsx:18": [("/users/edit/:id", "#1")],
    "EditAgreement.jsx:27": [("/agreements/edit/:id", "agreement")],
    "EditAgreement.jsx:36": [("/agreements/edit/:id", "#2")],
    "EditAgreement.jsx:45": [("/agreements/edit/:id", "#3")],
    "StepSelectProject.jsx:53": [("/agreements/create", "projects"), ("/agreements/create", "#2")],
    "ReviewAgreement.hooks.js:57": [("/agreements/review/:id", "agreement")],
    "ApproveAgreement.hooks.js:115": [("/agreements/approve/:id", "agreement")],
    "usePreAwardApprovalData.js:27": [("/agreements/:id/review-pre-award", "agreement")],
    "RequestAwardApproval.hooks.js:62": [("/agreements/:id/award-approval", "agreement")],
    "RequestAwardApproval.hooks.js:70": [("/agreements/:id/award-approval", "#3")],
}
MOUNT_NOT_OURS = {
    "CreateAgreement.jsx:11": "the wizard's shell hook: no call of ours is named by it",
    "EditAgreementAndBudgetLines.jsx:110": "/agreements/review/:id/edit is not a page of our catalog",
    "EditAgreementAndBudgetLines.jsx:125": "/agreements/review/:id/edit is not a page of our catalog",
    "EditAgreementAndBudgetLines.jsx:134": "/agreements/review/:id/edit is not a page of our catalog",
}
"""Hooks of the reference's list that none of our calls stands for, and why."""


def _refetch_list(summary: str) -> list[str]:
    bullet = summary.split("- **Refetch on mount**")[1].split("Ineffective")[0]
    found = []
    for name, lines in re.findall(r"([A-Za-z.]+\.jsx?):([\d,]+)", bullet):
        found += [f"{name}:{n}" for n in lines.split(",") if n]
    return found


def _call(route: str, key: str) -> Call:
    if route == SHELL:
        return CATALOG.notifications
    page: Page = CATALOG.pages[route]
    return next(c for c in page.calls if c.key == key)


def test_the_hooks_that_refetch_on_every_mount(reference_dir: Path) -> None:
    summary = reference(reference_dir).split("## 2. Summary")[1]
    listed = _refetch_list(summary)
    assert len(listed) > 25, "the refetch-on-mount list was not parsed: has the reference changed?"
    assert sorted(set(listed) - set(MOUNT) - set(MOUNT_NOT_OURS)) == []
    ours = {pair for name in listed if name in MOUNT for pair in MOUNT[name]}
    for route, key in ours:
        assert _call(route, key).refetch == "mount", (route, key)
    mounted = {(r, c.key) for r, p in CATALOG.pages.items() for c in p.calls if c.refetch == "mount"}
    mounted |= {(SHELL, "notifications")} if CATALOG.notifications.refetch == "mount" else set()
    assert mounted == ours


def test_lazy_triggers_and_axios_calls_are_never_served_from_the_cache(reference_dir: Path) -> None:
    summary = reference(reference_dir).split("## 2. Summary")[1]
    assert "Always refetched (lazy `trigger`" in summary and "axios calls are never cached" in summary
    for route, page in CATALOG.pages.items():
        for call in page.calls:
            if call.url.startswith("cans/?limit=50&offset="):  # useGetAllCans
                assert call.refetch == "lazy", (route, call.key)
            if route == "/procurement-dashboard" and call.endpoint == "/api/v1/agreements/":  # useGetAllAgreements
                assert call.refetch == "lazy", (route, call.key)
    assert _call("/portfolios/:id/spending", "budget_lines").refetch == "lazy"
    summaries = [
        c.refetch
        for c in CATALOG.pages["/portfolios/:id/funding"].calls
        if c.endpoint == "/api/v1/portfolio-funding-summary/[id]" and c.wave == 2
    ]
    assert summaries == ["lazy"] * 5
    rows = rows_of(reference(reference_dir))
    for route, page in CATALOG.pages.items():
        for call in page.calls:
            if "(axios" in row_of(rows, route, call).cell:
                assert call.refetch == "axios", (route, call.key)
    assert CATALOG.hard_load.refetch == "axios"


def test_a_degraded_text_goes_with_every_degrading_call() -> None:
    for route, page in CATALOG.pages.items():
        for call in page.calls:
            assert bool(call.degraded) == (call.on_failure == "degrades"), (route, call.key)
            assert len(call.degraded) <= 80, (route, call.key)
    assert CATALOG.notifications.degraded
