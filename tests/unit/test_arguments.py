"""Every bad argument is refused before any work: exit 2, one `error:` line naming it, no traceback.

The walk discovers every command, nested command, option and positional from `build_parser()`
itself and gives each a bad value derived from its type (`VALUES`, keyed by the parser's name
in config.arguments) or its choices, with good values for whatever else the command requires.
An option that takes a value but has neither a parser in `VALUES` nor choices fails the walk:
a new option is covered without writing a test, or refused until it gets one.

The walk runs `main()` in this process (~0.1 s a case instead of ~3 s for a child's imports),
with every process start, network connection and new file in the places the CLI writes
recorded: only git may run (refs are resolved while parsing). A few end-to-end cases then run
`python main.py` for real, with a `terraform` on PATH that says when it is started.
"""

from __future__ import annotations

import argparse
import math
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from config import arguments, load_project
from orchestrator import cli
from orchestrator.cli import build_parser, main
from orchestrator.session import LOG_ROOT
from synthesis.manifest import read_stacks

ROOT = Path(__file__).resolve().parents[2]
ENVIRONMENTS = str(ROOT / "environments")

VALUES: dict[str, tuple[str, str]] = {
    # parser name: (a good value, a bad value); {tmp} is the test's folder, {file} a file in it
    "duration": ("30s", "5 minutes"),
    "count": ("2", "0"),
    "seconds": ("10", "-1"),
    "text": ("because", " "),
    "stack": ("staging", "no-such-stack"),
    "environment": ("staging", "no-such-environment"),
    "existing_directory": (ENVIRONMENTS, "{tmp}/missing"),
    "output_file": ("{tmp}/out/report.json", "{file}/report.json"),
    "output_directory": ("{tmp}/out/dir", "{file}/dir"),
    "git_ref": ("HEAD", "no-such-ref-26"),
    "validate_commit": ("abcdef1", "not-a-sha"),
}
"""The CLI's value parsers (config.arguments and the release's commit SHA) and a value each refuses."""


@dataclass(frozen=True)
class Case:
    argv: tuple[str, ...]
    names: tuple[str, ...]
    """What the error line must say: the option's strings, or the positional's metavar."""
    bad: str


def subparsers(parser: argparse.ArgumentParser) -> Iterator[argparse._SubParsersAction]:
    yield from (a for a in parser._actions if isinstance(a, argparse._SubParsersAction))


def type_name(action: argparse.Action) -> str | None:
    return getattr(action.type, "__name__", None) if action.type else None


def good_value(action: argparse.Action) -> str:
    if action.choices:
        return str(next(iter(action.choices)))
    return VALUES[str(type_name(action))][0]


def bad_value(action: argparse.Action) -> str | None:
    """A value the action must refuse, or None when it has no parser to derive one from."""
    if action.nargs == 0:
        return "yes"  # `--flag=yes`: a flag takes no value
    if action.choices:
        return "not-a-choice"
    name = type_name(action)
    return VALUES[name][1] if name in VALUES else None


def label(action: argparse.Action) -> tuple[str, ...]:
    if action.option_strings:
        return ("/".join(action.option_strings), *action.option_strings)
    return (str(action.metavar or action.dest),)


def argv_with(parser: argparse.ArgumentParser, path: list[str], bad: argparse.Action | None, value: str) -> list[str]:
    """`path`, then good values for the required positionals and options, with `bad` given `value`."""
    positionals, options = [], []
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        given = action is bad
        if not given and action.nargs == 0:
            continue
        if not given and action.option_strings and not action.required:
            continue
        if not given and not action.option_strings and action.nargs in ("*", "?"):
            continue
        text = value if given else good_value(action)
        if action.option_strings:
            options.append(f"{action.option_strings[0]}={text}")
        else:
            positionals.append(text)
    return [*path, *positionals, *options]


def walk(parser: argparse.ArgumentParser, path: list[str] | None = None) -> tuple[list[Case], list[str]]:
    """(a bad-value case for every action of every (sub)parser, the actions no bad value can be derived for)."""
    path = path or []
    cases, untyped = [], []
    for action in subparsers(parser):
        cases.append(Case((*path, "no-such-command"), (str(action.metavar or action.dest),), "no-such-command"))
        for name, child in action.choices.items():
            more, missing = walk(child, [*path, name])
            cases += more
            untyped += missing
    for action in parser._actions:
        if isinstance(action, (argparse._HelpAction, argparse._SubParsersAction)):
            continue
        bad = bad_value(action)
        if bad is None:
            untyped.append(f"python main.py {' '.join(path)} {label(action)[0]}")
            continue
        cases.append(Case(tuple(argv_with(parser, path, action, bad)), label(action), bad))
    return cases, untyped


