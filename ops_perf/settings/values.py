"""Raw values made typed and checked: TOML tables read key by key, durations, think times.

Why a module of its own: the environments file, the scenario files and the command line all need
the same promise, one line naming the file and key (or the option) for any bad value, before a
request is sent; one reader keeps every message in the same form. Knows no environment or scenario.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ops_perf.errors import OpsPerfError

_TIMESPAN = re.compile(r"(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")


def timespan_seconds(text: str) -> int | None:
    """Locust's `-t` syntax (`20`, `20s`, `3m`, `1h20m`, `3h30m10s`) in seconds, None when it is not one.

    The same grammar as `locust.util.timespan.parse_timespan` (tests/test_settings.py compares them),
    written out because importing Locust monkey-patches the whole process with gevent: settings are
    read by `ops-perf` itself, the judge and the report, which must not load Locust (nor pay its 0.5 s).
    """
    if text.isdigit():
        return int(text)
    match = _TIMESPAN.fullmatch(text)
    if not text or match is None or not any(match.groupdict().values()):
        return None
    hours, minutes, seconds = (int(match.group(k) or 0) for k in ("h", "m", "s"))
    return hours * 3600 + minutes * 60 + seconds


_THINK_TIME = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(?:[,-]\s*(\d+(?:\.\d*)?))?\s*$")


def parse_think_time(text: str) -> tuple[float, float]:
    """`"1,3"` or `"1-3"` -> (1.0, 3.0); `"0"` -> (0.0, 0.0)."""
    match = _THINK_TIME.match(text)
    low = float(match.group(1)) if match else -1.0
    high = float(match.group(2)) if match and match.group(2) else low
    if not match or high < low:
        raise OpsPerfError(f"think time {text!r} is not MIN,MAX seconds with 0 <= MIN <= MAX; e.g. --think-time 1,3")
    return low, high


def parse_duration(text: str | float | int, where: str = "duration") -> float:
    if isinstance(text, int | float) and not isinstance(text, bool):
        seconds = float(text)
    else:
        seconds = timespan_seconds(str(text))
        if seconds is None:
            raise OpsPerfError(f"{where}: {text!r} is not a duration; use e.g. 30s, 10m, 1h30m")
    if seconds <= 0:
        raise OpsPerfError(f"{where}: duration must be positive, not {text!r}")
    return seconds


def read_toml(path: Path, what: str, fix: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsPerfError(f"{what} {path} not found; {fix}") from None
    except tomllib.TOMLDecodeError as err:
        raise OpsPerfError(f"{what} {path} is not valid TOML: {err}; {fix}") from None
    except UnicodeDecodeError:
        raise OpsPerfError(f"{what} {path} is not UTF-8 text; {fix}") from None


class TableReader:
    """Reads typed keys from one TOML table and remembers which it saw, to reject unknown keys."""

    def __init__(self, table: Any, where: str) -> None:
        if not isinstance(table, Mapping):
            raise OpsPerfError(f"{where}: expected a table")
        self.table = table
        self.where = where
        self.seen: set[str] = set()

    def _get(self, key: str, required: bool = True) -> Any:
        self.seen.add(key)
        if key not in self.table:
            if required:
                raise OpsPerfError(f"{self.where}: missing key {key!r}")
            return None
        return self.table[key]

    def string(self, key: str, required: bool = True) -> str | None:
        value = self._get(key, required)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise OpsPerfError(f"{self.where}: {key} must be a non-empty string, not {value!r}")
        return value

    def url(self, key: str) -> str:
        value = self.string(key) or ""
        parsed = urlparse(value)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise OpsPerfError(f"{self.where}: {key} must be an http(s) URL, not {value!r}")
        return value.rstrip("/")

    def optional_boolean(self, key: str, default: bool) -> bool:
        return self.boolean(key) if key in self.table else default

    def optional_number(self, key: str, default: float, minimum: float | None = None) -> float:
        return self.number(key, minimum) if key in self.table else default

    def boolean(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise OpsPerfError(f"{self.where}: {key} must be true or false, not {value!r}")
        return value

    def choice(self, key: str, allowed: Sequence[str], default: str) -> str:
        value = self._get(key, required=False)
        if value is None:
            return default
        if value not in allowed:
            raise OpsPerfError(f"{self.where}: {key} must be one of {', '.join(map(repr, allowed))}, not {value!r}")
        return str(value)

    def number(self, key: str, minimum: float | None = None, integer: bool = False) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float) or (integer and not isinstance(value, int)):
            kind = "a whole number" if integer else "a number"
            raise OpsPerfError(f"{self.where}: {key} must be {kind}, not {value!r}")
        if minimum is not None and value < minimum:
            raise OpsPerfError(f"{self.where}: {key} must be at least {minimum:g}, not {value!r}")
        return float(value)

    def strings(self, key: str, allowed: Sequence[str] | None = None) -> tuple[str, ...]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise OpsPerfError(f"{self.where}: {key} must be a list of strings, not {value!r}")
        if allowed is not None:
            unknown = [v for v in value if v not in allowed]
            if unknown:
                raise OpsPerfError(f"{self.where}: {key} has unknown value(s) {unknown}; allowed: {list(allowed)}")
        return tuple(value)

    def duration(self, key: str) -> float:
        return parse_duration(self._get(key), f"{self.where}: {key}")

    def think_time(self, key: str, required: bool = True) -> tuple[float, float] | None:
        value = self._get(key, required)
        if value is None:
            return None
        if (
            not isinstance(value, list)
            or len(value) != 2
            or not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        ):
            raise OpsPerfError(f"{self.where}: {key} must be [MIN, MAX] seconds, not {value!r}")
        return parse_think_time(f"{value[0]},{value[1]}")

    def reject_unknown(self) -> None:
        unknown = sorted(set(self.table) - self.seen)
        if unknown:
            raise OpsPerfError(f"{self.where}: unknown key(s) {', '.join(unknown)}; check the spelling")
