"""`ops-perf capacity`: a search over open-model runs for the highest rate OPS serves within its targets.

`search` decides the next rate (pure), `steps` runs nothing but judges one step from its files
(the one judgement's latency, failure and 504 breaches, an invalid run, and a queue that grows: a
latency slope above the search's resolution in seconds per second, see `steps` for why),
`ops_perf.cli.capacity` runs the steps and the command line, `render` writes capacity.json, CAPACITY.md and the chart.
"""

from __future__ import annotations
