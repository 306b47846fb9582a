"""Where a run's files go and how they are named, so that no run ever overwrites another.

Layout (the 2025-10-15 naming): `results/<date>/<prefix>_stats.csv` etc., `<prefix>` being
`<env>-<scenario>`; a second run of the same prefix becomes `<prefix>-2`, then `-3`, ...
"""

from __future__ import annotations

from pathlib import Path


def prefix_taken(prefix: Path) -> bool:
    return any(prefix.parent.glob(f"{prefix.name}_*")) or prefix.with_name(f"{prefix.name}.html").exists()


def unique_prefix(prefix: Path) -> Path:
    """`prefix` itself when none of its files exist, else the first free `prefix-N` (N >= 2)."""
    candidate, number = prefix, 1
    while prefix_taken(candidate):
        number += 1
        candidate = prefix.with_name(f"{prefix.name}-{number}")
    return candidate
