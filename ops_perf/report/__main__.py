"""`python -m ops_perf.report RUN ...`: the report without the rest of the CLI (used by bench/)."""

from ops_perf.report import main

raise SystemExit(main())
