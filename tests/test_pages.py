"""The page catalog (ops_perf/users/pages/pages.toml) against the endpoint catalog and frontend-journeys.md."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from ops_perf.users.endpoints.catalog import PAGE_ONLY_ENDPOINTS, by_name
from ops_perf.users.pages import catalog as pages
from ops_perf.users.pages.catalog import CATALOG, PageCatalogError, federal_fiscal_year, fill_fiscal_years

ROUTE = re.compile(r"(/[A-Za-z0-9:_\-/?=.*]*)")
LEFT_OUT = {
    "/release-notes": "static: shell only, like / (which the catalog has)",
    "/next": "static: shell only",
    "/help-center/*": "static: shell only",
    "/version": "static (reads package.json): shell only",
    "/projects/create": "no calls on load",
    "/upload-document": "calls only after an agreement is chosen (an action, not a load)",
    "/agreements/:id/documents": "tab disabled in the frontend (IS_DOCUMENTS_TAB_READY=false)",
    "/agreements/review/:id/edit": "the same calls as /agreements/review/:id plus create-step lookups (both covered)",
    "/agreements/:id/pre-award-approval": "same data hook as /agreements/:id/review-pre-award",
    "/review-budget-requisition": "same data hook as /agreements/:id/review-pre-award",
    "/review-award": "same data hook as /agreements/:id/review-pre-award",
    "/review-pre-award": "relative form of /agreements/:id/review-pre-award",
}
"""Page views of frontend-journeys.md the catalog leaves out, and why."""
ALIASES = {
    "/portfolios/:id": "/portfolios/:id/spending",
    "/spending": "/portfolios/:id/spending",
    "/procurement-tracker": "/agreements/:id/procurement-tracker",
}
"""/portfolios/:id redirects to its spending tab; the heaviest-pages table names a tab relatively."""


def journeys(reference_dir: Path) -> str:
    path = reference_dir / "frontend-journeys.md"
    if not path.is_file():
        pytest.skip(f"{path} not found")
    return path.read_text(encoding="utf-8")


def section(text: str, number: int) -> str:
    return text.split(f"\n## {number}.")[1].split("\n## ")[0]


def routes_in(cell: str) -> set[str]:
    found = set()
    for token in ROUTE.findall(re.sub(r"\([^)]*\)", "", cell.replace("`", ""))):
        token = token.rstrip(".,")
        if token in ("/", "/api/v1/") or len(token) > 1:
            found.add(ALIASES.get(token, token))
    return found


def test_every_page_call_names_a_catalog_endpoint() -> None:
    names = set(by_name())
    for page in CATALOG.pages.values():
        for call in page.calls:
            assert call.defect or call.endpoint in names, f"{page.route}: {call.endpoint}"
    assert CATALOG.notifications.endpoint in names and CATALOG.hard_load.endpoint in names


def test_every_page_only_endpoint_is_sent_by_some_page() -> None:
    assert {ep.locust_name for ep in PAGE_ONLY_ENDPOINTS} <= CATALOG.endpoints()


def test_the_catalog_covers_the_page_views_of_the_journeys(reference_dir: Path) -> None:
    text = journeys(reference_dir)
    headings = [line[4:].split(" - ")[0] for line in section(text, 1).splitlines() if line.startswith("### ")]
    # The tables of the Users and workflows sections name their pages in the first column.
    rows = [line.split("|")[1] for line in section(text, 1).splitlines() if line.startswith("| /")]
    seen = set().union(*(routes_in(h) for h in headings + rows))
    assert len(seen) > 30, "the journeys file's headings were not parsed: has its layout changed?"
    missing = sorted(r for r in seen if r not in CATALOG.pages and r not in LEFT_OUT)
    assert missing == []
    assert len(CATALOG.pages) >= 25


def test_the_central_pages_by_weight_are_present(reference_dir: Path) -> None:
    rows = [line.split("|")[1] for line in section(journeys(reference_dir), 3).splitlines() if line.startswith("| /")]
    central = set().union(*(routes_in(cell) for cell in rows))
    assert len(central) >= 10
    assert sorted(central - set(CATALOG.pages)) == []


def test_the_five_heaviest_pages_are_present(reference_dir: Path) -> None:
    rows = [line.split("|") for line in section(journeys(reference_dir), 2).splitlines() if re.match(r"\| \d ", line)]
    assert len(rows) == 5
    heaviest = set().union(*(routes_in(row[2]) for row in rows))
    assert {"/portfolios/:id/spending", "/budget-lines", "/agreements?filter=change-requests"} <= heaviest
    assert sorted(heaviest - set(CATALOG.pages)) == []


def test_every_frontend_get_of_section_4_is_sent() -> None:
    sent = CATALOG.endpoints()
    for name in ("/api/v1/reporting-summary/", "/api/v1/vendors/", "/auth/roles/", "/api/v1/documents/"):
        assert name in sent


def test_the_portfolio_spending_fan_out_reads_the_cans_budget_lines() -> None:
    page = CATALOG.pages["/portfolios/:id/spending"]
    blis = next(c for c in page.calls if c.key == "budget_lines")
    assert blis.wave == 3 and blis.endpoint == "/api/v1/budget-line-items/[id]"
    assert blis.each is not None and blis.each.sources == ("portfolio_cans",) and blis.each.distinct
    assert blis.each.field == "[].budget_line_items[]"
    assert page.shell_wave == 2


def test_frontend_defects_are_marked_and_only_defects_send_nulls() -> None:
    defects = {c.url for p in CATALOG.pages.values() for c in p.calls if c.defect}
    assert {"/api/v1/", "users/{item}", "services-components/{item}"} <= defects
    assert "/api/v1/" not in CATALOG.endpoints()
    assert "/api/v1/" in CATALOG.endpoints(defects=True)


def test_tabs_keep_the_layout_calls() -> None:
    tabs = [p for p in CATALOG.pages.values() if p.family == "agreement"]
    assert len(tabs) == 3
    kept = [{c.key for c in p.calls if c.kept} for p in tabs]
    assert all(k == kept[0] for k in kept) and "agreement" in kept[0]


def test_navigation_reaches_every_page_and_names_only_pages() -> None:
    nav = CATALOG.navigation
    assert pages.reachable(nav) == set(CATALOG.pages)
    assert 0 < nav.link_share < 1 and 0 < nav.deep_link_share < 1


def test_federal_fiscal_year_turns_in_october() -> None:
    assert federal_fiscal_year(date(2026, 9, 30)) == 2026
    assert federal_fiscal_year(date(2026, 10, 1)) == 2027
    assert fill_fiscal_years("a{FY}b{FY-4}c{id}", 2027) == "a2027b2023c{id}"


def test_fingerprint_is_stable() -> None:
    assert CATALOG.fingerprint() == pages.load().fingerprint()


# --- validation: a broken file is refused with the page and call named -----------------------------

CACHE = """
[cache]
keep_unused_s = 60
errors_cached = false
retries = 0
refresh_on_401 = true
no_refresh_endpoints = ["/auth/roles/"]
client_timeout_s = 0
"""
BASE = (
    """
