"""The performance report: Locust results in, `PERFORMANCE_REPORT.md` and PNG charts out.

load (CSV/JSON -> frames) -> analyse (figures, findings) -> charts (PNG) -> render (jinja2 -> Markdown).
Never imports Locust, so a report can be made on any machine that has the results.

The two entry points import lazily: `ops-perf --help` should not pay for pandas and matplotlib.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["main", "write_report"]


def write_report(
    runs: list[Path],
    out_dir: Path,
    force: bool = False,
    *,
    targets_path: Path | None = None,
    diagnosis: Path | None = None,
) -> Path:
    """Write `out_dir/PERFORMANCE_REPORT.md` (+ `charts/`) for results folders or run prefixes; `diagnosis`:
    a diagnose.json to read them with (else one of the same environment beside each run)."""
    from ops_perf.report.cli import write_report as _write_report

    return _write_report(runs, out_dir, force, targets_path=targets_path, diagnosis=diagnosis)


def main(argv: list[str] | None = None) -> int:
    """`ops-perf report RUN [RUN ...] [-o DIR] [--force] [--targets FILE]`."""
    from ops_perf.report.cli import main as _main

    return _main(argv)
