"""The warm-up: harvest ids for the detail endpoints once per run, before any user starts.

Why once, and why here: OPS list endpoints load everything and slice, so ten users each paging
through `/agreements/` at start-up is a load spike that the scenario never asked for (the 2025-10-15
runs hit exactly that). One process (the local runner or the master) harvests; workers receive the
ids by message. The harvest uses its own HTTP client so that none of its requests reach Locust's
statistics, fetches every pool concurrently, pages with `limit`/`offset` (never above OPS's maximum
of 50) and stops at one overall deadline.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import gevent
import gevent.event
import gevent.lock
import requests

from ops_perf.users.endpoints.catalog import ENDPOINTS, Endpoint, ListShape, Pool

logger = logging.getLogger(__name__)

PAGE_LIMIT_MAX = 50
"""OPS answers 400 to `limit` above 50."""
DEFAULT_CONCURRENCY = 8
"""At most this many warm-up requests in flight: enough to finish fast, gentle enough for prod."""
DEADLINE_REACHED = "warm-up deadline reached"
RETRIES_ON_5XX = 1
"""A list page that answers 5xx is asked once more before its pool is reported as failed."""
READY_WAIT_S = 300.0
"""How long a user on a worker waits for the master's ids before running without them."""


class IdCache:
    """The ids every user in this process draws from; filled once, read many times without locks."""

    def __init__(self) -> None:
        self._pools: dict[str, tuple[Any, ...]] = {}
        self.ready = gevent.event.Event()

    def fill(self, pools: Mapping[str, Sequence[Any]]) -> None:
        self._pools = {name: tuple(ids) for name, ids in pools.items()}
        self.ready.set()

    def clear(self) -> None:
        self._pools = {}
        self.ready.clear()

    def get(self, pool: str) -> tuple[Any, ...]:
        return self._pools.get(pool, ())

    def pick(self, pool: str) -> Any | None:
        ids = self._pools.get(pool)
        return random.choice(ids) if ids else None

    def sizes(self) -> dict[str, int]:
        return {name: len(ids) for name, ids in self._pools.items()}

    def as_message(self) -> dict[str, list[Any]]:
        return {name: list(ids) for name, ids in self._pools.items()}


@dataclass
class PoolHarvest:
    pool: str
    list_path: str
    ids: list[Any] = field(default_factory=list)
    requests: int = 0
    error: str | None = None
    table_empty: bool = False


