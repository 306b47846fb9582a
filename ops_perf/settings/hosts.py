"""Hosts as people type them, made the one form the suite uses (`scheme://host[:port][/base]`).

Why a module of its own: `--host`, `OPS_HOST` and the web UI's host field all pass through here,
and the rule (drop a trailing `/api/v1`, refuse a missing scheme with what to type) is independent
of environments and scenarios.
"""

from __future__ import annotations

from urllib.parse import urlparse

from ops_perf.errors import OpsPerfError

API_PREFIX = "/api/v1"
"""Every catalog path starts with it, so a host typed with it would double it (`/api/v1/api/v1/...`)."""


def normalise_host(text: str, option: str = "--host") -> str:
    """A base URL as people type it, made the one form the suite uses: `scheme://host[:port][/base]`.

    `https://x`, `https://x/`, `https://x/api/v1` and `https://x/api/v1/` all give `https://x`: the
    catalog's paths carry `/api/v1` themselves, and the auth routes (`/auth/login/`) live at the
    root. A path other than `/api/v1` (a reverse proxy's base) is kept. Without a scheme the host
    is refused with what to type, since http or https cannot be guessed safely.
    """
    value = text.strip()
    if not value:
        raise OpsPerfError(
            f"{option} is empty; give the OPS API's base URL, e.g. {option} https://stg.ops.opre.acf.gov"
        )
    if "://" not in value:
        bare = value.lstrip("/")
        raise OpsPerfError(
            f"{option} {value} has no scheme; type {option} https://{bare} (or http://{bare} for a local backend "
            "or the simulator)"
        )
    parsed = urlparse(value)
    if parsed.scheme.lower() not in ("http", "https") or not parsed.hostname:
        raise OpsPerfError(f"{option} {value} is not an http(s) URL; type e.g. {option} https://stg.ops.opre.acf.gov")
    if parsed.query or parsed.fragment:
        raise OpsPerfError(f"{option} {value} has a query or fragment; give the base URL only, e.g. {option} "
                           f"{parsed.scheme}://{parsed.netloc}")  # fmt: skip
    path = parsed.path.rstrip("/")
    for suffix in (API_PREFIX, "/api"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)].rstrip("/")
            break
    return f"{parsed.scheme.lower()}://{parsed.netloc}{path}"


def host_note(typed: str, used: str) -> str | None:
    """One line for the log when the host typed was changed beyond a trailing slash, else None."""
    if typed.strip().rstrip("/") == used:
        return None
    return f"host {typed.strip()} -> {used} (the suite adds /api/v1/ to every path itself)"
