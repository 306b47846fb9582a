"""The Kubernetes files name things that exist: an environment, a scenario, the locustfile."""

from __future__ import annotations

import pytest
from conftest import REPO_ROOT

from ops_perf.settings import available_scenarios, load_environments

yaml = pytest.importorskip("yaml", reason="PyYAML is in the dev extra: pip install -e '.[dev]'")


def test_helm_values_point_at_real_settings() -> None:
    values = yaml.safe_load((REPO_ROOT / "deploy" / "helm-values.yaml").read_text(encoding="utf-8"))
    env = values["loadtest"]["environment"]
    assert env["OPS_ENV"] in load_environments()
    assert env["OPS_SCENARIO"] in available_scenarios()
    assert (REPO_ROOT / values["loadtest"]["locust_locustfile"]).is_file()
    assert values["loadtest"]["locust_host"] == load_environments()[env["OPS_ENV"]].host


def test_dockerfile_uses_the_pinned_locust() -> None:
    dockerfile = (REPO_ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    assert "FROM locustio/locust:2.47." in dockerfile
    assert "OPS_PERF_ROOT=/opt/ops-perf" in dockerfile
