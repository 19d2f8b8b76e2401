"""Benchmarks: apiforge against raw httpx and the existing SDKs, on the same local fake servers.

    nox -s bench                      # the full run, in a virtualenv holding the peers; writes bench/RESULTS.md
    python -m bench --quick           # tiny iteration counts (what tests/bench runs), any venv

One module per concern: `payloads` (the data the fakes answer), `servers` (the fakes over real HTTP,
each in its own process), `measure` (timing and statistics), `overhead`, `decoding`, `imports`,
`batching` and `tooling` (the five measurements), `report` (tables, machine info, RESULTS.md).
"""
