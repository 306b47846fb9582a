"""A planted N+1 runs real SQL: `pg_stat_statements` in a real PostgreSQL counts exactly what the log says.

A throw-away PostgreSQL (`pg_helpers`) with `pg_stat_statements` preloaded; the simulator (a real
process, `--db-url`) creates its own schema there and, per request of a planted route, runs 2 + rows
statements (1 for an unknown id). The statements' calls in `pg_stat_statements` before and after the
requests (deltas, no reset, as `diagnose` reads them) must equal the sum of the log's
`sql_statements`, request by request the formula, under concurrency too (the simulator's small
connection pool, cooperative under gevent). The URL, password included, never appears anywhere.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from pg_helpers import Postgres, skip_reason
from sim_helpers import SimProcess, start_sim

from ops_perf.sim.tokens import mint

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(skip_reason() is not None, reason=skip_reason() or ""),
]

KEY = "sim-causes-sql-test-key-at-least-32-bytes"
TOKEN = mint(KEY, "00000000-0000-1111-a111-000000000500", lifetime_s=3600)
PASSWORD = "n0t-a-real-s3cret"  # trust auth ignores it; it must still never show
SCHEMA_STATEMENTS = "SELECT % FROM ops_perf_sim.%"
PER_ROW = "SELECT doc FROM ops_perf_sim.budget_line_items WHERE id = $1"


@pytest.fixture(scope="module")
def db_url(postgres_statements: Postgres) -> str:
    return postgres_statements.new_statements_database("sim_n_plus_one", PASSWORD)


def statement_calls(url: str) -> dict[str, int]:
    """Calls per normalised statement the simulator's schema saw, in this database (a snapshot)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        rows = conn.execute(
            "SELECT query, sum(calls)::bigint FROM pg_stat_statements "
            "WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database()) AND query LIKE %s "
            "GROUP BY query",
            (SCHEMA_STATEMENTS,),
        ).fetchall()
    return {query: int(calls) for query, calls in rows}


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {q: n - before.get(q, 0) for q, n in after.items() if n != before.get(q, 0)}


def get(sim: SimProcess, path: str) -> requests.Response:
    session = requests.Session()
    session.trust_env = False
    with session:
        return session.get(sim.url + path, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)


def _sim(url: str, *extra: str) -> SimProcess:
    env_url = ["--jwt-key", KEY, *extra]
    os.environ["OPS_SIM_DB_URL"] = url  # kept out of the process list, as the help says
    try:
        return start_sim("causes", time_scale=0.05, extra_args=env_url)
    finally:
        del os.environ["OPS_SIM_DB_URL"]


def test_the_n_plus_one_issues_exactly_the_logged_statements(db_url: str) -> None:
    with _sim(db_url, "--n-plus-one", "/api/v1/budget-line-items/") as sim:
        heavy = sim.get("/__sim__/info").json()["causes"]["heavy_record"]
        embedded = sim.get("/__sim__/data/embedded-rows?endpoint=/api/v1/agreements/[id]").json()
        rows = {int(k): v for k, v in embedded["rows"].items()}
        ids = [heavy["id"], *[i for i in rows if i != heavy["id"]][:5], 999_999]  # 999999: unknown, a 404
        paths = [f"/api/v1/agreements/{i}" for i in ids] + [
            f"/api/v1/budget-line-items/?limit={limit}&offset=0" for limit in (10, 25, 50)
        ]
        sim.reset()
        before = statement_calls(db_url)
        for path in paths:  # sequential first: each request's count alone
            assert get(sim, path).status_code in (200, 404)
        with ThreadPoolExecutor(max_workers=8) as pool:  # then 8 at once, twice over
            statuses = list(pool.map(lambda p: get(sim, p).status_code, paths * 2))
        assert set(statuses) <= {200, 404}
        after = statement_calls(db_url)
        log = sim.requests()
        info = sim.get("/__sim__/info").json()
        output = sim.stdout() + sim.stderr()
    by_path: dict[str, set[int]] = {}
    for entry in log:
        by_path.setdefault(entry["path"] + ("?" + entry["query"] if entry["query"] else ""), set()).add(
            entry["sql_statements"]
        )
    for agreement_id in ids[:-1]:
        assert by_path[f"/api/v1/agreements/{agreement_id}"] == {2 + rows[agreement_id]}  # 2 + rows, every time
    assert by_path["/api/v1/agreements/999999"] == {1}  # unknown id: the first SELECT finds nothing
    for limit in (10, 25, 50):
        assert by_path[f"/api/v1/budget-line-items/?limit={limit}&offset=0"] == {2 + limit}
    changed = delta(before, after)
    assert sum(changed.values()) == sum(e["sql_statements"] for e in log)  # exact, concurrency included
    agreement_rows = sum(rows[i] for i in ids[:-1]) * 3
    assert changed[PER_ROW] == agreement_rows + 3 * (10 + 25 + 50)  # one per budget line, agreements and list
    assert len(changed) == 5  # a few distinct: record, its rows' ids, one row (both plans), count, a page's ids
    assert info["db"]["cooperative"] is True  # psycopg waits through gevent: other requests go on
    assert info["db"]["errors"] == 0 and info["db"]["statements"] == sum(e["sql_statements"] for e in log)
    assert PASSWORD not in output + str(info) + str(log) and db_url not in output


def test_setup_is_idempotent_and_without_a_db_url_there_is_no_sql(db_url: str) -> None:
    for _start in range(2):  # a second simulator on the same database finds its tables and refills them
        with _sim(db_url) as sim:
            heavy = sim.get("/__sim__/info").json()["causes"]["heavy_record"]
            assert get(sim, f"/api/v1/agreements/{heavy['id']}").status_code == 200
            entry = sim.requests()[-1]
            assert entry["sql_statements"] == 2 + heavy["rows"]
    with start_sim("causes", time_scale=0.05, extra_args=["--jwt-key", KEY]) as sim:
        assert get(sim, f"/api/v1/agreements/{heavy['id']}").status_code == 200
        assert sim.requests()[-1]["sql_statements"] == 0 and sim.get("/__sim__/info").json()["db"] is None
