"""Benchmark of synth, plan, deploy and drift, with memory, and how they grow with environments.

`python -m bench [--quick] [--runs N] [--out bench/results/latest.json]`: see bench.__main__.
"""
