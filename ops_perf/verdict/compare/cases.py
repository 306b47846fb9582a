"""The comparison as JUnit cases: comparability, candidate validity, one per aggregate metric, one per endpoint.

Why a regressed row fails and a row without enough data is skipped: CI shows failures as red and
skips as a count, so a reader sees at once what regressed and how much could not be judged.
"""

from __future__ import annotations

from ops_perf.runfiles.load import AGGREGATED
from ops_perf.verdict import junit
from ops_perf.verdict.compare.delta import TITLES, Change, cell, describe_delta, value
from ops_perf.verdict.compare.model import Comparison


def junit_cases(comparison: Comparison) -> list[junit.Case]:
    """Comparability, one case per aggregate metric, one per endpoint. Regressed rows fail."""
    cases: list[junit.Case] = []
    if comparison.differences:
        cases.append(
            junit.Case(
                "ops-perf.compare",
                "comparability",
                junit.Outcome.SKIPPED,
                "compared despite differences: " + "; ".join(comparison.differences),
            )
        )
    else:
        cases.append(junit.Case("ops-perf.compare", "comparability", junit.Outcome.PASSED))
    if comparison.invalid:
        cases.append(
            junit.Case(
                "ops-perf.compare",
                "candidate validity",
                junit.Outcome.ERROR,
                "run invalid: " + "; ".join(comparison.invalid),
            )
        )
        return cases
    cases.append(junit.Case("ops-perf.compare", "candidate validity", junit.Outcome.PASSED))
    if comparison.aggregate is not None:
        for m in comparison.aggregate.metrics.values():
            name = f"{AGGREGATED} {m.metric}"
            text = f"{value(m.base, m.metric)} -> {value(m.cand, m.metric)}: {describe_delta(m)}; {m.reason}"
            cases.append(_case("ops-perf.compare.aggregate", name, m.change, text))
    for row in comparison.endpoints:
        details = "\n".join(
            f"{TITLES[m.metric]}: {cell(m)}; {m.change.value if m.change else 'shown only'}"
            f"{'; ' + m.reason if m.reason else ''}"
            for m in row.metrics.values()
        )
        message = f"{row.name}: {row.verdict.value}" + (f": {row.headline()}" if row.headline() else "")
        cases.append(_case("ops-perf.compare.endpoint", row.name, row.verdict, message, details))
    return cases


def _case(classname: str, name: str, change: Change | None, message: str, details: str = "") -> junit.Case:
    if change is Change.REGRESSED:
        return junit.Case(classname, name, junit.Outcome.FAILED, message, details or message)
    if change is Change.NO_DATA:
        return junit.Case(classname, name, junit.Outcome.SKIPPED, message)
    return junit.Case(classname, name, junit.Outcome.PASSED, "", details or message)
