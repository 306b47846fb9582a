"""The house (issue 17): packages by concern, dependencies pointing one way, no import circle.

Read from the source with `ast` (every import, also those inside functions and under
TYPE_CHECKING: a lazy import is still a dependency), so that a new arrow back up fails here with its
file and line, not in a newcomer's head. `docs/ARCHITECTURE.md` draws the same table.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "ops_perf"

FLOOR = frozenset(
    {"ops_perf", "ops_perf.__main__", "ops_perf.errors", "ops_perf.exitcodes", "ops_perf.paths", "ops_perf.chart_style"}
)
"""The vocabulary every package may use: the version, errors, exit codes, the project's paths, the charts' look."""

ALLOWED: dict[str, frozenset[str]] = {
    "settings": frozenset(),
    "runfiles": frozenset({"settings"}),
    "auth": frozenset(),
    "sim": frozenset(),
    "locust_compat": frozenset({"runfiles"}),
    "users": frozenset({"settings", "runfiles", "auth", "locust_compat", "server"}),
    "judge": frozenset({"settings", "runfiles"}),
    "history": frozenset({"settings", "runfiles", "judge"}),
    "verdict": frozenset({"settings", "runfiles", "judge"}),
    "report": frozenset({"settings", "runfiles", "judge", "history", "users"}),
    "capacity": frozenset({"settings", "runfiles", "judge", "verdict", "report"}),
    "plugin": frozenset({"settings", "runfiles", "auth", "users", "locust_compat", "server"}),
    "diagnose": frozenset({"settings", "runfiles", "judge", "auth", "users"}),
    "server": frozenset({"settings", "runfiles"}),
    "cli": frozenset(
        {"settings", "runfiles", "auth", "sim", "users", "judge", "history", "verdict", "report", "capacity"}
        | {"plugin", "diagnose", "server"}
    ),
}
"""Which packages each package may import (besides itself and the floor). Arrows point down: the
command line at the top; the run files and the settings at the bottom. `server` (the per-record
tally and the health sampler, no Locust) sits under the users that feed the tally and the plugin
that runs the sampler, on the run files whose formats it writes."""

NEVER_LOCUST = ("settings", "runfiles", "judge", "report", "history", "verdict", "sim", "server")
"""Packages that must not load Locust (importing it monkey-patches the whole process with gevent)."""


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        yield name, path


def imports_of(name: str, path: Path) -> Iterator[tuple[str, int]]:
    """(imported module, line) for every import statement of the file, relative ones resolved."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            # `from package import module` imports the module (its package comes with any submodule);
            # `from package import name` imports the package's `__init__`, where the name lives.
            submodules = [f"{base}.{alias.name}" for alias in node.names if _is_module(f"{base}.{alias.name}")]
            if len(submodules) < len(node.names):
                yield base, node.lineno
            for module in submodules:
                yield module, node.lineno


def _is_module(dotted: str) -> bool:
    path = ROOT / dotted.replace(".", "/")
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def package_of(module: str) -> str | None:
    """`ops_perf.users.pages.person` -> `users`; None for the floor."""
    if module in FLOOR:
        return None
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else None


def graph() -> dict[str, dict[str, int]]:
    known = dict(modules())
    edges: dict[str, dict[str, int]] = {}
    for name, path in known.items():
        targets: dict[str, int] = {}
        for imported, line in imports_of(name, path):
            if imported in known and imported != name:
                targets.setdefault(imported, line)
        edges[name] = targets
    return edges


def cycles(edges: dict[str, dict[str, int]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each a circle of imports."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for target in edges.get(node, {}):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_no_import_circle_between_modules() -> None:
    """Package `__init__` facades re-export their modules; a module importing its own package's
    facade while the facade imports it is the circle this catches."""
    edges = graph()
    assert len(edges) > 100, "the scan found too few modules to prove anything"
    assert cycles(edges) == []


def test_a_circle_is_found_when_there_is_one() -> None:
    assert cycles({"a": {"b": 1}, "b": {"c": 1}, "c": {"a": 1}, "d": {"a": 1}}) == [["a", "b", "c"]]


def test_dependencies_point_one_way() -> None:
    wrong = []
    for name, targets in graph().items():
        source = package_of(name)
        if source is None:
            continue
        assert source in ALLOWED, f"{name}: package {source!r} is not in the house's table (tests/test_house.py)"
        path = dict(modules())[name]
        for target, line in targets.items():
            target_package = package_of(target)
            if target_package in (None, source) or target_package in ALLOWED[source]:
                continue
            wrong.append(f"{path.relative_to(ROOT)}:{line}: {source} -> {target_package} ({target})")
    assert wrong == []


def test_the_judge_the_report_and_the_store_never_load_locust() -> None:
    wrong = []
    for name, path in modules():
        if package_of(name) in NEVER_LOCUST:
            wrong += [
                f"{path.relative_to(ROOT)}:{line}"
                for imported, line in imports_of(name, path)
                if imported == "locust" or imported.startswith("locust.")
            ]
    assert wrong == []


@pytest.mark.parametrize("package", sorted({package_of(name) for name, _ in modules()} - {None}))
def test_each_package_imports_alone(package: str) -> None:
    """In a fresh interpreter, so that no earlier import hides a circle that only one order shows."""
    done = subprocess.run(
        [sys.executable, "-c", f"import ops_perf.{package}"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]


def test_the_command_line_never_loads_locust() -> None:
    """`ops-perf` only starts Locust: importing Locust would monkey-patch the parent with gevent (and with
    the gevent 25 of older Locust releases, print an 'Exception ignored' line at its exit)."""
    code = (
        "import sys, ops_perf.cli.commands, ops_perf.cli.run, ops_perf.cli.capacity, ops_perf.cli.demo, "
        "ops_perf.report.cli, ops_perf.verdict, ops_perf.history.cli; "
        "sys.exit('locust' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:] or "locust was imported"
