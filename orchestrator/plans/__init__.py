"""Judging a plan: what a change risks (risk, grants), what a release left pending, drift,
and the merge request's summary."""
