"""Typed, validated settings: environments, scenarios, and the overrides a user passes.

Every value is checked when it is read, so that a typo in a TOML file or a `-u 0` on the command line
stops the run with one line naming the file and key, before a single request is sent. The same code
serves `locust -f locustfile.py` (through the Locust hooks) and `ops-perf run`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from locust.util.timespan import parse_timespan

from ops_perf.errors import OpsPerfError
from ops_perf.paths import CONFIG_DIR, SCENARIOS_DIR

ENVIRONMENTS_FILE = CONFIG_DIR / "environments.toml"
TOKEN_SOURCES = ("env", "refresh", "login")
DEFAULT_THINK_TIME_S = (1.0, 3.0)
MODELS = ("closed", "open")
ARRIVAL_PROCESSES = ("poisson", "constant")
DEFAULT_OPEN_MAX_USERS = 100
"""Pool cap of an open run made from a closed scenario by `--arrival-rate` without `-u`."""
DEFAULT_MAX_RATE_RPS = 10.0
DEFAULT_MAX_PEOPLE_PER_MIN = 10.0
"""Rate caps of an environment whose table does not set them: small, so that forgetting is safe."""
OPEN_POOL_SPAWN_RATE = 50.0
"""Users started per second when an open run's pool grows (recorded as the stages' spawn_rate)."""
PAGES_THINK_TIME_S = (5.0, 30.0)
"""A person reads a page before the next one: the page user's default think time."""
USERS = ("endpoints", "pages")
"""Who a scenario simulates: the endpoint mix (OPSUser) or people viewing pages (PersonUser)."""
_THINK_TIME = re.compile(r"^\s*(\d+(?:\.\d*)?)\s*(?:[,-]\s*(\d+(?:\.\d*)?))?\s*$")


@dataclass(frozen=True)
class Environment:
    name: str
    host: str
    frontend_url: str
    deployed: bool
    results_name: str
    gateway_timeout_s: float
    request_timeout_s: float
    connect_timeout_s: float
    token_sources: tuple[str, ...]
    test_users: tuple[str, ...]
    allowed_scenarios: tuple[str, ...]
    max_users: int
    requires_confirmation: bool
    warmup_deadline_s: float
    warmup_ids_per_pool: int
    capacity_allowed: bool = False
    """Whether `ops-perf capacity` may load this environment past its targets on purpose."""
    max_rate_rps: float = DEFAULT_MAX_RATE_RPS
    """Cap on the offered rate of an open run (endpoint tasks per second) and on a capacity search."""
    max_people_per_min: float = DEFAULT_MAX_PEOPLE_PER_MIN
    """Cap on the offered rate of an open run of the page user (people starting a session per minute)."""


@dataclass(frozen=True)
class Stage:
    duration_s: float
    users: int
    """Closed model: the users of this stage. Open model: the pool cap (the scenario's max_users)."""
    spawn_rate: float
    arrival_rate: float | None = None
    """Open model only: arrivals per second (tasks for the endpoint user, sessions for the page user),
    converted from the file's unit (people per minute for the page user)."""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    stages: tuple[Stage, ...]
    think_time_s: tuple[float, float] = DEFAULT_THINK_TIME_S
    overridden: tuple[str, ...] = field(default=())
    """Which of users / spawn_rate / run_time / arrival_rate came from the command line rather than the file."""
    model: str = "closed"
    """"open": arrivals at the stages' rates, whatever OPS does (see ops_perf/arrivals.py)."""
    arrivals: str = "poisson"
    """Open model: "poisson" (random gaps, the default) or "constant" (evenly spaced)."""
    ramp: bool = False
    """Open model: each stage ramps linearly from the previous stage's rate (the first from 0), as
    k6's ramping-arrival-rate; otherwise the rate steps at stage boundaries."""
    rate_per: float = 1.0
    """Seconds in the file's rate unit: 1 (tasks per second) or 60 (people per minute, the page user)."""

    @property
    def is_open(self) -> bool:
        return self.model == "open"

    @property
    def rate_unit(self) -> str:
        return "people/min" if self.rate_per == 60 else "tasks/s"

    @property
    def offered_rate(self) -> float | None:
        """Mean planned arrivals per second over the load time (None in the closed model)."""
        if not self.is_open or not self.duration_s:
            return None
        total, previous = 0.0, 0.0
        for stage in self.stages:
            rate = stage.arrival_rate or 0.0
            start = previous if self.ramp else rate
            total += (start + rate) / 2 * stage.duration_s
            previous = rate
        return total / self.duration_s

    user: str = "endpoints"
    """`endpoints` (the weighted endpoint mix, the nightly's) or `pages` (page views, ops_perf/person.py)."""
    frontend_defects: bool = False
    """Pages only: also send the calls that fail in the real frontend by its own defects (announced)."""

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    @property
    def peak_users(self) -> int:
        return max(stage.users for stage in self.stages)

    @property
    def first_spawn_rate(self) -> float:
        return self.stages[0].spawn_rate


