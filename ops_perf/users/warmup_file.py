"""Ids harvested once, reused by later runs: one warm-up for a whole capacity search.

Why: each step of `ops-perf capacity` is its own Locust run, and each run's warm-up pages through
every list endpoint (21 of them, hundreds of requests on OPS, whose lists load everything and
slice). Harvested once per step, that is a load spike before every step that the search never
offered, and the same ids again each time. With `--warmup-ids FILE` the first run harvests and
writes the ids here; every later run with the same FILE takes them from it and sends no warm-up
request at all. A file that does not cover the pools a run needs (another catalog) is not used:
that run harvests (and does not overwrite it).

The ids are OPS object ids (no tokens, nothing secret), kept next to the step results.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from ops_perf.users.warmup import WarmupSummary

logger = logging.getLogger("ops_perf")

SCHEMA = 1


def load(path: Path, pools: Iterable[str]) -> tuple[dict[str, list[Any]], WarmupSummary] | None:
    """The ids and the harvest's summary from `path`, or None when it is missing or does not cover `pools`.

    The summary says what the ids are (pools, failures, endpoints without ids) with no requests
    and no time of its own, and names the file it came from (`reused_from`).
    """
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as err:
        logger.warning("warm-up: cannot read the ids in %s (%s); harvesting instead", path, err)
        return None
    try:
        ids = {str(name): list(values) for name, values in data["ids"].items()}
        summary = WarmupSummary(**data["summary"])
    except (KeyError, TypeError, AttributeError) as err:
        logger.warning("warm-up: %s is not an ids file (%s); harvesting instead", path, err)
        return None
    missing = sorted(set(pools) - set(ids))
    if missing:
        logger.warning("warm-up: %s has no ids for %s; harvesting instead", path, ", ".join(missing))
        return None
    return ids, replace(summary, seconds=0.0, requests=0, deadline_hit=False, reused_from=str(path))


def save(path: Path, ids: Mapping[str, Sequence[Any]], summary: WarmupSummary) -> None:
    """Write the ids for the runs that follow (atomically: a run reading at that moment sees all or nothing)."""
    payload = {
        "schema": SCHEMA,
        "ids": {name: list(values) for name, values in ids.items()},
        "summary": summary.to_dict(),
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(json.dumps(payload, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, path)
    except OSError as err:
        logger.warning("warm-up: cannot keep the ids in %s (%s); the next run harvests again", path, err)
        tmp.unlink(missing_ok=True)
