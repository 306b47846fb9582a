"""Render every output of a set of runs, or compare two renderings: a restructuring's proof.

    python bench/output_golden.py make-runs /tmp/golden/runs        # once: simulator runs to render
    python bench/output_golden.py render /tmp/golden/runs /tmp/golden/before   # on the code before
    python bench/output_golden.py render /tmp/golden/runs /tmp/golden/after    # on the code after
    python bench/output_golden.py diff /tmp/golden/before /tmp/golden/after    # exit 1 and what differs

Why through the command line: the claim to prove is "the report, check output, JUnit and compare are
the same, byte for byte, before and after", whatever moved inside. `render` runs `ops-perf report`,
`ops-perf check --junit` and `ops-perf compare --junit` as subprocesses over the reference runs of
2025-10-15 (`../shared/reference/results-2025-10-15`, where present) and the runs `make-runs` made
against the simulator (endpoints, pages, a replay of the prod profile, an open run, master + workers,
a slower candidate for compare), and keeps every file written plus each command's output and exit
code. `diff` compares two renderings file by file after blanking what changes by design on every
rendering: generation dates and times, the temporary paths of the rendering itself, and the checkout's
path (the code before and after usually run from two checkouts). Charts are
compared too (matplotlib writes no dates into PNGs).
"""

from __future__ import annotations

import argparse
import filecmp
import itertools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))
REFERENCE_RUNS = REPO.parent / "shared" / "reference" / "results-2025-10-15"
PYTHON = sys.executable

# name -> (simulator profile, time scale, `ops-perf run` arguments)
SIM_RUNS: dict[str, tuple[str, float, list[str]]] = {
    "smoke": ("healthy", 1.0, ["--scenario", "smoke", "-u", "6", "-t", "12s", "--think-time", "0.1,0.3"]),
    "smoke-slower": (
        "regression-demo", 1.0, ["--scenario", "smoke", "-u", "6", "-t", "12s", "--think-time", "0.1,0.3"],
    ),
    "pages": ("healthy", 1.0, ["--scenario", "normal", "-u", "10", "-t", "20s", "--think-time", "0.5,1.5"]),
    "pages-2": ("healthy", 1.0, ["--scenario", "normal", "-u", "10", "-t", "20s", "--think-time", "0.5,1.5"]),
    "replay": ("prod-2025-10-15", 0.05, ["--scenario", "smoke", "-u", "10", "-t", "15s", "--think-time", "0.1,0.5"]),
    "open": ("healthy", 1.0, ["--scenario", "open", "-t", "10s", "--arrival-rate", "15"]),
    "workers": (
        "healthy", 1.0, ["--scenario", "smoke", "-u", "6", "-t", "10s", "--think-time", "0.1,0.3", "--processes", "2"],
    ),
}  # fmt: skip
COMPARE_PAIRS = (("smoke", "smoke-slower"), ("smoke-slower", "smoke"), ("pages", "pages-2"))

MOVED_PATHS = {"ops_perf/catalog.py": "ops_perf/users/endpoints/catalog.py"}
"""Module paths that outputs name and the restructuring of issue 17 moved (the report's coverage note)."""
_CHECKOUT = re.compile(r"/[\w./-]+?(?=/config/targets\.toml)")
"""The checkout a rendering ran from (the code before and after usually live in two checkouts)."""
_VOLATILE = (
    re.compile(r"\b20\d\d-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d| UTC)?"),
    re.compile(r'timestamp="[^"]*"'),
    re.compile(r'time="[^"]*"'),
)


def _ops_perf(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PYTHON, "-m", "ops_perf", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )


def make_runs(out: Path) -> int:
    from sim_helpers import start_sim

    out.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "OPS_HISTORY_STORE": f"sqlite:///{out / 'history.sqlite'}"}
    for name, (profile, scale, args) in SIM_RUNS.items():
        with start_sim(profile, time_scale=scale) as sim:
            done = _ops_perf(
                "run", "--env", "local", "--host", sim.url, "--results-dir", str(out / name), "--no-report",
                "--no-check", *args, cwd=REPO, env=env,
            )  # fmt: skip
        print(f"{name}: exit {done.returncode}", flush=True)
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
    return 0


