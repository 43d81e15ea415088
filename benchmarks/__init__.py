"""xraysink benchmarks (issue 5): ``make bench`` or ``python -m benchmarks``."""
