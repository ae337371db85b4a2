"""The CLI's documentation: every subcommand is in README.md's CLI section."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from orchestrator.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]


def subcommands() -> list[str]:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return [name for action in actions for name in action.choices]


def test_every_subcommand_is_in_the_readmes_cli_section():
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## The CLI\n(.*?)^## ", readme, re.M | re.S)
    assert section, "README.md has no '## The CLI' section"
    names = subcommands()
    assert {"synth", "plan", "deploy", "destroy", "output", "drift", "local", "schema"} <= set(names)
    missing = [n for n in names if not re.search(rf"^\s+python main\.py {n}\b", section.group(1), re.M)]
    assert not missing, f"subcommands missing from README.md's CLI section: {missing}"
