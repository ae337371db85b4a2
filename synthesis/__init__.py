"""Stacks to Terraform JSON: the synth cache, other commits' stacks (refs) and the manifest.

Below both the orchestrator and `cost`, which each synthesize; it imports neither.
"""