@dataclass
class Guard:
    """What a run started or wrote: processes other than git, connections, new files in the CLI's places."""

    tmp: Path
    """Where the CLI's environment variables point (synthesis, the emulator, Terraform's cache); the bad paths."""
    started: list[str] = field(default_factory=list)
    connected: list[str] = field(default_factory=list)
    places: tuple[Path, ...] = (ROOT, ROOT / ".local", LOG_ROOT, ROOT / ".cache", ROOT / ".cache" / "refs")
    """What else a run may write into (its logs, exported refs): their entries are compared."""

    def files(self) -> set[str]:
        found = {str(p) for p in self.tmp.rglob("*")}
        return found.union(*({str(p) for p in place.iterdir()} for place in self.places if place.is_dir()))


@pytest.fixture
def guard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Guard:
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    (tmp / "a-file").write_text("a file, not a folder\n")
    monkeypatch.setenv("CDKTF_OUTDIR", str(tmp / "cdktf.out"))
    monkeypatch.setenv("LOCAL_EMULATOR_DIR", str(tmp / "emulator"))
    monkeypatch.setenv("DEPLOY_CACHE_DIR", str(tmp / "cache"))
    monkeypatch.setattr(cli, "LOG_ROOT", tmp / "logs")  # where a bug's traceback would go
    monkeypatch.delenv("DEPLOY_TARGET", raising=False)
    monkeypatch.delenv("LOCAL_TARGET_CREDENTIALS", raising=False)
    g = Guard(tmp)
    execute_child = subprocess.Popen._execute_child  # type: ignore[attr-defined]

    def recorded(self: subprocess.Popen[bytes], args: list[str] | str, *rest: object) -> None:
        program = Path(args if isinstance(args, str) else str(args[0])).name
        if program != "git":
            g.started.append(str(args))
            raise AssertionError(f"started {args}")
        execute_child(self, args, *rest)

    def connect(self: socket.socket, address: object) -> None:
        g.connected.append(str(address))
        raise AssertionError(f"connected to {address}")

    monkeypatch.setattr(subprocess.Popen, "_execute_child", recorded)
    monkeypatch.setattr(socket.socket, "connect", connect)

    def fork() -> int:
        g.started.append("fork")
        raise AssertionError("forked")

    monkeypatch.setattr(os, "fork", fork)
    return g


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as done:
        return int(done.code or 0)


def test_every_option_of_every_command_refuses_a_bad_value_before_anything_runs(
    guard: Guard, capsys: pytest.CaptureFixture[str]
):
    cases, untyped = walk(build_parser())
    assert not untyped, "options with no value parser (add one from config.arguments and a row in VALUES):\n" + (
        "\n".join(untyped)
    )
    tmp = guard.tmp
    before = guard.files()
    problems = []
    for case in cases:
        argv = [a.format(tmp=tmp, file=tmp / "a-file") for a in case.argv]
        bad = case.bad.format(tmp=tmp, file=tmp / "a-file")
        code = run(argv)
        err = capsys.readouterr().err
        errors = [line for line in err.splitlines() if "error:" in line]
        why = []
        if code != 2:
            why.append(f"exit {code}")
        if len(errors) != 1:
            why.append(f"{len(errors)} error lines")
        elif not any(name in errors[0] for name in case.names) or repr(bad) not in errors[0]:
            why.append(f"the error line does not name {case.names[0]} and {bad!r}")
        if "Traceback" in err:
            why.append("a traceback")
        if guard.started or guard.connected:
            why.append(f"started {guard.started}, connected {guard.connected}")
        after = guard.files()
        if after != before:
            why.append(f"created {sorted(after - before)}")
            before = after
        if why:
            problems.append(f"python main.py {' '.join(argv)}: {', '.join(why)}\n{err}")
        guard.started.clear()
        guard.connected.clear()
    assert not problems, "\n".join(problems)
    commands = {c.argv[0] for c in cases}
    assert {
        "synth",
        "plan",
        "deploy",
        "destroy",
        "unlock",
        "output",
        "drift",
        "local",
        "cost",
        "release",
        "schema",
    } <= (commands)
    assert sum(1 for c in cases if c.argv[:2] == ("release", "wait")) >= 6  # ENV, --timeout, --interval, ...


