"""The nightly keeps the history store between nights, runs `history detect`, and fails on its verdict.

actionlint (tests/test_workflows.py) checks that the file is a valid workflow; this checks the wiring
that docs/NIGHTLY.md promises for the store.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

NIGHTLY = Path(__file__).resolve().parents[1] / ".github" / "workflows" / "nightly-baseline.yml"


def _steps() -> list[dict[str, Any]]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed (dev extra)")
    data = yaml.safe_load(NIGHTLY.read_text(encoding="utf-8"))
    (job,) = data["jobs"].values()
    return list(job["steps"])


def test_the_store_is_restored_before_the_run_and_uploaded_after_it_whatever_happened() -> None:
    steps = _steps()
    names = [s.get("id") or s.get("name") for s in steps]
    restore = next(i for i, s in enumerate(steps) if "nightly-history-$OPS_ENV" in s.get("run", ""))
    assert restore < names.index("run")
    upload = next(s for s in steps if str(s.get("with", {}).get("name", "")).startswith("nightly-history-"))
    assert upload["if"].startswith("always()") and "HISTORY_FILE" in upload["with"]["path"]
    assert steps.index(upload) > names.index("detect")


def test_detect_runs_over_the_nights_and_its_code_reaches_the_verdict() -> None:
    steps = _steps()
    detect = next(s for s in steps if s.get("id") == "detect")
    assert 'ops-perf history detect --env "$OPS_ENV" --scenario "$NIGHTLY_SCENARIO"' in detect["run"]
    assert "--json" in detect["run"] and "ops-perf history import" in detect["run"]
    assert "ops-perf history trend" in detect["run"]
    verdict = steps[-1]
    assert "steps.detect.outputs.exit_code" in verdict["env"]["DETECT_CODE"]
    assert "detect:${DETECT_CODE:-}" in verdict["run"]
