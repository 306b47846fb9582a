"""The page user: the OPS frontend's page views, played by a person with a browser's limits.

`catalog` loads `pages.toml` (the pages, their calls wave by wave, the navigation); `person` is
`PersonUser`; `browser` sends one view's calls within the browser's limits; `view` plans one view's
requests from the catalog and earlier answers; `fields` evaluates the response fields fan-outs read;
`stats` counts views, calls and failures per page (`<prefix>_pages.json`).
"""
