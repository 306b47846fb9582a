"""The nightly scenario's even mix in a real run: `ops-perf run --scenario nightly` against the simulator.

The mix is applied at test start by the hooks (ops_perf/plugin/hooks.py -> user.apply_mix); this
run shows that a real Locust process sends it and records it. The check is on shares of the
request count, with margins derived from the rates, never on time.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from run_helpers import read_stats, run_cli
from sim_helpers import start_sim

from ops_perf.users.endpoints.catalog import ENDPOINTS, catalog_fingerprint

pytestmark = pytest.mark.e2e

HEAVY = [ep.locust_name for ep in ENDPOINTS if ep.weight == max(e.weight for e in ENDPOINTS)]
"""The two weight-20 `/budget-line-items/` rows: 16 % of a weighted run's requests, 3 % of an even one's."""
MAX_EVEN_SHARE = 0.08
"""Between the two: with 300 requests an even run exceeds it about once in 10^5 runs, a weighted one
falls below it about once in 10^4."""


def test_the_nightly_spreads_its_requests_evenly_and_says_so(tmp_path: Path) -> None:
    with start_sim("healthy", time_scale=0.05) as sim:
        proc = run_cli(
            ["run", "--env", "local", "--scenario", "nightly", "--host", sim.url, "-u", "10", "-r", "10", "-t", "4s",
             "--think-time", "0,0.01", "--results-dir", str(tmp_path), "--no-report", "--no-check"],
            env={"OPS_HISTORY_STORE": f"sqlite:///{tmp_path / 'h.sqlite'}"}, timeout=120,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    prefix = tmp_path / "local-nightly"
    record = json.loads(Path(f"{prefix}_run.json").read_text(encoding="utf-8"))
    assert (record["scenario"], record["mix"], record["users"]) == ("nightly", "even", 10)
    assert record["catalog_fingerprint"] == catalog_fingerprint(mix="even") != catalog_fingerprint()
    stats = read_stats(prefix)
    sent = int(stats["Aggregated"]["Request Count"])
    assert sent >= 300, f"the run sent only {sent} requests"
    heavy = sum(int(stats.get(name, {}).get("Request Count", 0)) for name in HEAVY)
    assert heavy / sent < MAX_EVEN_SHARE, f"{heavy} of {sent} requests went to {HEAVY}: the weighted mix"
