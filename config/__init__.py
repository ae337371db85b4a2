"""Typed, validated project configuration: the only input the stacks read."""

from config.loader import ConfigError, load_project
from config.schema import BlueGreen, Environment, Project, ProjectSettings, Rolling

__all__ = [
    "BlueGreen",
    "ConfigError",
    "Environment",
    "Project",
    "ProjectSettings",
    "Rolling",
    "load_project",
]
