"""The bottom floor: a run's files, their names and readers, and the one run model (`Run`).

Everything that reads a run (the judge, the report, the verdicts, the history store) reads it through
here, once; everything that writes one (the plugin, `ops-perf run`, the capacity search) names its
files by these suffixes. It imports nothing of the suite but the errors and the settings' targets.

Modules: `discover` (a folder or prefix -> the run's files; the suffixes), `prefix` (results names
that never overwrite: `-2`, `-3`, reserved atomically), `csv_checks`, `stats_csv`, `history_csv`,
`run_json`, `histograms`, `records_json` (per record), `server_json` (OPS's health samples),
`diagnosis_json` (`ops-perf diagnose`'s measurements) (the readers, and the formats of the last three),
`load` (`Run`, the one run model: `load_run`, `open_runs`).
"""
