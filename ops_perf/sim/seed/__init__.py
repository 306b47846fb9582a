"""The generators of the simulator's portfolio, one module per family of tables.

Why a package: `data.build` is the order the tables are made in (one seeded RNG, so the order is
part of the data); each module here makes one family, reading what it links to from the tables
made before it: `org` (divisions, users, portfolios), `funding` (CANs and their funding),
`reference` (shops, codes, agencies, methodologies, topics), `agreements` (projects, agreements,
services components), `budget_lines` (the lines and the heavy agreement), `workflow` (procurement,
change requests, notifications), `frontend` (what only the frontend's pages read). `common` holds
the id, timestamp and date helpers, `words` the invented names.
"""
