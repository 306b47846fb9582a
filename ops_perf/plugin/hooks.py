"""The suite's listeners on Locust's events, by phase of a run's life. Importing this registers them all.

| phase | module | event | process | what happens |
|---|---|---|---|---|
| import | `precision` | (at import) | all | the suite's response-time buckets: every percentile within 1 % |
| options | `options` | `init_command_line_parser` | all | `--ops-env`, `--scenario`, `--think-time`, `--user`, ... (also `OPS_*` variables, `.env`); `--csv X` reserves X (`bare_prefix`) |
| start-up | `startup` | `init` | master / local | Ctrl-C taken over (`interrupt`); settings resolved and checked, production guard, token acquired and tried on the server (`probe`); a bad value exits with one line; the web UI's form (`webui`) |
| start-up | `startup`, `messages` | `init` | worker | message handlers for the master's ids and tokens; settings from the forwarded options |
| warm-up | `warmup` | `test_start` | master / local | the one harvest (or `--warmup-ids FILE`), ids broadcast, statistics and the shape's clock reset after it |
| warm-up | `warmup` | `test_start` | worker | settings from the options the master forwarded; its share of the open model |
| messages | `messages` | custom messages | both | ids, token, hello, renew, page counts, record tallies (the table in `messages`) |
| load | `progress` | (greenlets from `test_start`) | master / local | a progress line every tenth of the scenario; the token's watch |
| load | `server_watch` | (a greenlet from `test_start`), `test_stop` | master / local | OPS's health every `--health-interval` s: its pool and its own time (`<prefix>_server.json`) |
| load | `arrivals` | `test_stopping`, `test_stop` | all | the open model: the pacer, the rate shared across workers, dropped arrivals |
| outputs | `outputs` | `quitting`, `quit` | master / local | the final CSVs, `<prefix>.json`, `<prefix>_run.json`, `<prefix>_pages.json`, `_records.json`, `_server.json` |

The run's state lives on Locust's environment (`ops_perf.users.state.RunState`, `environment.ops_perf`).
Every reach into Locust beyond its documented API is in `compat`.
"""

from __future__ import annotations

from ops_perf.plugin import arrivals, messages, options, outputs, precision, progress, server_watch, startup, warmup

__all__ = ["arrivals", "messages", "options", "outputs", "precision", "progress", "server_watch", "startup", "warmup"]
