"""Latency and failure profiles: data files, composition by `extends`, and per-request sampling.

Why profiles are data: "how slow and how flaky" is the one thing people want to vary (a healthy
backend for development, the real 2025-10-15 production behaviour for realistic rehearsals, a
deliberate regression to prove the regression checks catch one). A profile file says, per Locust
name, a latency curve, a latency multiplier and error rates; anything unnamed uses `default`.

File format (JSON, or TOML with the same keys), in `ops_perf/sim/profiles/<name>.json`:

    {"name": "...", "description": "...", "extends": "healthy" | null,
     "gateway_timeout_s": 20.0,                       # a 504 waits this long (x time scale)
     "options": {"empty_tables": ["divisions"]},      # dataset options
     "default":   {"latency_ms": [[0, 1], [50, 2], [100, 9]], "errors": {"504": 0.01}},
     "endpoints": {"/api/v1/cans/[id]": {"latency_multiplier": 1.5, "errors": {"500": 0.05}}}}

`latency_ms` is a percentile curve: [percentile, milliseconds] points from 0 to 100, sampled by
linear interpolation; it describes answers that did not time out at the gateway. `errors` maps an
HTTP status to its probability. Composition: a profile that `extends` another starts from it; per
endpoint (and for `default`) its keys replace the parent's, and its `errors` merge into the parent's
status by status. The effective latency multiplier of an endpoint is the default's times its own.
A latency that reaches the gateway timeout becomes a 504 at the timeout, as it would behind OPS's
gateway. The top-level keys `per_row_ms`, `serialised`, `n_plus_one`, `html_200` and `health` plant
causes of slowness (`causes.py`); the `Profile` validates them and keeps them as `causes`.
"""

from __future__ import annotations

import bisect
import itertools
import json
import random
import tomllib
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from ops_perf.sim import causes
from ops_perf.sim.routes import all_names

PROFILE_DIR = Path(str(resources.files("ops_perf.sim") / "profiles"))
GATEWAY_STATUSES = frozenset({502, 503, 504})
_MAX_EXTENDS_DEPTH = 8
_ENDPOINT_KEYS = frozenset({"latency_ms", "latency_multiplier", "errors", "source", "note"})


class ProfileError(ValueError):
    """A profile that cannot be used; the message names the file and the problem."""


def available() -> list[str]:
    """Names of the shipped profiles."""
    return sorted(p.stem for p in PROFILE_DIR.iterdir() if p.suffix in (".json", ".toml"))


def _locate(name_or_path: str, base_dir: Path | None = None) -> Path:
    candidate = Path(name_or_path)
    if candidate.suffix in (".json", ".toml"):
        for path in (candidate, (base_dir / candidate) if base_dir else None):
            if path is not None and path.is_file():
                return path
        raise ProfileError(f"profile file {name_or_path} not found")
    for directory in (base_dir, PROFILE_DIR):
        if directory is None:
            continue
        for suffix in (".json", ".toml"):
            path = directory / f"{name_or_path}{suffix}"
            if path.is_file():
                return path
    raise ProfileError(f"unknown profile {name_or_path!r}; shipped profiles: {', '.join(available())}")