def test_an_option_without_a_value_parser_fails_the_walk():
    parser = build_parser()
    plan = next(subparsers(parser)).choices["plan"]
    plan.add_argument("--new-option")
    _, untyped = walk(parser)
    assert untyped == ["python main.py plan --new-option"]


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"DEPLOY_TARGET": "prod"}, "error: DEPLOY_TARGET='prod': expected local or aws"),
        ({"DEPLOY_TARGET": ""}, "error: DEPLOY_TARGET='': expected local or aws"),
        ({"LOCAL_TARGET_CREDENTIALS": "admin"}, "LOCAL_TARGET_CREDENTIALS: expected emulator or environment"),
    ],
)
def test_the_environment_variables_are_checked_before_anything_runs(
    environ: dict[str, str], expected: str, guard: Guard, monkeypatch: pytest.MonkeyPatch, capsys
):
    for key, value in environ.items():
        monkeypatch.setenv(key, value)
    before = guard.files()
    for argv in (["deploy", "staging"], ["release", "status"]):
        assert run(argv) == 2
        err = capsys.readouterr().err
        assert expected in err and len([x for x in err.splitlines() if "error:" in x]) == 1
    assert not guard.started and not guard.connected and guard.files() == before
    monkeypatch.setenv("DEPLOY_TARGET", "prod")
    assert build_parser().parse_args(["plan", "--target", "local"]).target == "local"  # --target wins


def test_an_unexpected_error_is_one_line_saying_it_is_a_bug_and_where_its_traceback_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    from orchestrator import commands

    def broken(args: argparse.Namespace) -> int:
        return {"a": 1}["b"]

    monkeypatch.setattr(commands, "schema", broken)
    monkeypatch.setattr(cli, "LOG_ROOT", tmp_path / "logs")
    assert main(["schema"]) == 1
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("error: a bug in this program") and "KeyError: 'b'" in err
    (log,) = (tmp_path / "logs").iterdir()
    assert str(log) in err
    assert "Traceback (most recent call last)" in log.read_text() and "in broken" in log.read_text()


def test_the_stacks_known_before_synthesis_are_the_synthesized_ones(project, synth_dir: Path):
    assert sorted(arguments.stack_names(project)) == sorted(read_stacks(synth_dir))


