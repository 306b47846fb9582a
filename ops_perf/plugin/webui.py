"""The suite in Locust's web UI: its options in the form, and a test started there does what the form says.

Two gaps in Locust 2.47 that this closes:

- The form's "Custom parameters" list only the arguments that Locust's own
  `LocustArgumentParser.add_argument` marked `include_in_web_ui`. Arguments added through an argument
  group are plain argparse actions, so the suite's options were missing (`extra_options` was empty).
  `show_in_form` marks them.
- With a shape class, Locust's `/swarm` copies the form into the parsed options and starts the shape,
  which ran the scenario the process had started with (`user_count=7` ran the 3-user smoke shape).
  `install` hooks Flask's `before_request` and `after_request` on Locust's documented `web_ui.app`
  (no view is replaced): before `/swarm`, the form's settings are resolved and checked as the command
  line's are (a bad value is one line in the form, and nothing starts); after it, the options Locust
  copied are set back to what the shape and the workers read, so the shape runs what the form says.

What the form's numbers mean (the shape owns the duration, so it must yield to them): users equal to
the scenario's peak and a ramp-up equal to its first spawn rate run the scenario's stages, which is
what the form opens with; other values make one steady stage of those users (as `-u`/`-r` do); a run
time under "Advanced options" overrides the duration (as `-t`). `--confirm-prod` is never in the
form: production is loaded only when the command line said so.
"""

from __future__ import annotations

import argparse
import logging
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from flask import g, jsonify, request
from locust.env import Environment as LocustEnvironment
from locust.runners import STATE_RUNNING, STATE_SPAWNING
from locust.util.timespan import parse_timespan

from ops_perf import locust_compat as compat
from ops_perf.errors import OpsPerfError
from ops_perf.settings.options import form_fields
from ops_perf.users.state import run_state

logger = logging.getLogger("ops_perf")

OVERRIDES = ("num_users", "spawn_rate", "run_time")
"""Locust's own options that the form's users, ramp-up and run time fill."""

FORM_FIELDS = form_fields()
"""The suite's arguments shown in the form (the run options' table): the only fields read from it.
Never `--confirm-prod`: loading production stays a command-line decision."""

Configure = Callable[[LocustEnvironment, Any, str | None], None]
Resolve = Callable[[Any], tuple[Any, Any]]


def show_in_form(actions: Iterable[argparse.Action]) -> None:
    """Mark the suite's options for the web UI's form, as `LocustArgumentParser.add_argument` would."""
    compat.mark_for_form(actions, lambda dest: dest in FORM_FIELDS)


