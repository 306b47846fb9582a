"""Golden check of the simulator's bodies: one hash per route over the URLs of its own route table.

Why: the simulator's answers are pure functions of (seed, current fiscal year, route, id, query), and
the route tests check properties, not every byte. This pins every byte of ~725 answers (statuses
and 400/404 bodies included) at a pinned fiscal year, so a refactoring of `sim/` that changes a body
by mistake fails here, naming the route. A deliberate change of a body regenerates the hashes:

    .venv/bin/python tests/test_sim_golden.py --write

and the diff of `tests/sim_golden.json` shows which routes changed. In-process (the dataset, `Api`
and the admin API, no server) so it costs about a second; `bench/sim_golden.py` makes the same check
over HTTP against a real process, app paths included.
"""

from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from sim_golden_urls import login_user, simulator_urls
from werkzeug.datastructures import MultiDict

from ops_perf.sim import data
from ops_perf.sim.admin import data_query
from ops_perf.sim.api import EMPTY, Api
from ops_perf.sim.routes import match

GOLDEN = Path(__file__).resolve().parent / "sim_golden.json"
GOLDEN_FY = 2026  # pinned: the dataset's fiscal years surround it, whatever today's date
DATASETS = {"full": (), "empty-reference": data.EMPTIABLE_TABLES}


def answer(api: Api, url: str, user_id: int) -> tuple[str, int, bytes]:
    """(group, status, body) of one URL; the group is the route's name (the admin API's, or no route)."""
    parts = urlsplit(url)
    args = MultiDict(parse_qsl(parts.query, keep_blank_values=True))
    if parts.path.startswith("/__sim__/data"):
        status, body = data_query(api.ds, parts.path.removeprefix("/__sim__/data").strip("/"), args)
        return "/__sim__/data", status, body
    found = match(parts.path)
    if found is None:
        return "(no route)", 404, EMPTY
    route, row_id = found
    status, body = api.respond(route, row_id, args, user_id)
    return route.name, status, body


def hashes(empty_tables: tuple[str, ...]) -> dict[str, str]:
    """`{group: sha256[:16]}` over every (url, status, body) of the group, in URL order."""
    ds = data.build(data.DEFAULT_SEED, empty_tables=empty_tables, current_fy=GOLDEN_FY)
    api = Api(ds)
    user_id = login_user(ds.tables)["id"]
    groups: dict[str, Any] = {}  # sha256 objects
    for url in simulator_urls(ds.tables, GOLDEN_FY):
        group, status, body = answer(api, url, user_id)
        digest = groups.setdefault(group, hashlib.sha256())
        digest.update(f"{url}\n{status}\n".encode() + body + b"\n")
    return {group: digest.hexdigest()[:16] for group, digest in sorted(groups.items())}


def all_hashes() -> dict[str, dict[str, str]]:
    return {name: hashes(empty) for name, empty in DATASETS.items()}


@pytest.fixture(scope="module")
def current() -> dict[str, dict[str, str]]:
    return all_hashes()


@pytest.mark.parametrize("dataset", sorted(DATASETS))
def test_every_route_answers_as_recorded(current: dict[str, dict[str, str]], dataset: str) -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))[dataset]
    changed = sorted(g for g in set(golden) | set(current[dataset]) if golden.get(g) != current[dataset].get(g))
    assert not changed, (
        f"{len(changed)} route(s) answer differently from {GOLDEN.name} ({dataset}): {', '.join(changed)}; "
        "if intended, regenerate with `.venv/bin/python tests/test_sim_golden.py --write`"
    )


def test_the_check_covers_every_route_of_the_simulator(current: dict[str, dict[str, str]]) -> None:
    from ops_perf.sim.routes import FRONTEND_ROUTES, ROUTES

    names = {route.name for route in (*ROUTES, *FRONTEND_ROUTES)}
    assert names - set(current["full"]) == set()
    assert {"/__sim__/data", "(no route)"} <= set(current["full"])


if __name__ == "__main__":
    if sys.argv[1:] != ["--write"]:
        raise SystemExit("usage: python tests/test_sim_golden.py --write   (regenerates tests/sim_golden.json)")
    GOLDEN.write_text(json.dumps(all_hashes(), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {GOLDEN}")
