"""Profiles: shipped files, composition, validation, sampling, and the derived production profile."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

import pytest

from ops_perf.sim import derive_profile, profiles
from ops_perf.sim.routes import all_names

SAMPLES = 20_000


def _draws(profile: profiles.Profile, name: str, n: int = SAMPLES) -> list[profiles.Outcome]:
    return [profile.outcome(name) for _ in range(n)]


def test_shipped_profiles_load_and_cover_every_endpoint() -> None:
    assert {"healthy", "prod-2025-10-15", "regression-demo", "empty-reference"} <= set(profiles.available())
    for name in profiles.available():
        profile = profiles.load(name)
        assert set(profile.behaviours) == set(all_names()), name


def test_healthy_is_fast_and_never_fails() -> None:
    draws = _draws(profiles.load("healthy", seed=1), "/api/v1/agreements/")
    assert all(d.status is None for d in draws)
    assert max(d.delay_s for d in draws) < 0.05
    assert 0.001 <= statistics.median(d.delay_s for d in draws) <= 0.005


def test_regression_demo_changes_exactly_two_endpoints() -> None:
    healthy, demo = profiles.load("healthy"), profiles.load("regression-demo")
    changed = {n for n in all_names() if healthy.behaviours[n] != demo.behaviours[n]}
    assert changed == {"/api/v1/agreements/[id]", "/api/v1/cans/"}
    slow = demo.behaviours["/api/v1/agreements/[id]"]
    assert slow.multiplier == pytest.approx(1.5) and slow.errors == ()
    assert demo.behaviours["/api/v1/cans/"].errors == ((0.05, 500),)
    assert demo.behaviours["/api/v1/cans/"].multiplier == 1.0


def test_regression_demo_samples_are_slower_and_fail_five_percent() -> None:
    healthy, demo = profiles.load("healthy", seed=3), profiles.load("regression-demo", seed=3)
    name = "/api/v1/agreements/[id]"
    ratio = statistics.median(d.delay_s for d in _draws(demo, name)) / statistics.median(
        d.delay_s for d in _draws(healthy, name)
    )
    assert 1.4 < ratio < 1.6
    failures = sum(d.status == 500 for d in _draws(demo, "/api/v1/cans/")) / SAMPLES
    assert 0.04 < failures < 0.06


def test_time_scale_multiplies_delays_including_the_gateway_timeout(tmp_path: Path) -> None:
    spec = {"extends": "healthy", "endpoints": {"/api/v1/cans/": {"errors": {"504": 1.0}}}}
    path = tmp_path / "all-504.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    outcome = profiles.load(str(path), time_scale=0.01).outcome("/api/v1/cans/")
    assert outcome == profiles.Outcome(pytest.approx(0.2), 504, pytest.approx(0.2))
    assert profiles.load("healthy", time_scale=0).outcome("/api/v1/cans/").delay_s == 0


def test_a_latency_past_the_gateway_ceiling_becomes_a_504(tmp_path: Path) -> None:
    spec = {
        "extends": "healthy",
        "gateway_timeout_s": 1.0,
        "endpoints": {"/api/v1/users/": {"latency_ms": [[0, 2000], [100, 3000]]}},
    }
    path = tmp_path / "slow.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    outcome = profiles.load(str(path)).outcome("/api/v1/users/")
    assert (outcome.delay_s, outcome.status) == (1.0, 504)
    assert 2.0 <= outcome.service_s <= 3.0  # what a worker spends on it (--workers), past the ceiling


def test_slowdown_multiplies_service_times_but_not_the_gateway_ceiling() -> None:
    fixed = profiles.load("fixed-50ms")
    assert fixed.outcome("/api/v1/cans/") == profiles.Outcome(pytest.approx(0.05), None, pytest.approx(0.05))
    slowed = profiles.load("fixed-50ms", slowdown=4, time_scale=0.5)
    assert slowed.outcome("/api/v1/cans/").delay_s == pytest.approx(0.1)
    assert slowed.ceiling_s == pytest.approx(10.0)  # 20 s x time scale, not x slowdown
    # Slowed past the ceiling: the gateway's 504 at the ceiling.
    crushed = profiles.load("fixed-50ms", slowdown=400_000)
    outcome = crushed.outcome("/api/v1/cans/")
    assert (outcome.delay_s, outcome.status) == (20.0, 504) and outcome.service_s == pytest.approx(20_000)


def test_delay_slows_one_endpoint_only() -> None:
    delayed = profiles.load("fixed-50ms", delays_ms={"/api/v1/agreements/[id]/history/": 1000})
    assert delayed.outcome("/api/v1/agreements/[id]/history/").delay_s == pytest.approx(1.05)
    assert delayed.outcome("/api/v1/agreements/[id]").delay_s == pytest.approx(0.05)
    with pytest.raises(profiles.ProfileError, match="unknown endpoint name"):
        profiles.load("healthy", delays_ms={"/api/v1/nope/": 5})
    with pytest.raises(profiles.ProfileError, match="slowdown must be > 0"):
        profiles.load("healthy", slowdown=0)


def test_fixed_50ms_gives_a_computable_capacity() -> None:
    fixed = profiles.load("fixed-50ms", seed=3)
    services = [fixed.outcome(name).service_s for name in all_names()]
    assert all(s == pytest.approx(0.05) for s in services)
    assert 4 / (sum(services) / len(services)) == pytest.approx(80.0)  # --workers 4: 80 requests/s
    assert fixed.mean_service_s("/api/v1/cans/") == pytest.approx(0.05)
    slowed = profiles.load("fixed-50ms", time_scale=2, slowdown=3, delays_ms={"/api/v1/cans/": 100})
    assert slowed.mean_service_s("/api/v1/cans/") == pytest.approx(2 * (0.15 + 0.1))


def test_mean_service_time_matches_sampling_for_the_prod_profile() -> None:
    """The closed-form mean (curve integral, 504s at the ceiling) agrees with the sampled service times."""
    prod = profiles.load("prod-2025-10-15", seed=11)
    for name in ("/api/v1/agreements/", "/api/v1/users/[id]", "/api/v1/vendors/"):
        sampled = statistics.fmean(prod.outcome(name).service_s for _ in range(20_000))
        assert sampled == pytest.approx(prod.mean_service_s(name), rel=0.05), name


def test_extends_merges_errors_status_by_status(tmp_path: Path) -> None:
    (tmp_path / "base.json").write_text(
        json.dumps(
            {
                "default": {"latency_ms": [[0, 1], [100, 2]]},
                "endpoints": {"/api/v1/cans/": {"errors": {"500": 0.1, "404": 0.2}, "latency_multiplier": 2}},
            }
        ),
        encoding="utf-8",
    )
    (tmp_path / "child.json").write_text(
        json.dumps(
            {
                "extends": "base",
                "default": {"latency_multiplier": 3},
                "endpoints": {"/api/v1/cans/": {"errors": {"500": 0.3}}},
            }
        ),
        encoding="utf-8",
    )
    child = profiles.load(str(tmp_path / "child.json"))
    cans = child.behaviours["/api/v1/cans/"]
    assert cans.errors == ((0.2, 404), (0.5, 500))  # 404 kept, 500 overridden; cumulative
    assert cans.multiplier == 6  # default's 3 x the endpoint's own 2 (inherited)
    assert child.behaviours["/api/v1/users/"].multiplier == 3


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"default": {"latency_ms": [[0, 1], [100, 2]]}, "endpoints": {"/api/v1/nope/": {}}}, "unknown endpoint"),
        ({"default": {"latency_ms": [[10, 1], [100, 2]]}}, "from 0 to 100"),
        ({"default": {"latency_ms": [[0, 5], [100, 2]]}}, "never decrease"),
        ({"default": {"latency_ms": [[0, 1], [100, 2]], "errors": {"500": 0.7, "504": 0.5}}}, "add up"),
        ({"default": {"latency_ms": [[0, 1], [100, 2]], "errors": {"200": 0.1}}}, "4xx/5xx"),
        ({"default": {"latency_ms": [[0, 1], [100, 2]], "latency_multiplyer": 2}}, "unknown key"),
        ({"default": {}}, "needs a latency_ms"),
        ({"extends": "loop", "default": {"latency_ms": [[0, 1], [100, 2]]}}, "cycle"),
    ],
)
def test_bad_profiles_are_refused_with_a_reason(tmp_path: Path, spec: dict, message: str) -> None:
    path = tmp_path / "loop.json"
    path.write_text(json.dumps(spec), encoding="utf-8")
    with pytest.raises(profiles.ProfileError, match=message):
        profiles.load(str(path))


def test_unknown_profile_names_the_shipped_ones() -> None:
    with pytest.raises(profiles.ProfileError, match="healthy"):
        profiles.load("no-such-profile")


def test_toml_profiles_work_too(tmp_path: Path) -> None:
    path = tmp_path / "t.toml"
    path.write_text(
        'extends = "healthy"\n[endpoints."/api/v1/cans/[id]"]\nlatency_multiplier = 2.0\n', encoding="utf-8"
    )
    assert profiles.load(str(path)).behaviours["/api/v1/cans/[id]"].multiplier == 2.0


# ---- the production profile derived from the 2025-10-15 CSVs ---------------------------------------


def test_shipped_prod_profile_matches_a_fresh_derivation(reference_results: Path) -> None:
    shipped = json.loads((profiles.PROFILE_DIR / "prod-2025-10-15.json").read_text(encoding="utf-8"))
    assert derive_profile.derive(reference_results) == shipped
    assert derive_profile.main(["--results", str(reference_results), "--check"]) == 0


def test_derive_check_fails_when_the_shipped_file_differs(reference_results: Path, tmp_path: Path) -> None:
    stale = tmp_path / "prod.json"
    stale.write_text("{}", encoding="utf-8")
    assert derive_profile.main(["--results", str(reference_results), "--out", str(stale), "--check"]) == 1


def test_prod_profile_failure_mix_per_endpoint() -> None:
    prod = json.loads((profiles.PROFILE_DIR / "prod-2025-10-15.json").read_text(encoding="utf-8"))
    endpoints = prod["endpoints"]
    # /agreements/: 10 of 115 requests were 504s.
    assert endpoints["/api/v1/agreements/"]["errors"] == {"504": round(10 / 115, 6)}
    # /can-funding-received/[id]: 12 x 404 and 2 x 504 of 17.
    assert endpoints["/api/v1/can-funding-received/[id]"]["errors"] == {
        "404": round(12 / 17, 6),
        "504": round(2 / 17, 6),
    }
    # Old names were mapped onto today's routes; absent routes use the Aggregated default.
    assert endpoints["/api/v1/lookups/agreement-types/"]["source"]["csv_name"] == "/api/v1/agreement-types/"
    assert (
        endpoints["/api/v1/budget-line-items/"]["source"]["csv_name"] == "/api/v1/budget-line-items/?limit=10&offset=0"
    )
    assert "/api/v1/procurement-trackers/" not in endpoints
    assert prod["default"]["source"]["csv_name"] == "Aggregated"
    assert prod["default"]["errors"] == {"404": round(59 / 2146, 6), "504": round(165 / 2146, 6)}
    assert "/api/v1/ops-db-histories/" in prod["source"]["unmapped"]


def test_replaying_the_prod_profile_gives_back_the_csv_percentiles() -> None:
    """The 504s fill the top of the curve, so the replay's overall percentiles match the CSV's."""
    prod = profiles.load("prod-2025-10-15", seed=11)
    draws = _draws(prod, "/api/v1/agreements/", 40_000)
    ms = sorted(d.delay_s * 1000 for d in draws)

    def pct(p: float) -> float:
        return ms[int(p / 100 * (len(ms) - 1))]

    assert sum(d.status == 504 for d in draws) / len(draws) == pytest.approx(10 / 115, abs=0.006)
    # CSV row /api/v1/agreements/: min 3079, 50% 6000, 75% 7400, 90% 16000, 95% 20000.
    assert pct(50) == pytest.approx(6000, rel=0.03)
    assert pct(75) == pytest.approx(7400, rel=0.03)
    assert pct(90) == pytest.approx(16000, rel=0.05)
    assert pct(95) == pytest.approx(20000, rel=0.01)
    assert min(ms) >= 3079 * 0.99


def test_conditioning_on_gateway_timeouts_keeps_the_curve_shape() -> None:
    raw = [[0.0, 100.0], [50.0, 200.0], [90.0, 1000.0], [95.0, 20000.0], [100.0, 20000.0]]
    assert derive_profile.condition_on_gateway(raw, 0.0) == raw
    out = derive_profile.condition_on_gateway(raw, 0.1)
    assert out[0] == [0.0, 100.0] and out[1] == [55.5556, 200.0] and out[-1] == [100.0, 1000.0]


def test_prod_profile_covers_the_frontends_routes_with_a_measured_basis() -> None:
    """Frontend-only routes borrow the production curve of a catalog sibling (derive_profile.FRONTEND_BASIS)."""
    from ops_perf.sim.derive_profile import FRONTEND_BASIS, FRONTEND_NAMES

    raw = profiles.load_raw("prod-2025-10-15")
    prod = profiles.load("prod-2025-10-15", seed=1)
    assert set(FRONTEND_NAMES) <= set(raw["endpoints"])
    for name in FRONTEND_NAMES:
        basis = FRONTEND_BASIS[name]
        spec = raw["endpoints"][name]
        assert spec["source"]["basis"] == basis and "csv_name" in raw["endpoints"][basis]["source"]
        assert prod.behaviours[name].latencies_ms == prod.behaviours[basis].latencies_ms
        assert set(spec["errors"]) <= {"504"}
        assert prod.behaviours[name] != prod.behaviours["/api/v1/health/"] or basis == "/api/v1/health/"
