"""JUnit XML for verdicts, so CI UIs (GitHub test reporters, GitLab, Jenkins) list every check.

One `<testcase>` per endpoint and per aggregate check: a failing case names the endpoint and says
which limit it broke, so a red build points at the endpoint without opening the report. "Not enough
data" is a skipped case (it is not a pass), an invalid run an `<error>` (nothing could be judged).
The schema is the common subset every consumer reads (Ant/Jenkins JUnit).
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ops_perf.errors import OpsPerfError


class Outcome(StrEnum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ERROR = "error"


@dataclass(frozen=True)
class Case:
    """One verdict as a test case. `message` is the one-line reason; `details` the full text."""

    classname: str
    name: str
    outcome: Outcome
    message: str = ""
    details: str = ""


def to_xml(suite: str, cases: Iterable[Case], properties: Mapping[str, object] | None = None) -> str:
    """The JUnit document as text (one `<testsuite>` inside `<testsuites>`)."""
    cases = list(cases)
    counts = {o: sum(c.outcome is o for c in cases) for o in Outcome}
    attrs = {
        "name": suite,
        "tests": str(len(cases)),
        "failures": str(counts[Outcome.FAILED]),
        "errors": str(counts[Outcome.ERROR]),
        "skipped": str(counts[Outcome.SKIPPED]),
        "time": "0",
    }
    root = ET.Element("testsuites", {k: attrs[k] for k in ("name", "tests", "failures", "errors", "skipped")})
    node = ET.SubElement(root, "testsuite", attrs)
    if properties:
        props = ET.SubElement(node, "properties")
        for key, value in properties.items():
            ET.SubElement(props, "property", {"name": str(key), "value": "" if value is None else str(value)})
    for case in cases:
        element = ET.SubElement(node, "testcase", {"classname": case.classname, "name": case.name, "time": "0"})
        if case.outcome is Outcome.PASSED:
            if case.details:
                ET.SubElement(element, "system-out").text = case.details
            continue
        tag = {Outcome.FAILED: "failure", Outcome.SKIPPED: "skipped", Outcome.ERROR: "error"}[case.outcome]
        child = ET.SubElement(element, tag, {"message": case.message})
        if case.outcome is not Outcome.SKIPPED:
            child.set("type", f"ops-perf.{case.outcome.value}")
        child.text = case.details or case.message
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def write(path: Path, suite: str, cases: Iterable[Case], properties: Mapping[str, object] | None = None) -> Path:
    """Write the JUnit file (creating its folder); a path we cannot write is the user's to fix."""
    text = to_xml(suite, cases, properties)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as err:
        raise OpsPerfError(f"cannot write JUnit file {path} ({err.strerror}); pass a writable --junit path") from None
    return path