def _prefixes(runs: Path) -> dict[str, Path]:
    found: dict[str, Path] = {}
    for name in SIM_RUNS:
        stats = sorted((runs / name).glob("*_stats.csv"))
        if stats:
            found[name] = Path(str(stats[0])[: -len("_stats.csv")])
    if REFERENCE_RUNS.is_dir():
        for stats in sorted(REFERENCE_RUNS.glob("*_stats.csv")):
            found[f"ref-{stats.name[: -len('_stats.csv')]}"] = Path(str(stats)[: -len("_stats.csv")])
    return found


def _keep(out: Path, label: str, done: subprocess.CompletedProcess[str]) -> None:
    (out / f"{label}.out").write_text(f"exit {done.returncode}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}")


def render(runs: Path, out: Path) -> int:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    # Copies, so that no rendering reads a store or a file the other rendering wrote.
    work = out / "_runs"
    shutil.copytree(runs, work)
    prefixes = {
        name: work / p.relative_to(runs) if p.is_relative_to(runs) else p for name, p in _prefixes(runs).items()
    }
    env = {**os.environ, "OPS_HISTORY_STORE": f"sqlite:///{work / 'history.sqlite'}"}
    for name, prefix in prefixes.items():
        _keep(
            out,
            f"report-{name}",
            _ops_perf("report", str(prefix), "-o", str(out / f"report-{name}"), cwd=REPO, env=env),
        )
        _keep(
            out, f"check-{name}",
            _ops_perf("check", str(prefix), "--junit", str(out / f"check-{name}.xml"), cwd=REPO, env=env),
        )  # fmt: skip
    if REFERENCE_RUNS.is_dir():
        _keep(
            out, "report-ref-all", _ops_perf("report", str(REFERENCE_RUNS), "-o", str(out / "report-ref-all"), cwd=REPO)
        )
        refs = [p for n, p in prefixes.items() if n.startswith("ref-")]
        for base, cand in itertools.pairwise(refs):
            label = f"compare-{base.name}-vs-{cand.name}"
            args = ["compare", str(base), str(cand), "--allow-mismatch", "-o", str(out / f"{label}.md")]
            _keep(out, label, _ops_perf(*args, "--junit", str(out / f"{label}.xml"), cwd=REPO, env=env))
    for base, cand in COMPARE_PAIRS:
        if base in prefixes and cand in prefixes:
            label = f"compare-{base}-vs-{cand}"
            args = ["compare", str(prefixes[base]), str(prefixes[cand]), "-o", str(out / f"{label}.md")]
            _keep(out, label, _ops_perf(*args, "--junit", str(out / f"{label}.xml"), cwd=REPO, env=env))
    shutil.rmtree(work)
    print(f"rendered {len(prefixes)} runs into {out}")
    return 0


def _normalised(path: Path, root: Path) -> bytes:
    data = path.read_bytes()
    if path.suffix in (".png", ".svg"):
        return data
    text = data.decode("utf-8", errors="replace").replace(str(root), "<OUT>")
    text = _CHECKOUT.sub("<REPO>", text)
    for old, new in MOVED_PATHS.items():
        text = text.replace(new, old)
    for pattern in _VOLATILE:
        text = pattern.sub("<DATE>", text)
    return text.encode()


def diff(before: Path, after: Path) -> int:
    names_a = {p.relative_to(before) for p in before.rglob("*") if p.is_file()}
    names_b = {p.relative_to(after) for p in after.rglob("*") if p.is_file()}
    problems = [f"only before: {n}" for n in sorted(names_a - names_b)]
    problems += [f"only after: {n}" for n in sorted(names_b - names_a)]
    same = 0
    for name in sorted(names_a & names_b):
        a, b = before / name, after / name
        if filecmp.cmp(a, b, shallow=False) or _normalised(a, before) == _normalised(b, after):
            same += 1
        else:
            problems.append(f"differs: {name}")
    print(f"{same} files identical, {len(problems)} problems")
    for line in problems:
        print("  " + line)
    return 1 if problems else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("make-runs").add_argument("runs", type=Path)
    rend = sub.add_parser("render")
    rend.add_argument("runs", type=Path)
    rend.add_argument("out", type=Path)
    dif = sub.add_parser("diff")
    dif.add_argument("before", type=Path)
    dif.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "make-runs":
        return make_runs(args.runs)
    if args.command == "render":
        return render(args.runs, args.out)
    return diff(args.before, args.after)


if __name__ == "__main__":
    raise SystemExit(main())
