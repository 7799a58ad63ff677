"""PlexSync's benchmark suite: the targets of issue 4, measured against the emulated servers with added latency.

Run `python -m benchmarks [--quick] [--json FILE]` from the repository root. Benchmarks are not tests: they
measure and report, they never fail the build. Each module listed in `registry.MODULES` registers functions
that return one result row.
"""