# --- environments ---------------------------------------------------------------------------------


def load_environments(path: Path = ENVIRONMENTS_FILE) -> dict[str, Environment]:
    raw = _read_toml(path, "environments file", "restore config/environments.toml")
    return {name: _environment(name, table, path) for name, table in raw.items()}


def load_environment(name: str, path: Path = ENVIRONMENTS_FILE) -> Environment:
    environments = load_environments(path)
    aliases = {"production": "prod", "staging": "stg", "development": "dev"}
    key = aliases.get(name, name)
    if key not in environments:
        raise OpsPerfError(f"unknown environment {name!r}; choose one of {', '.join(environments)} (defined in {path})")
    return environments[key]


def _environment(name: str, table: Any, path: Path) -> Environment:
    where = f"{path} [{name}]"
    if not isinstance(table, Mapping):
        raise OpsPerfError(f"{where}: expected a table of settings; see the comments at the top of the file")
    reader = _Reader(table, where)
    env = Environment(
        name=name,
        host=reader.url("host"),
        frontend_url=reader.url("frontend_url"),
        deployed=reader.boolean("deployed"),
        results_name=reader.string("results_name"),
        gateway_timeout_s=reader.number("gateway_timeout_s", minimum=0),
        request_timeout_s=reader.number("request_timeout_s", minimum=0.001),
        connect_timeout_s=reader.number("connect_timeout_s", minimum=0.001),
        token_sources=reader.strings("token_sources", allowed=TOKEN_SOURCES),
        test_users=reader.strings("test_users"),
        allowed_scenarios=reader.strings("allowed_scenarios"),
        max_users=int(reader.number("max_users", minimum=1, integer=True)),
        requires_confirmation=reader.boolean("requires_confirmation"),
        warmup_deadline_s=reader.number("warmup_deadline_s", minimum=0.001),
        warmup_ids_per_pool=int(reader.number("warmup_ids_per_pool", minimum=1, integer=True)),
        capacity_allowed=reader.optional_boolean("capacity", default=False),
        max_rate_rps=reader.optional_number("max_rate_rps", DEFAULT_MAX_RATE_RPS, minimum=0.001),
        max_people_per_min=reader.optional_number("max_people_per_min", DEFAULT_MAX_PEOPLE_PER_MIN, minimum=0.001),
    )
    reader.reject_unknown()
    if env.deployed and env.gateway_timeout_s and env.request_timeout_s <= env.gateway_timeout_s:
        raise OpsPerfError(
            f"{where}: request_timeout_s ({env.request_timeout_s:g}) must exceed gateway_timeout_s "
            f"({env.gateway_timeout_s:g}) or gateway 504s are recorded as client timeouts"
        )
    return env


# --- scenarios ------------------------------------------------------------------------------------


