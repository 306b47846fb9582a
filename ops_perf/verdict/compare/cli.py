"""`ops-perf compare BASELINE... CANDIDATE`: the command line, what it writes and what it prints."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path

from ops_perf.errors import OneLineParser, OpsPerfError
from ops_perf.paths import REPORTS_DIR, RESULTS_DIR
from ops_perf.runfiles.load import Run, open_runs
from ops_perf.settings.targets import load_targets
from ops_perf.verdict import junit
from ops_perf.verdict.compare.baseline import find_previous_runs
from ops_perf.verdict.compare.cases import junit_cases
from ops_perf.verdict.compare.delta import Change
from ops_perf.verdict.compare.markdown import render_markdown
from ops_perf.verdict.compare.model import Comparison
from ops_perf.verdict.compare.rows import compare_runs


def summary_lines(comparison: Comparison, output: Path | None) -> list[str]:
    code = comparison.exit_code
    lines = [
        f"ops-perf compare {comparison.candidate.label} vs "
        f"{', '.join(r.label for r in comparison.baselines)}: {code.name} (exit {int(code)})"
    ]
    for diff in comparison.differences:
        lines.append(f"  WARNING runs differ: {diff}")
    for reason in comparison.invalid:
        lines.append(f"  candidate invalid: {reason}")
    for change in (Change.REGRESSED, Change.IMPROVED):
        for row in comparison.by_verdict(change):
            lines.append(f"  {change.value.upper()} {row.name}: {row.headline()}")
    for row in comparison.fixed:
        lines.append(f"  FIXED {row.name}: failing before, passing now")
    counts = {c: len(comparison.by_verdict(c)) for c in Change}
    lines.append("  " + ", ".join(f"{n} {c.value}" for c, n in counts.items()))
    if output is not None:
        lines.append(f"  comparison written to {output}")
    return lines


def build_parser() -> argparse.ArgumentParser:
    parser = OneLineParser(
        prog="ops-perf compare",
        description="Compare a candidate run with a baseline (one run, several runs, or the last N runs "
        "of the same environment and scenario). Exit codes: 0 no regression, 2 usage or input "
        "error (including runs that are not comparable), 3 regression, 4 candidate run invalid.",
    )
    parser.add_argument(
        "runs",
        nargs="+",
        metavar="RUN",
        help="BASELINE... CANDIDATE (run prefixes); with --baseline-last, CANDIDATE only",
    )
    parser.add_argument(
        "-o",
        "--output",
        type=Path,
        metavar="FILE",
        help="COMPARISON.md to write (default reports/<date>/<candidate>/COMPARISON.md)",
    )
    parser.add_argument(
        "--allow-mismatch",
        action="store_true",
        help="compare runs whose load differed (users, stages, think time, env, scenario, user model), "
        "with the differences at the top (default: refused)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace an existing COMPARISON.md (default: refuse to overwrite)"
    )
    parser.add_argument(
        "--junit", type=Path, metavar="FILE", help="also write every verdict as JUnit XML (default: none)"
    )
    parser.add_argument(
        "--baseline-last",
        type=int,
        metavar="N",
        help="baseline = median of the last N valid runs of the candidate's env and scenario (default: the runs given)",
    )
    parser.add_argument(
        "--results-root",
        type=Path,
        default=RESULTS_DIR,
        metavar="DIR",
        help=f"where --baseline-last looks (default {RESULTS_DIR}/)",
    )
    parser.add_argument("--targets", type=Path, help="targets file whose [noise] applies (default config/targets.toml)")
    parser.add_argument("--env", help="environment whose [env.<name>.noise] applies (default: the candidate's)")
    return parser


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(list(argv))
    baselines, candidate, notes = _open(args)
    output = args.output or default_output(candidate)
    if output.exists() and not args.force:
        raise _exists(output)
    env = args.env or candidate.env
    settings = load_targets(args.targets, env).noise
    comparison = compare_runs(baselines, candidate, settings, allow_mismatch=args.allow_mismatch)
    comparison.notes[:0] = notes
    _write(output, render_markdown(comparison, allow_mismatch=args.allow_mismatch), args.force)
    if args.junit:
        junit.write(
            args.junit,
            f"ops-perf compare {candidate.prefix}",
            junit_cases(comparison),
            {
                "candidate": candidate.label,
                "baselines": ", ".join(r.label for r in baselines),
                "differences": "; ".join(comparison.differences),
                "exit_code": int(comparison.exit_code),
            },
        )
    print("\n".join(summary_lines(comparison, output)), flush=True)
    return int(comparison.exit_code)


def _open(args: argparse.Namespace) -> tuple[list[Run], Run, list[str]]:
    """(baselines, candidate, notes on baseline runs left out) from RUN... or `--baseline-last`."""
    if args.baseline_last is not None:
        if len(args.runs) != 1:
            raise OpsPerfError(f"with --baseline-last, pass only the CANDIDATE run (got {len(args.runs)} runs)")
        candidate = open_runs(args.runs)[0]
        baselines, notes = find_previous_runs(candidate, args.results_root, args.baseline_last)
        return baselines, candidate, notes
    if len(args.runs) < 2:
        raise OpsPerfError("pass BASELINE and CANDIDATE runs (or CANDIDATE with --baseline-last N)")
    *baselines, candidate = open_runs(args.runs)
    return baselines, candidate, []


def _write(output: Path, text: str, force: bool) -> None:
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        # "x": never replace a COMPARISON.md that appeared meanwhile (another compare) without --force
        with open(output, "w" if force else "x", encoding="utf-8") as fh:
            fh.write(text)
    except FileExistsError:
        raise _exists(output) from None
    except OSError as err:
        raise OpsPerfError(f"cannot write {output} ({err.strerror}); pass a writable -o FILE") from None


def _exists(output: Path) -> OpsPerfError:
    return OpsPerfError(f"{output} exists already; pass --force to replace it, or -o FILE to write elsewhere")


def default_output(candidate: Run) -> Path:
    """Next to the run's report: reports/<results folder>/<prefix>/COMPARISON.md."""
    return REPORTS_DIR / candidate.inputs.directory.name / candidate.prefix / "COMPARISON.md"