@dataclass
class WarmupSummary:
    seconds: float
    pools: dict[str, int]
    failures: list[dict[str, str]]
    empty_pools: list[str]
    endpoints_without_ids: list[str]
    requests: int
    deadline_s: float
    deadline_hit: bool
    ids_per_pool: int
    reused_from: str | None = None
    """The ids file (`--warmup-ids`) these ids came from without a request; None: harvested by this run."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def lines(self) -> list[str]:
        """The human summary printed before the load starts."""
        if self.reused_from:
            head = f"warm-up: {sum(self.pools.values())} ids in {len(self.pools)} pools reused from {self.reused_from}"
            out = [head + " (no requests)"]
        else:
            out = [
                f"warm-up: {sum(self.pools.values())} ids in {len(self.pools)} pools from {self.requests} requests "
                f"in {self.seconds:.1f}s" + (f" (deadline of {self.deadline_s:g}s hit)" if self.deadline_hit else "")
            ]
        out.append("warm-up: " + ", ".join(f"{name}={count}" for name, count in sorted(self.pools.items())))
        out.extend(f"warm-up: FAILED {f['endpoint']}: {f['error']}" for f in self.failures)
        if self.endpoints_without_ids:
            out.append(
                f"warm-up: {len(self.endpoints_without_ids)} detail endpoint(s) have no ids and will not be "
                f"exercised: {', '.join(self.endpoints_without_ids)}"
            )
        return out

    def write(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n", encoding="utf-8")


class _Harvester:
    def __init__(
        self,
        base_url: str,
        headers: Callable[[], Mapping[str, str]],
        ids_per_pool: int,
        timeout_s: float,
        deadline: float,
        concurrency: int,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.headers = headers
        self.ids_per_pool = ids_per_pool
        self.timeout_s = timeout_s
        self.deadline = deadline
        self.slots = gevent.lock.BoundedSemaphore(concurrency)
        self.session = requests.Session()
        self.session.headers.clear()  # no requests defaults: the headers are exactly the browser-like set

    def get(self, result: PoolHarvest, params: Mapping[str, int] | None = None) -> requests.Response:
        remaining = self.deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(DEADLINE_REACHED)
        with self.slots:
            result.requests += 1
            try:
                return self.session.get(
                    self.base_url + result.list_path,
                    params=params,
                    headers=dict(self.headers()),
                    timeout=min(self.timeout_s, remaining),
                    allow_redirects=False,
                )
            except requests.Timeout:
                if remaining < self.timeout_s:  # cut short by the deadline, not by the request timeout
                    raise TimeoutError(DEADLINE_REACHED) from None
                raise

    def harvest(self, pool: Pool) -> PoolHarvest:
        result = PoolHarvest(pool.name, pool.list_path)
        try:
            if pool.shape is ListShape.PLAIN:
                body = self._json(result, pool, None)
                if body is not None:
                    result.ids = _ids(body)[: self.ids_per_pool]
            else:
                self._paged(result, pool)
        except (requests.RequestException, TimeoutError, ValueError) as err:
            result.error = _describe(err)
        result.ids = list(dict.fromkeys(result.ids))[: self.ids_per_pool]
        return result

    def _paged(self, result: PoolHarvest, pool: Pool) -> None:
        limit = min(PAGE_LIMIT_MAX, self.ids_per_pool)
        first = self._json(result, pool, {"limit": limit, "offset": 0})
        if first is None:
            return
        items = _ids(first)
        result.ids.extend(items)
        total = _total(first)
        if total is not None:
            # The count is known: fetch the remaining pages concurrently.
            offsets = range(limit, min(total, self.ids_per_pool), limit)
            pages = [gevent.spawn(self._page, result, pool, {"limit": limit, "offset": o}) for o in offsets]
            gevent.joinall(pages)
            for page in pages:
                body, error = page.value
                if error is not None:
                    raise error  # the first failing page fails the pool; the ids so far are kept
                result.ids.extend(_ids(body) if body is not None else [])
            return
        offset = limit
        while len(items) == limit and len(result.ids) < self.ids_per_pool:
            page = self._json(result, pool, {"limit": limit, "offset": offset})
            items = _ids(page) if page is not None else []
            result.ids.extend(items)
            offset += limit

    def _page(
        self, result: PoolHarvest, pool: Pool, params: Mapping[str, int]
    ) -> tuple[Any, requests.RequestException | TimeoutError | ValueError | None]:
        """One page in its own greenlet: errors are returned, not raised (no greenlet tracebacks)."""
        try:
            return self._json(result, pool, params), None
        except (requests.RequestException, TimeoutError, ValueError) as err:
            return None, err

    def _json(self, result: PoolHarvest, pool: Pool, params: Mapping[str, int] | None) -> Any:
        response = self.get(result, params)
        for _ in range(RETRIES_ON_5XX):
            if response.status_code < 500:
                break
            response = self.get(result, params)  # a gateway timeout is often transient; the deadline bounds it
        if response.status_code == 404 and pool.empty_is_404:
            result.table_empty = True
            return None
        if response.status_code != 200:
            reason = response.reason or ""
            raise ValueError(f"HTTP {response.status_code} {reason}".strip())
        try:
            return response.json()
        except ValueError:
            raise ValueError(f"HTTP 200 but the body is not JSON ({len(response.content)} bytes)") from None


def harvest(
    base_url: str,
    headers: Callable[[], Mapping[str, str]],
    pools: Mapping[str, Pool],
    *,
    ids_per_pool: int,
    deadline_s: float,
    timeout_s: float,
    concurrency: int = DEFAULT_CONCURRENCY,
    endpoints: Sequence[Endpoint] = ENDPOINTS,
) -> tuple[dict[str, list[Any]], WarmupSummary]:
    """Fetch every pool concurrently within one deadline; never raises for a failing endpoint.

    `headers` is called per request so that a token renewed during a long harvest is used at once.
    """
    started = time.monotonic()
    harvester = _Harvester(base_url, headers, ids_per_pool, timeout_s, started + deadline_s, concurrency)
    jobs = {name: gevent.spawn(harvester.harvest, pool) for name, pool in pools.items()}
    gevent.joinall(list(jobs.values()), timeout=deadline_s + 1.0)
    deadline_hit = False
    results: dict[str, PoolHarvest] = {}
    for name, job in jobs.items():
        if job.ready() and job.successful():
            results[name] = job.value
        else:
            job.kill(block=False)
            deadline_hit = True
            results[name] = PoolHarvest(name, pools[name].list_path, error=DEADLINE_REACHED)
    deadline_hit = deadline_hit or any(r.error == DEADLINE_REACHED for r in results.values())
    ids = {name: r.ids for name, r in results.items()}
    empty = sorted(name for name, r in results.items() if not r.ids)
    summary = WarmupSummary(
        seconds=round(time.monotonic() - started, 3),
        pools={name: len(r.ids) for name, r in results.items()},
        failures=[
            {"pool": r.pool, "endpoint": r.list_path, "error": r.error} for r in results.values() if r.error is not None
        ],
        empty_pools=empty,
        endpoints_without_ids=[ep.locust_name for ep in endpoints if ep.pool in empty],
        requests=sum(r.requests for r in results.values()),
        deadline_s=deadline_s,
        deadline_hit=deadline_hit,
        ids_per_pool=ids_per_pool,
    )
    return ids, summary


def _ids(body: Any) -> list[Any]:
    """Ids from a wrapped `{data: [...]}` or a plain list body.

    A list whose items carry no `id` is not an empty list: the pool fails with that said (the list's
    shape is not the one the catalog expects), where an empty list only leaves the pool empty."""
    items = body.get("data", []) if isinstance(body, dict) else body
    if not isinstance(items, list):
        raise ValueError(f"expected a list or {{data: [...]}}, got {type(body).__name__}")
    ids = [item["id"] for item in items if isinstance(item, dict) and "id" in item]
    if items and not ids:
        raise ValueError(f"the list has {len(items)} item(s) but none with an `id` field (not the shape expected)")
    return ids


def _total(body: Any) -> int | None:
    """The total row count, where the endpoint reports one (`count`, or BLIs' `_meta.total_count`)."""
    if isinstance(body, dict) and isinstance(body.get("count"), int):
        return int(body["count"])
    if isinstance(body, list) and body and isinstance(body[0], dict):
        meta = body[0].get("_meta")
        if isinstance(meta, dict) and isinstance(meta.get("total_count"), int):
            return int(meta["total_count"])
    return None


def _describe(err: BaseException) -> str:
    if isinstance(err, requests.Timeout):
        return "timed out"
    if isinstance(err, requests.ConnectionError):
        return f"connection failed ({type(err).__name__})"
    return str(err) or type(err).__name__