def _read(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
        raw = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    except (OSError, ValueError) as err:
        raise ProfileError(f"cannot read profile {path}: {err}") from err
    if not isinstance(raw, dict):
        raise ProfileError(f"profile {path} must hold an object at the top level")
    return raw


def _merge_endpoint(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = {**base.get("errors", {}), **value} if key == "errors" else value
    return out


def load_raw(name_or_path: str, base_dir: Path | None = None, _depth: int = 0) -> dict[str, Any]:
    """The profile with its `extends` chain applied (not yet validated)."""
    if _depth > _MAX_EXTENDS_DEPTH:
        raise ProfileError(f"profile {name_or_path!r}: `extends` chain deeper than {_MAX_EXTENDS_DEPTH} (a cycle?)")
    path = _locate(name_or_path, base_dir)
    raw = _read(path)
    raw.setdefault("name", path.stem)
    parent_name = raw.get("extends")
    if not parent_name:
        return raw
    parent = load_raw(str(parent_name), path.parent, _depth + 1)
    merged: dict[str, Any] = {
        **parent,
        **{k: v for k, v in raw.items() if k not in ("default", "endpoints", "options")},
    }
    merged["options"] = {**parent.get("options", {}), **raw.get("options", {})}
    merged["default"] = _merge_endpoint(parent.get("default", {}), raw.get("default", {}))
    endpoints = dict(parent.get("endpoints", {}))
    for key, spec in raw.get("endpoints", {}).items():
        endpoints[key] = _merge_endpoint(endpoints.get(key, {}), spec)
    merged["endpoints"] = endpoints
    return merged


@dataclass(frozen=True)
class Behaviour:
    """What one endpoint does: a latency curve (ms), a multiplier, cumulative error thresholds."""

    percentiles: tuple[float, ...]
    latencies_ms: tuple[float, ...]
    multiplier: float
    errors: tuple[tuple[float, int], ...]  # (cumulative probability, status)

    def latency_ms(self, u: float) -> float:
        """The latency at quantile `u` in [0, 1) of the curve, times the multiplier."""
        pct = u * 100.0
        i = bisect.bisect_right(self.percentiles, pct)
        if i >= len(self.percentiles):
            value = self.latencies_ms[-1]
        else:
            p0, p1 = self.percentiles[i - 1], self.percentiles[i]
            v0, v1 = self.latencies_ms[i - 1], self.latencies_ms[i]
            value = v0 + (v1 - v0) * ((pct - p0) / (p1 - p0))
        return value * self.multiplier


def _curve_mean(behaviour: Behaviour) -> float:
    """The mean of a piecewise-linear percentile curve (ms, before the multiplier)."""
    total = 0.0
    points = list(zip(behaviour.percentiles, behaviour.latencies_ms, strict=True))
    for (p0, v0), (p1, v1) in itertools.pairwise(points):
        total += (p1 - p0) / 100.0 * (v0 + v1) / 2.0
    return total


@dataclass(frozen=True)
class Outcome:
    """The simulated fate of one request: wait `delay_s`, then answer `status` (None = the real answer).

    `service_s` is how long OPS works on it, not cut at the gateway ceiling: with `--workers` it is
    how long the request holds a worker (a 504 drawn from `errors` holds it for the ceiling).
    """

    delay_s: float
    status: int | None
    service_s: float = 0.0


def _curve(where: str, points: Any) -> tuple[tuple[float, ...], tuple[float, ...]]:
    if not isinstance(points, list) or len(points) < 2:
        raise ProfileError(f"{where}: latency_ms must be a list of at least two [percentile, ms] points")
    try:
        pcts = tuple(float(p) for p, _ in points)
        values = tuple(float(v) for _, v in points)
    except (TypeError, ValueError) as err:
        raise ProfileError(f"{where}: latency_ms points must be [percentile, ms] number pairs") from err
    if pcts[0] != 0.0 or pcts[-1] != 100.0 or any(b <= a for a, b in itertools.pairwise(pcts)):
        raise ProfileError(f"{where}: latency_ms percentiles must rise strictly from 0 to 100")
    if values[0] < 0 or any(b < a for a, b in itertools.pairwise(values)):
        raise ProfileError(f"{where}: latency_ms values must be >= 0 and never decrease")
    return pcts, values


def _errors(where: str, spec: Any) -> tuple[tuple[float, int], ...]:
    if not isinstance(spec, dict):
        raise ProfileError(f"{where}: errors must map an HTTP status to a probability")
    out, total = [], 0.0
    for status_text, probability in sorted(spec.items()):
        try:
            status, p = int(status_text), float(probability)
        except (TypeError, ValueError) as err:
            raise ProfileError(f"{where}: errors entry {status_text!r}: {probability!r} is not status: number") from err
        if not 400 <= status <= 599 or not 0.0 <= p <= 1.0:
            raise ProfileError(f"{where}: errors entry {status}: {p} needs a 4xx/5xx status and 0 <= p <= 1")
        if p > 0:
            total += p
            out.append((total, status))
    if total > 1.0 + 1e-9:
        raise ProfileError(f"{where}: error probabilities add up to {total:.4f} > 1")
    return tuple(out)


class Profile:
    """A resolved, validated profile: one Behaviour per Locust name the simulator knows.

    `slowdown` multiplies every sampled latency but not the gateway ceiling (a slower OPS behind
    the same gateway: more 504s); `delays_ms` adds a fixed delay to named endpoints (after the
    slowdown), e.g. to slow one second-wave call of a page. `time_scale` then scales everything,
    the ceiling included (a faster replay of the same story).
    """

    def __init__(
        self,
        raw: dict[str, Any],
        time_scale: float = 1.0,
        seed: int | None = None,
        slowdown: float = 1.0,
        delays_ms: dict[str, float] | None = None,
    ) -> None:
        self.name = str(raw.get("name", "custom"))
        self.description = str(raw.get("description", ""))
        self.time_scale = float(time_scale)
        if self.time_scale < 0:
            raise ProfileError("time scale must be >= 0")
        self.slowdown = float(slowdown)
        if self.slowdown <= 0:
            raise ProfileError("slowdown must be > 0")
        self.delays_ms = dict(delays_ms or {})
        where = f"profile {self.name}"
        try:
            self.gateway_timeout_s = float(raw.get("gateway_timeout_s", 20.0))
        except (TypeError, ValueError) as err:
            raise ProfileError(f"{where}: gateway_timeout_s must be a number") from err
        try:
            self.causes = causes.from_profile(raw, where)  # planted causes of slowness (causes.py)
        except causes.CauseError as err:
            raise ProfileError(str(err)) from err
        options = raw.get("options", {})
        self.empty_tables: tuple[str, ...] = tuple(options.get("empty_tables", []))
        default = raw.get("default", {})
        if "latency_ms" not in default:
            raise ProfileError(f"{where}: `default` needs a latency_ms curve")
        known = set(all_names())
        endpoints = raw.get("endpoints", {})
        unknown = sorted(set(endpoints) - known)
        if unknown:
            raise ProfileError(
                f"{where}: unknown endpoint name(s) {', '.join(unknown)} (use Locust names, e.g. /api/v1/cans/[id])"
            )
        for key, spec in [("default", default), *endpoints.items()]:
            if not isinstance(spec, dict):
                raise ProfileError(f"{where} {key}: must be an object")
            stray = sorted(set(spec) - _ENDPOINT_KEYS)
            if stray:
                raise ProfileError(
                    f"{where} {key}: unknown key(s) {', '.join(stray)} (allowed: {', '.join(sorted(_ENDPOINT_KEYS))})"
                )
        base_multiplier = float(default.get("latency_multiplier", 1.0))
        self.behaviours: dict[str, Behaviour] = {}
        for name in known:
            spec = _merge_endpoint(default, endpoints.get(name, {}))
            own = float(endpoints.get(name, {}).get("latency_multiplier", 1.0))
            pcts, values = _curve(f"{where} {name}", spec["latency_ms"])
            multiplier = base_multiplier * own
            if multiplier < 0:
                raise ProfileError(f"{where} {name}: latency_multiplier must be >= 0")
            self.behaviours[name] = Behaviour(
                pcts, values, multiplier, _errors(f"{where} {name}", spec.get("errors", {}))
            )
        unknown_delays = sorted(set(self.delays_ms) - known)
        if unknown_delays:
            raise ProfileError(
                f"--delay: unknown endpoint name(s) {', '.join(unknown_delays)} "
                "(use the simulator's Locust names, e.g. /api/v1/agreements/[id]/history/)"
            )
        if any(ms < 0 for ms in self.delays_ms.values()):
            raise ProfileError("--delay: milliseconds must be >= 0")
        self._rng = random.Random(seed)

    def mean_service_s(self, name: str) -> float:
        """Mean time a request to `name` holds a worker (`--workers`), time-scaled.

        A drawn 504 holds it for the ceiling; every other request for its whole sampled latency
        (x slowdown, + delay), even past the ceiling. N / the mean over a request mix is the
        simulator's capacity for that mix.
        """
        behaviour = self.behaviours[name]
        p504 = sum(
            hi - lo
            for (lo, _), (hi, status) in zip(((0.0, 0), *behaviour.errors), behaviour.errors, strict=False)
            if status == 504
        )
        latency_ms = _curve_mean(behaviour) * behaviour.multiplier * self.slowdown + self.delays_ms.get(name, 0.0)
        mean_s = p504 * self.gateway_timeout_s + (1.0 - p504) * latency_ms / 1000.0
        return mean_s * self.time_scale

    @property
    def ceiling_s(self) -> float | None:
        """The gateway ceiling in (time-scaled) seconds, or None when the profile has none (0)."""
        return self.gateway_timeout_s * self.time_scale if self.gateway_timeout_s > 0 else None

    def outcome(self, name: str, extra_ms: float = 0.0) -> Outcome:
        """Draw the fate of one request to the endpoint `name` (falls back to the default behaviour).

        `extra_ms` is work this request adds to the sampled latency (a planted per-row cost: rows x
        ms per row), like a `--delay`: after the slowdown, before the time scale and the ceiling.
        """
        behaviour = self.behaviours.get(name)
        if behaviour is None:
            return Outcome(0.0, None)
        rng = self._rng
        status: int | None = None
        if behaviour.errors:
            u = rng.random()
            for threshold, error_status in behaviour.errors:
                if u < threshold:
                    status = error_status
                    break
        scale = self.time_scale
        if status == 504:
            ceiling = self.gateway_timeout_s * scale
            return Outcome(ceiling, 504, ceiling)
        latency_ms = behaviour.latency_ms(rng.random()) * self.slowdown + self.delays_ms.get(name, 0.0) + extra_ms
        latency_s = latency_ms / 1000.0
        if latency_s >= self.gateway_timeout_s > 0:
            return Outcome(self.gateway_timeout_s * scale, 504, latency_s * scale)
        return Outcome(latency_s * scale, status, latency_s * scale)


def load(
    name_or_path: str,
    time_scale: float = 1.0,
    seed: int | None = None,
    slowdown: float = 1.0,
    delays_ms: dict[str, float] | None = None,
) -> Profile:
    """Load, compose and validate a profile by shipped name or file path."""
    return Profile(load_raw(name_or_path), time_scale=time_scale, seed=seed, slowdown=slowdown, delays_ms=delays_ms)
