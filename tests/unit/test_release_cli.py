"""`python main.py release`: its subcommands, its errors, and that it never asks which target it runs on."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

import pytest

from orchestrator.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[2]
SUBCOMMANDS = ["status", "start", "approve", "reject", "rollback", "wait", "verify"]


def release_parser() -> argparse.ArgumentParser:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    parser: argparse.ArgumentParser = actions[0].choices["release"]
    return parser


def test_release_lists_its_subcommands(capsys):
    with pytest.raises(SystemExit) as done:
        main(["release", "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    for name in SUBCOMMANDS:
        assert re.search(rf"^\s+{name}\s", out, re.M), name
    sub = next(a for a in release_parser()._actions if isinstance(a, argparse._SubParsersAction))
    assert list(sub.choices) == SUBCOMMANDS


@pytest.mark.parametrize(
    "argv",
    [
        ["release", "wait", "nowhere"],
        ["release", "status", "staging", "nowhere"],
        ["release", "approve", "nowhere"],
        ["release", "rollback", "nowhere"],
        ["release", "verify", "nowhere"],
    ],
)
def test_an_unknown_environment_is_named_before_any_target_starts(argv, capsys, monkeypatch):
    from orchestrator import targets

    def no_target(self) -> None:
        raise AssertionError("the target must not be prepared for a wrong environment name")

    monkeypatch.setattr(targets.LocalTarget, "prepare", no_target)
    monkeypatch.setattr(targets.AwsTarget, "prepare", no_target)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "error: argument ENV: unknown environment 'nowhere'; expected one of staging, production" in err
    assert "Traceback" not in err


def test_reject_needs_a_reason(capsys):
    with pytest.raises(SystemExit) as done:
        main(["release", "reject", "production"])
    assert done.value.code == 2 and "--reason" in capsys.readouterr().err


def test_the_commands_never_ask_which_target_they_run_on():
    """Only Target.client(service, region): no target type, name or endpoint in orchestrator/release/."""
    for path in sorted((ROOT / "orchestrator" / "release").glob("*.py")):
        source = path.read_text()
        for needle in ("LocalTarget", "AwsTarget", "target.name", "endpoint", "moto", "isinstance(release.target"):
            assert needle not in source, f"{path.name} mentions {needle}"
