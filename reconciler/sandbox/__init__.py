"""The sandbox: a local, faithful emulator of the Seven Bridges API v2 subset in `docs/api.md`.

It is an independent implementation of that contract and imports nothing from the client side.

    server.py      start(data_dir, ...) -> Sandbox: the threaded HTTP server and its handle
    handler.py     HTTP/1.1 plumbing: read a request, write a response (or lose it on purpose)
    app.py         the request pipeline: auth, rate limit, faults, routing, error bodies
    routes.py      the route table; api_files.py, api_storage.py, api_exports.py: the endpoints
    api_search.py  POST /v2/files/search: search_query.py reads the query language,
                   search_index.py counts and pages the files it selects
    lookups.py     one resource by id where the caller reaches it, or the contract's 404
    bulk.py        bulk calls: at most 100 entries, one resource-or-error item per entry
    control.py     /_sandbox/ endpoints (loopback, token, loopback Host): settings, request log
    exports.py     per-item export rules, job creation and job completion
    jobs.py        the background runner that moves jobs PENDING -> RUNNING -> COMPLETED|FAILED
    store.py       sqlite3 state in the data folder (WAL; survives restart and SIGKILL)
    objects.py     volume objects: keys indexed in the store, sparse files named by hash
    seed.py        YAML seed loading; demo_seed.yaml ships with the package
    faults.py      the fault switches and pacing settings; ratelimit.py: per-token windows
    requestlog.py  JSON-lines request log; resources.py: JSON rendering; paging.py: offset/limit
"""
