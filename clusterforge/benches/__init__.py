"""Benchmarks: each module has `run() -> dict`, prints figures as it goes; the CLI prints the dict as JSON."""
