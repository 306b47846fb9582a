"""`python -m ops_perf.sim`: monkey-patch first (before any other import), then serve."""

from gevent import monkey

monkey.patch_all()

from ops_perf.sim.server import main  # noqa: E402  (must follow the monkey-patching)

raise SystemExit(main())
