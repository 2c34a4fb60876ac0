"""Benchmarks: each module runs alone as ``python -m ops.bench.<name>``."""
