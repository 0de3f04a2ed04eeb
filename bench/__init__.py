"""Benchmarks, run on demand (``make bench`` = ``python -m bench``); results land in bench/results/."""