[shell]
notifications = { url = "notifications/?oidc_id={oidc}", endpoint = "/api/v1/notifications/", on_failure = "degrades" }
hard_load = { url = "users/?oidc_id={oidc}", endpoint = "/api/v1/users/", user_field = "[0].id", on_failure = "blocks" }
"""
    + CACHE
    + """[navigation]
link_share = 0.5
deep_link_share = 0.1
[navigation.land]
"/x" = 1
[navigation.top]
"/x" = 1
"""
)
LABEL = '[[page.call]]\non_failure = "blocks"\n'
"""Every call states what a failure does; the broken calls below get a label, so that each is refused
for its own fault."""


def load_text(tmp_path: Path, pages_toml: str, base: str = BASE) -> pages.Catalog:
    path = tmp_path / "pages.toml"
    path.write_text(base + pages_toml, encoding="utf-8")
    return pages.load(path)


def test_a_minimal_catalog_loads(tmp_path: Path) -> None:
    catalog = load_text(tmp_path, '[[page]]\nroute = "/x"\nfamily = "x"\n')
    assert list(catalog.pages) == ["/x"]


@pytest.mark.parametrize(
    ("calls", "message"),
    [
        ('[[page.call]]\nurl = "nope/"\nendpoint = "/api/v1/nope/"\n', "not in ops_perf/users/endpoints/catalog.py"),
        ('[[page.call]]\nurl = "cans/{item}"\nendpoint = "/api/v1/cans/[id]"\n', "fan-out"),
        (
            '[[page.call]]\nurl = "cans/{item}"\nendpoint = "/api/v1/cans/[id]"\n'
            'each = { from = ["later"], field = "[].id" }\n',
            "earlier wave",
        ),
        (
            '[[page.call]]\nkey = "a"\nurl = "cans/"\nendpoint = "/api/v1/cans/"\n'
            '[[page.call]]\nwave = 2\nurl = "cans/{item}"\nendpoint = "/api/v1/cans/[id]"\n'
            'each = { from = ["a"], field = "data[.id" }\n',
            "not JMESPath",
        ),
        (
            '[[page.call]]\nkey = "a"\nurl = "cans/"\nendpoint = "/api/v1/cans/"\n'
            '[[page.call]]\nwave = 2\nurl = "cans/{item}"\nendpoint = "/api/v1/cans/[id]"\n'
            'each = { from = ["a"], field = "map(&id, data)", null_as = "0" }\n',
            "defect",
        ),
        ('[[page.call]]\nurl = "cans/{bogus}"\nendpoint = "/api/v1/cans/"\n', "placeholder"),
        ('[[page.call]]\nwave = 3\nurl = "cans/"\nendpoint = "/api/v1/cans/"\n', "wave 3 follows no call"),
    ],
)
def test_a_broken_call_is_refused(tmp_path: Path, calls: str, message: str) -> None:
    calls = calls.replace("[[page.call]]\n", LABEL)
    with pytest.raises(PageCatalogError, match=message):
        load_text(tmp_path, f'[[page]]\nroute = "/x"\nfamily = "x"\n{calls}')


ONE_CALL = '[[page]]\nroute = "/x"\nfamily = "x"\n[[page.call]]\nurl = "cans/"\nendpoint = "/api/v1/cans/"\n'


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ("", "on_failure must be one of blocks | degrades | ignored"),
        ('on_failure = "breaks"\n', "on_failure must be one of"),
        ('on_failure = "blocks"\ndegraded = "badge missing"\n', "only for on_failure = 'degrades'"),
        ('on_failure = "degrades"\nrefetch = "sometimes"\n', "refetch must be one of cache | mount | lazy | axios"),
    ],
)
def test_a_call_must_say_what_its_failure_does(tmp_path: Path, keys: str, message: str) -> None:
    with pytest.raises(PageCatalogError, match=re.escape(message)):
        load_text(tmp_path, ONE_CALL + keys)


def test_what_a_failure_does_and_how_the_call_is_cached_are_loaded(tmp_path: Path) -> None:
    catalog = load_text(tmp_path, ONE_CALL + 'on_failure = "degrades"\ndegraded = "badge missing"\nrefetch = "mount"\n')
    call = catalog.pages["/x"].calls[0]
    assert (call.on_failure, call.degraded, call.refetch) == ("degrades", "badge missing", "mount")
    plain = load_text(tmp_path, ONE_CALL + 'on_failure = "ignored"\n').pages["/x"].calls[0]
    assert (plain.on_failure, plain.degraded, plain.refetch) == ("ignored", "", "cache")
    assert catalog.notifications.on_failure == "degrades" and catalog.hard_load.on_failure == "blocks"
    assert catalog.cache == pages.CachePolicy(60.0, False, 0, True, ("/auth/roles/",), 0.0)
    assert catalog.fingerprint() != load_text(tmp_path, ONE_CALL + 'on_failure = "blocks"\n').fingerprint()


def test_the_shell_calls_must_say_what_their_failure_does(tmp_path: Path) -> None:
    base = BASE.replace(', on_failure = "degrades"', "")
    with pytest.raises(PageCatalogError, match=r"page shell call #1: on_failure"):
        load_text(tmp_path, '[[page]]\nroute = "/x"\nfamily = "x"\n', base)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ("[cache]", "[kache]", r"\[cache\]: expected a table"),
        ("retries = 0", "retries = -1", "retries must be a whole number"),
        ("retries = 0", "", "missing"),
        ("retries = 0", "retries = 0\nretry_delay_s = 1", "unknown key"),
        ('["/auth/roles/"]', '["/auth/nope/"]', "no_refresh_endpoints must list endpoints"),
        ("keep_unused_s = 60", 'keep_unused_s = "60"', "keep_unused_s must be a number of seconds"),
        ("errors_cached = false", "errors_cached = 0", "errors_cached must be true or false"),
    ],
)
def test_a_broken_cache_table_is_refused(tmp_path: Path, old: str, new: str, message: str) -> None:
    with pytest.raises(PageCatalogError, match=message):
        load_text(tmp_path, '[[page]]\nroute = "/x"\nfamily = "x"\n', BASE.replace(old, new))


def test_a_kept_call_may_wait_for_a_call_of_its_page(tmp_path: Path) -> None:
    """For Review: the tab bar (the layout's badge calls) mounts only once the hidden list answered."""
    text = (
        '[[page]]\nroute = "/x"\nfamily = "x"\n'
        '[[page.call]]\nkey = "list"\nurl = "agreements/"\nendpoint = "/api/v1/agreements/"\non_failure = "blocks"\n'
        '[[page.call]]\nkey = "badge"\nwave = 2\nneeds = ["list"]\nkept = true\nurl = "cans/"\n'
        'endpoint = "/api/v1/cans/"\non_failure = "degrades"\n'
    )
    badge = load_text(tmp_path, text).pages["/x"].calls[1]
    assert badge.kept and badge.needs == ("list",)


def test_an_unreachable_page_is_refused(tmp_path: Path) -> None:
    with pytest.raises(PageCatalogError, match="no way leads to"):
        load_text(tmp_path, '[[page]]\nroute = "/x"\nfamily = "x"\n[[page]]\nroute = "/y"\nfamily = "y"\n')


def test_kept_calls_must_agree_across_a_family(tmp_path: Path) -> None:
    tab = '[[page]]\nroute = "{r}"\nfamily = "f"\n[[page.call]]\nkey = "k"\nurl = "{u}"\nendpoint = "/api/v1/cans/"\nkept = true\n'
    tab += 'on_failure = "blocks"\n'
    text = tab.replace("{r}", "/x").replace("{u}", "cans/") + tab.replace("{r}", "/y").replace("{u}", "cans/?a=1")
    with pytest.raises(PageCatalogError, match="differs"):
        load_text(tmp_path, text, BASE + '"/y" = 1\n')


def test_a_detail_route_needs_a_known_pool(tmp_path: Path) -> None:
    with pytest.raises(PageCatalogError, match="id_pool"):
        load_text(tmp_path, '[[page]]\nroute = "/x/:id"\nfamily = "x"\nid_pool = "nope"\n')


CODE_DIRS = {"components", "hooks", "pages", "helpers", "api", "backend", "frontend", "auth.js"}
API_TOKEN = re.compile(r"^/?[a-z][a-z0-9\-]*(/[A-Za-z0-9\-{}_.]*)*(\?.*)?$")


def _template(text: str) -> str:
    """`cans/{id}/funding/?fiscal_year={FY}` -> `/api/v1/cans/{}/funding/` (query dropped, ids as {})."""
    path = re.sub(r"\{[^}]*\}", "{}", text.split("?")[0])
    return path if path.startswith("/") else "/api/v1/" + path


def test_every_get_the_journeys_name_on_a_page_is_sent(reference_dir: Path) -> None:
    tokens = re.findall(r"`([^`]+)`", section(journeys(reference_dir), 1))
    # API paths: relative to /api/v1/ or under /auth/ (a leading-slash token otherwise is a page route).
    wanted = {
        _template(t)
        for t in tokens
        if API_TOKEN.match(t)
        and "/" in t
        and (not t.startswith("/") or t.startswith(("/auth/", "/api/")))
        and t.split("/")[0] not in CODE_DIRS
        and not t.endswith((".js", ".jsx"))
    }
    assert len(wanted) > 40, "the journeys' GET cells were not parsed: has the file's layout changed?"
    ours = {_template(c.url) for p in CATALOG.pages.values() for c in p.calls}
    ours |= {_template(CATALOG.notifications.url), _template(CATALOG.hard_load.url)}
    defects = {"/api/v1/users/-1", "/api/v1/services-components/0", "/api/v1/portfolios/null", "/api/v1/"}
    assert sorted(wanted - ours - defects) == []
