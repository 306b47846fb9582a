"""Process exit codes, one table for every `ops-perf` command and for `locust -f locustfile.py`.

CI systems act on the number alone, so each outcome gets its own code and the codes never change
meaning. Modelled on pytest's `ExitCode`.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    OK = 0
    """The run (or check) passed: no threshold breached, no regression."""
    THRESHOLDS_BREACHED = 1
    """At least one threshold in config/targets.toml was breached (Locust's own "failures" code too)."""
    REGRESSION = 3
    """The candidate run regressed against the baseline beyond the noise band."""
    RUN_INVALID = 4
    """The run cannot be judged: token died, load generator saturated, or no requests were made."""
    USAGE_ERROR = 2
    """Bad input: unknown environment or scenario, malformed file, missing token, unreachable host."""
    INTERRUPTED = 130
    """Stopped by Ctrl-C (SIGINT): the results up to then are kept and reported, but not judged.

    128 + SIGINT (2), the shell's own code for an interrupted command, so scripts read it the same way.
    """
