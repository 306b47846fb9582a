"""Ask the server once before the run: is it there, does it take our token, is it the simulator?

Decoding a token says nothing about its session: OPS ends a user's sessions at each login, so a
JWT that decodes fine can be refused on every request. Found out in the warm-up, that is a run of
401s with no detail endpoints; found out here, it is one authenticated `GET /api/v1/version/`
(tiny, and authenticated on OPS, unlike `/health/`) per token, then a renewal where a source
allows it, or one line that says what to do.

The simulator's `GET /__sim__/info` names its profile, so run.json can say which world the run
measured (only asked of loopback hosts: a real OPS has no such route).
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

import requests

from ops_perf.auth.sources import describe_exception
from ops_perf.errors import OpsPerfError

logger = logging.getLogger("ops_perf")

PROBE_PATH = "/api/v1/version/"
SIM_INFO_PATH = "/__sim__/info"
PROBE_TIMEOUT_S = 10.0
SIM_INFO_TIMEOUT_S = 3.0


def probe_token(
    host: str,
    headers: Mapping[str, str],
    timeout_s: float | tuple[float, float] = PROBE_TIMEOUT_S,
    session: requests.Session | None = None,
) -> int | None:
    """The status of one authenticated GET, or None when the host took the connection but did not
    answer in time (slow is what a load test measures, not a reason to refuse it). `OpsPerfError`
    (one line) when the host cannot be reached at all."""
    http = session or requests.Session()
    try:
        response = http.get(host + PROBE_PATH, headers=dict(headers), timeout=timeout_s, allow_redirects=False)
    except requests.ReadTimeout:
        return None
    except requests.RequestException as err:
        raise OpsPerfError(
            f"cannot reach {host} ({describe_exception(err)}); check --host / the environment's host and your network"
        ) from None
    finally:
        if session is None:
            http.close()
    return response.status_code


def check_tokens(
    host: str,
    slots: int,
    headers_for: Callable[[int], tuple[str, Mapping[str, str]]],
    renew: Callable[[str], None],
    timeout_s: float | tuple[float, float] = PROBE_TIMEOUT_S,
) -> None:
    """Probe each token (one per test user); a 401 is renewed once (`renew` raises if it cannot).

    Other answers are not this probe's business: a 5xx or 404 is what the run is there to measure,
    so it is logged and the run goes on.
    """
    with requests.Session() as session:
        for slot in range(max(1, slots)):
            token, headers = headers_for(slot)
            status = probe_token(host, headers, timeout_s, session)
            if status is None:
                logger.warning("GET %s got no answer in time before the run; going on without the token check",
                               PROBE_PATH)  # fmt: skip
                return
            if status == 401:
                logger.warning(
                    "GET %s answered 401 before the run: the token's session has ended; renewing", PROBE_PATH
                )
                renew(token)
                token, headers = headers_for(slot)
                status = probe_token(host, headers, timeout_s, session)
                if status is None:
                    return
                if status == 401:
                    raise OpsPerfError(
                        f"{host} refused a freshly renewed token too (GET {PROBE_PATH} answered 401); check that "
                        "the environment's frontend_url is the frontend of this host (the Referer OPS checks)"
                    )
            if status >= 300:
                logger.warning("GET %s answered %d before the run; going on (the run measures it)", PROBE_PATH, status)


def is_loopback(host: str) -> bool:
    name = (urlparse(host).hostname or "").lower()
    if name == "localhost":
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def sim_info(host: str, timeout_s: float = SIM_INFO_TIMEOUT_S) -> dict[str, Any] | None:
    """`/__sim__/info` of a simulator on a loopback host, else None (never asked of other hosts)."""
    if not is_loopback(host):
        return None
    try:
        response = requests.get(host + SIM_INFO_PATH, timeout=timeout_s)
        body = response.json() if response.status_code == 200 else None
    except (requests.RequestException, ValueError):
        return None
    return body if isinstance(body, dict) else None


@dataclass(frozen=True)
class SimTarget:
    """The OPS simulator a run measures: its profile and time scale (delays x scale: 0.05 replays 20 s as 1 s).

    A run against it is never taken for OPS: run.json records both, a profile other than the healthy one
    or a scale other than 1 names the results (`suffix`), and the judge scales the targets by the scale."""

    profile: str
    time_scale: float = 1.0

    @property
    def suffix(self) -> str:
        """`-sim-prod-2025-10-15` for any profile but the healthy one ("" for it: the demo's everyday run).

        The time scale is not in the name (tests and demos scale the healthy profile all the time); it is
        in run.json and the report, and the judge scales the targets by it."""
        return "" if self.profile == "healthy" else f"-sim-{self.profile}"

    def describe(self) -> str:
        scale = f" at time scale {self.time_scale:g}" if self.time_scale != 1.0 else ""
        return f"the OPS simulator, profile {self.profile}{scale}"


def sim_target(host: str) -> SimTarget | None:
    """The simulator's profile and time scale when the host is the local simulator, else None."""
    info = sim_info(host)
    profile = info.get("profile") if info else None
    if not isinstance(profile, str) or not profile:
        return None
    scale = info.get("time_scale") if info else None
    return SimTarget(profile, float(scale) if isinstance(scale, int | float) and scale > 0 else 1.0)


def sim_profile(host: str) -> str | None:
    target = sim_target(host)
    return target.profile if target else None
