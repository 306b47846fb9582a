"""Tasks generated from the catalog, and the headers every request carries."""

from __future__ import annotations

import re

import pytest
from locust.exception import RescheduleTaskImmediately

from ops_perf.users.endpoints.catalog import ENDPOINTS, by_name
from ops_perf.users.endpoints.user import OPSUser, apply_mix, make_task
from ops_perf.users.headers import RequestHeaders
from ops_perf.users.state import RunState


class Recorder:
    """Stands in for the user object a task is given: records what it would request."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.records: list[object] = []
        self.skips = 0
        self.run_state = RunState()
        self.run_state.ids.fill({"project_ids": [7], "user_ids": [42]})

    def request(self, url: str, name: str, record: object = None) -> None:
        self.calls.append((url, name))
        self.records.append(record)

    def skip_id_less(self) -> None:
        self.skips += 1


def test_every_catalog_entry_becomes_a_weighted_task() -> None:
    weights = list(OPSUser.tasks)
    assert len(weights) == sum(ep.weight for ep in ENDPOINTS)
    names = {t.__name__ for t in OPSUser.tasks}
    assert names == {f"get {ep.locust_name}" for ep in ENDPOINTS}


def test_an_even_mix_picks_every_endpoint_equally_and_keeps_the_tag_filter() -> None:
    weighted = list(OPSUser.tasks)
    try:
        apply_mix(OPSUser, "even")
        assert len(OPSUser.tasks) == len(ENDPOINTS) and set(OPSUser.tasks) == set(weighted)
        apply_mix(OPSUser, "weighted")
        assert OPSUser.tasks == weighted
        # Locust filters by --tags before test start; the even mix keeps that filter.
        cans = [t for t in weighted if "cans" in t.locust_tag_set]
        OPSUser.tasks = cans
        del OPSUser._weighted_tasks  # as a fresh process would be: the filtered list is the weighted one
        apply_mix(OPSUser, "even")
        assert set(OPSUser.tasks) == set(cans) and len(OPSUser.tasks) == len(set(cans)) < len(cans)
    finally:
        OPSUser.tasks = weighted
        if "_weighted_tasks" in OPSUser.__dict__:
            del OPSUser._weighted_tasks


def test_ids_and_fiscal_years_fill_the_url_and_the_name_keeps_the_convention() -> None:
    user = Recorder()
    make_task(by_name()["/api/v1/projects/[id]/funding/?fiscal_year=[fy]"])(user)
    make_task(by_name()["/api/v1/change-requests/?userId=[id]"])(user)
    make_task(by_name()["/api/v1/lookups/portfolio-status/[id]"])(user)
    (url1, name1), (url2, _), (url3, _) = user.calls
    assert re.fullmatch(r"/api/v1/projects/7/funding/\?fiscal_year=202[3-6]", url1)
    assert name1 == "/api/v1/projects/[id]/funding/?fiscal_year=[fy]"
    assert url2 == "/api/v1/change-requests/?userId=42"
    assert url3 == "/api/v1/lookups/portfolio-status/1"
    assert user.records == [7, 42, None]  # the picked id goes with the request, for the per-record tally


def test_an_empty_pool_skips_instead_of_requesting() -> None:
    user = Recorder()
    make_task(by_name()["/api/v1/cans/[id]"])(user)  # can_ids is not in the cache
    assert user.calls == [] and user.skips == 1


def test_tags_mark_detail_and_list_tasks() -> None:
    assert {"detail", "cans"} <= make_task(by_name()["/api/v1/cans/[id]"]).locust_tag_set
    assert "list" in make_task(by_name()["/api/v1/cans/"]).locust_tag_set


def test_reschedule_is_bounded() -> None:
    user = OPSUser.__new__(OPSUser)
    user._reschedules = 0
    for _ in range(50):
        with pytest.raises(RescheduleTaskImmediately):
            user.skip_id_less()
    user.skip_id_less()  # the 51st returns: a normal wait instead of a busy loop
    assert user._reschedules == 0


class Tokens:
    def __init__(self) -> None:
        self.token = "t1"

    def token_for(self, user_index: int) -> str:
        return f"{self.token}-{user_index % 2}"

    def on_unauthorized(self, token_used: str) -> None:
        pass


def test_headers_are_browser_like_shared_per_token_and_follow_renewal() -> None:
    tokens = Tokens()
    headers = RequestHeaders(tokens, "https://stg.ops.opre.acf.gov")
    token, first = headers.for_user(0)
    assert token == "t1-0" and first["Authorization"] == "Bearer t1-0"
    assert first["Accept"] == "application/json" and first["Referer"] == "https://stg.ops.opre.acf.gov/"
    assert first["User-Agent"].startswith("ops-perf/") and "Content-Type" not in first
    assert headers.for_user(2)[1] is first, "built once per token"
    tokens.token = "t2"
    assert headers.for_user(0)[1]["Authorization"] == "Bearer t2-0"
