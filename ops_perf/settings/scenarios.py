"""Scenarios (`scenarios/*.toml`): who is simulated, the stages, think time, closed or open model.

Why a module of its own: a scenario is the shape of one run's load; `Scenario` is what the shape,
the arrivals and the run record read, and loading checks every key of the file with one-line errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ops_perf.errors import OpsPerfError
from ops_perf.paths import SCENARIOS_DIR
from ops_perf.settings.values import TableReader, read_toml

DEFAULT_THINK_TIME_S = (1.0, 3.0)
MODELS = ("closed", "open")
ARRIVAL_PROCESSES = ("poisson", "constant")
OPEN_POOL_SPAWN_RATE = 50.0
"""Users started per second when an open run's pool grows (recorded as the stages' spawn_rate)."""
PAGES_THINK_TIME_S = (5.0, 30.0)
"""A person reads a page before the next one: the page user's default think time."""
USERS = ("endpoints", "pages")
MIXES = ("weighted", "even")
"""How the endpoint user picks its next endpoint: by catalog weight, or each equally often."""
"""Who a scenario simulates: the endpoint mix (OPSUser) or people viewing pages (PersonUser)."""


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
    """"open": arrivals at the stages' rates, whatever OPS does (see ops_perf/users/arrivals.py)."""
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
    """`endpoints` (the weighted endpoint mix, the nightly's) or `pages` (page views, ops_perf/users/pages/person.py)."""
    frontend_defects: bool = False
    """Pages only: also send the calls that fail in the real frontend by its own defects (announced)."""
    mix: str = "weighted"
    """Endpoint user only: `weighted` (each endpoint by its catalog weight, as people use OPS) or
    `even` (every endpoint equally often: the nightly's change detection gets a steady series for
    each endpoint, bench/detection_power.py). A different mix is a different load (run.json `mix`)."""

    @property
    def duration_s(self) -> float:
        return sum(stage.duration_s for stage in self.stages)

    @property
    def peak_users(self) -> int:
        return max(stage.users for stage in self.stages)

    @property
    def first_spawn_rate(self) -> float:
        return self.stages[0].spawn_rate


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
    raw = read_toml(path, "scenario file", "fix the file or pick another scenario")
    reader = TableReader(raw, str(path))
    description = reader.string("description", required=False) or ""
    user = reader.string("user", required=False) or "endpoints"
    if user not in USERS:
        raise OpsPerfError(f"{path}: user must be one of {', '.join(USERS)}, not {user!r}")
    think = reader.think_time("think_time_s", required=False) or (
        PAGES_THINK_TIME_S if user == "pages" else DEFAULT_THINK_TIME_S
    )
    defects = reader.boolean("frontend_defects") if "frontend_defects" in raw else False
    mix = reader.choice("mix", MIXES, default="weighted")
    if mix != "weighted" and user != "endpoints":
        raise OpsPerfError(f'{path}: mix applies to the endpoint user only; remove it or set user = "endpoints"')
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
        stage_reader = TableReader(stage_raw, f"{path} stage {index}")
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
        model=model, arrivals=arrivals, ramp=ramp, rate_per=rate_per, user=user, frontend_defects=defects, mix=mix,
    )  # fmt: skip
