"""Stacks: composition only. Which modules, wired how, per environment / release / GitLab."""
