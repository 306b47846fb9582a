"""The one look of every chart the suite draws (the report, capacity, history trends, diagnose).

Plain settings, no matplotlib import: each drawing module applies them with `mpl.rc_context(CHART_STYLE)`
on its own `Figure` (no pyplot state) and saves with `CHART_SAVE`, whose empty `Software` tag and the
fixed hash salt keep a chart's bytes the same from run to run (reports are compared byte for byte).
"""

from __future__ import annotations

from typing import Any

CHART_STYLE: dict[str, Any] = {
    "svg.hashsalt": "ops-perf",
    "font.family": "DejaVu Sans",
    "font.size": 9.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "lines.linewidth": 1.2,
    "figure.dpi": 100,
    "savefig.dpi": 100,
    "path.simplify": True,
}
CHART_SAVE: dict[str, Any] = {"format": "png", "metadata": {"Software": None}, "dpi": 100}
