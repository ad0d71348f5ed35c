"""Benchmarks: one folder per subject (``benchmarks/<name>/bench.py`` with ``main(argv) -> int``)."""
