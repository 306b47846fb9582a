"""`python -m ops_perf` is the same as the `ops-perf` console script (works before PATH is set up)."""

from ops_perf.cli.commands import main

raise SystemExit(main())
