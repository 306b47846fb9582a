"""Where the suite finds its data files.

Config and scenarios live in the checkout (they are the team's data, edited in review), so they are
found relative to the project root; `OPS_PERF_ROOT` points elsewhere (e.g. a CI workspace or a
container image) without code changes.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(os.environ.get("OPS_PERF_ROOT", Path(__file__).resolve().parents[1]))
CONFIG_DIR = PROJECT_ROOT / "config"
SCENARIOS_DIR = PROJECT_ROOT / "scenarios"
LOCUSTFILE = PROJECT_ROOT / "locustfile.py"
RESULTS_DIR = Path("results")
REPORTS_DIR = Path("reports")
