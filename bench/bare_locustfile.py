"""The yardstick for bench/generator.py: the cheapest FastHttpUser that hits the same requests.

No settings, no token logic, no id cache: a pre-expanded, weighted list of URLs (from the catalog,
with ids from `$BENCH_IDS`; or, with `$BENCH_URLS`, the very URLs a page-user run sent, for the page
user's yardstick) and one static header dict. Whatever the suite's users cost beyond this is the
suite's overhead.
"""

from __future__ import annotations

import json
import os
import random
import re
from pathlib import Path

import measure  # noqa: F401  (records the load phase's CPU seconds)
from locust import FastHttpUser, constant, task

from ops_perf.users.endpoints.catalog import ENDPOINTS, FISCAL_YEARS

_IDS: dict[str, list[object]] = json.loads(Path(os.environ.get("BENCH_IDS") or os.devnull).read_text() or "{}")
_HEADERS = {
    "Authorization": f"Bearer {os.environ['BENCH_TOKEN']}",
    "Accept": "application/json",
    "User-Agent": "ops-perf-bench/bare",
    "Referer": "http://localhost:3000/",
}


def _expand() -> list[tuple[str, str]]:
    urls: list[tuple[str, str]] = []
    for ep in ENDPOINTS:
        template = ep.path + (f"?{ep.query}" if ep.query else "")
        for _ in range(ep.weight):
            values = {}
            for field in re.findall(r"\{(\w+)\}", template):
                values[field] = random.choice(FISCAL_YEARS) if field == "fiscal_year" else random.choice(_IDS[ep.pool])
            urls.append((template.format_map(values), ep.locust_name))
    return urls


def _replay() -> list[tuple[str, str]]:
    """(url, Locust name) of every request a page-user run sent, in the simulator's log format."""
    log = json.loads(Path(os.environ["BENCH_URLS"]).read_text(encoding="utf-8"))
    return [(r["path"] + (f"?{r['query']}" if r["query"] else ""), r["name"] or r["path"]) for r in log]


_URLS = _replay() if os.environ.get("BENCH_URLS") else _expand()


class BareUser(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self) -> None:
        url, name = random.choice(_URLS)
        self.client.get(url, name=name, headers=_HEADERS)
