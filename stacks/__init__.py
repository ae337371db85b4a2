"""Stacks: composition only. Which modules, wired how, per environment / release / GitLab."""

import modules  # noqa: F401 - first: it makes the provider bindings import lean (modules/bindings.py)
