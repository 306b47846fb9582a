"""The warm-up against the real simulator, and against a tiny gevent server for the failure paths."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from sim_helpers import start_sim
from wsgi_helpers import serve

from ops_perf.users.endpoints.catalog import ListShape, Pool, pools_in_use
from ops_perf.users.warmup import IdCache, WarmupSummary, harvest


@pytest.fixture(scope="module")
def sim() -> Iterator[Any]:
    with start_sim("healthy") as running:
        yield running


def headers_for(sim: Any) -> dict[str, str]:
    token = sim.login()["access_token"]
    return {"Authorization": f"Bearer {token}", "Accept": "application/json", "User-Agent": "ops-perf-test (warmup)"}


def test_harvest_pages_every_shape_up_to_the_limit(sim: Any) -> None:
    sim.reset()
    headers = headers_for(sim)
    ids, summary = harvest(sim.url, lambda: headers, pools_in_use(), ids_per_pool=30, deadline_s=30, timeout_s=10)
    assert summary.failures == [] and summary.empty_pools == [] and not summary.deadline_hit
    assert len(ids["bli_ids"]) == 30  # plain paged with _meta.total_count
    assert len(ids["can_ids"]) == 30  # wrapped, 40 available
    assert len(ids["portfolio_ids"]) == 12  # plain, everything in one answer
    assert all(len(set(v)) == len(v) for v in ids.values()), "ids must be unique per pool"
    log = [r for r in sim.requests() if "(warmup)" in (r["user_agent"] or "")]
    assert len(log) == summary.requests
    limits = [int(q.split("limit=")[1].split("&")[0]) for q in (r["query"] for r in log) if "limit=" in q]
    assert limits and max(limits) <= 30


def test_an_empty_table_is_an_empty_pool_not_a_failure() -> None:
    with start_sim("empty-reference") as sim:
        headers = headers_for(sim)
        _, summary = harvest(sim.url, lambda: headers, pools_in_use(), ids_per_pool=10, deadline_s=30, timeout_s=10)
    assert {"division_ids", "product_service_code_ids"} <= set(summary.empty_pools)
    assert [f for f in summary.failures if f["pool"] in ("division_ids", "product_service_code_ids")] == []
    assert "/api/v1/divisions/[id]" in summary.endpoints_without_ids
    assert any("no ids" in line and "/api/v1/divisions/[id]" in line for line in summary.lines())


@pytest.fixture
def flaky_server() -> Iterator[tuple[str, dict[str, int]]]:
    """`/flaky/` answers 504 once, then a list; `/broken/` always 500; `/slow/` takes 5 s."""
    hits: dict[str, int] = {}

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        path = environ["PATH_INFO"]
        hits[path] = hits.get(path, 0) + 1
        if path == "/slow/":
            gevent.sleep(5)
        if path == "/broken/" or (path == "/flaky/" and hits[path] == 1):
            start_response("504 Gateway Time-out", [("Content-Type", "text/html")])
            return [b"<html>504</html>"]
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps([{"id": 1}, {"id": 2}]).encode()]

    with serve(app) as url:
        yield url, hits


def test_a_5xx_page_is_retried_once_then_reported(flaky_server: tuple[str, dict[str, int]]) -> None:
    url, hits = flaky_server
    pools = {"flaky": Pool("flaky", "/flaky/", ListShape.PLAIN), "broken": Pool("broken", "/broken/", ListShape.PLAIN)}
    ids, summary = harvest(url, dict, pools, ids_per_pool=10, deadline_s=10, timeout_s=5, endpoints=())
    assert ids["flaky"] == [1, 2] and hits["/flaky/"] == 2
    assert hits["/broken/"] == 2 and ids["broken"] == []
    assert summary.failures == [{"pool": "broken", "endpoint": "/broken/", "error": "HTTP 504 Gateway Time-out"}]


def test_one_deadline_bounds_the_whole_harvest(flaky_server: tuple[str, dict[str, int]]) -> None:
    url, _ = flaky_server
    pools = {"slow": Pool("slow", "/slow/", ListShape.PLAIN), "fast": Pool("fast", "/flaky/", ListShape.PLAIN)}
    started = gevent.get_hub().loop.now()
    ids, summary = harvest(url, dict, pools, ids_per_pool=10, deadline_s=1.0, timeout_s=30, endpoints=())
    assert gevent.get_hub().loop.now() - started < 3.0
    assert summary.deadline_hit and ids["slow"] == []
    assert ids["fast"] == [1, 2], "a fast pool is not lost to a slow one"


def test_id_cache_fill_pick_and_message_round_trip() -> None:
    cache = IdCache()
    assert cache.pick("can_ids") is None and not cache.ready.is_set()
    cache.fill({"can_ids": [500, 501], "empty": []})
    assert cache.ready.is_set() and cache.pick("can_ids") in (500, 501) and cache.pick("empty") is None
    other = IdCache()
    other.fill(json.loads(json.dumps(cache.as_message())))
    assert other.sizes() == {"can_ids": 2, "empty": 0}


def test_summary_round_trips_to_json(tmp_path: Any) -> None:
    summary = WarmupSummary(1.5, {"a": 2}, [], [], [], 3, 120.0, False, 200)
    path = tmp_path / "x_warmup.json"
    summary.write(path)
    assert json.loads(path.read_text())["pools"] == {"a": 2}


def test_a_list_whose_items_lack_ids_is_not_an_empty_list() -> None:
    """An empty list leaves the pool empty; items without `id` fail the pool, saying so."""
    from ops_perf.users.warmup import _ids

    assert _ids({"data": []}) == [] and _ids([]) == []
    assert _ids([{"id": 3}, {"name": "x"}]) == [3]
    with pytest.raises(ValueError, match="2 item\\(s\\) but none with an `id` field"):
        _ids({"data": [{"name": "a"}, {"name": "b"}]})