def available_scenarios(directory: Path = SCENARIOS_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.toml"))


def load_scenario(name_or_path: str, directory: Path = SCENARIOS_DIR) -> Scenario:
    """Load `scenarios/<name>.toml`, or a scenario file given by path (for one-off shapes)."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" and candidate.is_file():
        path = candidate
    else:
        path = directory / f"{name_or_path}.toml"
        if not path.is_file():
            known = ", ".join(available_scenarios(directory)) or "none"
            raise OpsPerfError(f"unknown scenario {name_or_path!r}; choose one of {known} (files in {directory})")
    raw = _read_toml(path, "scenario file", "fix the file or pick another scenario")
    reader = _Reader(raw, str(path))
    description = reader.string("description", required=False) or ""
    user = reader.string("user", required=False) or "endpoints"
    if user not in USERS:
        raise OpsPerfError(f"{path}: user must be one of {', '.join(USERS)}, not {user!r}")
    think = reader.think_time("think_time_s", required=False) or (
        PAGES_THINK_TIME_S if user == "pages" else DEFAULT_THINK_TIME_S
    )
    defects = reader.boolean("frontend_defects") if "frontend_defects" in raw else False
    model = reader.choice("model", MODELS, default="closed")
    is_open = model == "open"
    arrivals = reader.choice("arrivals", ARRIVAL_PROCESSES, default="poisson") if is_open else "poisson"
    ramp = reader.optional_boolean("ramp", default=False) if is_open else False
    max_users = int(reader.number("max_users", minimum=1, integer=True)) if is_open else 0
    rate_per = 60.0 if user == "pages" else 1.0
    stages_raw = raw.get("stages")
    reader.seen.add("stages")
    reader.reject_unknown()
    if not isinstance(stages_raw, list) or not stages_raw:
        needs = "duration and arrival_rate" if is_open else "duration, users and spawn_rate"
        raise OpsPerfError(f"{path}: needs at least one [[stages]] table with {needs}")
    stages = []
    for index, stage_raw in enumerate(stages_raw, start=1):
        stage_reader = _Reader(stage_raw, f"{path} stage {index}")
        duration = stage_reader.duration("duration")
        if is_open:
            rate = stage_reader.number("arrival_rate", minimum=0) / rate_per
            stages.append(Stage(duration, max_users, OPEN_POOL_SPAWN_RATE, arrival_rate=rate))
        else:
            users = int(stage_reader.number("users", minimum=1, integer=True))
            stages.append(Stage(duration, users, stage_reader.number("spawn_rate", minimum=0.001)))
        stage_reader.reject_unknown()
    if is_open and not any(stage.arrival_rate for stage in stages):
        raise OpsPerfError(f"{path}: every stage has arrival_rate 0; give at least one stage a positive rate")
    return Scenario(
        name=path.stem, description=description, stages=tuple(stages), think_time_s=think,
        model=model, arrivals=arrivals, ramp=ramp, rate_per=rate_per, user=user, frontend_defects=defects,
    )  # fmt: skip


def apply_overrides(
    scenario: Scenario,
    users: int | None = None,
    spawn_rate: float | None = None,
    run_time: float | None = None,
    think_time: tuple[float, float] | None = None,
    arrival_rate: float | None = None,
    user: str | None = None,
    frontend_defects: bool | None = None,
) -> Scenario:
    """Locust's `-u/-r/-t` (and `--think-time`, `--arrival-rate`) win over the scenario file.

    Any of -u/-r/-t turns the scenario into one steady stage: the missing values come from the
    file (peak users, first spawn rate, total duration), so `--scenario normal -t 2m` is "normal,
    but for two minutes".

    In the open model (or with `--arrival-rate`, which makes any scenario open: its user and think
    time stay) the steady stage offers the given rate (default: the file's peak rate), in the file's
    unit, and `-u` is the pool cap; `-r` does not apply (the pool grows by itself).
    """
    if arrival_rate is not None and arrival_rate <= 0:
        raise OpsPerfError(f"arrival rate must be positive, not {arrival_rate:g}; e.g. --arrival-rate 20")
    if scenario.is_open or arrival_rate is not None:
        scenario = _with_user(scenario, user, frontend_defects)
        return _open_overrides(scenario, users, run_time, think_time, arrival_rate)
    if users is not None and users <= 0:
        raise OpsPerfError(f"users must be a positive number, not {users}; pass -u/--users 1 or more")
    if spawn_rate is not None and spawn_rate <= 0:
        raise OpsPerfError(f"spawn rate must be positive, not {spawn_rate:g}; pass -r/--spawn-rate above 0")
    if run_time is not None and run_time <= 0:
        raise OpsPerfError(f"run time must be positive, not {run_time:g}s; pass -t/--run-time like 30s, 10m, 1h")
    overridden = tuple(
        name
        for name, value in (("users", users), ("spawn_rate", spawn_rate), ("run_time", run_time))
        if value is not None
    )
    if overridden:
        stage = Stage(
            duration_s=run_time if run_time is not None else scenario.duration_s,
            users=users if users is not None else scenario.peak_users,
            spawn_rate=spawn_rate if spawn_rate is not None else scenario.first_spawn_rate,
        )
        scenario = replace(scenario, stages=(stage,), overridden=overridden)
    if user is not None:
        if user not in USERS:
            raise OpsPerfError(f"--user must be one of {', '.join(USERS)}, not {user!r}")
        scenario = replace(scenario, user=user)
    if frontend_defects:
        scenario = replace(scenario, frontend_defects=True)
    if think_time is not None:
        scenario = replace(scenario, think_time_s=think_time)
    return scenario


def _with_user(scenario: Scenario, user: str | None, frontend_defects: bool | None) -> Scenario:
    """`--user` / `--frontend-defects` on an open scenario: the file's rates keep their numbers, read in
    the new user's unit (tasks per second, or people per minute)."""
    if user is not None and user != scenario.user:
        if user not in USERS:
            raise OpsPerfError(f"--user must be one of {', '.join(USERS)}, not {user!r}")
        rate_per = 60.0 if user == "pages" else 1.0
        factor = scenario.rate_per / rate_per
        stages = tuple(
            replace(st, arrival_rate=None if st.arrival_rate is None else st.arrival_rate * factor)
            for st in scenario.stages
        )
        scenario = replace(scenario, user=user, rate_per=rate_per, stages=stages)
    if frontend_defects:
        scenario = replace(scenario, frontend_defects=True)
    return scenario


def _open_overrides(
    scenario: Scenario,
    users: int | None,
    run_time: float | None,
    think_time: tuple[float, float] | None,
    arrival_rate: float | None,
) -> Scenario:
    if users is not None and users <= 0:
        raise OpsPerfError(f"users must be a positive number, not {users}; pass -u/--users 1 or more")
    if run_time is not None and run_time <= 0:
        raise OpsPerfError(f"run time must be positive, not {run_time:g}s; pass -t/--run-time like 30s, 10m, 1h")
    was_open = scenario.is_open
    cap = users if users is not None else (scenario.peak_users if was_open else DEFAULT_OPEN_MAX_USERS)
    overridden = tuple(
        name
        for name, value in (("users", users), ("run_time", run_time), ("arrival_rate", arrival_rate))
        if value is not None
    )
    if arrival_rate is not None or run_time is not None or not was_open:
        peak = max((s.arrival_rate or 0.0) for s in scenario.stages) if was_open else 0.0
        rate = arrival_rate / scenario.rate_per if arrival_rate is not None else peak
        duration = run_time if run_time is not None else scenario.duration_s
        stages: tuple[Stage, ...] = (Stage(duration, cap, OPEN_POOL_SPAWN_RATE, arrival_rate=rate),)
        scenario = replace(scenario, model="open", stages=stages, ramp=False)
    else:
        scenario = replace(scenario, stages=tuple(replace(s, users=cap) for s in scenario.stages))
    scenario = replace(scenario, overridden=overridden)
    if think_time is not None:
        scenario = replace(scenario, think_time_s=think_time)
    return scenario


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
        try:
            seconds = float(parse_timespan(str(text)))
        except ValueError:
            raise OpsPerfError(f"{where}: {text!r} is not a duration; use e.g. 30s, 10m, 1h30m") from None
    if seconds <= 0:
        raise OpsPerfError(f"{where}: duration must be positive, not {text!r}")
    return seconds


# --- hosts ----------------------------------------------------------------------------------------

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


# --- safety ---------------------------------------------------------------------------------------


def check_run_allowed(env: Environment, scenario: Scenario, host: str, confirmed: bool) -> None:
    """The production guard and host sanity, before a single request is sent."""
    if env.deployed:
        parsed = urlparse(host)
        if parsed.scheme != "https":
            raise OpsPerfError(
                f"host {host} is not https; {env.name} is a deployed environment and only answers https "
                f"(use {env.host})"
            )
        frontend = urlparse(env.frontend_url)
        if frontend.scheme != "https":
            raise OpsPerfError(
                f"frontend_url {env.frontend_url} of {env.name} is not https; OPS rejects such a Referer with 401"
            )
    if env.allowed_scenarios and scenario.name not in env.allowed_scenarios:
        raise OpsPerfError(
            f"scenario {scenario.name!r} is not allowed on {env.name}; allowed there: "
            f"{', '.join(env.allowed_scenarios)} (config/environments.toml)"
        )
    if scenario.peak_users > env.max_users:
        raise OpsPerfError(
            f"{scenario.peak_users} users exceed the cap of {env.max_users} for {env.name}; "
            f"lower -u or raise max_users in config/environments.toml after review"
        )
    if scenario.is_open:
        check_rate_allowed(env, scenario)
    if env.requires_confirmation and not confirmed:
        raise OpsPerfError(
            f"{env.name} is production: add --confirm-prod (or OPS_CONFIRM_PROD=1) to load it on purpose"
        )


def check_rate_allowed(env: Environment, scenario: Scenario) -> None:
    """An open run offers its rate whatever OPS does: the environment's cap bounds it."""
    peak = max((stage.arrival_rate or 0.0) for stage in scenario.stages) * scenario.rate_per
    cap, key = (
        (env.max_people_per_min, "max_people_per_min")
        if scenario.rate_per == 60
        else (env.max_rate_rps, "max_rate_rps")
    )
    if peak > cap:
        raise OpsPerfError(
            f"arrival rate {peak:g} {scenario.rate_unit} exceeds the cap of {cap:g} for {env.name}; "
            f"lower it or raise {key} in config/environments.toml after review"
        )


# --- TOML reading ---------------------------------------------------------------------------------


def _read_toml(path: Path, what: str, fix: str) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OpsPerfError(f"{what} {path} not found; {fix}") from None
    except tomllib.TOMLDecodeError as err:
        raise OpsPerfError(f"{what} {path} is not valid TOML: {err}; {fix}") from None
    except UnicodeDecodeError:
        raise OpsPerfError(f"{what} {path} is not UTF-8 text; {fix}") from None


class _Reader:
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
