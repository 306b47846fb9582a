"""The probe before the warm-up (issue 11, items 5 and 10), against the real simulator."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from sim_helpers import start_sim

from ops_perf.errors import OpsPerfError
from ops_perf.plugin.probe import check_tokens, is_loopback, probe_token, sim_profile


def test_loopback_hosts_only_are_asked_for_a_simulator_profile() -> None:
    assert is_loopback("http://127.0.0.1:8080") and is_loopback("http://localhost:1") and is_loopback("http://[::1]:2")
    assert not is_loopback("https://stg.ops.opre.acf.gov") and not is_loopback("http://10.0.0.1")
    assert sim_profile("https://ops.example.invalid") is None  # never asked: no request, no error


def test_a_401_is_renewed_once_and_a_second_401_is_one_line(tmp_path: Path) -> None:
    with start_sim("regression-demo") as sim:
        good = sim.login("basic_user")["access_token"]
        dead = sim.login("system_owner")["access_token"]
        sim.login("system_owner")  # ends the session of `dead`
        assert sim_profile(sim.url) == "regression-demo"
        headers = {"Authorization": f"Bearer {dead}", "Accept": "application/json"}
        assert probe_token(sim.url, headers) == 401
        current = {"token": dead}

        def headers_for(_slot: int) -> tuple[str, dict[str, str]]:
            return current["token"], {"Authorization": f"Bearer {current['token']}"}

        renewed: list[str] = []
        check_tokens(sim.url, 1, headers_for, lambda t: (renewed.append(t), current.update(token=good)))
        assert renewed == [dead], "the refused token was not handed to the renewal"
        renewed.clear()
        current["token"] = dead
        with pytest.raises(OpsPerfError) as err:
            check_tokens(sim.url, 1, headers_for, lambda t: renewed.append(t))  # "renews" to the same dead token
        assert "refused a freshly renewed token too" in str(err.value)


def test_a_slow_answer_is_not_a_refusal_and_a_closed_port_is(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    profile = tmp_path / "slow.json"
    profile.write_text(json.dumps({"name": "slow", "description": "slow version", "extends": "healthy",
                                   "endpoints": {"/api/v1/version/": {"latency_ms": [[0, 3000], [100, 3000]]}}}))  # fmt: skip
    with start_sim(str(profile)) as sim:
        token = sim.login()["access_token"]
        with caplog.at_level(logging.WARNING, logger="ops_perf"):
            check_tokens(
                sim.url, 1, lambda _s: (token, {"Authorization": f"Bearer {token}"}), lambda _t: None, (5, 0.5)
            )
        assert "no answer in time" in caplog.text
        url = sim.url
    with pytest.raises(OpsPerfError) as err:
        probe_token(url, {}, (2, 2))
    assert f"cannot reach {url}" in str(err.value)