def install(environment: LocustEnvironment, configure: Configure, resolve: Resolve) -> None:
    """Have the web UI's form start tests with the form's settings, checked by `configure`.

    `configure(environment, options, host)` is the hooks' start-up step (settings, production guard,
    token, host probe, run context); it raises `OpsPerfError` and changes nothing on a bad value.
    `resolve(options)` gives the (environment, scenario) that options name.
    """
    web_ui, options = environment.web_ui, environment.parsed_options
    if web_ui is None or options is None:
        return
    command_line = {name: getattr(options, name, None) for name in (*OVERRIDES, "confirm_prod")}
    state = run_state(environment)

    def scenario_numbers() -> dict[str, Any] | None:
        """The form opens with the scenario's peak users and first spawn rate, not Locust's 1 and 1."""
        scenario = state.scenario
        return {"num_users": scenario.peak_users, "spawn_rate": scenario.first_spawn_rate} if scenario else None

    compat.form_defaults(web_ui, scenario_numbers)

    def check_form() -> Any:
        """Before Locust's `/swarm` view (Flask's `before_request`): a response refuses the start."""
        runner = environment.runner
        if runner is None:
            return None
        if runner.state in (STATE_RUNNING, STATE_SPAWNING):
            # Locust would copy the form into the running test's options and then ignore it (the shape
            # drives a running test), answering "started": say what happens instead, and change nothing.
            message = "a test is running and its scenario drives it; stop it, then start one with other values"
            return jsonify({"success": False, "message": message, "host": environment.host})
        try:
            chosen, host = form_options(request.form, options, command_line, resolve)
            configure(environment, chosen, host)
        except OpsPerfError as err:
            logger.error("web UI: not started: %s", err)
            return jsonify({"success": False, "message": str(err), "host": environment.host})
        state.status, state.status_detail = "completed", ""  # a new test
        state.warmup, state.load_started_at = None, None
        g.ops_perf_chosen = chosen
        return None

    def is_swarm() -> bool:
        return request.method == "POST" and (request.endpoint or "").rsplit(".", 1)[-1] == "swarm"

    @web_ui.app.before_request
    def before_swarm() -> Any:
        # Behind Locust's login check, as its own view is (`auth_required_if_enabled`).
        return web_ui.auth_required_if_enabled(check_form)() if is_swarm() else None

    @web_ui.app.after_request
    def after_swarm(response: Any) -> Any:
        chosen = g.pop("ops_perf_chosen", None)
        if chosen is not None and is_swarm():
            # Locust copied the form into the parsed options. Keep what the plugin and the workers (which
            # get these options with the spawn message) read there: an override, or None for the scenario.
            for name in OVERRIDES:
                setattr(options, name, getattr(chosen, name))
            options.confirm_prod = command_line["confirm_prod"]  # whatever a crafted form said
            environment.host = state.host
        return response


def form_options(
    form: Mapping[str, str], options: Any, command_line: Mapping[str, Any], resolve: Resolve
) -> tuple[argparse.Namespace, str | None]:
    """The parsed options as the form would make them, with users/ramp-up/run time as overrides or not.

    Values are converted by the type of the current option, as Locust's `/swarm` converts them, so
    that what passes here also passes there; a value that does not convert is one line naming the field.
    """
    chosen = argparse.Namespace(**vars(options))
    for key, text in form.items():
        if key in FORM_FIELDS and hasattr(chosen, key):
            setattr(chosen, key, _convert(key, text, getattr(options, key)))
    for name, value in command_line.items():
        setattr(chosen, name, value)  # the scenario as the command line shaped it
    _, base = resolve(chosen)
    users = _number(form, "user_count", int, "Number of users")
    rate = _number(form, "spawn_rate", float, "Ramp up")
    if users is not None and users != base.peak_users:
        chosen.num_users = users
    if rate is not None and not math.isclose(rate, base.first_spawn_rate):
        chosen.spawn_rate = rate
    if text := (form.get("run_time") or "").strip():
        try:
            chosen.run_time = parse_timespan(text)
        except ValueError:
            raise OpsPerfError(f"run time {text!r} is not a duration; type e.g. 30s, 10m, 1h30m") from None
    host = (form.get("host") or "").replace("<", "").replace(">", "").strip() or None
    return chosen, host


def _number(form: Mapping[str, str], key: str, kind: type, label: str) -> Any:
    text = (form.get(key) or "").strip()
    if not text:
        return None
    try:
        value = kind(text)
    except ValueError:
        raise OpsPerfError(f"{label}: {text!r} is not a number; type e.g. 5") from None
    if value <= 0 or not math.isfinite(value):
        raise OpsPerfError(f"{label}: {text} must be above 0")
    return value


def _convert(key: str, text: str, current: Any) -> Any:
    """A form field's text in the type of the option it fills (Locust's rule in `/swarm`)."""
    if isinstance(current, bool):
        return text == "true"
    if current is None or isinstance(current, str):
        return text.strip()
    if isinstance(current, list):
        return [part.strip() for part in text.split(",") if part.strip()]
    try:
        return type(current)(text.strip())
    except ValueError:
        kind = "a whole number" if isinstance(current, int) else "a number"
        raise OpsPerfError(f"{key.replace('_', ' ')}: {text!r} is not {kind}; type e.g. {current}") from None