def test_end_to_end_a_bad_argument_exits_2_before_terraform_or_the_emulator_starts(tmp_path: Path):
    """`python main.py` for real: a terraform on PATH that leaves a mark, the emulator's folder in tmp."""
    bin_dir, marks = tmp_path / "bin", tmp_path / "marks"
    bin_dir.mkdir()
    terraform = bin_dir / "terraform"
    terraform.write_text(f'#!/bin/sh\ntouch "{marks}"\nexit 1\n')
    terraform.chmod(0o755)
    (tmp_path / "a-file").write_text("x")
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "CDKTF_OUTDIR": str(tmp_path / "cdktf.out"),
        "LOCAL_EMULATOR_DIR": str(tmp_path / "emulator"),
        "DEPLOY_CACHE_DIR": str(tmp_path / "cache"),
    }
    env.pop("DEPLOY_TARGET", None)
    runs = {
        "--lock-timeout": ["deploy", "--auto-approve", "--lock-timeout", "5"],
        "--changed-since": ["plan", "--changed-since=--output=x"],
        "--report": ["plan", "--report", str(tmp_path / "a-file" / "plan.json")],
        "DEPLOY_TARGET": ["deploy", "staging", "--auto-approve"],
        "--parallelism": ["drift", "--parallelism=-1"],
    }
    children = {
        name: subprocess.Popen(
            [sys.executable, "main.py", *argv],
            cwd=ROOT,
            env={**env, "DEPLOY_TARGET": "production"} if name == "DEPLOY_TARGET" else env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, argv in runs.items()
    }
    for name, child in children.items():
        out, err = child.communicate(timeout=120)
        errors = [line for line in err.splitlines() if "error:" in line]
        assert child.returncode == 2, (name, err)
        assert len(errors) == 1 and name in errors[0] and "Traceback" not in err, (name, err)
        assert out == ""
    assert not marks.exists(), "terraform was started"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file", "bin"]  # no synthesis, emulator or cache


@pytest.mark.parametrize(
    ("value", "accepted"),
    [
        # as Terraform 1.11's `plan -lock-timeout=VALUE` took them (Go's time.ParseDuration)
        ("0", True),
        ("0s", True),
        ("5s", True),
        ("5m", True),
        ("1h30m", True),
        ("1h1h", True),
        ("1.5h", True),
        (".5s", True),
        ("5.s", True),
        ("300ms", True),
        ("1us", True),
        ("1µs", True),
        ("1μs", True),
        ("10ns", True),
        ("+5s", True),
        ("-0", True),
        ("2562047h", True),
        ("5", False),
        ("5.", False),
        ("5 m", False),
        ("1d", False),
        ("", False),
        ("5S", False),
        ("abc", False),
        ("9999999999h", False),
        (".s", False),
        ("1.5.3h", False),
        ("٣s", False),  # an Arabic-Indic digit: Python's \d would take it, Go does not
        # Terraform takes a negative wait; here it is refused as meaningless
        ("-1s", False),
    ],
)
def test_lock_timeout_takes_terraforms_durations(value: str, accepted: bool):
    if accepted:
        assert arguments.duration(value) == value
    else:
        with pytest.raises(argparse.ArgumentTypeError, match="expected a duration"):
            arguments.duration(value)


def test_counts_and_seconds():
    assert arguments.count("3") == 3
    for bad in ("0", "-1", "1.5", "two", ""):
        with pytest.raises(argparse.ArgumentTypeError, match=r"expected a whole number >= 1, got"):
            arguments.count(bad)
    assert arguments.seconds("0.5") == 0.5
    for bad in ("0", "-3", "nan", "inf", "1e400", "soon"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"expected a number of seconds > 0, got"):
            arguments.seconds(bad)
    assert math.isfinite(arguments.seconds("1e300"))


def test_output_paths_are_checked_without_creating_anything(tmp_path: Path):
    (tmp_path / "a-file").write_text("x")
    assert (
        arguments.output_file(str(tmp_path / "new" / "deeper" / "report.json")) == tmp_path / "new/deeper/report.json"
    )
    assert arguments.output_file(str(tmp_path / "a-file")) == tmp_path / "a-file"  # overwritten
    assert arguments.output_directory(str(tmp_path / "new" / "dir")) == tmp_path / "new" / "dir"
    refused = {
        arguments.output_file: [tmp_path, tmp_path / "a-file" / "x.json", tmp_path / "a-file" / "deeper" / "x.json"],
        arguments.output_directory: [tmp_path / "a-file", tmp_path / "a-file" / "sub"],
    }
    for parse, paths in refused.items():
        for path in paths:
            with pytest.raises(argparse.ArgumentTypeError, match=rf"expected a .*, got '{path}'"):
                parse(str(path))
    for parse in (arguments.output_file, arguments.output_directory, arguments.existing_directory):
        for bad in ("", "nul\0byte", "x" * 5000):
            with pytest.raises(argparse.ArgumentTypeError):
                parse(bad)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a-file"]


def test_a_ref_is_resolved_and_never_read_as_an_option():
    head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True).stdout.strip()
    ref = cli.git_ref("HEAD")
    assert (ref.name, ref.commit, str(ref)) == ("HEAD", head, "HEAD")
    for bad in ("--output=/tmp/x", "--git-dir", "-h", "no-such-ref-26"):
        with pytest.raises(argparse.ArgumentTypeError, match=r"expected a git ref naming a commit: unknown git ref"):
            cli.git_ref(bad)


def test_names_are_checked_against_the_configuration(project):
    parser = build_parser()
    args = parser.parse_args(["deploy", "staging", "qa"])
    assert arguments.unknown_names(parser, args, project) == (
        "argument STACK: unknown stack 'qa'; expected one of access, staging, production, release, gitlab"
    )
    args = parser.parse_args(["release", "status", "production", "qa"])
    assert arguments.unknown_names(parser, args, project) == (
        "argument ENV: unknown environment 'qa'; expected one of staging, production"
    )
    assert arguments.unknown_names(parser, parser.parse_args(["deploy", "release"]), project) is None
    assert load_project(ROOT).environments  # the configuration they are checked against
