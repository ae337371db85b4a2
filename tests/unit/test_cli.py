"""The CLI's documentation: every subcommand is in README.md's CLI section, and every command,
option and make target the README and docs/ show exists."""

from __future__ import annotations

import argparse
import re
from collections.abc import Iterator
from pathlib import Path

from orchestrator.cli import build_parser
from tests.unit.test_docs import PAGES, code_snippets

ROOT = Path(__file__).resolve().parents[2]

COMMAND = re.compile(r"\bpython main\.py\b")
OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
NAME = re.compile(r"[a-z][a-z0-9_-]*(?:\|[a-z][a-z0-9_-]*)*")  # a word, or alternatives: start|stop|status
MAKE = re.compile(r"(?:^|[;&|]\s*)make\s+([A-Za-z0-9_][\w.-]*)")
# Snippets of other programs: their options are theirs, not the CLI's.
FOREIGN = re.compile(
    r"^(?:\$\s*)?(?:cdktf|terraform|aws|make|git|pipenv|npm|gitlab-ci-local|checkov|pytest|(?:\S*/)?python -m (?!main\b))\b"
)


SUITE_OPTIONS = set(re.findall(r'addoption\(\s*"(--[a-z-]+)"', (ROOT / "tests" / "conftest.py").read_text()))
"""The test suite's own pytest options (docs/testing.md names them)."""


def subcommands() -> list[str]:
    actions = [a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return [name for action in actions for name in action.choices]


def subparsers_of(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    return {
        name: child
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name, child in action.choices.items()
    }


def every_parser(parser: argparse.ArgumentParser) -> Iterator[argparse.ArgumentParser]:
    yield parser
    for child in subparsers_of(parser).values():
        yield from every_parser(child)


def command_problems(text: str, root: argparse.ArgumentParser) -> list[str]:
    """What in `python main.py <text>` the parser does not have: a subcommand, a choice, an option.

    Walks the subparsers (nested ones too: `release verify`), checks a positional's choices
    (`local start|stop|status`) and each `--option` against the parser reached; `[`, `]` and
    values (STACK, ENV, FILE, an option's argument) are notation.
    """
    tokens = text.replace("[", " ").replace("]", " ").split()
    parsers, path, consumed, problems = [root], ["python main.py"], set(), []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        i += 1
        if token.startswith("--"):
            name = token.split("=")[0]
            actions = [a for p in parsers for a in p._actions if name in a.option_strings]
            if not actions:
                problems.append(f"`{' '.join(path)}` has no option {name}")
            elif "=" not in token and actions[0].nargs != 0:
                i += 1  # its value
        elif NAME.fullmatch(token):
            alternatives = token.split("|")
            children = [subparsers_of(p) for p in parsers]
            if all(children):
                unknown = [a for a in alternatives if not any(a in c for c in children)]
                if unknown:
                    problems.append(f"`{' '.join(path)}` has no subcommand {', '.join(unknown)}")
                    return problems
                parsers = [c[a] for c in children for a in alternatives if a in c]
                path.append(token)
                continue
            positional = next(
                (
                    a
                    for p in parsers
                    for a in p._actions
                    if not a.option_strings and a.choices and id(a) not in consumed
                ),
                None,
            )
            if positional is not None:
                consumed.add(id(positional))
                unknown = [a for a in alternatives if a not in positional.choices]
                if unknown:
                    problems.append(f"`{' '.join(path)}` {positional.dest} has no choice {', '.join(unknown)}")
    return problems


def snippet_problems(snippet: str, root: argparse.ArgumentParser) -> list[str]:
    """A snippet's commands and options: `python main.py ...`, a bare subcommand (`deploy --adopt`),
    or options on their own (`--lock-timeout`), which must exist in some command."""
    everywhere = {o for p in every_parser(root) for a in p._actions for o in a.option_strings} | SUITE_OPTIONS
    command, comment = "", snippet
    found = COMMAND.search(snippet)
    if found:
        command, _, rest = snippet[found.end() :].partition(" #")
        comment = f"{snippet[: found.start()]} {rest}"
        if ": error: " in command:  # a usage error as printed, `python main.py plan: error: ...`: its command
            command = command.partition(": error: ")[0]
    elif snippet.split()[0] in subparsers_of(root):
        command, _, comment = snippet.partition(" #")
    elif FOREIGN.match(snippet):
        return []
    problems = command_problems(command, root) if command else []
    problems += [f"no command has the option {o}" for o in OPTION.findall(comment) if o not in everywhere]
    return problems


def make_targets() -> set[str]:
    targets = set()
    for line in (ROOT / "Makefile").read_text().splitlines():
        match = re.match(r"^([^\s#:=][^:=]*?)\s*:(?!=)", line)
        if match:
            targets.update(match.group(1).split())
    return targets


def test_every_subcommand_is_in_the_readmes_cli_section():
    readme = (ROOT / "README.md").read_text()
    section = re.search(r"^## The CLI\n(.*?)^## ", readme, re.M | re.S)
    assert section, "README.md has no '## The CLI' section"
    names = subcommands()
    assert {"synth", "plan", "deploy", "destroy", "output", "drift", "local", "schema"} <= set(names)
    # in a code block (indented) or in the first cell of the section's table
    missing = [n for n in names if not re.search(rf"^(?:\s+|\|\s*`)python main\.py {n}\b", section.group(1), re.M)]
    assert not missing, f"subcommands missing from README.md's CLI section: {missing}"


def test_every_documented_command_and_option_exists():
    root = build_parser()
    problems = [
        f"{page.relative_to(ROOT)}: `{snippet}`: {problem}"
        for page in PAGES
        for snippet in code_snippets(page)
        for problem in snippet_problems(snippet, root)
    ]
    assert not problems, "\n".join(problems)


def test_every_documented_make_target_exists():
    targets = make_targets()
    assert {"up", "test", "down"} <= targets
    problems = [
        f"{page.relative_to(ROOT)}: `{snippet}`: no make target {target}"
        for page in PAGES
        for snippet in code_snippets(page)
        for target in MAKE.findall(snippet)
        if target not in targets
    ]
    assert not problems, "\n".join(problems)


def test_the_documentation_checks_find_what_does_not_exist():
    root = build_parser()
    assert not snippet_problems("python main.py release verify production --commit SHA --target aws", root)
    assert not snippet_problems("python main.py local start|stop|status [--json]  # the emulator", root)
    assert not snippet_problems("deploy access --target aws", root)
    assert not snippet_problems("cdktf deploy --skip-provider-lock", root)
    assert snippet_problems("python main.py deploy --no-such-option", root)
    assert snippet_problems("python main.py release frobnicate ENV", root)
    assert snippet_problems("python main.py local restart", root)
    assert snippet_problems("python main.py synth  # then --no-such-option", root)
    assert snippet_problems("--no-such-option", root)
    assert not snippet_problems("python main.py release wait: error: argument ENV: unknown environment 'x'", root)
    assert snippet_problems("python main.py frobnicate: error: argument --x: expected ...", root)
    assert MAKE.findall("make up      # deploy") == ["up"]
